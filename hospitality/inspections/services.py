"""Grooming checks, area inspections and the tasks they raise, on the checklist engine.

A grooming check is a run of a grooming template with slot "u<person id>" and the person as its subject;
an inspection round is a run with slot "" (once a day) or its due time "10:00" (templates with `times`).
"""
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache

from sqlalchemy import String, bindparam, cast, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from ..attendance.reports import Person
from ..attendance.services import on_duty_ids, on_duty_select
from ..audit import record
from ..checklists import services as checklists
from ..checklists.services import ChecklistError, RoutineStatus
from ..database import select_rows, write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from ..models.attendance import Attendance
from ..models.checklists import _localized
from ..models.core import utcnow
from ..models.inspections import ASSIGNEES, Task

CHECKERS = ("lead", "manager")  # who checks grooming and sees every inspection and task
AREA_KINDS = ("inspection", "patrol")
TREND_LENGTH = 30
TASK_TEXT_MAX = 500
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
_AREA_TEMPLATES = _active_templates(*AREA_KINDS)


def grooming_templates(site_id: int) -> list[ChecklistTemplate]:
    return list(db.session.scalars(_GROOMING_TEMPLATES, {"site_id": site_id}))


def template_for(templates: list[ChecklistTemplate], person: User | Person) -> ChecklistTemplate | None:
    """The grooming list for a person's post: the first that names the post, else the first for all."""
    named = [t for t in templates if person.post in t.post_list]
    return (named or [t for t in templates if not t.post_list] or [None])[0]


def check_person(site: Site, checker: User, person: User, day: date) -> None:
    """Refuse a grooming check of oneself or of someone not on today's roster (or on leave)."""
    if person.id == checker.id:
        raise ChecklistError(_("You cannot check your own grooming: another lead or the manager does."), "person")
    if person.id not in on_duty_ids(site, day):
        raise ChecklistError(_("%(name)s is not on duty today (not on the roster, or on leave): only people on "
                               "duty are checked.", name=person.name), "person")


def attendance_of(site: Site, day: date, user_ids: list[int]) -> dict[int, Attendance]:
    if not user_ids:
        return {}
    return {a.user_id: a for a in db.session.scalars(select(Attendance).where(
        Attendance.site_id == site.id, Attendance.day == day, Attendance.user_id.in_(user_ids)))}


@dataclass(frozen=True)
class ClockIn:
    """A person's clock-in of the day as the grooming list shows it."""
    clock_in_at: datetime
    late_minutes: int


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
    template: ChecklistTemplate | None
    run: GroomingCheck | None

    @property
    def done(self) -> bool:
        return self.run is not None and self.run.completed_at is not None


_GROOMING_DAY = (
    on_duty_select(User.id, User.name, User.post, Attendance.clock_in_at, Attendance.late_minutes,
                   ChecklistRun.id, ChecklistRun.template_id, ChecklistRun.score, ChecklistRun.completed_at)
    .outerjoin(Attendance, (Attendance.user_id == User.id) & (Attendance.site_id == bindparam("site_id"))
               & (Attendance.day == bindparam("day")))
    # By the runs' unique key (list, day, slot "u<person id>", as grooming_slot() makes it).
    .outerjoin(ChecklistRun, ChecklistRun.template_id.in_(bindparam("templates", expanding=True))
               & (ChecklistRun.shift_date == bindparam("day"))
               & (ChecklistRun.slot == literal("u") + cast(User.id, String))
               & (ChecklistRun.subject_user_id == User.id))
    .order_by(User.name, User.id))


def grooming_overview(site: Site, day: date) -> list[GroomingRow]:
    """Each person on duty with their clock-in and their grooming check of the day: the site's grooming lists,
    then one statement (a person has one roster entry and one clock-in a day, and one run per list)."""
    templates = grooming_templates(site.id)
    rows: dict[int, GroomingRow] = {}
    for uid, name, post, clock_in_at, late, run_id, template_id, score, completed_at in select_rows(
            _GROOMING_DAY, {"site_id": site.id, "day": day, "templates": [t.id for t in templates]}):
        row = rows.get(uid)
        if row is None:
            person = Person(uid, name, post)
            row = rows[uid] = GroomingRow(person, ClockIn(clock_in_at, late) if clock_in_at else None,
                                          template_for(templates, person), None)
        # Of several runs (the list of the person's post changed during the day), the current list's counts.
        if run_id is not None and (row.run is None or (row.template and template_id == row.template.id)):
            row.run = GroomingCheck(run_id, template_id, score, completed_at)
    return list(rows.values())


def grooming_run(template: ChecklistTemplate, person: User, day: date) -> ChecklistRun | None:
    return checklists.find_run(template, day, grooming_slot(person.id))


def answer_grooming(site: Site, checker: User, person: User, template: ChecklistTemplate, item: ChecklistItem,
                    ok: str | None, number: str | None, note: str | None, photo: str | None = None):
    """One item of today's grooming check of a person on duty (refused for anyone else, nothing saved)."""
    day = site.today()
    check_person(site, checker, person, day)
    expected = template_for(grooming_templates(site.id), person)
    if expected is None or template.id != expected.id:
        raise ChecklistError(_("This checklist is not the grooming check for this person's post."), "person")
    return checklists.answer_item(site, checker, template, item, ok, number, note, day=day,
                                  slot=grooming_slot(person.id), subject_user_id=person.id, photo=photo)


def complete_grooming(site: Site, checker: User, person: User, template: ChecklistTemplate) -> ChecklistRun:
    day = site.today()
    run = grooming_run(template, person, day)
    if run is None or run.completed_at is None:
        check_person(site, checker, person, day)
    return checklists.complete_run(site, checker, template, day, grooming_slot(person.id))


def person_record(site: Site, person: User, limit: int = TREND_LENGTH) -> dict:
    """A person's last completed grooming checks (oldest first, for the trend) and their failed items."""
    runs = list(db.session.scalars(
        select(ChecklistRun).where(ChecklistRun.site_id == site.id, ChecklistRun.subject_user_id == person.id,
                                   ChecklistRun.completed_at.is_not(None))
        .order_by(ChecklistRun.shift_date.desc(), ChecklistRun.id.desc()).limit(limit)
        .options(joinedload(ChecklistRun.completed_by))))
    runs.reverse()
    failed = []
    if runs:
        failed = list(db.session.scalars(
            select(ChecklistAnswer).join(ChecklistRun, ChecklistRun.id == ChecklistAnswer.run_id)
            .where(ChecklistAnswer.run_id.in_([r.id for r in runs]), ChecklistAnswer.ok.is_(False))
            .options(contains_eager(ChecklistAnswer.run), joinedload(ChecklistAnswer.item))
            .order_by(ChecklistRun.shift_date.desc(), ChecklistAnswer.id.desc())))
    att = {}
    if runs:
        att = {a.day: a for a in db.session.scalars(select(Attendance).where(
            Attendance.user_id == person.id, Attendance.day.in_({r.shift_date for r in runs})))}
    scores = [r.score for r in runs if r.score is not None]
    return {"runs": runs, "failed_items": failed_by_item(failed), "attendance": att,
            "average": round(sum(scores) / len(scores)) if scores else None}


@dataclass
class FailedItem:
    item: ChecklistItem
    count: int
    last: ChecklistAnswer  # the latest failure, with its note and photo


def failed_by_item(answers: list[ChecklistAnswer]) -> list[FailedItem]:
    """Failed answers (newest first) grouped by item: how often, and the latest one; most frequent first."""
    out: dict[int, FailedItem] = {}
    for a in answers:
        if a.item_id in out:
            out[a.item_id].count += 1
        else:
            out[a.item_id] = FailedItem(a.item, 1, a)
    return sorted(out.values(), key=lambda f: -f.count)


# Area inspections


def area_templates(site_id: int) -> list[ChecklistTemplate]:
    return list(db.session.scalars(_AREA_TEMPLATES, {"site_id": site_id}))


def rounds(template: ChecklistTemplate) -> list[tuple[str, time | None]]:
    """(slot, due time) of each run a day: one per time of `times`, else one slot "" due by due_time."""
    times = template.time_list
    if times:
        return [(t.strftime("%H:%M"), t) for t in times]
    return [("", template.due_time)]


def valid_slot(template: ChecklistTemplate, slot: str) -> bool:
    return slot in {s for s, _due in rounds(template)}


def area_status(site: Site, day: date, templates: list[ChecklistTemplate] | None = None,
                now: datetime | None = None) -> list[RoutineStatus]:
    """Every inspection round of a day with its due time and state (done, late, missing…), by due time."""
    templates = area_templates(site.id) if templates is None else templates
    entries = [(t, slot, due) for t in templates for slot, due in rounds(t)]
    out = checklists.slot_status(site, day, entries, now)
    out.sort(key=lambda s: (s.due or time.max, s.template.position))
    return out


def post_rounds(site: Site, post: str, day: date | None = None) -> list[RoutineStatus]:
    """The inspection rounds a post does itself (a template the manager gave to that post), for its screen."""
    templates = [t for t in area_templates(site.id) if t.post == post]
    return area_status(site, day or site.today(), templates) if templates else []


def can_fill(user: User, template: ChecklistTemplate) -> bool:
    return user.post == template.post or user.post in CHECKERS


def answer_area(site: Site, user: User, template: ChecklistTemplate, slot: str, item: ChecklistItem,
                ok: str | None, number: str | None, note: str | None, photo: str | None = None):
    return checklists.answer_item(site, user, template, item, ok, number, note, slot=slot, photo=photo)


def complete_area(site: Site, user: User, template: ChecklistTemplate, slot: str) -> ChecklistRun:
    return checklists.complete_run(site, user, template, slot=slot)


# Tasks


def raise_task(site: Site, user: User, answer: ChecklistAnswer, assignee: str, text: str | None,
               idem: str | None) -> Task:
    """A task for a post or the cleaners from a failed item; the same form key twice makes one task."""
    if assignee not in ASSIGNEES:
        raise ChecklistError(_("Choose who should do it."), "assignee")
    text = (text or "").strip() or (answer.note or "").strip()
    if not text:
        raise ChecklistError(_("Say what should be done."), "text")
    if len(text) > TASK_TEXT_MAX:
        raise ChecklistError(_("At most %(n)d characters.", n=TASK_TEXT_MAX), "text")
    if idem:
        existing = db.session.scalar(select(Task).where(Task.idem == idem))
        if existing is not None:
            return existing
    with write_tx():
        current = db.session.scalar(select(ChecklistAnswer).where(ChecklistAnswer.id == answer.id)
                                    .execution_options(populate_existing=True))
        if current is None or current.ok is not False:
            raise ChecklistError(_("Only a failed item raises a task. Reload the page."), "assignee")
        task = Task(site_id=site.id, run_id=current.run_id, answer_id=current.id, assignee=assignee, text=text,
                    created_by_id=user.id, idem=idem)
        try:
            with db.session.begin_nested():
                db.session.add(task)
        except IntegrityError:  # the same form posted twice at once: the other request made it
            task = db.session.scalar(select(Task).where(Task.idem == idem))
        else:
            record("create", "task", task.id, site_id=site.id, run=current.run_id, answer=current.id,
                   assignee=assignee, text=text)
    return task


def can_close(user: User, task: Task) -> bool:
    return user.post in CHECKERS or user.post == task.assignee


def mark_done(site: Site, user: User, task: Task) -> Task:
    """Close an open task; tapping again (or a second phone) changes nothing."""
    with write_tx():
        task = db.session.scalar(select(Task).where(Task.id == task.id).with_for_update()
                                 .execution_options(populate_existing=True))
        if task.status == "done":
            return task
        task.status, task.done_by_id, task.done_at = "done", user.id, utcnow()
        record("done", "task", task.id, site_id=site.id, assignee=task.assignee)
    return task


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
                   _item(ChecklistItem.text), _item(ChecklistItem.text_en), _name(Task.created_by_id),
                   _name(Task.done_by_id), *extra)
            .join(ChecklistRun, ChecklistRun.id == Task.run_id)
            .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistRun.template_id))


@cache
def _task_cards(status: str, every_post: bool, limit: int, with_total: bool = False):
    """Tasks a person should see: their post's (bound `post`), or every task for the lead and manager; open ones
    oldest first, done ones newest first. Built once per shape; with_total adds the total as a window count on
    each row."""
    q = (_task_card_select(*([func.count().over()] if with_total else []))
         .where(Task.site_id == bindparam("site_id"), Task.status == status))
    if not every_post:
        q = q.where(Task.assignee == bindparam("post"))
    order = (Task.created_at, Task.id) if status == "open" else (Task.done_at.desc(), Task.id.desc())
    return q.order_by(*order).limit(limit)


def _card(row) -> TaskCard:
    (tid, status, assignee, text, created_at, done_at, name, name_en, slot, subject, item, item_en, creator,
     doer) = row[:14]
    return TaskCard(tid, status, assignee, text, created_at, done_at, _localized(name, name_en),
                    slot if slot and not subject else "", _localized(item, item_en) if item else None, creator, doer)


def _cards(status: str, site: Site, user: User, limit: int, with_total: bool = False):
    return select_rows(_task_cards(status, user.post in CHECKERS, limit, with_total),
                       {"site_id": site.id, "post": user.post}).all()


def my_tasks(site: Site, user: User, limit: int = OPEN_SHOWN) -> list[TaskCard]:
    return [_card(r) for r in _cards("open", site, user, limit)]


def tasks_panel(site: Site, user: User, limit: int = PANEL_SHOWN) -> dict:
    """The context inspections/_tasks.html needs on a screen: the oldest open tasks and how many there are
    (one query: the total rides along each row as a window count)."""
    rows = _cards("open", site, user, limit, with_total=True)
    return {"open_tasks": [_card(r) for r in rows], "open_total": rows[0][-1] if rows else 0}


def recently_done(site: Site, user: User, limit: int = DONE_SHOWN) -> list[TaskCard]:
    return [_card(r) for r in _cards("done", site, user, limit)]


_TASK_CARD = _task_card_select().where(Task.id == bindparam("task_id"))


def task_card(task_id: int) -> TaskCard:
    """One task's card, whatever its state (the card that replaces an open one once it is done)."""
    return _card(select_rows(_TASK_CARD, {"task_id": task_id}).one())


def tasks_by_answer(run: ChecklistRun | None) -> dict[int, list[Task]]:
    if run is None:
        return {}
    out: dict[int, list[Task]] = {}
    for t in db.session.scalars(select(Task).where(Task.run_id == run.id).order_by(Task.id)):
        out.setdefault(t.answer_id, []).append(t)
    return out


# The lead's board


_GROOMED = (select(func.count(func.distinct(ChecklistRun.subject_user_id))).join(ChecklistTemplate)
            .where(ChecklistTemplate.site_id == bindparam("site_id"), ChecklistTemplate.kind == "grooming",
                   ChecklistRun.shift_date == bindparam("day"), ChecklistRun.completed_at.is_not(None),
                   ChecklistRun.subject_user_id.in_(bindparam("ids", expanding=True))))
_OPEN_TASK_COUNT = select(func.count()).select_from(Task).where(Task.site_id == bindparam("site_id"),
                                                                Task.status == "open")


def board_summary(site: Site, day: date, now: datetime | None = None, open_tasks: int | None = None) -> dict:
    """Grooming checked x of y on duty, inspection rounds done / late / missed / to do, open tasks (pass
    `open_tasks` when the caller has counted them already, e.g. with tasks_panel() of a lead)."""
    ids = on_duty_ids(site, day)
    groomed = 0
    if ids:
        groomed = select_rows(_GROOMED, {"site_id": site.id, "day": day, "ids": ids}).scalar()
    counts = {"done": 0, "late": 0, "missed": 0, "to_do": 0}
    entries = [(t, slot, due) for t in area_templates(site.id) for slot, due in rounds(t)]
    for state in checklists.slot_states(site, day, entries, now):
        key = {"done": "done", "late": "late", "missing": "missed", "overdue": "missed"}.get(state, "to_do")
        counts[key] += 1
    if open_tasks is None:
        open_tasks = select_rows(_OPEN_TASK_COUNT, {"site_id": site.id}).scalar()
    return {"day": day, "on_duty": len(ids), "groomed": groomed, "inspections": counts,
            "rounds": sum(counts.values()), "open_tasks": open_tasks}
