"""What head office reads: the company's sites, and each figure family over a range for all of them at once (one
statement per family, GROUP BY site_id), never a statement per site. Sites in another time zone than the first are
read with their own day bounds (one more round of the same statements per zone; a company in China has one)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import DateTime, Interval, String, and_, bindparam, case, cast, func, select

from ..clock import range_bounds
from ..database import select_rows
from ..extensions import db
from ..models import ChecklistRun, ChecklistTemplate, CountLine, Discrepancy, Item, Site, Visit
from ..models.attendance import Attendance, RosterEntry
from ..models.checklists import ROUTINE_KINDS
from ..models.complaints import Complaint
from ..models.guests import GuestFeedback
from ..models.incidents import Incident

CENT = Decimal("0.01")
SATISFIED = ("very_satisfied", "satisfied")
_IDS = bindparam("ids", expanding=True)
_START, _END, _FIRST, _LAST = bindparam("start"), bindparam("end"), bindparam("first"), bindparam("last")

_SITES = (select(Site.id, Site.name, Site.code, Site.timezone)
          .where(Site.company_id == bindparam("company_id"), Site.active.is_(True)).order_by(Site.name, Site.id))
_SITE = select(Site.id, Site.name, Site.code, Site.timezone).where(
    Site.company_id == bindparam("company_id"), Site.id == bindparam("site_id"))
_COMPANY = select(Site.company_id).where(Site.id == bindparam("site_id"))

_VISITS = (select(Visit.site_id, func.count().label("groups"),
                  func.coalesce(func.sum(Visit.party_size), 0).label("guests"),
                  func.coalesce(func.sum(Visit.served_cost), 0).label("cost"))
           .where(Visit.site_id.in_(_IDS), Visit.arrived_at >= _START, Visit.arrived_at < _END)
           .group_by(Visit.site_id))
_DISCREPANCIES = (select(Discrepancy.site_id, func.count().label("n"))
                  .where(Discrepancy.site_id.in_(_IDS), Discrepancy.opened_at >= _START, Discrepancy.opened_at < _END)
                  .group_by(Discrepancy.site_id))
# What the counts behind those discrepancies found missing, at the items' prices (a surplus is not a gain).
_LOSSES = (select(Discrepancy.site_id,
                  func.coalesce(func.sum((CountLine.expected - CountLine.counted) * Item.unit_price), 0).label("value"))
           .join(CountLine, CountLine.count_id == Discrepancy.count_id).join(Item, Item.id == CountLine.item_id)
           .where(Discrepancy.site_id.in_(_IDS), Discrepancy.opened_at >= _START, Discrepancy.opened_at < _END,
                  CountLine.counted < CountLine.expected)
           .group_by(Discrepancy.site_id))
_ATTENDANCE = (select(Attendance.site_id, func.count().label("n"),
                      func.sum(case((Attendance.late_minutes > 0, 1), else_=0)).label("late"))
               .where(Attendance.site_id.in_(_IDS), Attendance.day >= _FIRST, Attendance.day <= _LAST)
               .group_by(Attendance.site_id))
# Rostered days over (before today) with no clock-in: absent.
_ABSENT = (select(RosterEntry.site_id, func.count().label("n"),
                  func.sum(case((Attendance.id.is_(None), 1), else_=0)).label("absent"))
           .outerjoin(Attendance, and_(Attendance.user_id == RosterEntry.user_id, Attendance.day == RosterEntry.day))
           .where(RosterEntry.site_id.in_(_IDS), RosterEntry.day >= _FIRST, RosterEntry.day <= bindparam("done"))
           .group_by(RosterEntry.site_id))
_FEEDBACK = (select(GuestFeedback.site_id, func.count().label("n"),
                    func.sum(case((GuestFeedback.rating.in_(SATISFIED), 1), else_=0)).label("good"))
             .where(GuestFeedback.site_id.in_(_IDS), GuestFeedback.day >= _FIRST, GuestFeedback.day <= _LAST)
             .group_by(GuestFeedback.site_id))
_COMPLAINTS = (select(Complaint.site_id, func.count().label("n"))
               .where(Complaint.site_id.in_(_IDS), Complaint.registered_at >= _START, Complaint.registered_at < _END)
               .group_by(Complaint.site_id))
_INCIDENTS = (select(Incident.site_id, func.count().label("n"))
              .where(Incident.site_id.in_(_IDS), Incident.reported_at >= _START, Incident.reported_at < _END)
              .group_by(Incident.site_id))


def _routines_statement():
    """Opening and closing routines completed on the range's days, and those done by their due time on their day
    (no due time: by the day's end). Wall-clock arithmetic differs per dialect."""
    due = func.coalesce(ChecklistTemplate.due_time, time(23, 59, 59))
    if db.session.get_bind().dialect.name == "sqlite":
        done_local = func.datetime(ChecklistRun.completed_at, bindparam("shift"))
        due_at = func.datetime(cast(ChecklistRun.shift_date, String) + " " + cast(due, String))
    else:
        done_local = ChecklistRun.completed_at + bindparam("delta", type_=Interval())
        due_at = cast(ChecklistRun.shift_date, DateTime) + cast(due, Interval)
    return (select(ChecklistRun.site_id, func.count().label("n"),
                   func.sum(case((done_local <= due_at, 1), else_=0)).label("on_time"))
            .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id)
            .where(ChecklistRun.site_id.in_(_IDS), ChecklistRun.shift_date >= _FIRST, ChecklistRun.shift_date <= _LAST,
                   ChecklistRun.completed_at.is_not(None), ChecklistTemplate.kind.in_(ROUTINE_KINDS))
            .group_by(ChecklistRun.site_id))


_ROUTINES_CACHE: dict = {}


def _routines():
    dialect = db.session.get_bind().dialect.name
    if dialect not in _ROUTINES_CACHE:
        _ROUTINES_CACHE[dialect] = _routines_statement()
    return _ROUTINES_CACHE[dialect]


@dataclass
class SiteFigures:
    """One site's figures over the range (rates and shares in per cent, None when there is nothing to rate)."""
    site_id: int
    name: str
    code: str
    groups: int = 0
    guests: int = 0
    cost: Decimal = Decimal("0.00")
    discrepancies: int = 0
    losses: Decimal = Decimal("0.00")
    shifts: int = 0  # clock-ins
    late: int = 0
    rostered: int = 0  # rostered days already over
    absent: int = 0
    routines: int = 0  # completed
    routines_on_time: int = 0
    feedback: int = 0
    satisfied: int = 0
    complaints: int = 0
    incidents: int = 0

    @property
    def cost_per_group(self) -> Decimal | None:
        return (self.cost / self.groups).quantize(CENT) if self.groups else None

    @property
    def late_pct(self) -> int | None:
        return _pct(self.late, self.shifts)

    @property
    def absent_pct(self) -> int | None:
        return _pct(self.absent, self.rostered)

    @property
    def on_time_pct(self) -> int | None:
        return _pct(self.routines_on_time, self.routines)

    @property
    def satisfied_pct(self) -> int | None:
        return _pct(self.satisfied, self.feedback)


def _pct(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


# The columns of the comparison, in order: the ?sort= keys, and what each sorts by.
COLUMNS = ("name", "groups", "guests", "cost_per_group", "discrepancies", "losses", "late_pct", "absent_pct",
           "on_time_pct", "satisfied_pct", "complaints", "incidents")


def sort_figures(rows: list[SiteFigures], key: str) -> list[SiteFigures]:
    """By a column, highest first (the name: alphabetical); sites without a value last."""
    if key == "name":
        return sorted(rows, key=lambda r: (r.name, r.site_id))
    valued = sorted((r for r in rows if getattr(r, key) is not None), key=lambda r: (-getattr(r, key), r.name))
    return valued + [r for r in rows if getattr(r, key) is None]


def company_of(site_id: int) -> int:
    return select_rows(_COMPANY, {"site_id": site_id}).scalar_one()


def home_today(site_id: int) -> date:
    """Today at the user's home site (head office's "today")."""
    return site_object(site_id).today()


def site_object(site_id: int) -> Site:
    return db.session.get(Site, site_id)


def sites(company_id: int) -> list:
    """The company's active sites: id, name, code, timezone."""
    return select_rows(_SITES, {"company_id": company_id}).all()


def site(company_id: int, site_id: int):
    """One site of the company (None for another company's)."""
    return select_rows(_SITE, {"company_id": company_id, "site_id": site_id}).one_or_none()


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT) + 0


def figures(site_rows: list, first: date, last: date, today: date) -> list[SiteFigures]:
    """Every figure of these sites over the site-local days first..last: one statement per family per zone."""
    out = {s.id: SiteFigures(s.id, s.name, s.code) for s in site_rows}
    zones: dict[str, list] = {}
    for s in site_rows:
        zones.setdefault(s.timezone, []).append(s)
    for zone_sites in zones.values():
        probe = db.session.get(Site, zone_sites[0].id)
        start, end = range_bounds(probe, first, last)
        minutes = int(datetime.combine(last, time(12), probe.tz).utcoffset().total_seconds() // 60)
        params = {"ids": [s.id for s in zone_sites], "start": start, "end": end, "first": first, "last": last,
                  "done": min(last, today - timedelta(days=1)), "shift": f"{minutes:+d} minutes",
                  "delta": timedelta(minutes=minutes)}
        for r in select_rows(_VISITS, params):
            f = out[r.site_id]
            f.groups, f.guests, f.cost = r.groups, int(r.guests), _money(r.cost)
        for r in select_rows(_DISCREPANCIES, params):
            out[r.site_id].discrepancies = r.n
        for r in select_rows(_LOSSES, params):
            out[r.site_id].losses = _money(r.value)
        for r in select_rows(_ATTENDANCE, params):
            out[r.site_id].shifts, out[r.site_id].late = r.n, int(r.late or 0)
        for r in select_rows(_ABSENT, params):
            out[r.site_id].rostered, out[r.site_id].absent = r.n, int(r.absent or 0)
        for r in select_rows(_routines(), params):
            out[r.site_id].routines, out[r.site_id].routines_on_time = r.n, int(r.on_time or 0)
        for r in select_rows(_FEEDBACK, params):
            out[r.site_id].feedback, out[r.site_id].satisfied = r.n, int(r.good or 0)
        for r in select_rows(_COMPLAINTS, params):
            out[r.site_id].complaints = r.n
        for r in select_rows(_INCIDENTS, params):
            out[r.site_id].incidents = r.n
    return list(out.values())

