"""The stock ledger: the one place that writes stock moves and reads what is on hand."""
from decimal import Decimal

from sqlalchemy import bindparam, select, update

from ..database import select_rows
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Item, StockMove, Visit
from ..models.inventory import IN_REASONS, OUT_REASONS
from . import rollup


class StockError(RuleError):
    """A stock rule said no; `field` names the form field the message belongs under."""


# An item's stock on hand as SQL: the running balance on its newest ledger row (for reads that list items).
NEWEST_BALANCE = (select(StockMove.balance_after).where(StockMove.item_id == Item.id)
                   .order_by(StockMove.id.desc()).limit(1).correlate(Item).scalar_subquery())
_ON_HAND = select(Item.id, NEWEST_BALANCE.label("balance")).where(Item.id.in_(bindparam("ids", expanding=True)))


def on_hand(item_ids) -> dict[int, Decimal]:
    """Stock of each item: the running balance on its newest ledger row (one indexed seek each)."""
    ids = list(item_ids)
    if not ids:
        return {}
    return {r.id: (r.balance if r.balance is not None else Decimal(0)) for r in select_rows(_ON_HAND, {"ids": ids})}


def lock_items(ids: list[int]) -> None:
    """Serialize writers per item. SQLite already holds the write lock (BEGIN IMMEDIATE).

    FOR NO KEY UPDATE, not FOR UPDATE: a row that references an item (a preparation, a count line) takes a
    KEY SHARE lock on it, which FOR UPDATE waits for. Two baristas who each inserted their preparation of the
    same pot and then locked [leaves, pot] deadlocked; NO KEY UPDATE still serializes the ledger's writers."""
    if db.session.get_bind().dialect.name == "postgresql":
        lock = select(Item.id).where(Item.id.in_(ids)).order_by(Item.id).with_for_update(key_share=True)
        db.session.execute(lock)  # key_share without read: FOR NO KEY UPDATE


def post(site_id: int, user_id: int, entries, *, ref_type: str | None = None, ref_id: int | None = None,
         note: str | None = None, idem_key: str | None = None, allow_negative: bool = False,
         reverses: dict[int, int] | None = None) -> list[StockMove]:
    """Append ledger rows for (item, signed qty, reason) entries inside the caller's transaction.

    A repeated idempotency key returns the rows the first request wrote and writes nothing.
    """
    entries = [(item, Decimal(qty), reason) for item, qty, reason in entries if Decimal(qty) != 0]
    if not entries:
        return []
    ids = sorted({item.id for item, _q, _r in entries})
    lock_items(ids)
    if idem_key:
        done = db.session.scalars(select(StockMove).where(StockMove.idem_key == idem_key)).all()
        if done:
            return list(done)
    balances = on_hand(ids)
    rows = []
    for item, qty, reason in entries:
        if item.site_id != site_id:
            raise StockError(_("Unknown item."))
        if reason in OUT_REASONS and qty > 0 or reason in IN_REASONS and qty < 0:
            raise StockError(_("Wrong sign for this kind of move."), "qty")
        balance = balances[item.id] + qty
        if balance < 0 and not allow_negative:
            raise StockError(_("Only %(n)s %(unit)s of %(item)s in stock.", n=fmt(balances[item.id]),
                               unit=item.unit, item=item.label), "qty")
        balances[item.id] = balance
        row = StockMove(site_id=site_id, item_id=item.id, qty=qty, balance_after=balance, reason=reason,
                        user_id=user_id, note=note, ref_type=ref_type, ref_id=ref_id, idem_key=idem_key,
                        reverses_id=(reverses or {}).get(item.id))
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    rollup.add(site_id, rows)
    return rows


def posted(idem_key: str, entries) -> list[StockMove]:
    """The rows a form's key already posted, read under the items' locks: a double tap's second request waits
    there for the first, then finds its rows."""
    lock_items(sorted({item.id for item, _q, _r in entries}))
    return list(db.session.scalars(select(StockMove).where(StockMove.idem_key == idem_key)))


def reverse(move: StockMove, user_id: int, note: str) -> StockMove:
    """Undo a mistaken row with a reversing row; the original stays as it was.

    A row of a preparation is undone with the whole preparation: a pot without its tea leaves (or leaves used
    for no pot) would leave what was made and the raw use behind it out of step.
    """
    if move.reason == "reversal":
        raise StockError(_("A reversal cannot itself be reversed; record a new move instead."))
    group = [move]
    if move.ref_type == "prepare" and move.ref_id:
        group = list(db.session.scalars(select(StockMove).where(
            StockMove.ref_type == "prepare", StockMove.ref_id == move.ref_id, StockMove.site_id == move.site_id)
            .order_by(StockMove.id)))
    # Locked first, so a concurrent double tap waits here and then sees the first reversal.
    lock_items(sorted({m.item_id for m in group}))
    if db.session.scalar(select(StockMove.id).where(StockMove.reverses_id.in_([m.id for m in group])).limit(1)):
        raise StockError(_("This move has already been reversed."))
    rows = post(move.site_id, user_id, [(m.item, -m.qty, "reversal") for m in group], ref_type="reversal",
                ref_id=move.id, note=note, allow_negative=True, reverses={m.item_id: m.id for m in group})
    row = next(r for r in rows if r.reverses_id == move.id)
    if move.ref_type == "visit" and move.reason == "served" and move.ref_id:
        # The visit's cost drops by what this row had added (served rows are negative).
        db.session.execute(update(Visit).where(Visit.id == move.ref_id)
                           .values(served_cost=Visit.served_cost + move.qty * move.item.unit_price))
    return row


def fmt(qty: Decimal) -> str:
    """A quantity without trailing zeros."""
    text = f"{qty:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
