"""Task rules: raise, accept, done (on behalf of the cleaners), hand over, cancel; the site's targets. One transaction
per action.

Any post raises a task for a post that someone works at the site, for a person of the site, or for the cleaners
(hospitality.permissions "tasks.raise"). The post or the person it is for accepts it and marks it done; the cleaners
have no login, so the lead, the manager or the post that raised it ticks a cleaner's task, recorded as done on their
behalf. The lead and the manager hand a task to another post or person, or cancel it ("tasks.dispatch"). A task has
a target in minutes from the site's settings (the seeds: a table is cleared within three minutes of the group
leaving); past it, an open task is overdue.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..access import site_places
from ..audit import record
from ..clock import utcnow
from ..database import locked, write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..forms import MAX_ID
from ..i18n import text as _
from ..models import Location, Site, User, Visit
from ..models.core import POSTS
from ..models.tasks import ASSIGNEES, KINDS, OPEN_STATES, PERSON, Task
from ..permissions import can
from . import reads

MAX_TEXT = 500
MAX_TABLE = 20
RAISED_KINDS = {k: v for k, v in KINDS.items() if k != "inspection"}  # "inspection": from a failed item only
# Who a quick pick is for when the form names nobody: the seeds' usual one.
DEFAULT_FOR = {"clear_table": "cleaner", "cleaner": "cleaner", "restock": "water_bar", "model_room": "model_room"}
TARGET_RANGE = (1, 480)


class TaskError(RuleError):
    """A task rule said no; `field` names the form field the message belongs under."""


class TaskErrors(FieldErrors, TaskError):
    """Several fields of a form are wrong at once: every mistake is reported."""


def _for_whom(site: Site, raw: str | None, kind: str | None) -> tuple[str, int | None]:
    """(assignee, person id) of the form's "for_whom": "cleaner", a post someone works at the site, or user-<id> (an
    active person of the site); a quick pick without one goes to its usual post."""
    raw = (raw or "").strip() or DEFAULT_FOR.get(kind or "", "")
    if raw == "cleaner":
        return "cleaner", None
    if raw in ASSIGNEES:
        if raw not in reads.posts_at(site.id):
            raise RuleError(_("Nobody works the %(post)s post at this site: choose another.", post=POSTS[raw]),
                            "for_whom")
        return raw, None
    prefix, _sep, ident = raw.partition("-")
    if prefix == "user" and ident.isdecimal() and int(ident) <= MAX_ID \
            and int(ident) in {p.id for p in reads.people(site.id)}:
        return PERSON, int(ident)
    raise RuleError(_("Choose who it is for."), "for_whom")


def _place(site: Site, raw) -> Location | None:
    return fields.site_row(Location, site.id, raw, "location_id", _("Choose a place of this site."))


def _default_place(site: Site, kind: str) -> int | None:
    """The place a quick pick means when none is chosen: the negotiation area for a table, the only model room."""
    wanted = {"clear_table": "negotiation", "model_room": "model_room"}.get(kind)
    found = [p.id for p in site_places(site.id) if p.kind == wanted]
    return found[0] if len(found) == 1 or (found and kind == "clear_table") else None


def _by_key(key: str | None) -> Task | None:
    return db.session.scalar(select(Task).where(Task.idem == key)) if key else None


def raise_task(site: Site, user: User, *, kind, for_whom=None, text=None, location_id=None, table_label=None,
               visit: Visit | None = None, idem_key: str | None = None) -> Task:
    """A task in two taps: what (a quick pick or free text), for whom (a post, a person, the cleaners), where. A
    table to clear needs a table, a place or the group it is for; a model room to ready, the room; free text, the
    text. A double tap raises one task."""
    if not can(user, "tasks.raise"):
        raise TaskError(_("Your post does not raise tasks."))
    errors: dict[str, str] = {}
    kind = fields.checked(errors, fields.choice, kind, RAISED_KINDS, "kind")
    who = fields.checked(errors, _for_whom, site, for_whom, kind)
    text = fields.checked(errors, fields.text, text, MAX_TEXT, "text",
                          _("Say what should be done.") if kind == "other" else None)
    table = fields.checked(errors, fields.text, table_label, MAX_TABLE, "table_label")
    place = fields.checked(errors, _place, site, location_id)
    if visit is not None and visit.site_id != site.id:
        errors["form"] = _("Not found. It may belong to another site or have been removed.")
    if kind == "model_room" and "location_id" not in errors:
        if place is None and (default := _default_place(site, kind)) is not None:
            place = db.session.get(Location, default)
        if place is None or place.kind != "model_room":
            errors["location_id"] = _("Choose the model room.")
    if kind == "clear_table" and "location_id" not in errors and "table_label" not in errors and place is None:
        if (default := _default_place(site, kind)) is not None:
            place = db.session.get(Location, default)
        elif not table and visit is None:
            errors["table_label"] = _("Say which table.")
    if errors:
        raise TaskErrors(errors)
    if (done := _by_key(idem_key)) is not None and done.site_id == site.id:
        return done
    assignee, person_id = who
    target = site.table_clear_minutes if kind == "clear_table" else site.task_target_minutes
    with write_tx():
        task = Task(site_id=site.id, kind=kind, assignee=assignee, assignee_user_id=person_id, text=text or "",
                    table_label=table, location_id=place.id if place else None,
                    visit_id=visit.id if visit else None, created_by_id=user.id, created_at=utcnow(),
                    raised_post=user.post, target_minutes=target, idem=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(task)
        except IntegrityError:  # the same key from a concurrent double tap
            done = _by_key(idem_key)
            if done is None or done.site_id != site.id:
                raise
            return done
        record("create", "task", task.id, site_id=site.id, kind=kind, assignee=assignee, person=person_id,
               visit=task.visit_id)
    return task


def is_for(user: User, task) -> bool:
    """The task is for the user's post or for the user."""
    return task.assignee == user.post or (task.assignee_user_id is not None and task.assignee_user_id == user.id)


def may_accept(user: User, task) -> bool:
    return task.status == "open" and is_for(user, task)


def _raised_it(user: User, task) -> bool:
    return task.created_by_id == user.id or (task.raised_post is not None and task.raised_post == user.post)


def may_finish(user: User, task) -> bool:
    """Its post or person, the lead and the manager; a cleaner's task also the person or post that raised it."""
    if task.status not in OPEN_STATES:
        return False
    if is_for(user, task) or can(user, "tasks.all"):
        return True
    return task.assignee == "cleaner" and can(user, "tasks.for_cleaner") and _raised_it(user, task)


def concerns(user: User, task) -> bool:
    """Whether the task is the user's business: for them or their post, raised by them or their post, or the lead's
    and the manager's (anyone else is refused without learning more)."""
    return is_for(user, task) or can(user, "tasks.all") or _raised_it(user, task)


def may_dispatch(user: User, task) -> bool:
    return task.status in OPEN_STATES and can(user, "tasks.dispatch")


def _fresh(task: Task) -> Task:
    return locked(Task, task.id)


def accept(site: Site, user: User, task: Task) -> Task:
    """"On it": the post or person it is for takes it; a second tap (or a colleague's) changes nothing."""
    with write_tx():
        task = _fresh(task)
        if task.status != "open":
            if task.status in ("done", "accepted"):
                return task
            raise TaskError(_("This task was cancelled."))
        if not may_accept(user, task):
            raise TaskError(_("This task is not for you."))
        task.status, task.accepted_by_id, task.accepted_at = "accepted", user.id, utcnow()
        record("accept", "task", task.id, site_id=site.id)
    return task


def finish(site: Site, user: User, task: Task) -> Task:
    """Done, in one tap; a cleaner's task is recorded as done on their behalf. Tapping again changes nothing."""
    with write_tx():
        task = _fresh(task)
        if task.status == "done":
            return task
        if task.status == "cancelled":
            raise TaskError(_("This task was cancelled."))
        if not may_finish(user, task):
            raise TaskError(_("This task is not for you."))
        task.status, task.done_by_id, task.done_at = "done", user.id, utcnow()
        task.on_behalf = task.assignee == "cleaner"
        record("done", "task", task.id, site_id=site.id, assignee=task.assignee, on_behalf=task.on_behalf)
    return task


def dispatch(site: Site, user: User, task: Task, for_whom) -> Task:
    """Hand an open task to another post, person or the cleaners: it is theirs to accept again."""
    if not can(user, "tasks.dispatch"):
        raise TaskError(_("Only the lead or the manager hands tasks on."))
    assignee, person_id = fields.one(TaskErrors, _for_whom, site, for_whom, None)
    with write_tx():
        task = _fresh(task)
        if task.status not in OPEN_STATES:
            raise TaskError(_("This task is closed already."), "for_whom")
        if task.status == "open" and (task.assignee, task.assignee_user_id) == (assignee, person_id):
            return task  # handed to them already (the same form sent again): recorded once
        task.assignee, task.assignee_user_id = assignee, person_id
        task.status, task.accepted_by_id, task.accepted_at = "open", None, None
        record("dispatch", "task", task.id, site_id=site.id, assignee=assignee, person=person_id)
    return task


def cancel(site: Site, user: User, task: Task) -> Task:
    """The lead or the manager cancels an open task (no longer needed); a second tap changes nothing."""
    if not can(user, "tasks.dispatch"):
        raise TaskError(_("Only the lead or the manager cancels tasks."))
    with write_tx():
        task = _fresh(task)
        if task.status == "cancelled":
            return task
        if task.status == "done":
            raise TaskError(_("This task is done already."))
        task.status, task.cancelled_by_id, task.cancelled_at = "cancelled", user.id, utcnow()
        record("cancel", "task", task.id, site_id=site.id)
    return task


def _minutes(raw, field: str) -> int:
    value = (raw or "").strip()
    if not value.isdecimal() or not TARGET_RANGE[0] <= int(value) <= TARGET_RANGE[1]:
        raise RuleError(_("Enter whole minutes from %(low)s to %(high)s.", low=TARGET_RANGE[0],
                          high=TARGET_RANGE[1]), field)
    return int(value)


def set_targets(site: Site, user: User, table_minutes, task_minutes) -> Site:
    """The manager sets the minutes to clear a table and to do any other task (for tasks raised from now on)."""
    if not can(user, "tasks.settings"):
        raise TaskError(_("Only the manager sets the targets."))
    errors: dict[str, str] = {}
    table = fields.checked(errors, _minutes, table_minutes, "table_minutes")
    other = fields.checked(errors, _minutes, task_minutes, "task_minutes")
    if errors:
        raise TaskErrors(errors)
    with write_tx():
        site = locked(Site, site.id)
        if (site.table_clear_minutes, site.task_target_minutes) == (table, other):
            return site  # nothing changes (the same form sent again): no second audit row
        site.table_clear_minutes, site.task_target_minutes = table, other
        record("targets", "site", site.id, site_id=site.id, table_minutes=table, task_minutes=other)
    return site
