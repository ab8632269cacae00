"""What the cleaners' rota, the linen pages and the today screens read."""
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import and_, bindparam, case, func, or_, select

from ..checklists.reads import RoutineStatus, day_status
from ..clock import to_local
from ..database import Reads, read_panels, select_rows
from ..extensions import db
from ..models import ChecklistTemplate, Location, Site, User
from ..models.checklists import FILLED_AS_AREA, Period
from ..models.linen import LINEN_KINDS, LinenBatch, LinenCount
from ..permissions import can

# The rota's sections, each the recurrences it shows: today's, this week's, this half-month's, this month's.
SECTIONS = (("day", ("daily", "weekdays")), ("week", ("weekly",)), ("half_month", ("half_month",)),
            ("month", ("monthly",)))

_CLEANERS = (select(ChecklistTemplate).where(ChecklistTemplate.site_id == bindparam("site_id"),
                                             ChecklistTemplate.assignee == "cleaners",
                                             ChecklistTemplate.active.is_(True))
             .order_by(ChecklistTemplate.position, ChecklistTemplate.id))
# A today screen's own rounds, in one read: the rounds given to the post (the lounge rounds, to the water bar: an
# area round of its post, or a cleaning checklist given to it) and whatever checklist is given to this person by name.
_GIVEN_BY_NAME = and_(ChecklistTemplate.assignee == "person", ChecklistTemplate.person_id == bindparam("user_id"))
OWN_ROUNDS_WHERE = and_(  # also read by the staff today screen's one checklist statement (today/reads.py)
    ChecklistTemplate.site_id == bindparam("site_id"), ChecklistTemplate.active.is_(True),
    or_(_GIVEN_BY_NAME,
        and_(ChecklistTemplate.assignee == "post", ChecklistTemplate.post == bindparam("post"),
             ChecklistTemplate.kind.in_(FILLED_AS_AREA), ChecklistTemplate.shift_id.is_(None))))
# The lead's and manager's own rounds: only what is given to them by name (the post's rounds are on their board).
GIVEN_BY_NAME_WHERE = and_(ChecklistTemplate.site_id == bindparam("site_id"), ChecklistTemplate.active.is_(True),
                           _GIVEN_BY_NAME)
_OWN_ROUNDS = (select(ChecklistTemplate).where(OWN_ROUNDS_WHERE)
               .order_by(ChecklistTemplate.position, ChecklistTemplate.id))
_NAMES = select(User.id, User.name).where(User.id.in_(bindparam("ids", expanding=True)))


@dataclass
class RotaRow:
    """One task of the cleaners' rota: its current period's round, and the period before if it was missed."""
    status: RoutineStatus
    period: Period
    missed: Period | None = None
    done_by: str | None = None  # who ticked it for the cleaners


def cleaning_templates(site_id: int) -> list[ChecklistTemplate]:
    return list(db.session.scalars(_CLEANERS, {"site_id": site_id}))


def _previous(template: ChecklistTemplate, period: Period) -> Period | None:
    """The period before this one (the last day it ran, for a weekday routine within a week)."""
    for back in range(1, 8):
        p = template.period(period.start - timedelta(days=back))
        if p is not None:
            return p
    return None


def rota(site: Site, day: date | None = None) -> dict[str, list[RotaRow]]:
    """The cleaners' rota by section: each task's round of the period holding `day`, with the period before when it
    was missed (shown once: only in the period right after it). A few queries: one per distinct earlier day."""
    day = day or site.today()
    templates = cleaning_templates(site.id)
    rows = {}
    for s in day_status(site, day, templates):
        rows.setdefault(s.template.id, RotaRow(s, s.template.period(day)))
    # The period before each, grouped by a day inside it so each group is one read.
    earlier: dict[date, list[ChecklistTemplate]] = {}
    for row in rows.values():
        t = row.status.template
        prev = _previous(t, row.period)
        if prev is not None and to_local(site, t.created_at).date() <= prev.start:
            earlier.setdefault(prev.start, []).append(t)
    for prev_day, ts in earlier.items():
        for s in day_status(site, prev_day, ts, counts=False):
            if s.state in ("missing", "overdue"):
                rows[s.template.id].missed = s.template.period(prev_day)
    done_ids = {r.status.run.completed_by_id for r in rows.values()
                if r.status.run is not None and r.status.run.completed_at is not None}
    names = {r.id: r.name for r in select_rows(_NAMES, {"ids": list(done_ids)})} if done_ids else {}
    out = {key: [] for key, _r in SECTIONS}
    for row in rows.values():
        if row.status.run is not None and row.status.run.completed_at is not None:
            row.done_by = names.get(row.status.run.completed_by_id)
        key = next((k for k, recs in SECTIONS if row.status.template.recurrence in recs), "day")
        out[key].append(row)
    return out


def own_round_templates(site: Site, user: User) -> list[ChecklistTemplate]:
    """A post's rounds of its own (the lounge rounds given to the water bar: seed 000's 10、12、15、17点自巡) and the
    checklists given to this person by name, for their today screen (the lead's and manager's are on their board)."""
    post = "" if can(user, "today.board") else user.post
    return list(db.session.scalars(_OWN_ROUNDS, {"site_id": site.id, "user_id": user.id, "post": post}))


def today_panel(site: Site, user: User, own_rounds: list[RoutineStatus] | None = None) -> dict:
    """The today screen's own rounds by due time (the statuses of own_round_templates: the today screen reads them
    with the post's routines and passes them; read here when not given). The model room's linen still away comes
    with the screen's other panels (linen_reads)."""
    if own_rounds is None:
        templates = own_round_templates(site, user)
        own_rounds = day_status(site, site.today(), templates) if templates else []
    panel = {}
    if own_rounds:
        panel["own_rounds"] = sorted(own_rounds, key=lambda st: (st.due or time.max, st.template.position))
    return panel


def linen_reads(site: Site, user: User) -> list[Reads]:
    """The linen still away (away()), on the screen of those who send it (not the lead's and manager's), for a screen
    that reads its panels at once: `linen_away`."""
    if not can(user, "linen.move") or can(user, "today.board"):
        return []
    return [Reads({"away": _AWAY}, {"site_id": site.id}, lambda got: {"linen_away": _batches(got["away"])})]


# Linen

_OUT = func.sum(case((LinenCount.returned.is_(False), LinenCount.qty), else_=0))
_IN = func.sum(case((LinenCount.returned.is_(True), LinenCount.qty), else_=0))
_AWAY = (select(LinenBatch.id.label("batch_id"), LinenBatch.sent_at, Location.name.label("place"), LinenCount.kind,
                _OUT.label("sent"), _IN.label("back"))
         .join(LinenCount, LinenCount.batch_id == LinenBatch.id).join(Location, Location.id == LinenBatch.location_id)
         .where(LinenBatch.site_id == bindparam("site_id"), LinenBatch.closed_at.is_(None))
         .group_by(LinenBatch.id, LinenBatch.sent_at, Location.name, LinenCount.kind)
         .order_by(LinenBatch.sent_at, LinenBatch.id))
_BATCH_KINDS = (select(LinenCount.kind, _OUT.label("sent"), _IN.label("back"))
                .where(LinenCount.batch_id == bindparam("batch_id")).group_by(LinenCount.kind))
_RECENT = (select(LinenBatch.id.label("batch_id"), LinenBatch.sent_at, LinenBatch.closed_at,
                  Location.name.label("place"))
           .join(Location, Location.id == LinenBatch.location_id)
           .where(LinenBatch.site_id == bindparam("site_id"), LinenBatch.closed_at.is_not(None))
           .order_by(LinenBatch.closed_at.desc()).limit(10))
_ROOMS = (select(Location.id, Location.name).where(Location.site_id == bindparam("site_id"),
                                                  Location.kind == "model_room", Location.active.is_(True))
          .order_by(Location.position, Location.id))


@dataclass
class AwayBatch:
    """A batch still (partly) at the laundry: where it came from, when, and per kind what is away."""
    batch_id: int
    place: str
    sent_at: object
    kinds: list  # (kind, label, sent, back, away)

    @property
    def away_total(self) -> int:
        return sum(k[4] for k in self.kinds)


def away(site_id: int) -> list[AwayBatch]:
    """Every open batch of a site with what is still away per kind, oldest first (one query)."""
    return _batches(select_rows(_AWAY, {"site_id": site_id}))


def _batches(rows) -> list[AwayBatch]:
    out: dict[int, AwayBatch] = {}
    for r in rows:
        b = out.setdefault(r.batch_id, AwayBatch(r.batch_id, r.place, r.sent_at, []))
        b.kinds.append((r.kind, LINEN_KINDS.get(r.kind, r.kind), r.sent, r.back, r.sent - r.back))
    return list(out.values())


def batch_kinds(batch_id: int) -> dict[str, tuple[int, int]]:
    """A batch's (sent, back) per kind."""
    return {r.kind: (r.sent, r.back) for r in select_rows(_BATCH_KINDS, {"batch_id": batch_id})}


def linen_page(site_id: int) -> dict:
    """The linen page's parts read at once (one statement on PostgreSQL): `batches` away (away()), the `rooms`
    (the model rooms) and the last `closed` batches."""
    return read_panels(Reads({"away": _AWAY, "rooms": _ROOMS, "closed": _RECENT}, {"site_id": site_id},
                             lambda got: {"batches": _batches(got["away"]), "rooms": got["rooms"],
                                          "closed": got["closed"]}))
