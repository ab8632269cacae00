"""Prepared items (a pot of brewed tea, a cut fruit plate): saving their recipes and preparing them from raw stock.

The bar does not serve tea leaves or fruit by the 斤: it brews pots and cuts plates, serves those, and discards
what is left at closing (seed 002: 已切开的水果、已泡好的茶水…都要处理掉). A recipe says how much of each raw
item one prepared unit uses; preparing N writes +N of the prepared item and −N × quantity of each raw item, all
under one reference, so the consumption report shows the raw use and the prepared item's production apart.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..database import write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import Item, Site, User
from ..models.inventory import Preparation, RecipeLine
from . import ledger
from . import services as stock
from .ledger import StockError
from .reads.stock import ingredient_choices, recipe_of

THOUSANDTH = Decimal("0.001")


def _recipe_qty(raw: Item, value, field: str) -> Decimal:
    """A quantity per prepared unit: above zero, whole where the raw item is counted in whole units (else the
    book would hold half a 包 that no count can match)."""
    try:
        qty = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise StockError(_("Enter a number."), field) from None
    if not qty.is_finite():
        raise StockError(_("Enter a number."), field)
    if qty <= 0:
        raise StockError(_("Enter a quantity above zero, or leave it empty."), field)
    return stock.parse_qty(raw, qty, field)


def save_recipe(site: Site, user: User, item: Item, quantities: dict[int, str]) -> list[RecipeLine]:
    """Replace an item's recipe: a quantity per raw item (empty: not used; none at all: not prepared).

    Every wrong field is named at once, and nothing is saved while one is wrong.
    """
    if item.site_id != site.id or item.kind != "consumable":
        raise StockError(_("Only a consumable is prepared."), "form")
    offered = {i.id: i for i in ingredient_choices(item)}
    lines, errors = [], []
    for raw_id, value in sorted(quantities.items()):
        if value is None or str(value).strip() == "":
            continue
        field = f"qty-{raw_id}"
        raw = offered.get(raw_id)
        if raw is None:  # not a field of the form: said at its top
            errors.append(StockError(_("An item cannot be made from itself.") if raw_id == item.id
                                     else _("Choose the raw items from this site's list."), "form"))
            continue
        try:
            lines.append((raw, _recipe_qty(raw, value, field)))
        except StockError as e:
            errors.append(e)
    if lines and db.session.scalar(select(RecipeLine.id).where(RecipeLine.raw_item_id == item.id).limit(1)):
        errors.append(StockError(_("%(item)s is a raw item of another recipe, so it cannot be prepared itself.",
                                   item=item.label), "form"))
    if errors:
        raise stock.CountErrors(errors)
    with write_tx():
        now = {(r.raw_item_id, r.qty) for r in db.session.scalars(select(RecipeLine).where(
            RecipeLine.item_id == item.id).execution_options(populate_existing=True))}
        if now == {(raw.id, qty) for raw, qty in lines}:
            return recipe_of(item.id)  # the same recipe saved again: no second audit row
        db.session.execute(RecipeLine.__table__.delete().where(RecipeLine.item_id == item.id))
        for raw, qty in lines:
            db.session.add(RecipeLine(site_id=site.id, item_id=item.id, raw_item_id=raw.id, qty=qty))
        db.session.flush()
        stock.reprice(item.id, "form")
        record("recipe", "item", item.id, site_id=site.id, name=item.name,
               lines={raw.name: str(qty) for raw, qty in lines})
    return recipe_of(item.id)


def prepare(site: Site, user: User, item: Item, raw_qty, idem_key: str | None) -> Preparation:
    """Prepare N of an item from its recipe in one transaction: +N 'prepared', −N × quantity 'prep_used' of
    each raw item, all under ref ('prepare', id). Short raw stock is refused and nothing is written; a double
    tap (the same form's key) prepares once."""
    if item.site_id != site.id or not item.active:
        raise StockError(_("Unknown item."), "item_id")
    lines = recipe_of(item.id)
    if not lines:
        raise StockError(_("%(item)s has no recipe yet: the manager adds one.", item=item.label), "qty")
    n = stock.parse_qty(item, raw_qty, "qty", allow_zero=False)
    use = [(line.raw_item, (n * line.qty).quantize(THOUSANDTH, ROUND_HALF_UP)) for line in lines]
    for raw, need in use:
        if raw.whole and need != need.to_integral_value():  # half a 包 on the book could never match a count
            raise StockError(_("%(raw)s is counted in whole %(unit)s: prepare a number that uses whole %(unit)s.",
                               raw=raw.label, unit=raw.unit), "qty")
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(Preparation).where(Preparation.idem_key == idem_key))
            if done is not None:
                return done
        balances = ledger.on_hand(raw.id for raw, _q in use)
        for raw, need in use:
            if balances[raw.id] < need:
                raise StockError(_("Not enough %(raw)s for %(n)s %(unit)s: %(need)s %(raw_unit)s needed, "
                                   "%(left)s %(raw_unit)s in stock.", raw=raw.label, n=ledger.fmt(n), unit=item.unit,
                                   need=ledger.fmt(need), raw_unit=raw.unit, left=ledger.fmt(balances[raw.id])),
                                 "qty")
        prep = Preparation(site_id=site.id, item_id=item.id, qty=n, user_id=user.id, idem_key=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(prep)
        except IntegrityError:  # the same key from a concurrent double tap (PostgreSQL)
            return db.session.scalar(select(Preparation).where(Preparation.idem_key == idem_key))
        # The ledger checks the raw stock again under the items' locks: a colleague may have just used it.
        ledger.post(site.id, user.id, [(item, n, "prepared"), *((raw, -need, "prep_used") for raw, need in use)],
                    ref_type="prepare", ref_id=prep.id, idem_key=idem_key)
        record("prepare", "item", item.id, site_id=site.id, name=item.name, qty=n,
               used={raw.name: ledger.fmt(need) for raw, need in use})
    return prep
