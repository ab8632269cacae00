"""Grooming checks, area inspections and the tasks they raise: the actions and their rules (reads: reads.py)."""
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from ..attendance.reads import on_duty_ids
from ..audit import record
from ..checklists import services as checklists
from ..checklists.services import ChecklistError
from ..database import select_rows, write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from ..models.tasks import ASSIGNEES, Task
from ..permissions import can
from ..tasks import services as tasks
from .reads import grooming_run, grooming_slot, grooming_templates, may_close, template_for

TASK_TEXT_MAX = 500


# Grooming


def check_person(site: Site, checker: User, person: User, day: date) -> None:
    """Refuse a grooming check of oneself or of someone not on today's roster (or on leave)."""
    if person.id == checker.id:
        raise ChecklistError(_("You cannot check your own grooming: another lead or the manager does."), "person")
    if person.id not in on_duty_ids(site, day):
        raise ChecklistError(_("%(name)s is not on duty today (not on the roster, or on leave): only people on "
                               "duty are checked.", name=person.name), "person")


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


def may_see_record(user: User, person: User) -> bool:
    """A grooming record is for the lead and the manager, and for the person themself."""
    return can(user, "inspections.check") or user.id == person.id


# Area inspections


def can_fill(user: User, template: ChecklistTemplate) -> bool:
    """An inspection is filled in by the post it was given to, or by the lead or the manager."""
    return checklists.is_own(user, template) or can(user, "inspections.check")


def answer_area(site: Site, user: User, template: ChecklistTemplate, slot: str, item: ChecklistItem,
                ok: str | None, number: str | None, note: str | None, photo: str | None = None):
    return checklists.answer_item(site, user, template, item, ok, number, note, slot=slot, photo=photo)


def complete_area(site: Site, user: User, template: ChecklistTemplate, slot: str) -> ChecklistRun:
    return checklists.complete_run(site, user, template, slot=slot)


_TASK_OF_ANSWER_FOR = (select(Task.id).where(Task.answer_id == bindparam("answer_id"),
                                             Task.assignee == bindparam("post")).limit(1))


def may_see_photo(user: User, answer: ChecklistAnswer) -> bool:
    """A check's photo is for the lead, the manager, the checklist's post, the person checked and the post a
    task from it went to."""
    run = answer.run
    return can(user, "inspections.check") or checklists.is_own(user, run.template) or \
        run.subject_user_id == user.id or \
        select_rows(_TASK_OF_ANSWER_FOR, {"answer_id": answer.id, "post": user.post}).first() is not None


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
        task = Task(site_id=site.id, kind="inspection", run_id=current.run_id, answer_id=current.id,
                    assignee=assignee, text=text, created_by_id=user.id, raised_post=user.post,
                    target_minutes=site.task_target_minutes, idem=idem)
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
    return may_close(user, task.assignee)


def mark_done(site: Site, user: User, task: Task) -> Task:
    """Close an open task; tapping again (or a second phone) changes nothing (the rule: tasks.services.finish)."""
    return tasks.finish(site, user, task)
