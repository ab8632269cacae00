"""What the incident screens read, as prebuilt statements of named rows: an incident with its timeline and photos,
the list with filters, the monthly counts per kind, the open ones (the today screens, security's handover), the
drills; and the pieces of the live element's one statement (the alert and the incident version)."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, Row, and_, bindparam, case, func, select, text
from sqlalchemy.orm import aliased

from ..clock import local_start
from ..database import Reads, first_row, read_panels, select_rows
from ..filters import Filters, RangeStatements
from ..models import Location, Site, User, Visit
from ..models.incidents import ALERTING, Drill, DrillPerson, Incident, IncidentEvent, IncidentPhoto

PAGE_SIZE = 25
OPEN_LIMIT = 50  # the open panel and a handover list at most this many (a site has a handful)
TODAY_OPEN = 5  # security's today screen: the most pressing open incidents, and a link to all of them
LIVE_ALERTS = 3  # urgent incidents the live element shows as rows; the rest as a count (its 2 KB budget)
EXPORT_LIMIT = 20_000

_REPORTER, _ACK, _CLOSER = aliased(User), aliased(User), aliased(User)

# The live element's pieces (visits/reads/live.py puts them in its one statement): the newest event of the site,
# and the urgent incidents nobody has acknowledged (the partial index ix_incidents_site_alerting).
EVENTS_VERSION = (select(func.coalesce(func.max(IncidentEvent.id), 0))
                  .where(IncidentEvent.site_id == bindparam("site_id")).scalar_subquery())
_ALERTING = (Incident.site_id == bindparam("site_id"), text(ALERTING))
ALERT_COUNT = select(func.count(Incident.id)).where(*_ALERTING).scalar_subquery()
ALERTS = (select(Incident.id.label("incident_id"), Incident.kind.label("incident_kind"),
                 Incident.reported_at.label("incident_at"), Incident.reported_by_id.label("incident_by"),
                 Location.name.label("incident_place"))
          .join(Location, Location.id == Incident.location_id)
          .where(*_ALERTING).order_by(Incident.id.desc()).limit(LIVE_ALERTS).subquery("alerts"))




_VISIT = select(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate).where(
    Visit.id == bindparam("visit_id"), Visit.site_id == bindparam("site_id"))


def visit(site_id: int, visit_id: int | None) -> Row | None:
    """The visit an incident is tied to (id, arrived_at, party_size, plate), if it is the site's."""
    if not visit_id:
        return None
    return select_rows(_VISIT, {"site_id": site_id, "visit_id": visit_id}).first()


_INCIDENT = (
    select(Incident.id, Incident.kind, Incident.level, Incident.status, Incident.description, Incident.reported_at,
           Incident.made_at, Incident.reported_by_id, Incident.acknowledged_at, Incident.handed_to, Incident.closed_at,
           Incident.outcome, Incident.visit_id, Location.name.label("place"), _REPORTER.name.label("reporter"),
           _REPORTER.post.label("reporter_post"), _ACK.name.label("acknowledger"), _CLOSER.name.label("closer"),
           Visit.arrived_at.label("visit_at"), Visit.party_size.label("visit_party"),
           Visit.plate.label("visit_plate"))
    .join(Location, Location.id == Incident.location_id)
    .join(_REPORTER, _REPORTER.id == Incident.reported_by_id)
    .outerjoin(_ACK, _ACK.id == Incident.acknowledged_by_id)
    .outerjoin(_CLOSER, _CLOSER.id == Incident.closed_by_id)
    .outerjoin(Visit, Visit.id == Incident.visit_id)
    .where(Incident.id == bindparam("incident_id"), Incident.site_id == bindparam("site_id")))
_TIMELINE = (select(IncidentEvent.id, IncidentEvent.kind, IncidentEvent.at, IncidentEvent.handed_to,
                    IncidentEvent.note, User.name.label("who"), User.post.label("who_post"))
             .join(User, User.id == IncidentEvent.user_id)
             .where(IncidentEvent.incident_id == bindparam("incident_id")).order_by(IncidentEvent.id))
_PHOTOS = (select(IncidentPhoto.id, IncidentPhoto.event_id)
           .where(IncidentPhoto.incident_id == bindparam("incident_id")).order_by(IncidentPhoto.id))


def incident(site_id: int, incident_id: int) -> Row | None:
    """An incident of the site as its page heads it (its place, who reported, acknowledged and closed it, the
    visit it is tied to), or None: another site's incident does not exist for this user."""
    return select_rows(_INCIDENT, {"site_id": site_id, "incident_id": incident_id}).first()


@dataclass(frozen=True, slots=True)
class Step:
    """One row of an incident's timeline, with the photos taken with it (their ids)."""
    id: int
    kind: str
    at: object
    handed_to: str | None
    note: str | None
    who: str
    who_post: str
    photos: tuple[int, ...]


def timeline(incident_id: int) -> list[Step]:
    """The incident's timeline, oldest first, each step with its photos."""
    return read_panels(timeline_reads(incident_id))["steps"]


def timeline_reads(incident_id: int) -> Reads:
    """timeline() for a page that reads its parts at once: `steps`."""
    def build(got: dict) -> dict:
        photos: dict[int, list[int]] = {}
        for p in got["photos"]:
            photos.setdefault(p.event_id, []).append(p.id)
        return {"steps": [Step(r.id, r.kind, r.at, r.handed_to, r.note, r.who, r.who_post,
                               tuple(photos.get(r.id, ()))) for r in got["events"]]}
    return Reads({"photos": _PHOTOS, "events": _TIMELINE}, {"incident_id": incident_id}, build)


def incident_reads(site_id: int, incident_id: int) -> Reads:
    """incident() for a page that reads its parts at once: `incident` (or None)."""
    return first_row("incident", _INCIDENT, {"site_id": site_id, "incident_id": incident_id})


# A row of every list: the open panel, the handover, the filtered list.
_ROWS = (select(Incident.id, Incident.kind, Incident.level, Incident.status, Incident.reported_at,
                Incident.made_at, Incident.acknowledged_at, Incident.handed_to, Incident.description,
                Location.name.label("place"),
                _REPORTER.name.label("reporter"))
         .join(Location, Location.id == Incident.location_id)
         .join(_REPORTER, _REPORTER.id == Incident.reported_by_id))
_OPEN = (_ROWS.where(Incident.site_id == bindparam("site_id"), Incident.status != "closed")
         .order_by(Incident.id.desc()).limit(OPEN_LIMIT))


def open_incidents(site_id: int) -> list[Row]:
    """The site's incidents not closed yet, newest first (the partial index ix_incidents_site_open)."""
    return select_rows(_OPEN, {"site_id": site_id}).all()


def every_open_reads(site_id: int) -> Reads:
    """open_incidents() for a screen that reads its panels at once: `incidents_open`."""
    return Reads({"open": _OPEN}, {"site_id": site_id}, lambda got: {"incidents_open": got["open"]})


# Security's today screen: the urgent ones nobody has acknowledged first, then the newest, at most TODAY_OPEN, each
# row with the number of all the open ones (counted before the limit).
_TODAY_OPEN = (_ROWS.add_columns(func.count().over().label("open_total"))
               .where(Incident.site_id == bindparam("site_id"), Incident.status != "closed")
               .order_by(case((and_(Incident.level == "urgent", Incident.acknowledged_at.is_(None)), 0), else_=1),
                         Incident.id.desc()).limit(TODAY_OPEN))


def _today_open(got: dict) -> dict:
    rows = got["open"]
    return {"open_incidents": rows, "open_incidents_total": rows[0].open_total if rows else 0}


def open_reads(site_id: int) -> Reads:
    """For security's today screen, which reads its panels at once (database.read_panels): `open_incidents`, the
    most pressing open ones (_TODAY_OPEN), and `open_incidents_total`, how many are open."""
    return Reads({"open": _TODAY_OPEN}, {"site_id": site_id}, _today_open)


# The list's statements per filters in use (filters.RangeStatements: built once each, run with bound values).
_FILTERED = RangeStatements(_ROWS, Incident.site_id, Incident.reported_at, Incident.kind, Incident.location_id,
                            Incident.status, (Incident.reported_at.desc(), Incident.id.desc()))


def page(site: Site, f: Filters) -> tuple[list[Row], bool]:
    """One page of the filtered list, newest first, and whether there is another."""
    rows = select_rows(*_FILTERED(site, f, paged=True, page_size=PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def export_rows(site: Site, f: Filters) -> Sequence[Row]:
    """Every incident of the filtered list (up to EXPORT_LIMIT) with who acknowledged and closed it, and when."""
    filtered, params = _FILTERED(site, f)
    stmt = (filtered.add_columns(Incident.visit_id, _ACK.name.label("acknowledger"), Incident.closed_at,
                                           _CLOSER.name.label("closer"), Incident.outcome)
            .outerjoin(_ACK, _ACK.id == Incident.acknowledged_by_id)
            .outerjoin(_CLOSER, _CLOSER.id == Incident.closed_by_id).limit(EXPORT_LIMIT))
    return select_rows(stmt, params).all()


_MONTH_COUNTS = (select(Incident.kind, *[
    func.sum(case(((Incident.reported_at >= bindparam(f"b{m}")) & (Incident.reported_at < bindparam(f"b{m + 1}")), 1),
                  else_=0)).cast(Integer).label(f"m{m}") for m in range(12)])
    .where(Incident.site_id == bindparam("site_id"), Incident.reported_at >= bindparam("b0"),
           Incident.reported_at < bindparam("b12"))
    .group_by(Incident.kind))


def month_counts(site: Site, year: int) -> dict[str, list[int]]:
    """Incidents reported per kind in each site-local month of the year, in one query: {kind: [Jan, …, Dec]}."""
    bounds = [local_start(site, date(year, m, 1)) for m in range(1, 13)] + [local_start(site, date(year + 1, 1, 1))]
    params = {"site_id": site.id, **{f"b{m}": bound for m, bound in enumerate(bounds)}}
    return {r.kind: [int(getattr(r, f"m{m}") or 0) for m in range(12)] for r in select_rows(_MONTH_COUNTS, params)}


_STAFF = (select(User.id, User.name, User.post)
          .where(User.site_id == bindparam("site_id"), User.active.is_(True)).order_by(User.post, User.name))


def staff(site_id: int) -> list[Row]:
    """The site's people who may take part in a drill: rows of id, name, post."""
    return select_rows(_STAFF, {"site_id": site_id}).all()


_DRILLS = (select(Drill.id, Drill.day, Drill.kind, Drill.others, Drill.notes, User.name.label("recorder"))
           .join(User, User.id == Drill.recorded_by_id)
           .where(Drill.site_id == bindparam("site_id"), Drill.day >= bindparam("first"),
                  Drill.day <= bindparam("last"))
           .order_by(Drill.day.desc(), Drill.id.desc()))
_DRILL_PEOPLE = (select(DrillPerson.drill_id, User.name).join(User, User.id == DrillPerson.user_id)
                 .where(DrillPerson.drill_id.in_(bindparam("ids", expanding=True))).order_by(User.name))


@dataclass(frozen=True, slots=True)
class DrillRow:
    id: int
    day: date
    kind: str
    others: str | None
    notes: str | None
    recorder: str
    people: tuple[str, ...]


def drills(site_id: int, first: date, last: date) -> list[DrillRow]:
    """The drills held between two days, newest first, with who took part (two queries)."""
    rows = select_rows(_DRILLS, {"site_id": site_id, "first": first, "last": last}).all()
    people: dict[int, list[str]] = {}
    if rows:
        for p in select_rows(_DRILL_PEOPLE, {"ids": [r.id for r in rows]}):
            people.setdefault(p.drill_id, []).append(p.name)
    return [DrillRow(r.id, r.day, r.kind, r.others, r.notes, r.recorder, tuple(people.get(r.id, ()))) for r in rows]
