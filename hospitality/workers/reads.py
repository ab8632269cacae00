"""What the register shows: who is in the model rooms now, a crew's story, the day's list, read as plain rows."""
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from ..clock import day_bounds, utcnow
from ..database import Reads, select_rows
from ..i18n import lazy_gettext as _l
from ..models import Discrepancy, Location, Site, StockCount, User
from ..models.core import POSTS
from ..models.workers import ACTIVE_STATUSES, WORKER_PURPOSES, WorkerEntry
from ..permissions import posts_for

STEPS = {"count_in": _l("To count before"), "counting_in": _l("Counting before"), "go_in": _l("Counted: may go in"),
         "inside": _l("Inside"), "count_out": _l("Left: count the room"), "counting_out": _l("Counting after"),
         "closed": _l("Closed: counted after"), "cancelled": _l("Cancelled")}
# The status colours the rest of the app uses, per step.
STEP_CSS = {"count_in": "late", "counting_in": "in_progress", "go_in": "pending", "inside": "in_progress",
            "count_out": "late", "counting_out": "in_progress", "closed": "done", "cancelled": "missing"}

_SUPERVISOR, _RECORDED_BY, _IN_BY, _OUT_BY = aliased(User), aliased(User), aliased(User), aliased(User)
_COUNT_IN, _COUNT_OUT = aliased(StockCount), aliased(StockCount)
_COUNT_IN_BY, _COUNT_OUT_BY = aliased(User), aliased(User)
_DISC_IN, _DISC_OUT = aliased(Discrepancy), aliased(Discrepancy)

# A member of a crew as every list shows it: who, which room, who supervises, the crew's two counts and their
# discrepancies (a count has at most one).
_MEMBERS = (
    select(WorkerEntry.id, WorkerEntry.crew_id, WorkerEntry.name, WorkerEntry.phone, WorkerEntry.company,
           WorkerEntry.purpose, WorkerEntry.purpose_note, WorkerEntry.status, WorkerEntry.created_at,
           WorkerEntry.in_at, WorkerEntry.out_at, WorkerEntry.location_id, Location.name.label("room"),
           WorkerEntry.supervisor_name, _SUPERVISOR.name.label("supervisor"),
           _SUPERVISOR.post.label("supervisor_post"),
           WorkerEntry.count_in_id, _COUNT_IN.status.label("count_in_status"),
           WorkerEntry.count_out_id, _COUNT_OUT.status.label("count_out_status"),
           _DISC_IN.id.label("disc_in_id"), _DISC_IN.status.label("disc_in_status"),
           _DISC_OUT.id.label("disc_out_id"), _DISC_OUT.status.label("disc_out_status"))
    .join(Location, Location.id == WorkerEntry.location_id)
    .outerjoin(_SUPERVISOR, _SUPERVISOR.id == WorkerEntry.supervisor_id)
    .outerjoin(_COUNT_IN, _COUNT_IN.id == WorkerEntry.count_in_id)
    .outerjoin(_COUNT_OUT, _COUNT_OUT.id == WorkerEntry.count_out_id)
    .outerjoin(_DISC_IN, _DISC_IN.count_id == WorkerEntry.count_in_id)
    .outerjoin(_DISC_OUT, _DISC_OUT.count_id == WorkerEntry.count_out_id))

_INSIDE_NOW = (_MEMBERS.where(WorkerEntry.site_id == bindparam("site_id"), WorkerEntry.status.in_(ACTIVE_STATUSES))
               .order_by(Location.position, WorkerEntry.crew_id, WorkerEntry.id))

_DAY = (_MEMBERS.where(WorkerEntry.site_id == bindparam("site_id"), WorkerEntry.created_at >= bindparam("start"),
                       WorkerEntry.created_at < bindparam("end"))
        .order_by(WorkerEntry.crew_id.desc(), WorkerEntry.id))

# The entry page also tells who registered, let in, let out and counted, and when each count was saved.
_STORY = (
    _MEMBERS.add_columns(_RECORDED_BY.name.label("recorded_by"), _IN_BY.name.label("in_by"),
                         _OUT_BY.name.label("out_by"),
                         _COUNT_IN.started_by_id.label("count_in_by_id"), _COUNT_IN_BY.name.label("count_in_by"),
                         _COUNT_IN.submitted_at.label("count_in_at"),
                         _COUNT_OUT.started_by_id.label("count_out_by_id"), _COUNT_OUT_BY.name.label("count_out_by"),
                         _COUNT_OUT.submitted_at.label("count_out_at"))
    .join(_RECORDED_BY, _RECORDED_BY.id == WorkerEntry.recorded_by_id)
    .outerjoin(_IN_BY, _IN_BY.id == WorkerEntry.in_by_id)
    .outerjoin(_OUT_BY, _OUT_BY.id == WorkerEntry.out_by_id)
    .outerjoin(_COUNT_IN_BY, _COUNT_IN_BY.id == _COUNT_IN.started_by_id)
    .outerjoin(_COUNT_OUT_BY, _COUNT_OUT_BY.id == _COUNT_OUT.started_by_id)
    .where(WorkerEntry.crew_id == bindparam("crew_id"))
    .order_by(WorkerEntry.id))

_COMPANIES = (select(WorkerEntry.company)
              .where(WorkerEntry.site_id == bindparam("site_id"), WorkerEntry.created_at >= bindparam("since"))
              .group_by(WorkerEntry.company).order_by(func.count().desc(), WorkerEntry.company).limit(30))

_SUPERVISORS = (select(User.id, User.name, User.post)
                .where(User.site_id == bindparam("site_id"), User.active.is_(True),
                       User.post.in_(sorted(posts_for("workers.supervise"))))
                .order_by(User.name))


class Room(NamedTuple):
    """A model room, as the inside panel heads its crews."""
    id: int
    name: str


class Disc(NamedTuple):
    """A count's discrepancy, as the register links it."""
    id: int
    status: str
    count_id: int


class Count(NamedTuple):
    """One of the crew's two counts, as the entry page tells it."""
    id: int
    status: str
    by_id: int
    by: str
    submitted_at: datetime | None


def purpose_label(purpose: str, note: str | None) -> str:
    label = WORKER_PURPOSES.get(purpose, purpose)
    return f"{label}: {note}" if note else str(label)


def supervisor_label(supervisor: str | None, post: str | None, typed: str | None) -> str:
    """A person of the site with their post, or the name typed for someone without a login."""
    if supervisor is not None:
        return f"{supervisor} ({POSTS.get(post, post)})"
    return typed or ""


def minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None:
        return None
    return int(((end or utcnow()) - start).total_seconds() // 60)


@dataclass
class Crew:
    """A registration as the lists and the entry page show it: its members' rows (of _MEMBERS), first row first."""
    members: list[Row]

    @property
    def first(self) -> Row:
        return self.members[0]

    @property
    def inside(self) -> list[Row]:
        return [m for m in self.members if m.status == "in"]

    @property
    def in_at(self):
        return min((m.in_at for m in self.members if m.in_at), default=None)

    @property
    def out_at(self):
        """When the last one left (None while anyone is still inside)."""
        if self.inside or not any(m.out_at for m in self.members):
            return None
        return max(m.out_at for m in self.members if m.out_at)

    @property
    def duration(self) -> int | None:
        return minutes(self.in_at, self.out_at)

    @property
    def status(self) -> str:
        states = {m.status for m in self.members}
        for s in ("in", "registered", "out", "closed", "cancelled"):
            if s in states:
                return s
        return "registered"

    @property
    def step(self) -> str:
        """Where the crew stands, which decides the next tap (keys of STEPS)."""
        status = self.status
        if status in ("registered", "out"):
            first = self.first
            count = first.count_in_status if status == "registered" else first.count_out_status
            prefix = "in" if status == "registered" else "out"
            if count is None or count == "cancelled":
                return f"count_{prefix}"
            if count == "open":
                return f"counting_{prefix}"
            return "go_in" if status == "registered" else "closed"
        return {"in": "inside"}.get(status, status)

    @property
    def disc_in(self) -> Disc | None:
        first = self.first
        return Disc(first.disc_in_id, first.disc_in_status, first.count_in_id) if first.disc_in_id else None

    @property
    def disc_out(self) -> Disc | None:
        first = self.first
        return Disc(first.disc_out_id, first.disc_out_status, first.count_out_id) if first.disc_out_id else None

    @property
    def purpose_label(self) -> str:
        return purpose_label(self.first.purpose, self.first.purpose_note)

    @property
    def supervisor_label(self) -> str:
        first = self.first
        return supervisor_label(first.supervisor, first.supervisor_post, first.supervisor_name)


class CrewStory(Crew):
    """The entry page's crew: its members' rows are of _STORY (who did each step, when each count was saved)."""

    @property
    def count_in(self) -> Count | None:
        f = self.first
        return Count(f.count_in_id, f.count_in_status, f.count_in_by_id, f.count_in_by, f.count_in_at) \
            if f.count_in_id else None

    @property
    def count_out(self) -> Count | None:
        f = self.first
        return Count(f.count_out_id, f.count_out_status, f.count_out_by_id, f.count_out_by, f.count_out_at) \
            if f.count_out_id else None


def group(rows: Iterable[Row]) -> list[Crew]:
    """Rows of members, in crews, in the order their first rows came."""
    by_crew: dict[int, list[Row]] = {}
    for r in rows:
        by_crew.setdefault(r.crew_id, []).append(r)
    return [Crew(members) for members in by_crew.values()]


def inside_now(site: Site) -> list[Row]:
    """Workers not closed yet, room by room: waiting for the count before, inside, or left and not counted."""
    return select_rows(_INSIDE_NOW, {"site_id": site.id}).all()


def inside_version(rows: list[Row]) -> str:
    """A short digest of what the inside panel shows: the poll answers 204 while it is unchanged."""
    parts = [(r.id, r.status, r.count_in_status or "", r.count_out_status or "") for r in rows]
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


def inside_panel(site: Site, rows: list[Row] | None = None) -> dict:
    """What `workers/_inside.html` needs: the crews not closed yet, room by room, and the poll's version (`rows`:
    inside_now's, when the caller read them already)."""
    rows = inside_now(site) if rows is None else rows
    rooms, by_room = [], {}
    for crew in group(rows):
        first = crew.first
        if first.location_id not in by_room:
            by_room[first.location_id] = []
            rooms.append((Room(first.location_id, first.room), by_room[first.location_id]))
        by_room[first.location_id].append(crew)
    return {"workers_inside": rooms, "workers_v": inside_version(rows), "steps": STEPS, "step_css": STEP_CSS}


def inside_reads(site: Site) -> Reads:
    """inside_panel() for a screen that reads its panels at once (database.read_panels)."""
    return Reads({"inside": _INSIDE_NOW}, {"site_id": site.id}, lambda got: inside_panel(site, got["inside"]))


def crew_story(entry: WorkerEntry) -> CrewStory:
    """The entry page: the crew, its counts (with who counted) and their discrepancies."""
    return CrewStory(select_rows(_STORY, {"crew_id": entry.crew_id}).all())


_CREWS = _MEMBERS.where(WorkerEntry.crew_id.in_(bindparam("ids", expanding=True))).order_by(WorkerEntry.crew_id,
                                                                                          WorkerEntry.id)


def crews(crew_ids: list[int]) -> list[Crew]:
    """The crews with these ids (a repair's: hospitality/repairs), oldest first, each with its two counts."""
    return group(select_rows(_CREWS, {"ids": list(crew_ids)}))


def day_crews(site: Site, day: date, location_id: int | None = None, company: str | None = None) -> list[Crew]:
    """The crews registered on a site-local day, optionally for one room or company (newest first)."""
    start, end = day_bounds(site, day)
    stmt = _DAY
    if location_id:
        stmt = stmt.where(WorkerEntry.location_id == location_id)
    company = (company or "").strip()
    if company:
        stmt = stmt.where(func.lower(WorkerEntry.company).contains(company.lower(), autoescape=True))
    return group(select_rows(stmt, {"site_id": site.id, "start": start, "end": end}))


def companies(site: Site, days: int = 180) -> list[str]:
    """Companies seen at the site lately, for the company field's suggestions."""
    return select_rows(_COMPANIES, {"site_id": site.id, "since": utcnow() - timedelta(days=days)}).scalars().all()


def supervisors(site_id: int) -> list[Row]:
    """The people of the site who may supervise workers, as the form's picker lists them: rows of id, name, post."""
    return select_rows(_SUPERVISORS, {"site_id": site_id}).all()
