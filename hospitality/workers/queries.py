"""What the register shows: who is in the model rooms now, a crew's story, the day's list."""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Discrepancy, Location, Site, StockCount
from ..models.core import utcnow
from ..models.workers import ACTIVE_STATUSES, WorkerEntry
from ..visits.services import day_bounds

SUBMITTED = ("matched", "discrepancy")
STEPS = {"count_in": _l("To count before"), "counting_in": _l("Counting before"), "go_in": _l("Counted: may go in"),
         "inside": _l("Inside"), "count_out": _l("Left: count the room"), "counting_out": _l("Counting after"),
         "closed": _l("Closed: counted after"), "cancelled": _l("Cancelled")}
# The status colours the rest of the app uses, per step.
STEP_CSS = {"count_in": "late", "counting_in": "in_progress", "go_in": "pending", "inside": "in_progress",
            "count_out": "late", "counting_out": "in_progress", "closed": "done", "cancelled": "missing"}


_INSIDE_NOW = (
    select(WorkerEntry).join(WorkerEntry.location)
    .where(WorkerEntry.site_id == bindparam("site_id"), WorkerEntry.status.in_(ACTIVE_STATUSES))
    .options(joinedload(WorkerEntry.location), joinedload(WorkerEntry.supervisor),
             joinedload(WorkerEntry.count_in), joinedload(WorkerEntry.count_out))
    .order_by(Location.position, WorkerEntry.crew_id, WorkerEntry.id))


def inside_now(site: Site) -> list[WorkerEntry]:
    """Workers not closed yet, room by room: waiting for the count before, inside, or left and not counted."""
    return list(db.session.scalars(_INSIDE_NOW, {"site_id": site.id}))


def inside_version(rows: list[WorkerEntry]) -> str:
    """A short digest of what the inside panel shows: the poll answers 204 while it is unchanged."""
    parts = [(r.id, r.status, r.count_in.status if r.count_in else "", r.count_out.status if r.count_out else "")
             for r in rows]
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


def minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None:
        return None
    return int(((end or utcnow()) - start).total_seconds() // 60)


@dataclass
class Crew:
    """A registration as the lists and the entry page show it."""
    members: list[WorkerEntry]
    discrepancies: dict[int, Discrepancy] = field(default_factory=dict)

    @property
    def first(self) -> WorkerEntry:
        return self.members[0]

    @property
    def inside(self) -> list[WorkerEntry]:
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
            count = self.first.count_in if status == "registered" else self.first.count_out
            prefix = "in" if status == "registered" else "out"
            if count is None or count.status == "cancelled":
                return f"count_{prefix}"
            if count.status == "open":
                return f"counting_{prefix}"
            return "go_in" if status == "registered" else "closed"
        return {"in": "inside"}.get(status, status)

    @property
    def disc_in(self) -> Discrepancy | None:
        return self.discrepancies.get(self.first.count_in_id)

    @property
    def disc_out(self) -> Discrepancy | None:
        return self.discrepancies.get(self.first.count_out_id)


def _discrepancies(count_ids) -> dict[int, Discrepancy]:
    ids = [i for i in count_ids if i]
    if not ids:
        return {}
    return {d.count_id: d for d in db.session.scalars(select(Discrepancy).where(Discrepancy.count_id.in_(ids)))}


def group(rows: list[WorkerEntry]) -> list[Crew]:
    by_crew: dict[int, list[WorkerEntry]] = {}
    for r in rows:
        by_crew.setdefault(r.crew_id, []).append(r)
    discs = _discrepancies({c for r in rows for c in (r.count_in_id, r.count_out_id)})
    return [Crew(members, discs) for members in by_crew.values()]


def crew_story(entry: WorkerEntry) -> Crew:
    """The entry page: the crew, its counts (with who counted) and their discrepancies."""
    rows = list(db.session.scalars(
        select(WorkerEntry).where(WorkerEntry.crew_id == entry.crew_id)
        .options(joinedload(WorkerEntry.supervisor), joinedload(WorkerEntry.recorded_by),
                 joinedload(WorkerEntry.in_by), joinedload(WorkerEntry.out_by),
                 joinedload(WorkerEntry.count_in).joinedload(StockCount.started_by),
                 joinedload(WorkerEntry.count_out).joinedload(StockCount.started_by))
        .order_by(WorkerEntry.id)))
    return group(rows)[0]


def day_crews(site: Site, day, location_id: int | None = None, company: str | None = None) -> list[Crew]:
    """The crews registered on a site-local day, optionally for one room or company (newest first)."""
    start, end = day_bounds(site, day)
    q = (select(WorkerEntry).where(WorkerEntry.site_id == site.id, WorkerEntry.created_at >= start,
                                   WorkerEntry.created_at < end)
         .options(joinedload(WorkerEntry.location), joinedload(WorkerEntry.supervisor),
                  joinedload(WorkerEntry.count_in), joinedload(WorkerEntry.count_out))
         .order_by(WorkerEntry.crew_id.desc(), WorkerEntry.id))
    if location_id:
        q = q.where(WorkerEntry.location_id == location_id)
    company = (company or "").strip()
    if company:
        q = q.where(func.lower(WorkerEntry.company).contains(company.lower(), autoescape=True))
    return group(list(db.session.scalars(q)))


def companies(site: Site, days: int = 180) -> list[str]:
    """Companies seen at the site lately, for the company field's suggestions."""
    since = utcnow() - timedelta(days=days)
    return list(db.session.scalars(select(WorkerEntry.company).where(
        WorkerEntry.site_id == site.id, WorkerEntry.created_at >= since)
        .group_by(WorkerEntry.company).order_by(func.count().desc(), WorkerEntry.company).limit(30)))


def inside_panel(site: Site) -> dict:
    """What `workers/_inside.html` needs: the crews not closed yet, room by room, and the poll's version."""
    rows = inside_now(site)
    rooms, by_room = [], {}
    for crew in group(rows):
        loc = crew.first.location
        if loc.id not in by_room:
            by_room[loc.id] = []
            rooms.append((loc, by_room[loc.id]))
        by_room[loc.id].append(crew)
    return {"workers_inside": rooms, "workers_v": inside_version(rows), "steps": STEPS, "step_css": STEP_CSS}
