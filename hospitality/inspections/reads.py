"""What the grooming, inspection and task pages read (the actions are in services.py).

A grooming check is a run of a grooming template with slot "u<person id>" and the person as its subject;
an inspection round is a run with slot "" (once a day) or its due time "10:00" (templates with `times`).
"""
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import NamedTuple

from sqlalchemy import String, bindparam, cast, func, literal, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from ..attendance.reads import Person, on_duty_ids, on_duty_select
from ..checklists.reads import (
    RoutineStatus,
    day_status,
    day_status_of_rows,
    find_run,
    plain_reads,
    plain_with_runs,
    read_plain_status,
    rounds,
    state_counts,
)
from ..database import Reads, read_panels, select_rows
from ..extensions import db
from ..models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from ..models.attendance import Attendance
from ..models.checklists import AREA_KINDS, _localized
from ..models.tasks import ASSIGNEES, OPEN_STATES, TASK_STATUSES, Task
from ..permissions import can

TREND_LENGTH = 30
DONE_SHOWN = 20
OPEN_SHOWN = 100  # a screen, not an archive: the oldest open tasks first
PANEL_SHOWN = 4  # on a today screen or the lead's page: the oldest few, then a link to all


def grooming_slot(person_id: int) -> str:
    return f"u{person_id}"


# Grooming


def _active_templates(*kinds: str):
    return (select(ChecklistTemplate).where(ChecklistTemplate.site_id == bindparam("site_id"),
                                            ChecklistTemplate.kind.in_(kinds), ChecklistTemplate.active.is_(True))
            .order_by(ChecklistTemplate.position, ChecklistTemplate.id))


_GROOMING_TEMPLATES = _active_templates("grooming")
_AREA_TEMPLATES = _active_templates(*AREA_KINDS).where(ChecklistTemplate.shift_id.is_(None))
AREA_TEMPLATES_WHERE = _AREA_TEMPLATES.whereclause  # for a screen that reads them with other checklists at once
# The area templates with their runs of the day (run_days), in one read of plain rows (not mapped templates): with the
# rounds' counts for the inspections page, without them for a summary of their states.
_AREA_ROUNDS = plain_with_runs(AREA_TEMPLATES_WHERE, counts=True)
_AREA_STATES = plain_with_runs(AREA_TEMPLATES_WHERE)


def grooming_templates(site_id: int) -> list[ChecklistTemplate]:
    return list(db.session.scalars(_GROOMING_TEMPLATES, {"site_id": site_id}))


def template_for(templates: list[ChecklistTemplate], person: User | Person) -> ChecklistTemplate | None:
    """The grooming list for a person's post: the first that names the post, else the first for all."""
    named = [t for t in templates if person.post in t.post_list]
    return (named or [t for t in templates if not t.post_list] or [None])[0]


@dataclass(frozen=True)
class ClockIn:
    """A person's clock-in of the day as the grooming pages show it."""
    clock_in_at: datetime
    late_minutes: int


_CLOCK_IN = select(Attendance.clock_in_at, Attendance.late_minutes).where(
    Attendance.site_id == bindparam("site_id"), Attendance.day == bindparam("day"),
    Attendance.user_id == bindparam("user_id"))


def clock_in_of(site: Site, day: date, user_id: int) -> ClockIn | None:
    """A person's clock-in at the site on a day, if they clocked in."""
    row = select_rows(_CLOCK_IN, {"site_id": site.id, "day": day, "user_id": user_id}).first()
    return ClockIn(row.clock_in_at, row.late_minutes) if row else None


@dataclass(frozen=True)
class GroomingCheck:
    """A grooming run as the grooming list shows it."""
    id: int
    template_id: int
    score: int | None
    completed_at: datetime | None


@dataclass
class GroomingRow:
    person: Person
    attendance: ClockIn | None
    template: "ChecklistTemplate | GroomingList | None"
    run: GroomingCheck | None

    @property
    def done(self) -> bool:
        return self.run is not None and self.run.completed_at is not None


_LIST = aliased(ChecklistTemplate)
_GROOMING_DAY = (
    on_duty_select(User.id.label("user_id"), User.name, User.post, Attendance.clock_in_at, Attendance.late_minutes,
                   ChecklistRun.id.label("run_id"), ChecklistRun.template_id, ChecklistRun.score,
                   ChecklistRun.completed_at)
    .outerjoin(Attendance, (Attendance.user_id == User.id) & (Attendance.site_id == bindparam("site_id"))
               & (Attendance.day == bindparam("day")))
    # Each of the site's grooming lists, then its run by the runs' unique key (list, day, slot "u<person id>", as
    # grooming_slot() makes it): the lists joined rather than bound or as an IN subquery, which SQLite read off a
    # person's every run (ix_checklist_runs_subject) instead of the key.
    .outerjoin(_LIST, (_LIST.site_id == bindparam("site_id")) & (_LIST.kind == "grooming") & _LIST.active.is_(True))
    .outerjoin(ChecklistRun, (ChecklistRun.template_id == _LIST.id)
               & (ChecklistRun.shift_date == bindparam("day"))
               & (ChecklistRun.slot == literal("u") + cast(User.id, String))
               & (ChecklistRun.subject_user_id == User.id))
    .order_by(User.name, User.id))


class GroomingList(NamedTuple):
    """A grooming list as the overview needs it: which posts it is for (template_for() picks by them)."""
    id: int
    for_posts: str | None

    post_list = ChecklistTemplate.post_list


_GROOMING_LISTS = (select(ChecklistTemplate.id, ChecklistTemplate.for_posts)
                   .where(_GROOMING_TEMPLATES.whereclause).order_by(ChecklistTemplate.position, ChecklistTemplate.id))


def grooming_overview(site: Site, day: date) -> list[GroomingRow]:
    """Each person on duty with their clock-in and their grooming check of the day (the site's grooming lists, and
    a person has one roster entry and one clock-in a day, and one run per list)."""
    return read_panels(grooming_reads(site, day))["grooming"]


def grooming_reads(site: Site, day: date) -> Reads:
    """grooming_overview() for a screen that reads its panels at once: `grooming`."""
    def build(got: dict) -> dict:
        templates = [GroomingList(*t) for t in got["lists"]]
        rows: dict[int, GroomingRow] = {}
        for r in got["people"]:
            row = rows.get(r.user_id)
            if row is None:
                person = Person(r.user_id, r.name, r.post)
                row = rows[r.user_id] = GroomingRow(
                    person, ClockIn(r.clock_in_at, r.late_minutes) if r.clock_in_at else None,
                    template_for(templates, person), None)
            # Of several runs (the list of the person's post changed during the day), the current list's counts.
            if r.run_id is not None and (row.run is None or (row.template and r.template_id == row.template.id)):
                row.run = GroomingCheck(r.run_id, r.template_id, r.score, r.completed_at)
        return {"grooming": list(rows.values())}
    return Reads({"lists": _GROOMING_LISTS, "people": _GROOMING_DAY}, {"site_id": site.id, "day": day}, build)


def grooming_run(template: ChecklistTemplate, person: User, day: date) -> ChecklistRun | None:
    return find_run(template, day, grooming_slot(person.id))


@dataclass(frozen=True)
class ItemLabel:
    """A checklist item as a record names it."""
    id: int
    label: str


@dataclass
class FailedItem:
    item: ItemLabel
    count: int
    last: Row  # the latest failure: id, note, photo and the check's shift_date


_PERSON_RUNS = (select(ChecklistRun.id, ChecklistRun.shift_date, ChecklistRun.score, ChecklistRun.failed_count)
                .where(ChecklistRun.site_id == bindparam("site_id"),
                       ChecklistRun.subject_user_id == bindparam("user_id"), ChecklistRun.completed_at.is_not(None))
                .order_by(ChecklistRun.shift_date.desc(), ChecklistRun.id.desc()).limit(bindparam("limit")))
_FAILED_ANSWERS = (select(ChecklistAnswer.id, ChecklistAnswer.item_id, ChecklistAnswer.note, ChecklistAnswer.photo,
                          ChecklistRun.shift_date, ChecklistItem.text, ChecklistItem.text_en)
                   .join(ChecklistRun, ChecklistRun.id == ChecklistAnswer.run_id)
                   .join(ChecklistItem, ChecklistItem.id == ChecklistAnswer.item_id)
                   .where(ChecklistAnswer.run_id.in_(bindparam("runs", expanding=True)),
                          ChecklistAnswer.ok.is_(False))
                   .order_by(ChecklistRun.shift_date.desc(), ChecklistAnswer.id.desc()))
_ATTENDANCE_DAYS = select(Attendance.day, Attendance.clock_in_at, Attendance.late_minutes).where(
    Attendance.user_id == bindparam("user_id"), Attendance.day.in_(bindparam("days", expanding=True)))


def person_record(site: Site, person: User, limit: int = TREND_LENGTH) -> dict:
    """A person's last completed grooming checks (oldest first, for the trend: rows of id, shift_date, score and
    failed_count), their failed items and their attendance on those days (rows by day)."""
    runs = select_rows(_PERSON_RUNS, {"site_id": site.id, "user_id": person.id, "limit": limit}).all()
    runs.reverse()
    failed, att = [], {}
    if runs:
        failed = select_rows(_FAILED_ANSWERS, {"runs": [r.id for r in runs]}).all()
        att = {a.day: a for a in select_rows(_ATTENDANCE_DAYS,
                                             {"user_id": person.id, "days": list({r.shift_date for r in runs})})}
    scores = [r.score for r in runs if r.score is not None]
    return {"runs": runs, "failed_items": failed_by_item(failed), "attendance": att,
            "average": round(sum(scores) / len(scores)) if scores else None}


def failed_by_item(answers: list[Row]) -> list[FailedItem]:
    """Failed answers (newest first) grouped by item: how often, and the latest one; most frequent first."""
    out: dict[int, FailedItem] = {}
    for a in answers:
        if a.item_id in out:
            out[a.item_id].count += 1
        else:
            out[a.item_id] = FailedItem(ItemLabel(a.item_id, _localized(a.text, a.text_en)), 1, a)
    return sorted(out.values(), key=lambda f: -f.count)


# Area inspections


def area_templates(site_id: int) -> list[ChecklistTemplate]:
    return list(db.session.scalars(_AREA_TEMPLATES, {"site_id": site_id}))


def valid_slot(template: ChecklistTemplate, slot: str, day: date) -> bool:
    return slot in {s for s, _due in rounds(template, day)}


def area_status_reads(site: Site, day: date) -> Reads:
    """area_status() rows for a screen that reads its panels at once: `area_rows` (give them to area_status())."""
    return plain_reads(_AREA_ROUNDS, day, {"site_id": site.id}, "area_rows")


def area_status(site: Site, day: date, templates: list[ChecklistTemplate] | None = None,
                now: datetime | None = None, rows: list | None = None) -> list[RoutineStatus]:
    """Every inspection round of a day with its due time and state (done, late, missing…), by due time (of the rows
    area_status_reads() read, when given)."""
    if rows is not None:
        out = day_status_of_rows(site, day, rows, now)
    elif templates is None:
        out = read_plain_status(_AREA_ROUNDS, site, day, {"site_id": site.id}, now)
    else:
        out = day_status(site, day, templates, now)
    out.sort(key=lambda s: (s.due or time.max, s.template.position))
    return out


# Tasks


def is_assignee(user: User, assignee: str) -> bool:
    """Whether a task is for the user's own post (data: the post it was raised for)."""
    return user.post == assignee


def may_close(user: User, assignee: str) -> bool:
    """The lead and the manager close any task; a post closes its own."""
    return can(user, "tasks.all") or is_assignee(user, assignee)


@dataclass(frozen=True)
class TaskCard:
    """A task as its card shows it (inspections/_task.html), read as one row with its round and item."""
    id: int
    status: str
    assignee: str
    text: str
    created_at: datetime
    done_at: datetime | None
    template_label: str
    round: str  # the round's time for a timed inspection ("10:00"), else ""
    item_label: str | None
    created_by_name: str
    done_by_name: str | None
    closable: bool  # open, and the reader may close it (may_close)

    @property
    def assignee_label(self):
        return ASSIGNEES.get(self.assignee, self.assignee)


def _name(user_id):
    return select(User.name).where(User.id == user_id).scalar_subquery()


def _item(column):
    return (select(column).join(ChecklistAnswer, ChecklistAnswer.item_id == ChecklistItem.id)
            .where(ChecklistAnswer.id == Task.answer_id).scalar_subquery())


def _task_card_select(*extra):
    """The columns of a task's card: its round, its item and who raised and closed it. The item and the people
    are subqueries, not joins: PostgreSQL plans a join of seven tables anew for each run (about 1.5 ms), these
    in a fraction of that."""
    return (select(Task.id, Task.status, Task.assignee, Task.text, Task.created_at, Task.done_at,
                   ChecklistTemplate.name, ChecklistTemplate.name_en, ChecklistRun.slot, ChecklistRun.subject_user_id,
                   _item(ChecklistItem.text).label("item"), _item(ChecklistItem.text_en).label("item_en"),
                   _name(Task.created_by_id).label("creator"), _name(Task.done_by_id).label("doer"), *extra)
            .join(ChecklistRun, ChecklistRun.id == Task.run_id)
            .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id))


@cache
def _task_cards(status: str, every_post: bool, limit: int, with_total: bool = False):
    """Tasks a person should see: their post's (bound `post`), or every task for the lead and manager; open ones
    oldest first, done ones newest first. Built once per shape; with_total adds the total as a window count on
    each row."""
    q = (_task_card_select(*([func.count().over().label("total")] if with_total else []))
         .where(Task.site_id == bindparam("site_id"),
                Task.status.in_(OPEN_STATES) if status == "open" else Task.status == status))
    if not every_post:
        q = q.where(Task.assignee == bindparam("post"))
    order = (Task.created_at, Task.id) if status == "open" else (Task.done_at.desc(), Task.id.desc())
    return q.order_by(*order).limit(limit)


def _card(row: Row, user: User) -> TaskCard:
    return TaskCard(row.id, row.status, row.assignee, row.text, row.created_at, row.done_at,
                    _localized(row.name, row.name_en), row.slot if row.slot and not row.subject_user_id else "",
                    _localized(row.item, row.item_en) if row.item else None, row.creator, row.doer,
                    row.status in OPEN_STATES and may_close(user, row.assignee))


def _cards(status: str, site: Site, user: User, limit: int, with_total: bool = False) -> list[Row]:
    return select_rows(_task_cards(status, can(user, "tasks.all"), limit, with_total),
                       {"site_id": site.id, "post": user.post}).all()


def my_tasks(site: Site, user: User, limit: int = OPEN_SHOWN) -> list[TaskCard]:
    return [_card(r, user) for r in _cards("open", site, user, limit)]


def tasks_panel(site: Site, user: User, limit: int = PANEL_SHOWN) -> dict:
    """The context inspections/_tasks.html needs on a screen: the oldest open tasks and how many there are
    (one query: the total rides along each row as a window count)."""
    return read_panels(tasks_panel_reads(site, user, limit))


def tasks_panel_reads(site: Site, user: User, limit: int = PANEL_SHOWN) -> Reads:
    """tasks_panel() for a screen that reads its panels at once: `open_tasks`, `open_total`."""
    def build(got: dict) -> dict:
        rows = got["open_tasks"]
        return {"open_tasks": [_card(r, user) for r in rows], "open_total": rows[0].total if rows else 0}
    return Reads({"open_tasks": _task_cards("open", can(user, "tasks.all"), limit, True)},
                 {"site_id": site.id, "post": user.post}, build)


def recently_done(site: Site, user: User, limit: int = DONE_SHOWN) -> list[TaskCard]:
    return [_card(r, user) for r in _cards("done", site, user, limit)]


_TASK_CARD = _task_card_select().where(Task.id == bindparam("task_id"))


def task_card(task_id: int, user: User) -> TaskCard:
    """One task's card as `user` sees it, whatever its state (the card that replaces an open one once done)."""
    return _card(select_rows(_TASK_CARD, {"task_id": task_id}).one(), user)


@dataclass(frozen=True)
class TaskLine:
    """A task under the failed item it was raised from."""
    assignee: str
    text: str
    status: str

    @property
    def assignee_label(self):
        return ASSIGNEES.get(self.assignee, self.assignee)

    @property
    def status_label(self):
        return TASK_STATUSES.get(self.status, self.status)


_RUN_TASKS = (select(Task.answer_id, Task.assignee, Task.text, Task.status)
              .where(Task.run_id == bindparam("run_id")).order_by(Task.id))


def tasks_by_answer(run: ChecklistRun | None) -> dict[int, list[TaskLine]]:
    """The tasks raised from a run's failed items, by answer id, oldest first."""
    if run is None:
        return {}
    out: dict[int, list[TaskLine]] = {}
    for t in select_rows(_RUN_TASKS, {"run_id": run.id}):
        out.setdefault(t.answer_id, []).append(TaskLine(t.assignee, t.text, t.status))
    return out


# The lead's board


_GROOMED = (select(func.count(func.distinct(ChecklistRun.subject_user_id))).join(ChecklistTemplate)
            .where(ChecklistTemplate.site_id == bindparam("site_id"), ChecklistTemplate.kind == "grooming",
                   ChecklistRun.shift_date == bindparam("day"), ChecklistRun.completed_at.is_not(None),
                   ChecklistRun.subject_user_id.in_(bindparam("ids", expanding=True))))
_OPEN_TASK_COUNT = select(func.count()).select_from(Task).where(Task.site_id == bindparam("site_id"),
                                                                Task.status.in_(OPEN_STATES))


def rounds_summary(site: Site, day: date, now: datetime | None = None) -> dict[str, int]:
    """The day's inspection rounds by state: done, late, missed, to do (the lead's board)."""
    return state_counts(read_plain_status(_AREA_STATES, site, day, {"site_id": site.id}, now))


def board_summary(site: Site, day: date, now: datetime | None = None, open_tasks: int | None = None) -> dict:
    """Grooming checked x of y on duty, inspection rounds done / late / missed / to do, open tasks (pass
    `open_tasks` when the caller has counted them already, e.g. with tasks_panel() of a lead)."""
    ids = on_duty_ids(site, day)
    groomed = 0
    if ids:
        groomed = select_rows(_GROOMED, {"site_id": site.id, "day": day, "ids": ids}).scalar()
    counts = rounds_summary(site, day, now)
    if open_tasks is None:
        open_tasks = select_rows(_OPEN_TASK_COUNT, {"site_id": site.id}).scalar()
    return {"day": day, "on_duty": len(ids), "groomed": groomed, "inspections": counts,
            "rounds": sum(counts.values()), "open_tasks": open_tasks}
