"""Rules of the checklist engine: runs, answers and completion (what screens read: reads.py)."""
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import photos
from ..audit import record
from ..database import write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from ..models.core import utcnow
from .reads import RUN, answers_by_item, find_run

NOTE_MAX = 500
PHOTO_KIND = "checks"  # folder of hospitality.photos for answers' photos


class ChecklistError(RuleError):
    """A checklist rule said no (an answer, a completion, a template's or an item's edit)."""


# Writers of one run queue here, so two phones cannot both insert the same answer or both complete it.
# SQLite ignores FOR UPDATE: BEGIN IMMEDIATE serialises writers already.
_LOCKED_RUN = RUN.with_for_update().execution_options(populate_existing=True)


def _locked_run(template: ChecklistTemplate, day: date, slot: str) -> ChecklistRun | None:
    """The run of a template on a day, row-locked (PostgreSQL) for the rest of the transaction."""
    return db.session.scalar(_LOCKED_RUN, {"template_id": template.id, "day": day, "slot": slot})


def is_own(user: User, template: ChecklistTemplate) -> bool:
    """Whether a checklist is the user's to fill in: given to their post, or to them by name (data: the manager's
    choice). The cleaners' have no owner with a login: the lead ticks them (hospitality.routines)."""
    if template.assignee == "person":
        return template.person_id == user.id
    if template.assignee == "cleaners":
        return False
    return template.post == user.post


def _get_or_create_run(template: ChecklistTemplate, day: date, slot: str, user: User,
                       subject_user_id: int | None = None) -> ChecklistRun:
    run = find_run(template, day, slot)
    if run is not None:
        return run
    try:
        # A savepoint: if another phone created the run a moment ago, use theirs.
        with db.session.begin_nested():
            run = ChecklistRun(site_id=template.site_id, template_id=template.id, shift_date=day,
                               slot=slot, started_by_id=user.id, subject_user_id=subject_user_id)
            db.session.add(run)
    except IntegrityError:
        run = find_run(template, day, slot)
    else:
        record("start", "checklist_run", run.id, site_id=template.site_id,
               template=template.name, day=day.isoformat(), slot=slot)
    return run


def locked_round(template: ChecklistTemplate, day: date, slot: str, user: User) -> ChecklistRun:
    """A round's run, started by `user` if nobody had, row-locked for the rest of the caller's transaction."""
    _get_or_create_run(template, day, slot, user)
    return _locked_run(template, day, slot)


def parse_answer(item: ChecklistItem, ok: str | None, number: str | None, note: str | None):
    """Validate one answer against its item; returns (ok, number, note) or raises ChecklistError."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ChecklistError(_("At most %(n)d characters.", n=NOTE_MAX), "note")
    if item.answer_type == "check":
        if ok not in ("1", "0"):
            raise ChecklistError(_("Tap OK or Problem."), "ok")
        if ok == "0" and not note:
            raise ChecklistError(_("Describe the problem: a failed item needs a note."), "note")
        return ok == "1", None, note or None
    if item.answer_type == "number":
        try:
            value = Decimal((number or "").strip())
        except InvalidOperation:
            raise ChecklistError(_("Enter a number."), "number") from None
        if not value.is_finite():
            raise ChecklistError(_("Enter a number."), "number")
        low = item.min_value if item.min_value is not None else 0
        high = item.max_value if item.max_value is not None else 100000
        if value < low or value > high:
            raise ChecklistError(_("Enter a number from %(low)s to %(high)s.", low=low, high=high),
                                 "number")
        if value != value.quantize(Decimal("0.01")):
            raise ChecklistError(_("At most two decimal places."), "number")
        return None, value, note or None
    if not note:
        raise ChecklistError(_("Write a note."), "note")
    return None, None, note


def answer_item(site: Site, user: User, template: ChecklistTemplate, item: ChecklistItem,
                ok: str | None, number: str | None, note: str | None,
                day: date | None = None, slot: str = "", *, subject_user_id: int | None = None,
                photo: str | None = None, check=None) -> ChecklistAnswer:
    """Record (or correct) one item of today's run; starts the run on the first answer.

    `subject_user_id` names the person a grooming run is about; `photo` is a stored photo's name
    (it replaces the answer's earlier one); `check()` runs first inside the transaction and may raise.
    """
    if item.template_id != template.id or not item.active:
        raise ChecklistError(_("This item is no longer on the checklist. Reload the page."))
    parsed_ok, parsed_number, parsed_note = parse_answer(item, ok, number, note)
    day = template.run_day(day or site.today())  # a weekly or monthly template: its period's run
    old_photo = None
    with write_tx():
        if check is not None:
            check()
        _get_or_create_run(template, day, slot, user, subject_user_id)
        run = _locked_run(template, day, slot)
        if run.completed_at is not None:
            raise ChecklistError(_("This checklist is already completed."))
        answer = db.session.scalar(select(ChecklistAnswer).where(
            ChecklistAnswer.run_id == run.id, ChecklistAnswer.item_id == item.id))
        before = None
        if answer is None:
            answer = ChecklistAnswer(run_id=run.id, item_id=item.id, answered_by_id=user.id)
            db.session.add(answer)
        else:
            before = {"ok": answer.ok, "number": answer.number, "note": answer.note}
            if not photo and answer.answered_by_id == user.id \
                    and before == {"ok": parsed_ok, "number": parsed_number, "note": parsed_note}:
                return answer  # the same answer sent again (a double tap, a retry): recorded once
        answer.ok, answer.number, answer.note = parsed_ok, parsed_number, parsed_note
        answer.answered_by_id, answer.answered_at = user.id, utcnow()
        if photo:
            old_photo, answer.photo = answer.photo, photo
        db.session.flush()
        record("answer", "checklist_item", item.id, site_id=site.id, run=run.id,
               item=item.text, ok=parsed_ok, number=parsed_number, note=parsed_note, before=before,
               **({"photo": photo} if photo else {}))
    if old_photo:
        photos.remove(PHOTO_KIND, old_photo)
    return answer


def score(answers) -> int | None:
    """Per cent of the answered yes/no items that passed (None when there are none)."""
    checks = [a.ok for a in answers if a.ok is not None]
    return round(100 * sum(checks) / len(checks)) if checks else None


def complete_run(site: Site, user: User, template: ChecklistTemplate, day: date | None = None,
                 slot: str = "", check=None) -> ChecklistRun:
    """Close today's run (a weekly or monthly template: its period's) once every required item has an answer; a
    second tap is a no-op."""
    day = template.run_day(day or site.today())
    with write_tx():
        if check is not None:
            check()
        run = _locked_run(template, day, slot)
        if run is None:
            raise ChecklistError(_("Answer the items first."))
        if run.completed_at is not None:
            return run
        answers = answers_by_item(run)
        missing = [i for i in template.active_items if i.required and i.id not in answers]
        if missing:
            raise ChecklistError(_("%(n)d item(s) still to answer.", n=len(missing)))
        run.completed_at, run.completed_by_id = utcnow(), user.id
        run.failed_count = sum(1 for a in answers.values() if a.failed)
        run.score = score(answers.values())
        record("complete", "checklist_run", run.id, site_id=site.id, template=template.name,
               failed=run.failed_count, score=run.score)
    return run
