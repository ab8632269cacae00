"""What the stock screens read: the stock locations and their items, counts and discrepancies, the items list and
an item's ledger, recipes, the prepare page and what is below par."""
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import contains_eager, joinedload

from ...database import Reads, read_panels, select_rows
from ...extensions import db
from ...models import Discrepancy, Item, Location, StockCount, StockMove, User
from ...models.checklists import _localized
from ...models.inventory import RecipeLine
from .. import ledger

# The kinds of location that hold stock.
STOCK_LOCATION_KINDS = ("water_bar", "model_room")
LEDGER_PAGE = 50

_STOCK_LOCATIONS = (select(Location.id, Location.name, Location.kind)
                    .where(Location.site_id == bindparam("site_id"), Location.active.is_(True),
                           Location.kind.in_(bindparam("kinds", expanding=True)))
                    .order_by(Location.position))


def stock_locations(site_id: int, kinds: Iterable[str] = STOCK_LOCATION_KINDS) -> list[Row]:
    """The water bar and model rooms of a site (of these kinds: the ones a user works, services.worked_kinds),
    as rows of id, name and kind: the stock page's cards, the today screens' tiles, the item form's choices."""
    if not kinds:
        return []
    return select_rows(_STOCK_LOCATIONS, {"site_id": site_id, "kinds": list(kinds)}).all()


def locations_reads(site_id: int, kinds: Iterable[str]) -> Reads:
    """stock_locations() (kinds: at least one) for a screen that reads its panels at once: `stock_locations`."""
    return Reads({"locations": _STOCK_LOCATIONS}, {"site_id": site_id, "kinds": list(kinds)},
                 lambda got: {"stock_locations": got["locations"]})


_WATER_BAR = (select(Location).where(Location.site_id == bindparam("site_id"), Location.active.is_(True),
                                     Location.kind == "water_bar").order_by(Location.position).limit(1))


def water_bar(site_id: int) -> Location | None:
    """The site's water bar, the place closing the bar is about."""
    return db.session.scalar(_WATER_BAR, {"site_id": site_id})


_LOCATION_ITEMS = (select(Item).where(Item.location_id == bindparam("location_id"), Item.active.is_(True))
                   .order_by(Item.position, Item.id))


def location_items(location_id: int) -> list[Item]:
    """The items in use at a location, in their order (what is counted and moved there)."""
    return list(db.session.scalars(_LOCATION_ITEMS, {"location_id": location_id}))


# Each item's newest move is one seek in the (item_id, id) index; a join of the moves to the items would read a year
# of the location's ledger instead.
_NEWEST_MOVE = select(func.max(StockMove.id)).where(StockMove.item_id == Item.id).correlate(Item).scalar_subquery()
_BOOK_MARK = select(func.max(_NEWEST_MOVE)).where(_LOCATION_ITEMS.whereclause)


def book_mark(location_id: int) -> int:
    """The newest ledger row of a location's items in use (0 before any). The count form carries it, so that a count
    sent later from the phone's outbox knows whether the book it was compared with has moved since."""
    return select_rows(_BOOK_MARK, {"location_id": location_id}).scalar() or 0


# The items in use at a location with what each has on hand and its newest ledger row: one statement where
# location_items(), ledger.on_hand() and book_mark() took three (the location page and the count form).
_LOCATION_STOCK = _LOCATION_ITEMS.add_columns(ledger.NEWEST_BALANCE.label("balance"), _NEWEST_MOVE.label("newest"))


class LocationStock(NamedTuple):
    items: list[Item]
    on_hand: dict[int, Decimal]  # ledger.on_hand() of the items
    book_mark: int  # book_mark() of the location


def location_stock(location_id: int) -> LocationStock:
    """location_items(), their stock on hand and the location's book_mark(), in one read."""
    rows = db.session.execute(_LOCATION_STOCK, {"location_id": location_id}).all()
    return LocationStock([r.Item for r in rows],
                         {r.Item.id: r.balance if r.balance is not None else Decimal(0) for r in rows},
                         max((r.newest or 0 for r in rows), default=0))


def open_count(location_id: int) -> StockCount | None:
    """The count in progress at a location, if any (there is at most one)."""
    return db.session.scalar(select(StockCount).where(StockCount.location_id == location_id,
                                                      StockCount.status == "open"))


# The open discrepancies' cards (on the today screens of security, the lead and the manager): only what a
# card shows, as plain rows in one prebuilt statement (no ORM objects to build on every screen load).
_OPEN_DISCREPANCIES = (
    select(Discrepancy.id, Discrepancy.status, Discrepancy.opened_at, Location.name.label("location_name"),
           User.name.label("counted_by"))
    .join(Location, Location.id == Discrepancy.location_id)
    .join(StockCount, StockCount.id == Discrepancy.count_id)
    .join(User, User.id == StockCount.started_by_id)
    .where(Discrepancy.site_id == bindparam("site_id"), Discrepancy.status != "closed")
    .order_by(Discrepancy.id.desc()))


def open_discrepancies(site_id: int) -> list[Row]:
    """Rows of id, status, opened_at, location_name and counted_by, newest first."""
    return select_rows(_OPEN_DISCREPANCIES, {"site_id": site_id}).all()


def discrepancies_reads(site_id: int) -> Reads:
    """open_discrepancies() for a screen that reads its panels at once (database.read_panels): `discrepancies`."""
    return Reads({"open": _OPEN_DISCREPANCIES}, {"site_id": site_id}, lambda got: {"discrepancies": got["open"]})


def discrepancy_of(count_id: int) -> int | None:
    """The id of the discrepancy a count opened, if it did."""
    return db.session.scalar(select(Discrepancy.id).where(Discrepancy.count_id == count_id))


def site_items(site_id: int) -> list[Item]:
    """Every item of a site with its location, in the locations' order (the manager's items list)."""
    return list(db.session.scalars(
        select(Item).join(Item.location).where(Item.site_id == site_id)
        .order_by(Location.position, Item.position, Item.id).options(contains_eager(Item.location))))


class BarItem(NamedTuple):
    """A water-bar consumable as the consumption report reads it: plain columns, not a mapped object (a report
    reads sixty of them)."""
    id: int
    name: str
    name_en: str | None
    unit: str
    unit_price: Decimal | None

    @property
    def label(self) -> str:
        return _localized(self.name, self.name_en)


_BAR_CONSUMABLES = (select(Item.id, Item.name, Item.name_en, Item.unit, Item.unit_price).join(Location)
                    .where(Item.site_id == bindparam("site_id"), Item.kind == "consumable",
                           Location.kind == "water_bar").order_by(Item.position, Item.id))


def bar_consumables(site_id: int) -> list[BarItem]:
    """The water bar's consumables, in use or not (the consumption report lists what moved)."""
    return [BarItem(*r) for r in select_rows(_BAR_CONSUMABLES, {"site_id": site_id})]


class LedgerPage(NamedTuple):
    """A page of an item's ledger, newest first: rows of the moves, whether older ones follow, and which of
    the rows were reversed."""
    rows: list[Row]
    more: bool
    reversed_ids: set[int]


_LEDGER_ROWS = (select(StockMove.id, StockMove.at, StockMove.reason, StockMove.note, StockMove.ref_type,
                       StockMove.qty, StockMove.balance_after, User.name.label("user_name"))
                .join(User, User.id == StockMove.user_id)
                .where(StockMove.item_id == bindparam("item_id")).order_by(StockMove.id.desc())
                .limit(LEDGER_PAGE + 1))
_REVERSED = select(StockMove.reverses_id).where(StockMove.reverses_id.in_(bindparam("ids", expanding=True)))


def ledger_page(item_id: int, before: int | None = None) -> LedgerPage:
    """The item's moves older than `before` (a move id; None: the newest), a page at a time."""
    stmt = _LEDGER_ROWS.where(StockMove.id < before) if before else _LEDGER_ROWS
    rows = select_rows(stmt, {"item_id": item_id}).all()
    rows, more = rows[:LEDGER_PAGE], len(rows) > LEDGER_PAGE
    reversed_ids = {r.reverses_id for r in select_rows(_REVERSED, {"ids": [r.id for r in rows]})} if rows else set()
    return LedgerPage(rows, more, reversed_ids)


def recipe_of(item_id: int) -> list[RecipeLine]:
    """The raw lines of one item's recipe (empty: the item is not prepared), with their raw items."""
    return list(db.session.scalars(select(RecipeLine).where(RecipeLine.item_id == item_id)
                                   .options(joinedload(RecipeLine.raw_item)).order_by(RecipeLine.id)))


# Which of the items `ids` are prepared (a statement another screen's reads can go with).
PREPARED_AMONG = (select(RecipeLine.item_id).where(RecipeLine.item_id.in_(bindparam("ids", expanding=True)))
                  .distinct())


def prepared_ids(item_ids) -> set[int]:
    """Which of these items are prepared (have a recipe)."""
    ids = list(item_ids)
    if not ids:
        return set()
    return {r.item_id for r in select_rows(PREPARED_AMONG, {"ids": ids})}


def ingredient_choices(item: Item) -> list[Item]:
    """What a recipe of this item may use: the other consumables in use at the same location (whoever prepares
    it may move that stock, and no other) that are not prepared themselves (a recipe of recipes could go round
    in a circle)."""
    prepared = select(RecipeLine.item_id)
    return list(db.session.scalars(
        select(Item).join(Location).where(Item.site_id == item.site_id, Item.id != item.id,
                                          Item.location_id == item.location_id,  # the bar's own stock
                                          Item.kind == "consumable", Item.active.is_(True),
                                          Item.id.not_in(prepared))
        .order_by(Location.position, Item.position, Item.id)))


@dataclass
class Preparable:
    """A prepared item as the prepare page shows it: its recipe and what is on hand."""
    item: Item
    lines: list[RecipeLine]
    on_hand: Decimal


def preparable(site_id: int, kinds: Iterable[str]) -> list[Preparable]:
    """The prepared items at the locations of these kinds (the ones a user works), with recipes and stock."""
    lines = db.session.scalars(
        select(RecipeLine).join(Item, Item.id == RecipeLine.item_id).join(Location, Location.id == Item.location_id)
        .where(RecipeLine.site_id == site_id, Item.active.is_(True), Location.kind.in_(kinds))
        .options(joinedload(RecipeLine.item), joinedload(RecipeLine.raw_item))
        .order_by(Location.position, Item.position, Item.id, RecipeLine.id)).all()
    by_item: dict[int, Preparable] = {}
    for line in lines:
        by_item.setdefault(line.item_id, Preparable(line.item, [], Decimal(0))).lines.append(line)
    ids = set(by_item) | {line.raw_item_id for p in by_item.values() for line in p.lines}
    balances = ledger.on_hand(ids)
    for p in by_item.values():
        p.on_hand = balances[p.item.id]
    return list(by_item.values())


class BelowPar(NamedTuple):
    """A consumable short of its par: what the below-par list shows (label in the user's language)."""
    item_id: int
    label: str
    location_name: str
    unit: str
    on_hand: Decimal
    par: Decimal
    shortfall: Decimal


# Stock on hand is the ledger's newest balance (ledger.NEWEST_BALANCE, its one home); an item never moved has none.
_ON_HAND_SQL = func.coalesce(ledger.NEWEST_BALANCE, 0)
# The location's site too (it is the item's): a generic plan then seeks the site's locations instead of joining the
# site's items to every site's (231 locations, 2,070 rows filtered away on the bench).
_BELOW_PAR_WHERE = (Item.site_id == bindparam("site_id"), Location.site_id == bindparam("site_id"),
                    Item.kind == "consumable", Item.active.is_(True), Location.active.is_(True), Item.par_level > 0,
                    _ON_HAND_SQL < Item.par_level)
_BELOW_PAR = (select(Item.id, Item.name, Item.name_en, Item.unit, Item.par_level,
                     _ON_HAND_SQL.label("on_hand"), Location.name.label("location_name"))
              .join(Location, Location.id == Item.location_id).where(*_BELOW_PAR_WHERE)
              .order_by(Location.position, Item.position, Item.id))
_BELOW_PAR_COUNT = (select(func.count(Item.id).label("below_par")).select_from(Item)
                    .join(Location, Location.id == Item.location_id).where(*_BELOW_PAR_WHERE))


def below_par(site_id: int) -> list[BelowPar]:
    """The site's consumables in use whose stock on hand is below their par level (par set), in the locations'
    order, with where they are kept and how much is short."""
    out = []
    for r in select_rows(_BELOW_PAR, {"site_id": site_id}):
        # SQLite hands computed numbers back as floats: through str, as Decimal, like the columns.
        on_hand, par = Decimal(str(r.on_hand)), Decimal(str(r.par_level))
        out.append(BelowPar(r.id, _localized(r.name, r.name_en), r.location_name, r.unit, on_hand, par,
                            par - on_hand))
    return out


def below_par_count(site_id: int) -> int:
    """How many of the site's consumables are below par (one counting statement, the list's conditions)."""
    return read_panels(below_par_reads(site_id))["below_par"]


def below_par_reads(site_id: int) -> Reads:
    """below_par_count's read, for a screen that reads its panels at once: `below_par`."""
    return Reads({"count": _BELOW_PAR_COUNT}, {"site_id": site_id},
                 lambda got: {"below_par": got["count"][0].below_par})
