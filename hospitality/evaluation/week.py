"""What the weekly meeting sheet (周例会) reads: the week's figures (Monday to Sunday) in a few grouped statements,
and the problems open now as lists, read through the capabilities' own reads.

The figures: groups, guests and the consumables served (the visits' summary), discrepancies opened, complaints
opened and closed, incidents reported (one statement of counts), people-days late and absent (the attendance
sheets' rule, attendance.reads.sheets.absences), the daily routines' rounds done on time, late or missed, and
the tasks and repairs open now (the manager's day's counts)."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, select

from ..attendance.reads.sheets import absences
from ..checklists import reads as checklists
from ..clock import range_bounds, to_local, utcnow
from ..cockpit import reads as cockpit
from ..complaints import reads as complaints
from ..complaints.services import overdue as complaint_overdue
from ..database import select_rows
from ..incidents import reads as incidents
from ..inventory.reads.stock import open_discrepancies
from ..models import ChecklistRun, Discrepancy, Site
from ..models.attendance import Attendance
from ..models.complaints import Complaint
from ..models.incidents import Incident
from ..repairs import reads as repairs
from ..tasks import reads as tasks
from ..visits.reads import report as visit_reports

_SITE = bindparam("site_id")
_START, _END = bindparam("start"), bindparam("end")

# The week's runs of the daily routines (templates by id), for the rounds' on time, late and missed.
_RUNS = select(ChecklistRun.template_id, ChecklistRun.shift_date, ChecklistRun.slot, ChecklistRun.completed_at,
               ChecklistRun.completed_by_id).where(
    ChecklistRun.site_id == bindparam("site_id"), ChecklistRun.template_id.in_(bindparam("ids", expanding=True)),
    ChecklistRun.shift_date >= bindparam("first"), ChecklistRun.shift_date <= bindparam("last"))


def _count(model, *where):
    return select(func.count()).select_from(model).where(model.site_id == _SITE, *where).scalar_subquery()


_COUNTS = select(
    _count(Discrepancy, Discrepancy.opened_at >= _START, Discrepancy.opened_at < _END).label("discrepancies"),
    _count(Complaint, Complaint.registered_at >= _START, Complaint.registered_at < _END).label("complaints_opened"),
    _count(Complaint, Complaint.closed_at >= _START, Complaint.closed_at < _END).label("complaints_closed"),
    _count(Incident, Incident.reported_at >= _START, Incident.reported_at < _END).label("incidents"),
    _count(Incident, Incident.reported_at >= _START, Incident.reported_at < _END,
           Incident.level == "urgent").label("urgent"),
    _count(Attendance, Attendance.day >= bindparam("first"), Attendance.day <= bindparam("last"),
           Attendance.late_minutes > 0).label("late"),
)


def _absent(site: Site, first: date, last: date, now: datetime) -> int:
    """People-days absent in the week: the attendance sheets' rule."""
    return sum(absences(site, first, last, to_local(site, now)).values())


def monday(raw: str | None, today: date) -> date:
    """?week=YYYY-MM-DD (any day) as its Monday; anything else: this week's Monday."""
    try:
        day = date.fromisoformat((raw or "").strip()[:10]) if raw and raw.strip().isascii() else today
    except ValueError:
        day = today
    if not 2000 <= day.year <= 2100:
        day = today
    return day - timedelta(days=day.weekday())


@dataclass
class Figures:
    groups: int = 0
    guests: int = 0
    cost: Decimal = Decimal("0.00")
    discrepancies: int = 0
    late: int = 0
    absent: int = 0
    routines_on_time: int = 0
    routines_late: int = 0
    routines_missed: int = 0
    complaints_opened: int = 0
    complaints_closed: int = 0
    incidents: int = 0
    urgent: int = 0
    tasks_open: int = 0
    tasks_overdue: int = 0
    repairs_open: int = 0

    @property
    def routines_total(self) -> int:
        return self.routines_on_time + self.routines_late + self.routines_missed


@dataclass
class Problems:
    """What is open now, each a list of rows (the capabilities' own rows)."""
    discrepancies: list = field(default_factory=list)
    complaints: list = field(default_factory=list)  # (row, "respond" | "close" late | None)
    repairs: list = field(default_factory=list)
    tasks: list = field(default_factory=list)  # overdue ones
    incidents: list = field(default_factory=list)  # urgent, not closed

    @property
    def total(self) -> int:
        return sum(len(v) for v in (self.discrepancies, self.complaints, self.repairs, self.tasks, self.incidents))


def _routines(site: Site, first: date, last: date, now_local: datetime) -> tuple[int, int, int]:
    """The daily routines' rounds of the week up to now: done on time, done late, missed (two statements)."""
    templates = [t for t in checklists.routines(site.id) if t.recurrence in (None, "daily")]
    if not templates:
        return 0, 0, 0
    runs = {(r.template_id, r.shift_date, r.slot): r for r in select_rows(
        _RUNS, {"site_id": site.id, "first": first, "last": last, "ids": [t.id for t in templates]})}
    on_time = late = missed = 0
    day = first
    while day <= min(last, now_local.date()):
        for t in templates:
            for r in checklists.schedule(t, day):
                run = runs.get((t.id, day, r.slot))
                if run is not None and run.completed_at is not None:
                    if to_local(site, run.completed_at).replace(tzinfo=None) <= r.due_at:
                        on_time += 1
                    else:
                        late += 1
                elif now_local > r.due_at:
                    missed += 1
        day += timedelta(days=1)
    return on_time, late, missed


def figures(site: Site, first: date, now: datetime | None = None) -> Figures:
    """The week's figures from `first` (a Monday) to its Sunday."""
    now = now or utcnow()
    last = first + timedelta(days=6)
    start, end = range_bounds(site, first, last)
    now_local = to_local(site, now).replace(tzinfo=None)
    visits = visit_reports.summary(site, visit_reports.Filters(first, last))
    row = select_rows(_COUNTS, {"site_id": site.id, "start": start, "end": end, "first": first, "last": last}).one()
    waiting = cockpit.waiting(site, now)
    on_time, late, missed = _routines(site, first, last, now_local)
    return Figures(visits.groups, visits.guests, visits.cost, row.discrepancies, row.late,
                   _absent(site, first, last, now), on_time, late, missed, row.complaints_opened,
                   row.complaints_closed, row.incidents, row.urgent, waiting.tasks, waiting.tasks_overdue,
                   waiting.repairs)


def _overdue(task, now: datetime) -> bool:
    return bool(task.target_minutes) and task.created_at + timedelta(minutes=task.target_minutes) < now


def problems(site: Site, now: datetime | None = None) -> Problems:
    """The problems open now: discrepancies not closed, complaints open (flagged past a deadline), repairs not
    checked, tasks past their target, urgent incidents not closed (one statement each)."""
    now = now or utcnow()
    return Problems(
        discrepancies=open_discrepancies(site.id),
        complaints=[(c, complaint_overdue(c, now)) for c in complaints.open_complaints(site.id)],
        repairs=repairs.open_repairs(site.id),
        tasks=[t for t in tasks.every_open(site) if _overdue(t, now)],
        incidents=[i for i in incidents.open_incidents(site.id) if i.level == "urgent"],
    )
