"""Stock rules: who works which stock, items, manual moves, counts and discrepancies. One transaction per action."""
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import idempotency, photos
from ..alerts.services import emit as alert
from ..audit import record
from ..database import next_position, write_tx
from ..extensions import db
from ..forms import limited
from ..i18n import text as _
from ..models import (
    CountLine,
    Discrepancy,
    Item,
    Location,
    RoomVisit,
    Site,
    StockCount,
    StockMove,
    User,
    Visit,
    VisitEvent,
)
from ..models.core import utcnow
from ..models.inventory import COUNT_KINDS, LINE_PROBLEMS, SERVE_AS, RecipeLine
from ..permissions import MODEL_ROOM, WATER_BAR, can
from . import ledger
from .ledger import StockError
from .reads.stock import STOCK_LOCATION_KINDS, book_mark, location_items, open_count

MAX_QTY = Decimal(100000)
# The kinds of stock location each post counts and moves stock at (the lead and the manager: every kind).
POST_LOCATIONS = {WATER_BAR: ("water_bar",), MODEL_ROOM: ("model_room",)}
MANUAL_REASONS = ("served", "discarded", "damaged", "received", "found", "lost")


def parse_qty(item: Item | None, raw, field: str = "qty", allow_zero: bool = True) -> Decimal:
    """A quantity typed on a phone: a number, not negative, not absurd, whole where the unit is."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise StockError(_("Enter a number."), field) from None
    if not value.is_finite():
        raise StockError(_("Enter a number."), field)
    if value < 0:
        raise StockError(_("The quantity cannot be negative."), field)
    if value == 0 and not allow_zero:
        raise StockError(_("Enter a quantity above zero."), field)
    if value > MAX_QTY:
        raise StockError(_("That is more than %(n)s: check the number.", n=MAX_QTY), field)
    if item is not None and item.whole and value != value.to_integral_value():
        raise StockError(_("%(item)s is counted in whole %(unit)s.", item=item.label, unit=item.unit), field)
    if value != value.quantize(Decimal("0.001")):
        raise StockError(_("At most three decimal places."), field)
    return value


def quantities_for(items: dict[int, Item], quantities: dict[int, str]) -> list[tuple[Item, Decimal]]:
    """The (item, quantity) pairs a per-item form filled in; empty and zero fields are skipped.

    Refuses an item not offered on the form, a bad number (under its field), or nothing at all.
    """
    out = []
    for item_id, raw in quantities.items():
        if raw is None or str(raw).strip() in ("", "0"):
            continue
        item = items.get(item_id)
        if item is None:
            raise StockError(_("Unknown item."))
        out.append((item, parse_qty(item, raw, f"qty-{item_id}")))
    if not out:
        raise StockError(_("Enter a quantity for at least one item."), "qty")
    return out


def worked_kinds(user: User) -> tuple[str, ...]:
    """The kinds of stock location this user counts and moves stock at (what reads.stock filters by)."""
    if can(user, "stock.everywhere"):
        return STOCK_LOCATION_KINDS
    return POST_LOCATIONS.get(user.post, ())


def can_handle(user: User, location: Location) -> bool:
    """Whether this user counts and moves stock at this location."""
    return can(user, "stock.everywhere") or location.kind in POST_LOCATIONS.get(user.post, ())


def may_see_count(user: User, count: StockCount) -> bool:
    """Whether this user opens this count: who works its location, and security, who witnesses any count."""
    return can_handle(user, count.location) or can(user, "stock.witness")


def save_item(site: Site, user: User, item: Item | None, *, location_id: int, kind: str, name: str,
              name_en: str | None, unit: str, whole: bool, pack_size: int, par_level: Decimal,
              unit_price: Decimal, discard_at_close: bool, expected_qty: Decimal | None,
              active: bool = True, initial_qty: Decimal | None = None, serve_as: str | None = "drink",
              photo: str | None = None, idem_key: str | None = None) -> Item:
    """Create or edit an item; a new item's starting stock is an 'opening' ledger row; `photo`: its new photo, stored
    already (the old file stays). A new-item form sent twice (its key) adds one; an edit saved twice records one."""
    location = db.session.get(Location, location_id)
    if location is None or location.site_id != site.id or location.kind not in STOCK_LOCATION_KINDS:
        raise StockError(_("Choose the water bar or a model room."), "location_id")
    serve_as = serve_as or None
    if serve_as not in (None, *SERVE_AS):
        raise StockError(_("Choose how the serve form offers it."), "serve_as")
    if kind != "consumable" or location.kind != "water_bar":
        serve_as = None  # only the bar's consumables are served to guests
    values = dict(location_id=location_id, kind=kind, name=name.strip(), name_en=(name_en or "").strip() or None,
                  unit=unit.strip(), whole=whole, pack_size=pack_size, par_level=par_level, unit_price=unit_price,
                  discard_at_close=discard_at_close, expected_qty=expected_qty, active=active, serve_as=serve_as)
    with write_tx():
        if item is None and (earlier := idempotency.claim(idem_key, "stock_item", site.id)) is not None:
            return db.session.get(Item, earlier)
        current = db.session.get(Item, item.id, populate_existing=True) if item is not None else None
        if current is not None and photo is None and all(getattr(current, k) == v for k, v in values.items()):
            return current  # the same edit saved again: nothing changes, nothing is recorded
        dup = select(Item.id).where(Item.location_id == location_id, func.lower(Item.name) == name.strip().lower())
        if item is not None:
            dup = dup.where(Item.id != item.id)
        if db.session.scalar(dup.limit(1)):
            raise StockError(_("This location already has an item of that name."), "name")
        action = "update"
        if item is None:
            item = Item(site_id=site.id, position=next_position(Item.position, Item.location_id == location_id))
            db.session.add(item)
            action = "create"
        else:
            # Its price may reprice what is made from it: lock them all in the ledger's order first, as a
            # preparation does, so the two never wait on each other (PostgreSQL deadlocked otherwise).
            ledger.lock_items(sorted({item.id, *db.session.scalars(
                select(RecipeLine.item_id).where(RecipeLine.raw_item_id == item.id))}))
            item = db.session.get(Item, item.id)
        for key, value in values.items():
            setattr(item, key, value)
        db.session.flush()
        idempotency.done(idem_key, "stock_item", site.id, item.id)  # names the new item (an edit claims no key)
        reprice(item.id)
        start = initial_qty if initial_qty is not None else (expected_qty if kind == "fixture" else None)
        if action == "create" and start:
            ledger.post(site.id, user.id, [(item, start, "opening")], ref_type="item", ref_id=item.id)
        record(action, "item", item.id, site_id=site.id, name=item.name, kind=kind, location=location.name,
               par_level=par_level, unit_price=item.unit_price, active=active, initial_qty=start,
               serve_as=serve_as)
        if photo:
            before, item.photo = item.photo, photo
            record("photo", "item", item.id, site_id=site.id, photo=photo, before=before)
    return item


MAX_PRICE = Decimal("9999999999.99")  # what the unit price column (Numeric(12, 2)) holds


def reprice(item_id: int, field: str = "unit_price") -> None:
    """A prepared item costs what its recipe's raw items cost: its unit price follows its recipe, and the
    prices of the items it is made of. The visit's served cost and the reports read the unit price."""
    made_from_it = select(RecipeLine.item_id).where(RecipeLine.raw_item_id == item_id)
    ids = {item_id, *db.session.scalars(made_from_it)}
    costs = db.session.execute(
        select(RecipeLine.item_id, func.sum(RecipeLine.qty * Item.unit_price).label("cost"))
        .join(Item, Item.id == RecipeLine.raw_item_id).where(RecipeLine.item_id.in_(ids))
        .group_by(RecipeLine.item_id)).all()
    for r in costs:
        price = Decimal(str(r.cost)).quantize(Decimal("0.01"))
        if price > MAX_PRICE:  # the price column's limit: PostgreSQL refuses more, SQLite would keep it
            raise StockError(_("A unit made by this recipe would cost more than ¥%(max)s.", max=MAX_PRICE), field)
        db.session.get(Item, r.item_id).unit_price = price
    db.session.flush()


def record_moves(site: Site, user: User, location: Location, reason: str, quantities: dict[int, str],
                 note: str | None, idem_key: str | None, ref_type: str = "manual") -> list[StockMove]:
    """Post served / discarded / damaged … for several items of a location in one transaction."""
    if reason not in MANUAL_REASONS:
        raise StockError(_("Choose what happened."), "reason")
    if reason in ("lost", "found") and not can(user, "stock.adjust"):
        raise StockError(_("Only the manager records lost or found stock; count instead."), "reason")
    note = limited(note, 200, "note", StockError)
    entries = [(item, -qty if reason in ("served", "discarded", "damaged", "lost") else qty, reason)
               for item, qty in quantities_for({i.id: i for i in location_items(location.id)}, quantities)]
    with write_tx():
        if idem_key and (done := ledger.posted(idem_key, entries)):
            return done  # the same form again: the first's rows, and no second audit row
        rows = ledger.post(site.id, user.id, entries, ref_type=ref_type, note=note, idem_key=idem_key)
        record(reason, "stock", location.id, site_id=site.id,
               items={i.name: str(q) for i, q, _r in entries}, note=note)
    return rows


def reverse_move(site: Site, user: User, move: StockMove, note: str) -> StockMove:
    note = limited(note, 200, "note", StockError)
    if not note:
        raise StockError(_("Say why this move is being reversed."), "note")
    with write_tx():
        move = db.session.get(StockMove, move.id)
        if move.ref_type == "visit" and move.ref_id:
            # A served row's reversal lowers the visit's cost: take the visit before the items, in the order a
            # serve takes them, or the two deadlock on PostgreSQL.
            _locked(Visit, move.ref_id)
        row = ledger.reverse(move, user.id, note)
        record("reverse", "stock_move", move.id, site_id=site.id, item=move.item.name, qty=move.qty, note=note)
    return row


def _locked(model, ident: int):
    """Load a row to change it, fresh: a row lock on PostgreSQL, where two requests would otherwise both
    see it unchanged and both act (SQLite's write lock is already held by write_tx)."""
    q = select(model).where(model.id == ident)
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one()


def start_count(site: Site, user: User, location: Location, kind: str,
                ref_type: str | None = None, ref_id: int | None = None) -> StockCount:
    """Open a count of a location; the same person resumes theirs, anyone else is told who counts."""
    if kind not in COUNT_KINDS:
        raise StockError(_("Choose the kind of count."), "kind")
    with write_tx():
        current = open_count(location.id)
        if current is not None:
            if current.started_by_id == user.id:
                return current
            raise StockError(_("%(name)s is counting %(place)s right now. Wait until they finish.",
                               name=current.started_by.name, place=location.name))
        count = StockCount(site_id=site.id, location_id=location.id, kind=kind, started_by_id=user.id,
                           ref_type=ref_type, ref_id=ref_id)
        try:
            with db.session.begin_nested():
                db.session.add(count)
        except IntegrityError:
            raise StockError(_("Someone else started counting %(place)s a moment ago.",
                               place=location.name)) from None
        record("start", "stock_count", count.id, site_id=site.id, location=location.name, kind=kind)
    return count


def cancel_count(site: Site, user: User, count: StockCount) -> None:
    if count.status != "open":
        raise StockError(_("This count is already submitted."))
    if user.id != count.started_by_id and not can(user, "stock.cancel_any"):
        raise StockError(_("Only the person counting or the manager can cancel a count."))
    with write_tx():
        count = _locked(StockCount, count.id)
        if count.status != "open":
            raise StockError(_("This count is already submitted."))
        count.status = "cancelled"
        count.submitted_at = utcnow()
        record("cancel", "stock_count", count.id, site_id=site.id)


def parse_problems(items: list[Item], problems: dict[int, dict] | None) -> tuple[dict[int, dict], list]:
    """The problems marked on a count (missing / damaged / moved + note + photo), checked; errors listed."""
    out, errors = {}, []
    for item in items:
        raw = (problems or {}).get(item.id) or {}
        kind = (raw.get("problem") or "").strip()
        note = (raw.get("note") or "").strip()
        photo = raw.get("photo")
        if not kind:
            if note or photo:
                errors.append(StockError(_("Say what is wrong with %(item)s.", item=item.label), f"problem-{item.id}"))
            continue
        if kind not in LINE_PROBLEMS:
            errors.append(StockError(_("Say what is wrong with %(item)s.", item=item.label), f"problem-{item.id}"))
        elif not note:
            errors.append(StockError(_("Add a note: what did you see?"), f"note-{item.id}"))
        elif len(note) > 200:
            errors.append(StockError(_("Keep the note under 200 characters."), f"note-{item.id}"))
        else:
            out[item.id] = {"problem": kind, "note": note, "photo": photo}
    return out, errors


def _store_problem_photos(problems: dict[int, dict]) -> tuple[dict[int, str], list]:
    names, errors = {}, []
    for item_id, p in problems.items():
        if p["photo"] is None:
            continue
        try:
            names[item_id] = photos.store(p["photo"], "counts")
        except photos.PhotoError as e:
            errors.append(StockError(e.message, f"photo-{item_id}"))
    return names, errors


class CountConflict(StockError):
    """A count sent later from the phone's outbox after its book moved (or it was cancelled): nothing saved (409)."""


def submit_count(site: Site, user: User, count: StockCount, counted: dict[int, str] | None,
                 all_match: bool = False, problems: dict[int, dict] | None = None,
                 made_at: datetime | None = None, book: int | None = None) -> StockCount:
    """Compare what was counted with the book; a difference or a marked problem opens a discrepancy.

    `problems` maps item ids to {"problem": missing|damaged|moved, "note": str, "photo": upload or None}.
    `made_at` is the phone's time of a submit sent from its outbox, `book` the form's book_mark(): when the book
    moved in between (a drink served, goods received), the count no longer says what it said: CountConflict.
    """
    if count.status != "open":
        if count.status in ("matched", "discrepancy") and count.started_by_id == user.id:
            return count  # a double tap on submit, or the outbox sending it again
        if made_at is not None:
            raise CountConflict(_("This count was cancelled before the phone could send it: nothing was saved."))
        raise StockError(_("This count is already closed."))
    if count.started_by_id != user.id:
        raise StockError(_("Only the person who started this count can submit it."))
    items = location_items(count.location_id)
    values = {}
    marked, errors = parse_problems(items, problems)
    if all_match and marked:
        raise StockError(_("You marked a problem: enter the count and submit it instead of “All match”."))
    if not all_match:
        for item in items:
            raw = (counted or {}).get(item.id)
            if raw is None or str(raw).strip() == "":
                errors.append(StockError(_("Count %(item)s.", item=item.label), f"qty-{item.id}"))
                continue
            try:
                values[item.id] = parse_qty(item, raw, f"qty-{item.id}")
            except StockError as e:
                errors.append(e)
    if errors:
        raise CountErrors(errors)
    names, errors = _store_problem_photos(marked)
    if errors:
        for name in names.values():
            photos.remove("counts", name)
        raise CountErrors(errors)
    try:
        return _save_count(site, count, items, values, all_match, marked, names,
                           (made_at, book) if made_at is not None else None)
    except BaseException:
        for name in names.values():
            photos.remove("counts", name)
        raise


def _save_count(site: Site, count: StockCount, items: list[Item], values: dict, all_match: bool,
                marked: dict[int, dict], names: dict[int, str],
                outbox: tuple[datetime, int | None] | None = None) -> StockCount:
    with write_tx():
        count = _locked(StockCount, count.id)
        if count.status != "open":
            for name in names.values():
                photos.remove("counts", name)
            return count
        if outbox is not None:
            ledger.lock_items([i.id for i in items])
            if outbox[1] is not None and book_mark(count.location_id) != outbox[1]:
                raise CountConflict(_("The stock of %(place)s changed while this count waited on the phone: nothing "
                                      "was saved. Open the count and count again.",
                                      place=db.session.get(Location, count.location_id).name))
            count.made_at = outbox[0]
        book = ledger.on_hand([i.id for i in items])
        diffs = 0
        for item in items:
            got = book[item.id] if all_match else values[item.id]
            p = marked.get(item.id) or {}
            db.session.add(CountLine(count_id=count.id, item_id=item.id, expected=book[item.id], counted=got,
                                     problem=p.get("problem"), note=p.get("note"), photo=names.get(item.id)))
            diffs += got != book[item.id] or item.id in marked
        count.submitted_at, count.all_matched_tap = utcnow(), all_match
        count.status = "discrepancy" if diffs else "matched"
        if diffs:
            disc = Discrepancy(site_id=site.id, count_id=count.id, location_id=count.location_id)
            if count.ref_type == "visit" and count.ref_id:
                _tie_to_visit(disc, count)
            db.session.add(disc)
            alert(site.id, "discrepancy", _("Stock count at %(place)s differs from the book: %(n)s items.",
                                            place=db.session.get(Location, count.location_id).name, n=diffs))
        record("submit", "stock_count", count.id, site_id=site.id, status=count.status, differences=diffs,
               all_match=all_match, problems={str(k): v["problem"] for k, v in marked.items()})
    return count


def _tie_to_visit(disc: Discrepancy, count: StockCount) -> None:
    """A count after a visitor group: the discrepancy names the visit and the rep who escorted it, and the
    visit's timeline gets a row, which also moves the live panels (the manager's shows the alert)."""
    visit = db.session.get(Visit, count.ref_id)
    if visit is None:
        return
    rep_id = db.session.scalar(select(RoomVisit.rep_id).where(RoomVisit.count_id == count.id)) or visit.rep_id
    disc.visit_id, disc.rep_id = visit.id, rep_id
    db.session.add(VisitEvent(visit_id=visit.id, site_id=visit.site_id, kind="discrepancy",
                              user_id=count.started_by_id, detail={"room": count.location.name}))


class CountErrors(StockError):
    """Several fields of a form (a count, a recipe) are wrong at once."""

    def __init__(self, errors: list[StockError]):
        super().__init__(errors[0].message, errors[0].field)
        self.errors = {e.field: e.message for e in errors}


def confirm_discrepancy(site: Site, user: User, disc: Discrepancy, note: str | None) -> Discrepancy:
    """The security guard on duty checks the difference with the attendant (与当班保安核对)."""
    if not can(user, "stock.confirm"):
        raise StockError(_("The security guard on duty confirms a discrepancy."))
    note = limited(note, 500, "note", StockError)
    with write_tx():
        disc = _locked(Discrepancy, disc.id)
        if disc.status != "open":
            raise StockError(_("This discrepancy has already been confirmed."))
        disc.status, disc.confirmed_by_id, disc.confirmed_at = "confirmed", user.id, utcnow()
        disc.confirm_note = note
        record("confirm", "discrepancy", disc.id, site_id=site.id, note=disc.confirm_note)
    return disc


CLOSE_REASONS = ("lost", "damaged", "found", "adjusted")


def close_discrepancy(site: Site, user: User, disc: Discrepancy, reason: str, note: str) -> Discrepancy:
    """The manager closes a confirmed discrepancy; correcting rows bring the book to the count."""
    if not can(user, "stock.close"):
        raise StockError(_("Only the manager closes a discrepancy."))
    if reason not in CLOSE_REASONS:
        raise StockError(_("Choose a reason."), "reason")
    note = limited(note, 500, "note", StockError)
    if not note:
        raise StockError(_("Write what was found out."), "note")
    with write_tx():
        disc = _locked(Discrepancy, disc.id)
        if disc.status == "closed":
            raise StockError(_("This discrepancy is already closed."))
        if disc.status != "confirmed":
            raise StockError(_("Security has not confirmed this discrepancy yet."))
        entries = []
        for line in disc.count.lines:
            diff = line.difference
            if diff == 0:
                continue
            if diff < 0:
                why = reason if reason in ("lost", "damaged") else "adjusted"
            else:
                why = "found" if reason == "found" else "adjusted"
            entries.append((line.item, diff, why))
        ledger.post(site.id, user.id, entries, ref_type="discrepancy", ref_id=disc.id, note=note[:200],
                    allow_negative=True)
        disc.status, disc.closed_by_id, disc.closed_at = "closed", user.id, utcnow()
        disc.close_reason, disc.close_note = reason, note
        record("close", "discrepancy", disc.id, site_id=site.id, reason=reason, note=disc.close_note)
    return disc

