"""What the weekly meeting sheet (周例会) reads: the week's figures (Monday to Sunday) in a few grouped statements,
and the problems open now as lists, read through the capabilities' own reads.

The figures: groups, guests and the consumables served (the visits' summary), discrepancies opened, complaints
opened and closed, incidents reported (one statement of counts), people-days late and absent (the attendance
sheets' rule, attendance.reads.sheets.absences), the daily routines' rounds done on time, late or missed, and
the tasks and repairs open now (the manager's day's counts)."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, func, or_, select

from ..attendance.reads.sheets import absences_reads
from ..checklists import reads as checklists
from ..clock import range_bounds, to_local, utcnow
from ..cockpit import reads as cockpit
from ..complaints import reads as complaints
from ..complaints.services import overdue as complaint_overdue
from ..database import Reads, read_panels
from ..incidents import reads as incidents
from ..inventory.reads.stock import discrepancies_reads
from ..models import ChecklistRun, ChecklistTemplate, Discrepancy, Site
from ..models.attendance import Attendance
from ..models.complaints import Complaint
from ..models.incidents import Incident
from ..repairs import reads as repairs
from ..tasks import reads as tasks
from ..visits.reads import report as visit_reports

_SITE = bindparam("site_id")
_START, _END = bindparam("start"), bindparam("end")

# The daily routines (the checklists' own conditions), and their runs of the week, for the rounds' on time, late and
# missed.
_DAILY = and_(checklists.ROUTINES_WHERE, or_(ChecklistTemplate.recurrence.is_(None),
                                             ChecklistTemplate.recurrence == "daily"))
_DAILY_ROUTINES = checklists.plain_templates(_DAILY)  # plain rows, read with the rest
_RUNS = select(ChecklistRun.template_id, ChecklistRun.shift_date, ChecklistRun.slot, ChecklistRun.completed_at,
               ChecklistRun.completed_by_id).where(
    ChecklistRun.site_id == bindparam("site_id"),
    ChecklistRun.template_id.in_(select(ChecklistTemplate.id).where(_DAILY)),
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


def _routines(site: Site, templates: list, runs: list, first: date, last: date,
              now_local: datetime) -> tuple[int, int, int]:
    """The daily routines' rounds of the week up to now: done on time, done late, missed."""
    if not templates:
        return 0, 0, 0
    runs = {(r.template_id, r.shift_date, r.slot): r for r in runs}
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


def sheet(site: Site, first: date, now: datetime | None = None) -> tuple["Figures", "Problems"]:
    """The week's figures from `first` (a Monday) to its Sunday, and the problems open now: one statement on
    PostgreSQL (database.read_panels), read through the capabilities' own statements."""
    now = now or utcnow()
    last = first + timedelta(days=6)
    start, end = range_bounds(site, first, last)
    local_now = to_local(site, now)
    got = read_panels(
        visit_reports.day_reads(site, first, last), cockpit.waiting_reads(site, now),
        absences_reads(site, first, last, local_now),
        Reads({"counts": _COUNTS, "runs": _RUNS, "templates": _DAILY_ROUTINES},
              {"site_id": site.id, "start": start, "end": end, "first": first, "last": last}, lambda got: got),
        discrepancies_reads(site.id), complaints.open_reads(site.id), repairs.open_reads(site.id),
        tasks.every_open_reads(site), incidents.every_open_reads(site.id))
    visits, row, waiting = got["visit_figures"], got["counts"][0], got["waiting"]
    templates = [checklists.plain_template(r) for r in got["templates"]]
    on_time, late, missed = _routines(site, templates, got["runs"], first, last, local_now.replace(tzinfo=None))
    figures = Figures(visits.groups, visits.guests, visits.cost, row.discrepancies, row.late,
                      sum(got["absences"].values()), on_time, late, missed, row.complaints_opened,
                      row.complaints_closed, row.incidents, row.urgent, waiting.tasks, waiting.tasks_overdue,
                      waiting.repairs)
    problems = Problems(
        discrepancies=got["discrepancies"],
        complaints=[(c, complaint_overdue(c, now)) for c in got["open_complaints"]],
        repairs=got["open_repairs"],
        tasks=[t for t in got["tasks_open"] if _overdue(t, now)],
        incidents=[i for i in got["incidents_open"] if i.level == "urgent"],
    )
    return figures, problems


def _overdue(task, now: datetime) -> bool:
    return bool(task.target_minutes) and task.created_at + timedelta(minutes=task.target_minutes) < now
