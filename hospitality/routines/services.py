"""The cleaners' rota ticked by the lead, and linen counted out to the laundry and back (reads: reads.py)."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..audit import record
from ..checklists import reads as checklists
from ..checklists.services import locked_round, score
from ..database import locked, write_tx
from ..errors import RuleError
from ..extensions import db
from ..forms import limited
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistRun, ChecklistTemplate, Location, Site, User
from ..models.core import utcnow
from ..models.linen import LINEN_KINDS, MAX_QTY, LinenBatch, LinenCount
from .reads import batch_kinds
from .seed import seed_cleaning

NOTE_MAX = 200


class RoutineError(RuleError):
    """A rota or linen rule said no."""


def tick_for_cleaners(site: Site, user: User, template: ChecklistTemplate, slot: str = "",
                      day: date | None = None) -> ChecklistRun:
    """Mark a cleaners' task done for its current period, on their behalf (they have no login): every item
    passes, the run completes in the lead's name, the audit says for whom. A second tap changes nothing."""
    if template.site_id != site.id or template.assignee != "cleaners" or not template.active:
        raise RoutineError(_("This is not a task of the cleaners' rota."))
    day = day or site.today()
    slots = [r.slot for r in checklists.schedule(template, day)]
    if slot not in slots:
        raise RoutineError(_("This task has no round then. Reload the page."))
    items = template.active_items
    if any(i.required and i.answer_type != "check" for i in items):
        raise RoutineError(_("This checklist asks for more than a tick: fill it in on its page."))
    run_day = template.run_day(day)
    with write_tx():
        run = locked_round(template, run_day, slot, user)
        if run.completed_at is not None:
            return run
        have = {a.item_id: a for a in db.session.scalars(select(ChecklistAnswer).where(
            ChecklistAnswer.run_id == run.id))}
        for item in items:
            if item.answer_type == "check" and item.id not in have:
                have[item.id] = ChecklistAnswer(run_id=run.id, item_id=item.id, ok=True, answered_by_id=user.id)
                db.session.add(have[item.id])
        run.completed_at, run.completed_by_id = utcnow(), user.id
        run.failed_count = sum(1 for a in have.values() if a.ok is False)
        run.score = score(have.values())
        record("done_for_cleaners", "checklist_run", run.id, site_id=site.id, template=template.name,
               day=run_day.isoformat(), slot=slot, on_behalf="cleaners")
    return run


def set_up_rota(site: Site, user: User) -> int:
    """The cleaners' rota of seed 002, for a site made before it (how many tasks were added)."""
    with write_tx():
        added = seed_cleaning(site)
        if added:
            record("set_up", "cleaning_rota", None, site_id=site.id, added=added)
    return added


# Linen


def _quantities(raw: dict[str, str]) -> dict[str, int]:
    """The typed quantity per kind (empty and 0 left out); a negative, a fraction or too many is refused."""
    out = {}
    for kind in LINEN_KINDS:
        text = (raw.get(kind) or "").strip()
        if not text:
            continue
        qty = fields.whole(text, 0, MAX_QTY)
        if qty is None:
            raise RoutineError(_("Count pieces: a whole number from 0 to %(n)d.", n=MAX_QTY), f"qty-{kind}")
        if qty:
            out[kind] = qty
    return out


def _model_room(site: Site, location_id) -> Location:
    loc = db.session.get(Location, location_id) if isinstance(location_id, int) else None
    if loc is None or loc.site_id != site.id or loc.kind != "model_room" or not loc.active:
        raise RoutineError(_("Choose a model room of this site."), "location_id")
    return loc


def send_linen(site: Site, user: User, location_id, quantities: dict[str, str], note: str | None,
               idem: str | None) -> LinenBatch:
    """Count a batch out to the laundry: kinds and pieces of one model room. The same form twice sends one batch."""
    loc = _model_room(site, location_id)
    counts = _quantities(quantities)
    if not counts:
        raise RoutineError(_("Count at least one piece out."), "qty")
    note = limited(note, NOTE_MAX, "note", RoutineError)
    if idem:
        existing = db.session.scalar(select(LinenBatch).where(LinenBatch.idem == idem, LinenBatch.site_id == site.id))
        if existing is not None:
            return existing
    try:
        with write_tx():
            batch = LinenBatch(site_id=site.id, location_id=loc.id, sent_by_id=user.id, note=note, idem=idem)
            db.session.add(batch)
            db.session.flush()
            for kind, qty in counts.items():
                db.session.add(LinenCount(batch_id=batch.id, kind=kind, qty=qty, returned=False,
                                          counted_by_id=user.id))
            record("send", "linen_batch", batch.id, site_id=site.id, place=loc.name, counts=counts)
    except IntegrityError:  # the same form at the same moment: the other request sent it
        batch = db.session.scalar(select(LinenBatch).where(LinenBatch.idem == idem, LinenBatch.site_id == site.id))
        if batch is None:
            raise
    return batch


def return_linen(site: Site, user: User, batch: LinenBatch, quantities: dict[str, str],
                 idem: str | None) -> LinenBatch:
    """Count pieces of a batch back in (part of it may come back later); more back than is away is refused. The
    batch closes when nothing is away. The same form twice counts once."""
    if batch.site_id != site.id:
        raise RoutineError(_("This batch is not of this site."))
    counts = _quantities(quantities)
    if not counts:
        raise RoutineError(_("Count at least one piece back in."), "qty")
    counted = select(LinenCount.id).where(LinenCount.idem == idem, LinenCount.batch_id == batch.id).limit(1)
    if idem and db.session.scalar(counted) is not None:
        # A double tap whose first has counted: the batch as that left it (the one given may have been read before).
        return db.session.get(LinenBatch, batch.id, populate_existing=True)
    try:
        with write_tx():
            row = locked(LinenBatch, batch.id)  # returns of one batch queue here
            if idem and db.session.scalar(counted) is not None:
                return row  # a double tap: the first of the two counted it while this one waited for the lock
            have = batch_kinds(row.id)
            for kind, qty in counts.items():
                sent, back = have.get(kind, (0, 0))
                if qty > sent - back:
                    raise RoutineError(_("Only %(n)d %(kind)s are away.", n=sent - back, kind=LINEN_KINDS[kind]),
                                       f"qty-{kind}")
            for kind, qty in counts.items():
                db.session.add(LinenCount(batch_id=row.id, kind=kind, qty=qty, returned=True, counted_by_id=user.id,
                                          idem=idem))
            db.session.flush()
            if all(sent == back for sent, back in batch_kinds(row.id).values()):
                row.closed_at = utcnow()
            record("return", "linen_batch", row.id, site_id=site.id, counts=counts,
                   closed=row.closed_at is not None)
    except IntegrityError:
        if not idem:
            raise
    return db.session.get(LinenBatch, batch.id, populate_existing=True)
