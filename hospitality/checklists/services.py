"""Rules of the checklist engine: runs, answers, completion and the day's status."""
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from .. import photos
from ..audit import record
from ..database import select_rows, write_tx
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from ..models.checklists import ROUTINE_KINDS
from ..models.core import utcnow

NOTE_MAX = 500
PHOTO_KIND = "checks"  # folder of hospitality.photos for answers' photos
STATE_LABELS = {"done": _l("Done"), "late": _l("Done late"), "missing": _l("Missing"),
                "pending": _l("To do"), "in_progress": _l("In progress"), "overdue": _l("Overdue")}


class ChecklistError(Exception):
    """A rule said no; `field` names the form field the message belongs under."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class RoutineStatus:
    template: ChecklistTemplate
    run: ChecklistRun | None
    answered: int
    total: int
    state: str  # done | late | in_progress | pending | overdue | missing
    slot: str = ""
    due: time | None = None  # a round's own due time (templates with several `times`)

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
_ROUTINES_OF_POST = _ROUTINES.where(ChecklistTemplate.post == bindparam("post"))
_DAY_RUNS = select(ChecklistRun).where(ChecklistRun.template_id.in_(bindparam("ids", expanding=True)),
                                       ChecklistRun.shift_date == bindparam("day"), ChecklistRun.slot == "")
_REQUIRED_TOTALS = (select(ChecklistItem.template_id, func.count())
                    .where(ChecklistItem.template_id.in_(bindparam("ids", expanding=True)),
                           ChecklistItem.active.is_(True), ChecklistItem.required.is_(True))
                    .group_by(ChecklistItem.template_id))
_REQUIRED_ANSWERED = (select(ChecklistAnswer.run_id, func.count()).join(ChecklistItem)
                      .where(ChecklistAnswer.run_id.in_(bindparam("ids", expanding=True)),
                             ChecklistItem.active.is_(True), ChecklistItem.required.is_(True))
                      .group_by(ChecklistAnswer.run_id))


def routines(site_id: int, post: str | None = None) -> list[ChecklistTemplate]:
    """Active opening/closing routines of a site, optionally of one post, in screen order."""
    if post:
        return list(db.session.scalars(_ROUTINES_OF_POST, {"site_id": site_id, "post": post}))
    return list(db.session.scalars(_ROUTINES, {"site_id": site_id}))


def day_status(site: Site, day: date, templates: list[ChecklistTemplate],
               now: datetime | None = None) -> list[RoutineStatus]:
    """Done, late, in progress, pending or missing for each template on a day: three queries."""
    if not templates:
        return []
    ids = [t.id for t in templates]
    runs = {r.template_id: r for r in db.session.scalars(_DAY_RUNS, {"ids": ids, "day": day})}
    totals = dict(select_rows(_REQUIRED_TOTALS, {"ids": ids}).all())
    answered = {}
    if runs:
        answered = dict(select_rows(_REQUIRED_ANSWERED, {"ids": [r.id for r in runs.values()]}).all())
    local_now = (now or site.now()).replace(tzinfo=None)
    out = []
    for t in templates:
        run = runs.get(t.id)
        due = datetime.combine(day, t.due_time or time(23, 59))
        out.append(RoutineStatus(t, run, answered.get(run.id, 0) if run else 0,
                                 totals.get(t.id, 0), _state(site, run, due, local_now)))
    return out


_SLOT_RUNS = select(ChecklistRun).where(ChecklistRun.template_id.in_(bindparam("ids", expanding=True)),
                                        ChecklistRun.shift_date == bindparam("day"))


def slot_status(site: Site, day: date, entries: list[tuple[ChecklistTemplate, str, time | None]],
                now: datetime | None = None) -> list[RoutineStatus]:
    """day_status for runs told apart by slot: one (template, slot, due time) per entry, three queries."""
    if not entries:
        return []
    ids = list({t.id for t, _slot, _due in entries})
    runs = {(r.template_id, r.slot): r for r in db.session.scalars(_SLOT_RUNS, {"ids": ids, "day": day})}
    totals = dict(select_rows(_REQUIRED_TOTALS, {"ids": ids}).all())
    answered = {}
    if runs:
        answered = dict(select_rows(_REQUIRED_ANSWERED, {"ids": [r.id for r in runs.values()]}).all())
    local_now = (now or site.now()).replace(tzinfo=None)
    out = []
    for t, slot, due_time in entries:
        run = runs.get((t.id, slot))
        due = datetime.combine(day, due_time or t.due_time or time(23, 59))
        out.append(RoutineStatus(t, run, answered.get(run.id, 0) if run else 0, totals.get(t.id, 0),
                                 _state(site, run, due, local_now), slot, due_time or t.due_time))
    return out


_SLOT_RUN_TIMES = select(ChecklistRun.template_id, ChecklistRun.slot, ChecklistRun.completed_at).where(
    ChecklistRun.template_id.in_(bindparam("ids", expanding=True)), ChecklistRun.shift_date == bindparam("day"))


def slot_states(site: Site, day: date, entries: list[tuple[ChecklistTemplate, str, time | None]],
                now: datetime | None = None) -> list[str]:
    """Only the state of each (template, slot, due time) of slot_status: one query of plain rows (a summary
    counts done, late and missed rounds without their answers)."""
    if not entries:
        return []
    ids = list({t.id for t, _slot, _due in entries})
    runs = {(r.template_id, r.slot): r for r in select_rows(_SLOT_RUN_TIMES, {"ids": ids, "day": day})}
    local_now = (now or site.now()).replace(tzinfo=None)
    return [_state(site, runs.get((t.id, slot)), datetime.combine(day, due_time or t.due_time or time(23, 59)),
                   local_now) for t, slot, due_time in entries]


def _state(site: Site, run, due: datetime, now: datetime) -> str:
    if run is not None and run.completed_at is not None:
        done_local = to_local(site, run.completed_at)
        return "done" if done_local <= due else "late"
    if now > due:
        return "overdue" if run is not None else "missing"
    return "in_progress" if run is not None else "pending"


def to_local(site: Site, utc_naive: datetime) -> datetime:
    """A stored (naive UTC) time as naive wall-clock time at the site."""
    from datetime import UTC
    return utc_naive.replace(tzinfo=UTC).astimezone(site.tz).replace(tzinfo=None)


def find_run(template: ChecklistTemplate, day: date, slot: str = "", lock: bool = False) -> ChecklistRun | None:
    """The run of a template on a day; lock=True row-locks it (PostgreSQL) for the transaction."""
    q = select(ChecklistRun).where(
        ChecklistRun.template_id == template.id, ChecklistRun.shift_date == day,
        ChecklistRun.slot == slot)
    if lock:
        # Writers of one run queue here, so two phones cannot both insert the same answer or both
        # complete it. SQLite ignores FOR UPDATE: BEGIN IMMEDIATE serialises writers already.
        q = q.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(q)


def answers_by_item(run: ChecklistRun | None) -> dict[int, ChecklistAnswer]:
    if run is None:
        return {}
    return {a.item_id: a for a in db.session.scalars(
        select(ChecklistAnswer).where(ChecklistAnswer.run_id == run.id))}


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
    day = day or site.today()
    old_photo = None
    with write_tx():
        if check is not None:
            check()
        _get_or_create_run(template, day, slot, user, subject_user_id)
        run = find_run(template, day, slot, lock=True)
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
    """Close today's run once every required item has an answer; a second tap is a no-op."""
    day = day or site.today()
    with write_tx():
        if check is not None:
            check()
        run = find_run(template, day, slot, lock=True)
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
