"""What the repair screens read, as prebuilt statements of named rows: a repair with its timeline, photos and the
crews that came for it; the open ones (the lead's list with counts by place and kind, the handovers of the posts
that own the places, a person's own); any range of reported ones with filters, and the Excel export's rows."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from ..clock import utcnow
from ..database import Reads, select_rows
from ..filters import Filters, RangeStatements
from ..models import Location, Site, User
from ..models.incidents import Incident
from ..models.repairs import Repair, RepairCrew, RepairEvent, RepairPhoto
from ..workers import reads as worker_reads
from .services import EVERY_OTHER, OWNED_ELSEWHERE, OWNERS

PAGE_SIZE = 25
OPEN_LIMIT = 200  # the lead's open list (a site has a handful; the counts are grouped in SQL whatever the number)
HANDOVER_LIMIT = 50
MINE_LIMIT = 50
MINE_CLOSED_DAYS = 14  # a person's list keeps the repairs checked lately
EXPORT_LIMIT = 20_000
# An open repair older than this stands out (an urgent one: after a day).
OVERDUE = timedelta(days=3)
OVERDUE_URGENT = timedelta(days=1)

_REPORTER, _FIXER = aliased(User), aliased(User)




_INCIDENT = select(Incident.id, Incident.kind, Incident.location_id, Incident.description, Incident.reported_at).where(
    Incident.id == bindparam("incident_id"), Incident.site_id == bindparam("site_id"))


def incident(site_id: int, incident_id: int | None) -> Row | None:
    """The incident a repair is reported from (id, kind, location_id, description, reported_at), if the site's."""
    return select_rows(_INCIDENT, {"site_id": site_id, "incident_id": incident_id}).first() if incident_id else None


_STAFF = (select(User.id, User.name, User.post)
          .where(User.site_id == bindparam("site_id"), User.active.is_(True)).order_by(User.post, User.name))


def staff(site_id: int) -> list[Row]:
    """The people of the site a repair may be given to (id, name, post)."""
    return select_rows(_STAFF, {"site_id": site_id}).all()


_REPAIR = (
    select(Repair.id, Repair.kind, Repair.status, Repair.urgent, Repair.spot, Repair.description,
           Repair.reported_at, Repair.reported_by_id, Repair.assignee, Repair.company, Repair.contact, Repair.phone,
           Repair.assigned_at, Repair.fixed_at, Repair.checked_at, Repair.location_id, Repair.incident_id,
           Location.name.label("place"), Location.kind.label("place_kind"), _REPORTER.name.label("reporter"),
           _REPORTER.post.label("reporter_post"), _FIXER.name.label("fixer"))
    .join(Location, Location.id == Repair.location_id)
    .join(_REPORTER, _REPORTER.id == Repair.reported_by_id)
    .outerjoin(_FIXER, _FIXER.id == Repair.assignee_user_id)
    .where(Repair.id == bindparam("repair_id"), Repair.site_id == bindparam("site_id")))
_TIMELINE = (select(RepairEvent.id, RepairEvent.kind, RepairEvent.at, RepairEvent.assignee, RepairEvent.who,
                    RepairEvent.note, User.name.label("by"), User.post.label("by_post"))
             .join(User, User.id == RepairEvent.user_id)
             .where(RepairEvent.repair_id == bindparam("repair_id")).order_by(RepairEvent.id))
_PHOTOS = (select(RepairPhoto.id, RepairPhoto.event_id)
           .where(RepairPhoto.repair_id == bindparam("repair_id")).order_by(RepairPhoto.id))
_CREW_IDS = (select(RepairCrew.crew_id).where(RepairCrew.repair_id == bindparam("repair_id"))
             .order_by(RepairCrew.crew_id))
_OF_CREW = (select(Repair.id, Repair.kind, Repair.status, Location.name.label("place"))
            .join(RepairCrew, RepairCrew.repair_id == Repair.id).join(Location, Location.id == Repair.location_id)
            .where(RepairCrew.crew_id == bindparam("crew_id")))


def repair(site_id: int, repair_id: int) -> Row | None:
    """A repair of the site as its page heads it, or None: another site's repair does not exist for this user."""
    return select_rows(_REPAIR, {"site_id": site_id, "repair_id": repair_id}).first()


@dataclass(frozen=True, slots=True)
class Step:
    """One row of a repair's timeline, with the photos taken with it (their ids)."""
    id: int
    kind: str
    at: object
    assignee: str | None
    who: str | None
    note: str | None
    by: str
    by_post: str
    photos: tuple[int, ...]


def timeline(repair_id: int) -> list[Step]:
    """The repair's timeline, oldest first, each step with its photos (two queries)."""
    photos: dict[int, list[int]] = {}
    for p in select_rows(_PHOTOS, {"repair_id": repair_id}):
        photos.setdefault(p.event_id, []).append(p.id)
    return [Step(r.id, r.kind, r.at, r.assignee, r.who, r.note, r.by, r.by_post, tuple(photos.get(r.id, ())))
            for r in select_rows(_TIMELINE, {"repair_id": repair_id})]


def crews(repair_id: int) -> list:
    """The register's crews that came for the repair, each with its two counts (workers.reads.Crew)."""
    ids = select_rows(_CREW_IDS, {"repair_id": repair_id}).scalars().all()
    return worker_reads.crews(ids) if ids else []


def of_crew(crew_id: int | None) -> Row | None:
    """The repair a crew of the register came for (id, kind, status, place), if any."""
    return select_rows(_OF_CREW, {"crew_id": crew_id}).first() if crew_id else None


# A row of every list: the open ones, the handover, a person's own, the range.
_ROWS = (select(Repair.id, Repair.kind, Repair.status, Repair.urgent, Repair.spot, Repair.description,
                Repair.reported_at, Repair.reported_by_id, Repair.assignee, Repair.company, Repair.location_id,
                Location.name.label("place"), Location.kind.label("place_kind"), _REPORTER.name.label("reporter"),
                _FIXER.name.label("fixer"))
         .join(Location, Location.id == Repair.location_id)
         .join(_REPORTER, _REPORTER.id == Repair.reported_by_id)
         .outerjoin(_FIXER, _FIXER.id == Repair.assignee_user_id))
_SITE_OPEN = (Repair.site_id == bindparam("site_id"), Repair.status != "checked")  # ix_repairs_site_open
_OPEN = _ROWS.where(*_SITE_OPEN).order_by(Repair.reported_at, Repair.id).limit(OPEN_LIMIT)
_OPEN_COUNTS = (select(Repair.location_id, Location.name.label("place"), Repair.kind, func.count().label("n"))
                .join(Location, Location.id == Repair.location_id).where(*_SITE_OPEN)
                .group_by(Repair.location_id, Location.name, Repair.kind))
# The handover of a post: the open repairs of the kinds of place it owns (security: every other kind).
_HANDOVER_OF_KINDS = (_ROWS.where(*_SITE_OPEN, Location.kind.in_(bindparam("kinds", expanding=True)))
                      .order_by(Repair.reported_at, Repair.id).limit(HANDOVER_LIMIT))
_HANDOVER_OF_REST = (_ROWS.where(*_SITE_OPEN, Location.kind.not_in(OWNED_ELSEWHERE))
                     .order_by(Repair.reported_at, Repair.id).limit(HANDOVER_LIMIT))


def open_repairs(site_id: int, kind: str = "", place: int | None = None) -> list[Row]:
    """The site's open repairs, oldest first (the longest waiting on top), optionally of one kind or place."""
    stmt = _OPEN
    if kind:
        stmt = stmt.where(Repair.kind == kind)
    if place:
        stmt = stmt.where(Repair.location_id == place)
    return select_rows(stmt, {"site_id": site_id}).all()


def open_reads(site_id: int) -> Reads:
    """open_repairs() of the whole site for a screen that reads its panels at once: `open_repairs`."""
    return Reads({"open": _OPEN}, {"site_id": site_id}, lambda got: {"open_repairs": got["open"]})


@dataclass(frozen=True)
class Counts:
    """Open repairs per place [(place, n)] and per kind {kind: n}, and in all."""
    by_place: list[tuple[str, int]]
    by_kind: dict[str, int]
    total: int


def open_counts(site_id: int) -> Counts:
    """The open repairs counted by place and by kind, in one grouped query."""
    by_place: dict[int, list] = {}
    by_kind: dict[str, int] = {}
    for r in select_rows(_OPEN_COUNTS, {"site_id": site_id}):
        by_place.setdefault(r.location_id, [r.place, 0])[1] += r.n
        by_kind[r.kind] = by_kind.get(r.kind, 0) + r.n
    return Counts([(p, n) for p, n in sorted(by_place.values(), key=lambda v: -v[1])], by_kind,
                  sum(by_kind.values()))


def for_handover(site_id: int, post: str) -> list[Row]:
    """The open repairs of the places a post owns (its handover carries them until they are checked)."""
    kinds = OWNERS.get(post)
    if not kinds:
        return []
    if kinds == EVERY_OTHER:
        return select_rows(_HANDOVER_OF_REST, {"site_id": site_id}).all()
    return select_rows(_HANDOVER_OF_KINDS, {"site_id": site_id, "kinds": list(kinds)}).all()


def mine(site_id: int, user: User) -> list[Row]:
    """What a person of the floor sees: the repairs they reported and those of their post's places, open ones and
    those checked lately, newest first."""
    kinds = OWNERS.get(user.post)
    if not kinds:
        ours = None
    elif kinds == EVERY_OTHER:
        ours = Location.kind.not_in(OWNED_ELSEWHERE)
    else:
        ours = Location.kind.in_(kinds)
    seen = or_(Repair.reported_by_id == user.id, ours) if ours is not None else Repair.reported_by_id == user.id
    recent = or_(Repair.status != "checked", Repair.checked_at >= utcnow() - timedelta(days=MINE_CLOSED_DAYS))
    stmt = (_ROWS.where(Repair.site_id == site_id, seen, recent)
            .order_by(Repair.reported_at.desc(), Repair.id.desc()).limit(MINE_LIMIT))
    return select_rows(stmt).all()


# The range's statements per filters in use (filters.RangeStatements: built once each, run with bound values).
_FILTERED = RangeStatements(_ROWS, Repair.site_id, Repair.reported_at, Repair.kind, Repair.location_id,
                            Repair.status, (Repair.reported_at.desc(), Repair.id.desc()))


def page(site: Site, f: Filters) -> tuple[list[Row], bool]:
    """One page of the range, newest first, and whether there is another."""
    rows = select_rows(*_FILTERED(site, f, paged=True, page_size=PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def export_rows(site: Site, f: Filters) -> Sequence[Row]:
    """Every repair of the range (up to EXPORT_LIMIT) with its assignment and when each step was done."""
    filtered, params = _FILTERED(site, f)
    stmt = (filtered.add_columns(Repair.contact, Repair.phone, Repair.assigned_at, Repair.fixed_at,
                                 Repair.checked_at).limit(EXPORT_LIMIT))
    return select_rows(stmt, params).all()
