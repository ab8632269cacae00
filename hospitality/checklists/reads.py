"""What the checklist pages and screens read: routines, a template's runs and answers, each round's state."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    DateTime,
    Integer,
    Interval,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import joinedload

from ..clock import to_local
from ..database import Reads, local_time, select_rows
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Location, Site, User
from ..models.attendance import RosterEntry, Shift
from ..models.checklists import RECURRENCES, ROUTINE_KINDS, period_of

STATE_LABELS = {"done": _l("Done"), "late": _l("Done late"), "missing": _l("Missing"),
                "pending": _l("To do"), "in_progress": _l("In progress"), "overdue": _l("Overdue")}
END_OF_DAY = time(23, 59)  # the due time of a round that has none


@dataclass
class RoutineStatus:
    """One round of a template on a day, as its card or board row shows it."""
    template: ChecklistTemplate
    run: Row | None  # id, template_id, slot, completed_at, failed_count, completed_by_id; None before it starts
    answered: int  # required items answered (0 when read with counts=False)
    total: int  # required items of the template (0 when read with counts=False)
    state: str  # done | late | in_progress | pending | overdue | missing
    slot: str = ""
    due: time | None = None
    opens_at: datetime | None = None  # a round with a window (a patrol): when it opens, the site's wall clock
    due_at: datetime | None = None  # when it is due, on the calendar day it falls (a night's 02:30 is the next day)

    @property
    def due_label(self) -> str:
        due = self.due or self.template.due_time
        return due.strftime("%H:%M") if due else ""


# Hot statements are built once; only their parameters change per request (statement building
# costs more CPU than running these small indexed queries).
_ROUTINES = (select(ChecklistTemplate)
             .where(ChecklistTemplate.site_id == bindparam("site_id"),
                    ChecklistTemplate.kind.in_(ROUTINE_KINDS), ChecklistTemplate.active.is_(True))
             .order_by(ChecklistTemplate.position, ChecklistTemplate.id))
# A post's own: not those given to the cleaners (routines/reads.py rota) or to a named person (today_panel).
_ROUTINES_OF_POST = _ROUTINES.where(ChecklistTemplate.post == bindparam("post"),
                                    ChecklistTemplate.assignee == "post")
ROUTINES_WHERE = _ROUTINES.whereclause  # for a screen that reads them with other checklists at once
POST_ROUTINES_WHERE = _ROUTINES_OF_POST.whereclause  # for a screen that reads them with other checklists at once
# A routine given to a shift (security's day opening, its night closing) is the work of whoever is rostered on that
# shift: a person's today screen shows it when their roster entry of the day (`day`) is on that shift, or when they
# have none (someone covering without a roster entry sees all their post's routines). Routines of no shift: everyone.
_MY_ROSTER = (RosterEntry.site_id == bindparam("site_id"), RosterEntry.user_id == bindparam("user_id"),
              RosterEntry.day == bindparam("day"))
ON_PERSONS_SHIFT_WHERE = or_(ChecklistTemplate.shift_id.is_(None),
                             ChecklistTemplate.shift_id.in_(select(RosterEntry.shift_id).where(*_MY_ROSTER)),
                             ~exists().where(*_MY_ROSTER))
_DAY_RUNS = select(ChecklistRun.id, ChecklistRun.template_id, ChecklistRun.slot, ChecklistRun.completed_at,
                   ChecklistRun.failed_count, ChecklistRun.completed_by_id).where(
    ChecklistRun.template_id.in_(bindparam("ids", expanding=True)), ChecklistRun.shift_date == bindparam("day"))
# Templates that repeat over longer periods keep their run on the period's first day (models/checklists.py).
_PERIOD_RUNS = select(ChecklistRun.id, ChecklistRun.template_id, ChecklistRun.slot, ChecklistRun.completed_at,
                      ChecklistRun.failed_count, ChecklistRun.shift_date, ChecklistRun.completed_by_id).where(
    ChecklistRun.template_id.in_(bindparam("ids", expanding=True)),
    ChecklistRun.shift_date.in_(bindparam("days", expanding=True)))
# With counts: each template once per run of those days (once with no run: its run columns null), with its required
# items and the run's required items answered; one statement where runs, totals and answers took three round trips.
_REQUIRED_TOTAL = (select(func.count()).where(ChecklistItem.template_id == ChecklistTemplate.id,
                                              ChecklistItem.active.is_(True), ChecklistItem.required.is_(True))
                   .correlate(ChecklistTemplate).scalar_subquery())
_REQUIRED_ANSWERED = (select(func.count()).select_from(ChecklistAnswer).join(ChecklistItem)
                      .where(ChecklistAnswer.run_id == ChecklistRun.id,
                             ChecklistItem.active.is_(True), ChecklistItem.required.is_(True))
                      .correlate(ChecklistRun).scalar_subquery())
_RUN_COLUMNS = (ChecklistTemplate.id.label("tid"), _REQUIRED_TOTAL.label("total"), ChecklistRun.id,
                ChecklistRun.template_id, ChecklistRun.slot, ChecklistRun.completed_at, ChecklistRun.failed_count,
                ChecklistRun.shift_date, ChecklistRun.completed_by_id, _REQUIRED_ANSWERED.label("answered"))
_RUNS_OF_DAYS = and_(ChecklistRun.template_id == ChecklistTemplate.id,
                     ChecklistRun.shift_date.in_(bindparam("days", expanding=True)))
# Without the counts (a summary of states): zeros in their places, which cost the server a count per row.
_RUN_COLUMNS_UNCOUNTED = tuple(literal(0, Integer).label(c.name) if c.name in ("total", "answered") else c
                               for c in _RUN_COLUMNS)


def with_runs(templates: Select, *, counts: bool = True) -> Select:
    """A statement of templates (in screen order) that also reads each one's runs on the days `days` (see
    run_days()) and the counts of day_status (counts=False: zeros): day_status' read, and plain_with_runs'."""
    return (templates.add_columns(*(_RUN_COLUMNS if counts else _RUN_COLUMNS_UNCOUNTED))
            .outerjoin(ChecklistRun, _RUNS_OF_DAYS))


_COUNTED_RUNS = with_runs(select().select_from(ChecklistTemplate)
                          .where(ChecklistTemplate.id.in_(bindparam("ids", expanding=True))))
RUN = select(ChecklistRun).where(ChecklistRun.template_id == bindparam("template_id"),
                                 ChecklistRun.shift_date == bindparam("day"), ChecklistRun.slot == bindparam("slot"))
_RUN_AND_ANSWERS = RUN.options(joinedload(ChecklistRun.answers))
_ANSWERS = select(ChecklistAnswer).where(ChecklistAnswer.run_id == bindparam("run_id"))
_TEMPLATES = (select(ChecklistTemplate).where(ChecklistTemplate.site_id == bindparam("site_id"))
              .order_by(ChecklistTemplate.active.desc(), ChecklistTemplate.position))
_PEOPLE = (select(User.id, User.name, User.post).where(User.site_id == bindparam("site_id"), User.active.is_(True))
           .order_by(User.name, User.id))
_LOCATIONS = (select(Location.id, Location.name).where(Location.site_id == bindparam("site_id"))
              .order_by(Location.position, Location.id))


def due_at_sql(day, default: time = END_OF_DAY):
    """SQL for the wall-clock moment a daily opening or closing routine's one round of `day` is due (see schedule()):
    its due time that day, or `default` without one."""
    due = func.coalesce(ChecklistTemplate.due_time, default)
    if db.session.get_bind().dialect.name == "sqlite":
        return func.datetime(cast(day, String) + " " + cast(due, String))
    return cast(day, DateTime) + cast(due, Interval)


def _on_time_statement():
    """Opening and closing routines completed per site and day, and those done by their due time on their day (no due
    time: by the day's end). Parameters: ids (sites), first, last (days), and database.local_offset's values."""
    done_local = local_time(ChecklistRun.completed_at)
    due_at = due_at_sql(ChecklistRun.shift_date, time(23, 59, 59))
    return (select(ChecklistRun.site_id, ChecklistRun.shift_date.label("day"), func.count().label("routines"),
                   func.sum(case((done_local <= due_at, 1), else_=0)).label("on_time"))
            .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id)
            .where(ChecklistRun.site_id.in_(bindparam("ids", expanding=True)),
                   ChecklistTemplate.site_id.in_(bindparam("ids", expanding=True)),  # the sites' templates: a seek
                   ChecklistRun.shift_date >= bindparam("first"), ChecklistRun.shift_date <= bindparam("last"),
                   ChecklistRun.completed_at.is_not(None), ChecklistTemplate.kind.in_(ROUTINE_KINDS))
            .group_by(ChecklistRun.site_id, ChecklistRun.shift_date))


_ON_TIME: dict = {}


def routines_on_time():
    """The statement of routines completed and done on time per site and day (see _on_time_statement), built once
    per dialect: the manager's day's trend and head office's comparison."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _ON_TIME:
        _ON_TIME[dialect] = _on_time_statement()
    return _ON_TIME[dialect]


def routines(site_id: int, post: str | None = None) -> list[ChecklistTemplate]:
    """Active opening/closing routines of a site, optionally of one post, in screen order."""
    if post:
        return list(db.session.scalars(_ROUTINES_OF_POST, {"site_id": site_id, "post": post}))
    return list(db.session.scalars(_ROUTINES, {"site_id": site_id}))


@dataclass(frozen=True)
class Round:
    """One round of a template on a day: its slot, and when it opens and is due (the site's wall clock)."""
    slot: str
    due_time: time | None
    due_at: datetime
    opens_at: datetime | None = None
    run_day: date | None = None  # the run's shift_date: the first day of its period (None: the day asked)


def schedule(template: ChecklistTemplate, day: date) -> list[Round]:
    """Every round a template has on a day, in order.

    A template with a shift and `every_minutes` (a patrol) has a round every that many minutes from the shift's
    start until its end, across midnight for a night shift (the rounds belong to the day the shift started): each
    opens at its slot and is due when the next one opens. An inspection or patrol with `times` has one per time,
    due then, its slot the time ("10:00"); anything else one run, slot "", due by due_time."""
    shift = template.shift if template.shift_id and template.every_minutes else None
    if shift is None and template.recurrence not in (None, "daily"):
        return _periodic(template, day)
    if shift is not None:
        return list(_shift_rounds(day, shift.starts, shift.ends, template.every_minutes))
    times = template.time_list if template.kind not in ROUTINE_KINDS else []
    if times:
        return [Round(t.strftime("%H:%M"), t, datetime.combine(day, t)) for t in times]
    return [Round("", template.due_time, datetime.combine(day, template.due_time or END_OF_DAY))]


@lru_cache(maxsize=512)
def _shift_rounds(day: date, starts: time, ends: time, every_minutes: int) -> tuple[Round, ...]:
    """A round every `every_minutes` of a shift on a day (see schedule()); worked out once per day and shift: the
    night guard's screen asks for a patrol's rounds of three days on every load."""
    step = timedelta(minutes=every_minutes)
    opens = datetime.combine(day, starts)
    end = datetime.combine(day + timedelta(days=1 if ends <= starts else 0), ends)
    out = []
    while opens < end:
        due = min(opens + step, end)
        out.append(Round(opens.strftime("%H:%M"), due.time(), due, opens))
        opens += step
    return tuple(out)


def _periodic(template: ChecklistTemplate, day: date) -> list[Round]:
    """The rounds of a template that repeats on weekdays, weekly, half-monthly or monthly: those of its period
    holding `day` (none on a weekday it skips), due on the period's due day, keyed by the period's first day."""
    period = template.period(day)
    if period is None:
        return []
    times = template.time_list if template.kind not in ROUTINE_KINDS else []
    if times:
        return [Round(t.strftime("%H:%M"), t, datetime.combine(period.due, t), run_day=period.start)
                for t in times]
    return [Round("", template.due_time, datetime.combine(period.due, template.due_time or END_OF_DAY),
                  run_day=period.start)]


def rounds(template: ChecklistTemplate, day: date | None = None) -> list[tuple[str, time | None]]:
    """(slot, due time) of each run a template has a day (see schedule())."""
    return [(r.slot, r.due_time) for r in schedule(template, day or date.min)]


def round_at(template: ChecklistTemplate, moment: datetime) -> tuple[date, Round] | None:
    """The (day, round) whose window holds this wall-clock moment: a night's round after midnight belongs to the
    day before. None outside every window (only rounds that open have one)."""
    for day in (moment.date() - timedelta(days=1), moment.date()):
        for r in schedule(template, day):
            if r.opens_at is not None and r.opens_at <= moment < r.due_at:
                return day, r
    return None


def next_round(template: ChecklistTemplate, moment: datetime) -> tuple[date, Round] | None:
    """The first round (with its day) that opens after this moment, within two days."""
    for day in (moment.date() - timedelta(days=1), moment.date(), moment.date() + timedelta(days=1)):
        for r in schedule(template, day):
            if r.opens_at is not None and r.opens_at > moment:
                return day, r
    return None


def day_status(site: Site, day: date, templates: list[ChecklistTemplate], now: datetime | None = None, *,
               counts: bool = True) -> list[RoutineStatus]:
    """Every round of these templates on a day (see rounds()) in the templates' order, with its run, its
    required items answered of total and its state, in one statement (counts=False: a summary that only counts
    states, without the counts)."""
    entries = [(t, r) for t in templates for r in schedule(t, day)]
    if not entries:
        return []
    ids = [t.id for t in templates]
    days = {r.run_day or day for _t, r in entries}
    if counts:
        return _statuses(site, day, entries, select_rows(_COUNTED_RUNS, {"ids": ids, "days": sorted(days)}), now)
    if days == {day}:
        return day_status_of_runs(site, day, templates, select_rows(_DAY_RUNS, {"ids": ids, "day": day}).all(), now)
    runs = {(r.template_id, r.shift_date, r.slot): r
            for r in select_rows(_PERIOD_RUNS, {"ids": ids, "days": sorted(days)})}
    return _statuses(site, day, entries, [], now, runs)


_COUNTED_AS = {"done": "done", "late": "late", "missing": "missed", "overdue": "missed"}  # the rest: to do


def state_counts(statuses: list[RoutineStatus]) -> dict[str, int]:
    """Rounds by state, as the summaries count them: done (on time), late, missed, to do."""
    counts = {"done": 0, "late": 0, "missed": 0, "to_do": 0}
    for s in statuses:
        counts[_COUNTED_AS.get(s.state, "to_do")] += 1
    return counts


def day_runs_reads(templates: list[ChecklistTemplate], day: date) -> Reads | None:
    """day_status(counts=False)'s read of the runs, for a screen that reads its panels at once (`day_runs`: give
    them to day_status_of_runs), or None when a template keeps its run on another day (weekly and longer)."""
    if any(r.run_day is not None for t in templates for r in schedule(t, day)):
        return None
    return Reads({"runs": _DAY_RUNS}, {"ids": [t.id for t in templates], "day": day},
                 lambda got: {"day_runs": got["runs"]})


def day_status_of_runs(site: Site, day: date, templates: list[ChecklistTemplate], runs: list,
                       now: datetime | None = None) -> list[RoutineStatus]:
    """day_status(counts=False) of templates whose runs all fall on `day`, from those runs (_DAY_RUNS' rows, e.g.
    read by day_runs_reads)."""
    entries = [(t, r) for t in templates for r in schedule(t, day)]
    return _statuses(site, day, entries, [], now, {(r.template_id, day, r.slot): r for r in runs})


def run_days(day: date) -> list[date]:
    """The days a run covering `day` may be kept on, whatever the template's recurrence: the day, and the first
    day of its week, half-month and month (models/checklists.py period_of)."""
    return sorted({day} | {p.start for rec in RECURRENCES if (p := period_of(rec, "", day)) is not None})


class PlainTemplate(NamedTuple):
    """A template as plain columns: what a round's card shows and what schedule() and a round's state read. The
    today screens and the summaries that count states read these with the runs (plain_with_runs) instead of
    mapped templates. Its rules and labels are the template's own."""
    id: int
    kind: str
    post: str
    name: str
    name_en: str | None
    position: int
    due_time: time | None
    times: str | None
    shift_id: int | None
    every_minutes: int | None
    recurrence: str
    on_days: str | None
    starts: time | None  # its shift's, if it has one
    ends: time | None

    label = ChecklistTemplate.label
    kind_label = ChecklistTemplate.kind_label
    recurrence_label = ChecklistTemplate.recurrence_label
    time_list = ChecklistTemplate.time_list
    period = ChecklistTemplate.period
    run_day = ChecklistTemplate.run_day

    @property
    def shift(self):
        """The shift's times (starts, ends), or None."""
        return self if self.starts is not None else None


_PLAIN = (ChecklistTemplate.kind, ChecklistTemplate.post, ChecklistTemplate.name, ChecklistTemplate.name_en,
          ChecklistTemplate.position, ChecklistTemplate.due_time, ChecklistTemplate.times, ChecklistTemplate.shift_id,
          ChecklistTemplate.every_minutes, ChecklistTemplate.recurrence, ChecklistTemplate.on_days, Shift.starts,
          Shift.ends)
_PLAIN_WIDTH = len(_PLAIN)


def _plain(where, *columns) -> Select:
    """The templates `where` picks, in screen order: PlainTemplate's columns (but the id), then `columns`."""
    return (select(*_PLAIN, *columns).select_from(ChecklistTemplate)
            .outerjoin(Shift, Shift.id == ChecklistTemplate.shift_id).where(where)
            .order_by(ChecklistTemplate.position, ChecklistTemplate.id))


def plain_templates(where) -> Select:
    """The templates `where` picks (in screen order) as PlainTemplate's columns: rows for plain_template()."""
    return _plain(where, ChecklistTemplate.id.label("tid"))


def plain_template(row) -> PlainTemplate:
    """The PlainTemplate of a plain_templates() or plain_with_runs() row."""
    return PlainTemplate(row.tid, *row[:_PLAIN_WIDTH])


def plain_with_runs(where, *extra, counts: bool = False) -> Select:
    """with_runs() of the templates `where` picks (in screen order), their PlainTemplate columns (then `extra`
    columns) in place of the mapped template: rows for day_status_of_rows()."""
    return with_runs(_plain(where, *extra), counts=counts)


def plain_reads(statement: Select, day: date, params: dict, name: str) -> Reads:
    """A plain_with_runs() statement for `day` (its `days` bound here), for a screen that reads its panels at once:
    its rows as `name` (give them to day_status_of_rows)."""
    return Reads({"rows": statement}, params | {"days": run_days(day)}, lambda got: {name: got["rows"]})


def read_plain_status(statement: Select, site: Site, day: date, params: dict,
                      now: datetime | None = None) -> list[RoutineStatus]:
    """Run a plain_with_runs() statement for `day` (its `days` bound here): day_status_of_rows' statuses."""
    return day_status_of_rows(site, day, select_rows(statement, params | {"days": run_days(day)}).all(), now)


def day_status_of_rows(site: Site, day: date, rows: list[Row], now: datetime | None = None) -> list[RoutineStatus]:
    """day_status() of the templates a plain_with_runs() statement read with days=run_days(day), from its rows (the
    statuses' templates are PlainTemplates)."""
    templates = list({r.tid: plain_template(r) for r in rows}.values())
    entries = [(t, r) for t in templates for r in schedule(t, day)]
    if not {r.run_day or day for _t, r in entries} <= set(run_days(day)):  # a recurrence run_days does not know
        return day_status(site, day, templates, now)
    return _statuses(site, day, entries, rows, now)


def _statuses(site: Site, day: date, entries: list, rows, now: datetime | None,
              runs: dict | None = None) -> list[RoutineStatus]:
    """The rounds' statuses from the rows of a with_runs() statement (or runs without counts)."""
    totals, answered = {}, {}
    if runs is None:
        runs = {}
        for r in rows:
            totals[r.tid] = r.total
            if r.id is not None:
                runs[(r.template_id, r.shift_date, r.slot)] = r
                answered[r.id] = r.answered
    local_now = (now or site.now()).replace(tzinfo=None)
    out = []
    for t, r in entries:
        run = runs.get((t.id, r.run_day or day, r.slot))
        out.append(RoutineStatus(t, run, answered.get(run.id, 0) if run else 0, totals.get(t.id, 0),
                                 _state(site, run, r.due_at, local_now), r.slot, r.due_time, r.opens_at, r.due_at))
    return out


def _state(site: Site, run: Row | None, due: datetime, now: datetime) -> str:
    """A round's state from its run and its due time (both the site's wall clock)."""
    if run is not None and run.completed_at is not None:
        return "done" if to_local(site, run.completed_at).replace(tzinfo=None) <= due else "late"
    if now > due:
        return "overdue" if run is not None else "missing"
    return "in_progress" if run is not None else "pending"


def find_run(template: ChecklistTemplate, day: date, slot: str = "") -> ChecklistRun | None:
    """The run of a template on a day (and round), if it was started: for a weekly, half-monthly or monthly
    template, the run of the period holding that day."""
    return db.session.scalar(RUN, {"template_id": template.id, "day": template.run_day(day), "slot": slot})


def run_and_answers(template: ChecklistTemplate, day: date, slot: str = "") -> tuple[ChecklistRun | None, dict]:
    """find_run() and answers_by_item() in one statement, for a page that reads them before anything is written in
    its request (a run already loaded keeps the answers it has)."""
    run = db.session.scalars(_RUN_AND_ANSWERS, {"template_id": template.id, "day": template.run_day(day),
                                                "slot": slot}).unique().first()
    return run, ({a.item_id: a for a in run.answers} if run is not None else {})


def answers_by_item(run: ChecklistRun | None) -> dict[int, ChecklistAnswer]:
    """A run's answers by item id (none before the run starts)."""
    if run is None:
        return {}
    return {a.item_id: a for a in db.session.scalars(_ANSWERS, {"run_id": run.id})}


def all_templates(site_id: int) -> list[ChecklistTemplate]:
    """Every checklist of a site for the manager's list: those in use first, in screen order."""
    return list(db.session.scalars(_TEMPLATES, {"site_id": site_id}))


def locations(site_id: int) -> list[Row]:
    """The site's areas (id, name) an inspection may be about, in screen order."""
    return select_rows(_LOCATIONS, {"site_id": site_id}).all()


def people(site_id: int) -> list[Row]:
    """The site's active people (id, name, post) a checklist may be given to by name."""
    return select_rows(_PEOPLE, {"site_id": site_id}).all()
