"""What staff evaluation reads: a month's occurrences of each rule per person in grouped statements (a fixed
number however many people and days), the site's weights, and the manager's rewards and penalties.

The rules, stated once:
- late / left early / absent: the attendance sheets' month totals (late days, early days, rostered days missed
  without approved leave), hospitality.attendance.reads.sheets.month_totals;
- grooming: grooming checks of the person in the month with at least one failed item;
- own routine late: a daily opening/closing routine run the person completed after its due time (on the site's wall
  clock at the month's first day's UTC offset, as the manager's routines on time);
- own post's routine missed: a daily opening/closing routine of the post they were rostered at (on that shift, when
  the routine names one), or given to them by name (rostered or not), with no completed run once its due time has
  passed (today's too);
- discrepancy: a discrepancy opened in the month from a count the person started;
- task overdue: a task assigned to them by name, created in the month with a target time, done after it or still
  open past it.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, select

from ..attendance.reads.sheets import month_bounds, sheet_people, totals_reads
from ..checklists.reads import END_OF_DAY, due_at_sql
from ..clock import range_bounds, to_local, utcnow
from ..database import Reads, local_offset, local_time, read_panels
from ..extensions import db
from ..models import ChecklistRun, ChecklistTemplate, Discrepancy, Site, User
from ..models.attendance import RosterEntry
from ..models.checklists import ROUTINE_KINDS
from ..models.evaluation import DEFAULT_WEIGHTS, RULES, START_SCORE, EvaluationAdjustment, EvaluationWeight
from ..models.inventory import StockCount
from ..models.tasks import Task

_SITE = bindparam("site_id")
_WEIGHTS = select(EvaluationWeight.rule, EvaluationWeight.points).where(EvaluationWeight.site_id == _SITE)
_GROOMING = (select(ChecklistRun.subject_user_id.label("user_id"), func.count().label("n"))
             .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id)
             .where(ChecklistRun.site_id == _SITE, ChecklistTemplate.site_id == _SITE,  # a seek, not every site's
                    ChecklistTemplate.kind == "grooming",
                    ChecklistRun.failed_count > 0, ChecklistRun.subject_user_id.is_not(None),
                    ChecklistRun.shift_date >= bindparam("first"), ChecklistRun.shift_date <= bindparam("last"))
             .group_by(ChecklistRun.subject_user_id))
_DISCREPANCIES = (select(StockCount.started_by_id.label("user_id"), func.count().label("n"))
                  .select_from(Discrepancy).join(StockCount, StockCount.id == Discrepancy.count_id)
                  .where(Discrepancy.site_id == _SITE, Discrepancy.opened_at >= bindparam("start"),
                         Discrepancy.opened_at < bindparam("end"))
                  .group_by(StockCount.started_by_id))
_TASKS = select(Task.assignee_user_id, Task.created_at, Task.target_minutes, Task.done_at, Task.status).where(
    Task.site_id == _SITE, Task.assignee_user_id.is_not(None), Task.target_minutes.is_not(None),
    Task.created_at >= bindparam("start"), Task.created_at < bindparam("end"))
_ROUTINE = (ChecklistTemplate.site_id == _SITE, ChecklistTemplate.kind.in_(ROUTINE_KINDS),
            ChecklistTemplate.active.is_(True), ChecklistTemplate.recurrence == "daily",
            ChecklistTemplate.assignee.in_(("post", "person")))
_ROUTINES = select(ChecklistTemplate.id, ChecklistTemplate.post, ChecklistTemplate.shift_id,
                   ChecklistTemplate.due_time, ChecklistTemplate.assignee, ChecklistTemplate.person_id).where(*_ROUTINE)
# The days each of those routines was done (`until`: the month's last day, today at the latest).
_DONE_DAYS = select(ChecklistRun.template_id, ChecklistRun.shift_date).where(
    ChecklistRun.site_id == _SITE, ChecklistRun.template_id.in_(select(ChecklistTemplate.id).where(*_ROUTINE)),
    ChecklistRun.shift_date >= bindparam("first"), ChecklistRun.shift_date <= bindparam("until"),
    ChecklistRun.slot == "", ChecklistRun.completed_at.is_not(None))
_PEOPLE = bindparam("people", expanding=True)  # the ids of the people evaluated (everyone, or one person)
_ROSTER = select(RosterEntry.user_id, RosterEntry.day, RosterEntry.post, RosterEntry.shift_id).where(
    RosterEntry.site_id == _SITE, RosterEntry.user_id.in_(_PEOPLE), RosterEntry.day >= bindparam("first"),
    RosterEntry.day <= bindparam("until"))
_ADJUSTMENTS = (select(EvaluationAdjustment.id, EvaluationAdjustment.user_id, EvaluationAdjustment.kind,
                       EvaluationAdjustment.points, EvaluationAdjustment.yuan, EvaluationAdjustment.reason,
                       EvaluationAdjustment.created_at, User.name.label("by_name"))
                .join(User, User.id == EvaluationAdjustment.created_by_id)
                .where(EvaluationAdjustment.site_id == _SITE, EvaluationAdjustment.month == bindparam("month"))
                .order_by(EvaluationAdjustment.created_at, EvaluationAdjustment.id))


class Adjustment(NamedTuple):
    """A reward or penalty of the month as the pages show it (plain columns, read with the month's counts), with
    the model's own rules."""
    id: int
    user_id: int
    kind: str
    points: int
    yuan: int
    reason: str
    created_at: datetime
    by_name: str  # who gave it

    signed_points = EvaluationAdjustment.signed_points
    kind_label = EvaluationAdjustment.kind_label


def adjustments_reads(site_id: int, month: date) -> Reads:
    """The month's adjustments by person, for a screen that reads its panels at once: `eval_adjustments`."""
    def build(got):
        out: dict[int, list[Adjustment]] = {}
        for r in got["adjustments"]:
            out.setdefault(r.user_id, []).append(Adjustment(*r))
        return {"eval_adjustments": out}
    return Reads({"adjustments": _ADJUSTMENTS}, {"site_id": site_id, "month": month}, build)


def parse_month(raw: str | None, today: date) -> date:
    """?month=YYYY-MM as the month's first day; anything else (or a month after this one): this month."""
    raw = (raw or "").strip()
    if len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit() and raw.isascii():
        year, month = int(raw[:4]), int(raw[5:])
        if 2000 <= year <= 2100 and 1 <= month <= 12 and date(year, month, 1) <= today:
            return date(year, month, 1)
    return today.replace(day=1)


def weights(site_id: int) -> dict[str, int]:
    """The points one occurrence of each rule costs at the site (the defaults where the manager set none)."""
    return read_panels(weights_reads(site_id))["eval_weights"]


def weights_reads(site_id: int) -> Reads:
    """weights()' read, for a screen that reads its panels at once: `eval_weights`."""
    return Reads({"weights": _WEIGHTS}, {"site_id": site_id},
                 lambda got: {"eval_weights": DEFAULT_WEIGHTS | {r.rule: r.points for r in got["weights"]
                                                                  if r.rule in RULES}})


@dataclass
class Item:
    rule: str
    count: int
    weight: int

    @property
    def label(self):
        return RULES[self.rule]

    @property
    def points(self) -> int:
        return self.count * self.weight


@dataclass
class Month:
    """A person's month: each rule's count × weight, the manager's adjustments, the score (each sum taken once)."""
    person: object  # attendance.reads.days.Person (id, name, post)
    items: list[Item]
    adjustments: list = field(default_factory=list)

    @cached_property
    def deducted(self) -> int:
        return sum(i.points for i in self.items)

    @cached_property
    def adjusted(self) -> int:
        return sum(a.signed_points for a in self.adjustments)

    @property
    def score(self) -> int:
        return START_SCORE - self.deducted + self.adjusted

    @cached_property
    def yuan(self) -> int:
        """Rewards minus fines in yuan."""
        return sum(a.yuan if a.kind == "reward" else -a.yuan for a in self.adjustments)


def _late_statement():
    """Own routines completed after their due time, by who completed them: a daily opening or closing routine has
    one round a day, due by its due time or else by the end of the day (checklists.reads.schedule), on the site's
    wall clock. Parameters: site_id, people, first, until and database.local_offset's values."""
    return (select(ChecklistRun.completed_by_id.label("user_id"), func.count().label("n"))
            .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id)
            .where(*_ROUTINE, ChecklistRun.site_id == _SITE, ChecklistRun.slot == "",
                   ChecklistRun.shift_date >= bindparam("first"), ChecklistRun.shift_date <= bindparam("until"),
                   ChecklistRun.completed_by_id.in_(_PEOPLE), ChecklistRun.completed_at.is_not(None),
                   local_time(ChecklistRun.completed_at) > due_at_sql(ChecklistRun.shift_date))
            .group_by(ChecklistRun.completed_by_id))


_LATE: dict = {}


def _late() -> Select:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _LATE:
        _LATE[dialect] = _late_statement()
    return _LATE[dialect]


def _routines(got: dict, people: list[int], first: date, last: date, now_local: datetime) -> dict[str, dict[int, int]]:
    """Own routines late (by who completed them: counted in SQL) and missed (not completed once due: by who was on
    the post's roster that day, on the routine's shift when it names one, or by the person it is given to, rostered
    or not), from a few compact rows: the month's roster, the routines, the days each was done (`last`: the month's
    last day, today at the latest)."""
    late = {r.user_id: r.n for r in got["late"]}
    missed: dict[int, int] = {}
    templates = got["routines"]
    done = {(r.template_id, r.shift_date) for r in got["done"]}
    now_day, now_time = now_local.date(), now_local.time()

    def due(t, day: date) -> bool:  # its round of that day is due by now (schedule(): by its due time that day)
        return day < now_day or (day == now_day and now_time > (t.due_time or END_OF_DAY))

    of_post: dict[str, list] = {}
    for t in templates:
        if t.assignee == "post":
            of_post.setdefault(t.post, []).append(t)
    for e in got["roster"]:
        for t in of_post.get(e.post, ()):
            if (t.shift_id is None or t.shift_id == e.shift_id) and (t.id, e.day) not in done and due(t, e.day):
                missed[e.user_id] = missed.get(e.user_id, 0) + 1
    for t in templates:
        if t.assignee == "person" and t.person_id in people:
            day = first
            while day <= last:
                if (t.id, day) not in done and due(t, day):
                    missed[t.person_id] = missed.get(t.person_id, 0) + 1
                day += timedelta(days=1)
    return {"routine_late": late, "routine_missed": missed}


def _tasks_overdue(tasks: list, now: datetime) -> dict[int, int]:
    out: dict[int, int] = {}
    for t in tasks:
        target = t.created_at + timedelta(minutes=t.target_minutes)
        finished = t.done_at if t.done_at is not None else (None if t.status == "cancelled" else now)
        if finished is not None and finished > target:
            out[t.assignee_user_id] = out.get(t.assignee_user_id, 0) + 1
    return out


def counts(site: Site, month: date, people: list, now: datetime | None = None) -> dict[str, dict[int, int]]:
    """Each rule's occurrences in the month by person id (people: at least one)."""
    return counts_of(read_panels(*count_reads(site, month, people, now)))


def count_reads(site: Site, month: date, people: list, now: datetime | None = None) -> list[Reads]:
    """counts()' reads, for a screen that reads its panels at once (one statement on PostgreSQL): the attendance
    totals (`att_totals`) and the other rules' (`eval_own`); counts_of() makes the counts of what they read."""
    now = now or utcnow()
    local_now = to_local(site, now)
    first, last = month_bounds(month)
    start, end = range_bounds(site, first, last)
    until = min(last, local_now.date())  # the days after today have nothing late or missed yet
    ids = [p.id for p in people]
    params = {"site_id": site.id, "people": ids, "first": first, "until": until, "start": start,
              "end": end} | local_offset(site, first)
    parts = {"grooming": _GROOMING, "late": _late(), "routines": _ROUTINES, "done": _DONE_DAYS, "roster": _ROSTER,
             "discrepancies": _DISCREPANCIES, "tasks": _TASKS}

    def own(got: dict) -> dict:
        out = {"grooming": {r.user_id: r.n for r in got["grooming"]}}
        out |= _routines(got, ids, first, until, local_now.replace(tzinfo=None))
        out["discrepancy"] = {r.user_id: r.n for r in got["discrepancies"]}
        out["task_overdue"] = _tasks_overdue(got["tasks"], now)
        return {"eval_own": out}
    return [totals_reads(site, people, first, last, local_now), Reads(parts, params, own)]


def counts_of(got: dict) -> dict[str, dict[int, int]]:
    """The month's counts per rule and person from what count_reads read."""
    out: dict[str, dict[int, int]] = {"late": {}, "left_early": {}, "absent": {}}
    for person, t in got["att_totals"]:
        out["late"][person.id] = t["late_days"]
        out["left_early"][person.id] = t["early_days"]
        out["absent"][person.id] = t["missing"]
    return out | got["eval_own"]


def people(site_id: int) -> list:
    """Everyone evaluated at the site: the rostered posts, active first (people who left keep their months)."""
    from ..permissions import post_can
    return [p for p in sheet_people(site_id) if post_can(p.post, "evaluation.own")]


def months(site: Site, month: date, only: int | None = None, now: datetime | None = None) -> list[Month]:
    """Everyone's month (or one person's), best score first."""
    everyone = people(site.id)
    chosen = [p for p in everyone if only is None or p.id == only]
    if not chosen:
        return []
    got = read_panels(*count_reads(site, month, chosen, now), weights_reads(site.id),
                      adjustments_reads(site.id, month))
    found, w, adjustments = counts_of(got), got["eval_weights"], got["eval_adjustments"]
    out = [Month(p, [Item(rule, found[rule].get(p.id, 0), w[rule]) for rule in RULES], adjustments.get(p.id, []))
           for p in chosen]
    return sorted(out, key=lambda m: (-m.score, m.person.name))


def person_of(site_id: int, user_id: int):
    """The evaluated person of the site with this id, or None."""
    return next((p for p in people(site_id) if p.id == user_id), None)


def adjustment(site_id: int, adjustment_id: int) -> EvaluationAdjustment | None:
    a = db.session.get(EvaluationAdjustment, adjustment_id)
    return a if a is not None and a.site_id == site_id else None
