"""What the complaint screens read, as prebuilt statements of named rows: a complaint with its timeline, photos and
remedies; the list with filters and deadline flags; what is overdue for the lead's and manager's screens; the
follow-up calls due; the monthly classification report (分类统计表)."""
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import Row, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from ..clock import range_bounds, utcnow
from ..database import Reads, first_row, read_panels, select_rows
from ..models import Site, User, Visit
from ..models.complaints import TOPICS, Complaint, ComplaintEvent, ComplaintPhoto, ComplaintRemedy, FollowUp

PAGE_SIZE = 30
DUE_SHOWN = 100

_BY = aliased(User)
_COMPLAINT = (select(Complaint.id, Complaint.site_id, Complaint.visit_id, Complaint.guest_name, Complaint.guest_phone,
                     Complaint.channel, Complaint.topic, Complaint.said, Complaint.registered_by_id,
                     Complaint.registered_at, Complaint.step, Complaint.respond_by, Complaint.close_by,
                     Complaint.founded, Complaint.guest_confirmed, Complaint.cause, Complaint.responsible_post,
                     Complaint.preventive, Complaint.closed_at, _BY.name.label("registered_by"),
                     Visit.arrived_at.label("visit_at"), Visit.party_size.label("visit_party"),
                     Visit.plate.label("visit_plate"))
              .join(_BY, _BY.id == Complaint.registered_by_id).outerjoin(Visit, Visit.id == Complaint.visit_id)
              .where(Complaint.id == bindparam("complaint_id"), Complaint.site_id == bindparam("site_id")))
_TIMELINE = (select(ComplaintEvent.id, ComplaintEvent.kind, ComplaintEvent.at, ComplaintEvent.note,
                    ComplaintEvent.people, ComplaintEvent.incident_id, ComplaintEvent.visit_id,
                    User.name.label("who"), User.post.label("post"))
             .join(User, User.id == ComplaintEvent.user_id)
             .where(ComplaintEvent.complaint_id == bindparam("complaint_id")).order_by(ComplaintEvent.id))
_PHOTOS = (select(ComplaintPhoto.id, ComplaintPhoto.event_id)
           .where(ComplaintPhoto.complaint_id == bindparam("complaint_id")).order_by(ComplaintPhoto.id))
_REMEDIES = (select(ComplaintRemedy.id, ComplaintRemedy.text, ComplaintRemedy.chosen, ComplaintRemedy.proposed_at,
                    User.name.label("who"))
             .join(User, User.id == ComplaintRemedy.proposed_by_id)
             .where(ComplaintRemedy.complaint_id == bindparam("complaint_id")).order_by(ComplaintRemedy.id))
_LIST_COLUMNS = (Complaint.id, Complaint.topic, Complaint.channel, Complaint.guest_name, Complaint.said,
                 Complaint.registered_at, Complaint.step, Complaint.founded, Complaint.respond_by, Complaint.close_by,
                 Complaint.closed_at, Complaint.registered_by_id)
_OPEN = (select(*_LIST_COLUMNS).where(Complaint.site_id == bindparam("site_id"), Complaint.closed_at.is_(None))
         .order_by(Complaint.registered_at).limit(DUE_SHOWN))
_DUE = (select(FollowUp.id, FollowUp.due_on, FollowUp.attempts, FollowUp.outcome, FollowUp.note,
               FollowUp.complaint_id, FollowUp.visit_id,
               func.coalesce(FollowUp.guest_name, Complaint.guest_name).label("guest_name"),
               func.coalesce(FollowUp.guest_phone, Complaint.guest_phone).label("guest_phone"), Complaint.topic,
               Visit.arrived_at.label("visit_at"), Visit.party_size.label("visit_party"))
        .outerjoin(Complaint, Complaint.id == FollowUp.complaint_id).outerjoin(Visit, Visit.id == FollowUp.visit_id)
        .where(FollowUp.site_id == bindparam("site_id"), FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on, FollowUp.id).limit(DUE_SHOWN))
_OF_VISIT = (select(FollowUp.id, FollowUp.due_on, FollowUp.done_at, FollowUp.outcome, FollowUp.complaint_id)
             .where(FollowUp.visit_id == bindparam("visit_id")).order_by(FollowUp.id.desc()).limit(1))


def complaint(site_id: int, complaint_id: int) -> Row | None:
    return select_rows(_COMPLAINT, {"site_id": site_id, "complaint_id": complaint_id}).first()


def complaint_reads(site_id: int, complaint_id: int) -> Reads:
    """complaint() for a page that reads its parts at once: `complaint` (or None)."""
    return first_row("complaint", _COMPLAINT, {"site_id": site_id, "complaint_id": complaint_id})


def steps_reads(complaint_id: int) -> Reads:
    """A complaint's timeline (`events`, `photo_ids`: a step's photos by its event id) and its `remedies`, for a page
    that reads its parts at once."""
    def build(got: dict) -> dict:
        photos: dict[int, list[int]] = {}
        for p in got["photos"]:
            photos.setdefault(p.event_id, []).append(p.id)
        return {"events": got["events"], "photo_ids": photos, "remedies": got["remedies"]}
    return Reads({"photos": _PHOTOS, "events": _TIMELINE, "remedies": _REMEDIES}, {"complaint_id": complaint_id},
                 build)


@dataclass
class Filters:
    first: date
    last: date
    topic: str = ""
    state: str = ""  # "" every one | open | closed | overdue

    def args(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "topic": self.topic,
                "state": self.state}


_STATE_WHERE = {
    "": (),
    "open": (Complaint.closed_at.is_(None),),
    "closed": (Complaint.closed_at.is_not(None),),
    "overdue": (Complaint.closed_at.is_(None),
                or_(and_(Complaint.step == 1, Complaint.respond_by < bindparam("now")),
                    Complaint.close_by < bindparam("now"))),
}


@cache
def _listing_statement(by_topic: bool, state: str):
    """The list's statement for a topic filter (or none) and a state: built once each (building a statement costs
    more CPU than running it)."""
    q = select(*_LIST_COLUMNS).where(Complaint.site_id == bindparam("site_id"),
                                     Complaint.registered_at >= bindparam("start"),
                                     Complaint.registered_at < bindparam("end"), *_STATE_WHERE[state])
    if by_topic:
        q = q.where(Complaint.topic == bindparam("topic"))
    return (q.order_by(Complaint.registered_at.desc(), Complaint.id.desc())
            .offset(bindparam("offset")).limit(bindparam("limit")))


def listing(site: Site, f: Filters, page: int = 0) -> tuple[list[Row], bool]:
    """Complaints registered in the range (newest first), filtered; a page, and whether there is another."""
    start, end = range_bounds(site, f.first, f.last)
    state = f.state if f.state in _STATE_WHERE else ""
    params = {"site_id": site.id, "start": start, "end": end, "topic": f.topic, "offset": page * PAGE_SIZE,
              "limit": PAGE_SIZE + 1}
    if state == "overdue":
        params["now"] = utcnow()
    rows = select_rows(_listing_statement(f.topic in TOPICS, state), params).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def open_complaints(site_id: int) -> list[Row]:
    """Every open complaint of the site, oldest first (a site has a handful): its deadlines are flagged."""
    return select_rows(_OPEN, {"site_id": site_id}).all()


def open_reads(site_id: int) -> Reads:
    """open_complaints() for a screen that reads its panels at once: `open_complaints`."""
    return Reads({"open": _OPEN}, {"site_id": site_id}, lambda got: {"open_complaints": got["open"]})


def visit_call(visit_id: int) -> Row | None:
    """The follow-up call planned after a visit, if one was (its due day, whether it was made, how it went)."""
    return select_rows(_OF_VISIT, {"visit_id": visit_id}).first()


def due_calls(site_id: int) -> list[Row]:
    """Follow-up calls not made yet, the most urgent first."""
    return select_rows(_DUE, {"site_id": site_id}).all()


@dataclass
class MonthReport:
    first: date
    by_topic: dict[str, int]
    by_post: dict[str | None, int]
    founded: int
    unfounded: int
    undecided: int
    closed: int
    avg_close_hours: float | None
    calls_reached: int
    calls_satisfied: int

    @property
    def total(self) -> int:
        return sum(self.by_topic.values())

    @property
    def satisfaction(self) -> int | None:
        return round(100 * self.calls_satisfied / self.calls_reached) if self.calls_reached else None


_IN_MONTH = (Complaint.site_id == bindparam("site_id"), Complaint.registered_at >= bindparam("start"),
             Complaint.registered_at < bindparam("end"))
_MONTH_GROUPS = (select(Complaint.topic, Complaint.responsible_post, Complaint.founded, func.count().label("n"),
                        func.count(Complaint.closed_at).label("closed"))
                 .where(*_IN_MONTH).group_by(Complaint.topic, Complaint.responsible_post, Complaint.founded))
_MONTH_CLOSED = select(Complaint.registered_at, Complaint.closed_at).where(*_IN_MONTH, Complaint.closed_at.is_not(None))
_MONTH_CALLS = (select(FollowUp.outcome, func.count().label("n"))
                .where(FollowUp.site_id == bindparam("site_id"), FollowUp.done_at >= bindparam("start"),
                       FollowUp.done_at < bindparam("end"))
                .group_by(FollowUp.outcome))


def month_report(site: Site, first: date) -> MonthReport:
    """分类统计表: the complaints registered in a month by topic and by responsible post, founded or not, the
    average time to close, and how the follow-up calls of the month went. Three grouped reads, at once (one
    statement on PostgreSQL)."""
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    start, end = range_bounds(site, first, last)
    return read_panels(Reads({"groups": _MONTH_GROUPS, "closed": _MONTH_CLOSED, "calls": _MONTH_CALLS},
                             {"site_id": site.id, "start": start, "end": end},
                             lambda got: {"report": _month_report(first, got)}))["report"]


def _month_report(first: date, got: dict) -> MonthReport:
    by_topic: dict[str, int] = {}
    by_post: dict[str | None, int] = {}
    founded = unfounded = undecided = closed = 0
    for r in got["groups"]:
        by_topic[r.topic] = by_topic.get(r.topic, 0) + r.n
        if r.responsible_post:
            by_post[r.responsible_post] = by_post.get(r.responsible_post, 0) + r.n
        founded += r.n if r.founded else 0
        unfounded += r.n if r.founded is False else 0
        undecided += r.n if r.founded is None else 0
        closed += r.closed
    hours = [(d.closed_at - d.registered_at).total_seconds() / 3600 for d in got["closed"]]
    calls = got["calls"]
    reached = sum(c.n for c in calls if c.outcome in ("satisfied", "unsatisfied"))
    satisfied = sum(c.n for c in calls if c.outcome == "satisfied")
    return MonthReport(first, by_topic, by_post, founded, unfounded, undecided, closed,
                       round(sum(hours) / len(hours), 1) if hours else None, reached, satisfied)
