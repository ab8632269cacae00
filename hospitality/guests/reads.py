"""What the guest screens read: a visit's answer, the unsatisfied answers waiting for the lead or the manager,
satisfaction per day, per sales rep and per post with the remarks, and the VIP notices."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlalchemy import Row, bindparam, case, func, literal, select, text

from ..database import Reads, read_panels, select_rows
from ..models import SalesRep, Site, Visit
from ..models.guests import RATINGS, UNSATISFIED, FeedbackLink, GuestFeedback, VipNotice

ALERTS_SHOWN = 50
REMARKS_SHOWN = 30

_OF_VISIT = select(GuestFeedback.id, GuestFeedback.rating, GuestFeedback.remark, GuestFeedback.source,
                   GuestFeedback.post, GuestFeedback.at, GuestFeedback.handled_at, GuestFeedback.complaint_id
                   ).where(GuestFeedback.visit_id == bindparam("visit_id"))
_LINK = select(FeedbackLink.token, FeedbackLink.expires_at, FeedbackLink.used_at).where(
    FeedbackLink.visit_id == bindparam("visit_id"))
_ALERTS = (select(GuestFeedback.id, GuestFeedback.visit_id, GuestFeedback.rating, GuestFeedback.remark,
                  GuestFeedback.source, GuestFeedback.at, Visit.arrived_at, Visit.party_size, Visit.plate)
           .join(Visit, Visit.id == GuestFeedback.visit_id)
           .where(GuestFeedback.site_id == bindparam("site_id"), text(UNSATISFIED))
           .order_by(GuestFeedback.at.desc()).limit(ALERTS_SHOWN))
_VIPS = (select(VipNotice.id, VipNotice.plate, VipNotice.phone, VipNotice.note, VipNotice.active)
         .where(VipNotice.site_id == bindparam("site_id")).order_by(VipNotice.active.desc(), VipNotice.id.desc()))
_VIP_OF_PLATE = select(VipNotice.note).where(VipNotice.site_id == bindparam("site_id"),
                                             VipNotice.plate == bindparam("plate"), VipNotice.active.is_(True))


def of_visit(visit_id: int) -> Row | None:
    return select_rows(_OF_VISIT, {"visit_id": visit_id}).first()


def link_of(visit_id: int) -> Row | None:
    return select_rows(_LINK, {"visit_id": visit_id}).first()


def alerts(site_id: int) -> list[Row]:
    """Unsatisfied answers nobody has handled yet, newest first."""
    return select_rows(_ALERTS, {"site_id": site_id}).all()


def vips(site_id: int) -> list[Row]:
    return select_rows(_VIPS, {"site_id": site_id}).all()


def vip_note(site_id: int, plate: str | None) -> str | None:
    """The VIP note of a plate (what the gate and every post see when it arrives), if it has one."""
    if not plate:
        return None
    return select_rows(_VIP_OF_PLATE, {"site_id": site_id, "plate": plate}).scalar()


@dataclass
class Tally:
    """Answers of a group of visits: how many of each rating, and the share satisfied (read once it is complete:
    the figures are worked out on first use)."""
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, rating: str, n: int = 1) -> None:
        self.counts[rating] = self.counts.get(rating, 0) + n

    @cached_property
    def total(self) -> int:
        return sum(self.counts.values())

    @cached_property
    def unsatisfied(self) -> int:
        return self.counts.get("unsatisfied", 0)

    @cached_property
    def satisfied_pct(self) -> int | None:
        """Per cent satisfied or very satisfied."""
        good = self.counts.get("very_satisfied", 0) + self.counts.get("satisfied", 0)
        return round(100 * good / self.total) if self.total else None


@dataclass
class Satisfaction:
    first: date
    last: date
    overall: Tally
    by_day: dict[date, Tally]
    by_rep: dict[str, Tally]
    by_post: dict[str, Tally]  # the post that tapped it, or "guest" for the guests' own answers
    remarks: list


_IN_RANGE = (GuestFeedback.site_id == bindparam("site_id"), GuestFeedback.day >= bindparam("first"),
             GuestFeedback.day <= bindparam("last"))
# A day is one row with its ratings side by side (a month: 30 rows, not 30 × 4 to add up in Python).
_BY_DAY = (select(GuestFeedback.day, *[func.sum(case((GuestFeedback.rating == rating, 1), else_=0)).label(rating)
                                       for rating in RATINGS])
           .where(*_IN_RANGE).group_by(GuestFeedback.day))
_WHO = case((GuestFeedback.source == "guest", literal("guest")), else_=func.coalesce(GuestFeedback.post, "guest"))
# Per post and per sales rep in one pass over the answers (a few dozen rows: posts × reps × ratings).
_BY_POST_AND_REP = (select(_WHO.label("post"), func.coalesce(SalesRep.name, "").label("rep"), GuestFeedback.rating,
                           func.count().label("n"))
                    .join(Visit, Visit.id == GuestFeedback.visit_id).outerjoin(SalesRep, SalesRep.id == Visit.rep_id)
                    .where(*_IN_RANGE).group_by(_WHO, SalesRep.name, GuestFeedback.rating))
_REMARKS = (select(GuestFeedback.rating, GuestFeedback.remark, GuestFeedback.at)
            .where(*_IN_RANGE, GuestFeedback.remark.is_not(None))
            .order_by(GuestFeedback.at.desc()).limit(REMARKS_SHOWN))


def satisfaction(site: Site, first: date, last: date) -> Satisfaction:
    """The answers of a range of days: per day, per sales rep, per post ("guest": the guests' own answers), and the
    remarks, newest first. Grouped in the database on the stored day (three reads, whatever the range, at once: one
    statement on PostgreSQL)."""
    def build(got: dict) -> dict:
        by_day = {r.day: Tally({rating: n for rating in RATINGS if (n := getattr(r, rating))})
                  for r in got["by_day"]}
        overall = Tally()
        for t in by_day.values():
            for rating, n in t.counts.items():
                overall.add(rating, n)
        by_rep: defaultdict[str, Tally] = defaultdict(Tally)
        by_post: defaultdict[str, Tally] = defaultdict(Tally)
        for r in got["by_post_and_rep"]:
            by_rep[r.rep].add(r.rating, r.n)
            by_post[r.post].add(r.rating, r.n)
        return {"satisfaction": Satisfaction(first, last, overall, by_day, dict(by_rep), dict(by_post),
                                             got["remarks"])}
    return read_panels(Reads({"by_day": _BY_DAY, "by_post_and_rep": _BY_POST_AND_REP, "remarks": _REMARKS},
                             {"site_id": site.id, "first": first, "last": last}, build))["satisfaction"]


