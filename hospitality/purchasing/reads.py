"""What the purchasing screens read: the requests and the stock-ins to sign, a request with its deliveries, what
the bar buys and tomorrow's proposal, and the fixture releases."""
import math
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..database import select_rows
from ..extensions import db
from ..inventory import ledger
from ..inventory.reads.consumption import served_by_weekday
from ..models import FixtureRelease, Item, Location, PurchaseLine, PurchaseRequest, Receipt, Site, User
from ..models.inventory import RecipeLine
from ..models.purchasing import line_amount, request_state_label

REQUESTS_SHOWN = 30
RELEASES_SHOWN = 50


class Proposal(NamedTuple):
    """One line of tomorrow's proposal: the item, what is on hand, what tomorrow needs, the quantity to order."""
    item: Item
    stock: Decimal
    need: Decimal
    qty: Decimal


def consumables(site_id: int) -> list[Item]:
    """What the bar buys: its active consumables, but not what it prepares itself (a pot of tea is brewed from
    leaves, never bought: the leaves are what the request proposes)."""
    prepared = select(RecipeLine.id).where(RecipeLine.item_id == Item.id).exists()
    return list(db.session.scalars(
        select(Item).join(Location).where(Item.site_id == site_id, Item.kind == "consumable",
                                          Item.active.is_(True), Location.kind == "water_bar", ~prepared)
        .order_by(Location.position, Item.position, Item.id)))


def propose(site: Site, for_date: date) -> list[Proposal]:
    """Per consumable: (item, on hand, what tomorrow needs, proposed qty in whole packs).

    Tomorrow needs the larger of the par level and what the same weekday used over the last four
    weeks (weekends are busier); the proposal brings stock back to that, rounded up to packs.
    """
    items = consumables(site.id)
    stock = ledger.on_hand(i.id for i in items)
    usual = served_by_weekday(site, [i.id for i in items], for_date)
    out = []
    for item in items:
        need = max(Decimal(item.par_level or 0), usual.get(item.id, Decimal(0)))
        short = need - stock[item.id]
        qty = Decimal(0)
        if short > 0:
            pack = max(item.pack_size or 1, 1)
            qty = Decimal(math.ceil(short / pack) * pack)
        out.append(Proposal(item, stock[item.id], need, qty))
    return out


_PENDING_FIRST = case((PurchaseRequest.status == "pending", 0), else_=1)


class RequestRow(NamedTuple):
    """A request as the list shows it: no mapped objects (thirty requests' lines as objects were most of the
    approval queue's time)."""
    id: int
    status: str
    for_date: date
    auto_approved: bool
    requester: str
    lines: int
    total: Decimal

    @property
    def state_label(self):
        return request_state_label(self.status)


_REQUESTS = (select(PurchaseRequest.id, PurchaseRequest.status, PurchaseRequest.for_date,
                    PurchaseRequest.auto_approved, User.name)
             .join(User, User.id == PurchaseRequest.requested_by_id)
             .where(PurchaseRequest.site_id == bindparam("site_id"))
             .order_by(_PENDING_FIRST, PurchaseRequest.id.desc()).limit(REQUESTS_SHOWN))
_REQUEST_LINES = (select(PurchaseLine.request_id, PurchaseLine.qty_requested, PurchaseLine.qty_approved,
                         PurchaseLine.unit_price)
                  .where(PurchaseLine.request_id.in_(bindparam("ids", expanding=True))))


def requests(site_id: int) -> list[RequestRow]:
    """The latest requests, those waiting for the manager first, with who asked, their number of lines and their
    total (each line's amount as PurchaseLine.amount rounds it): two statements."""
    heads = select_rows(_REQUESTS, {"site_id": site_id}).all()
    lines: dict[int, list] = {row.id: [] for row in heads}
    if heads:
        for line in select_rows(_REQUEST_LINES, {"ids": list(lines)}):
            lines[line.request_id].append(line)
    return [RequestRow(h.id, h.status, h.for_date, h.auto_approved, h.name, len(lines[h.id]),
                       sum((line_amount(line.qty_approved, line.qty_requested, line.unit_price)
                            for line in lines[h.id]), Decimal(0)))
            for h in heads]


def unsigned_receipts(site_id: int) -> list[Receipt]:
    """Deliveries received into stock that the manager has not signed yet, oldest first."""
    return list(db.session.scalars(
        select(Receipt).where(Receipt.site_id == site_id, Receipt.signed_at.is_(None)).order_by(Receipt.id)
        .options(joinedload(Receipt.received_by))))


class RequestPage(NamedTuple):
    """What a request's page shows besides the request: stock on hand per item, and the deliveries."""
    stock: dict[int, Decimal]
    receipts: list[Receipt]


def request_page(req: PurchaseRequest) -> RequestPage:
    """Loads the request's lines with their items (onto the request), its stock and its deliveries with who
    received and signed them: a fixed number of queries."""
    set_committed_value(req, "lines", db.session.scalars(
        select(PurchaseLine).where(PurchaseLine.request_id == req.id).order_by(PurchaseLine.id)
        .options(joinedload(PurchaseLine.item))).all())
    receipts = db.session.scalars(select(Receipt).where(Receipt.request_id == req.id).order_by(Receipt.id)
                                  .options(selectinload(Receipt.lines), joinedload(Receipt.received_by),
                                           joinedload(Receipt.signed_by))).all()
    return RequestPage(ledger.on_hand(line.item_id for line in req.lines), list(receipts))


def releases(site_id: int) -> list[FixtureRelease]:
    """The latest fixture releases, newest first."""
    return list(db.session.scalars(select(FixtureRelease).where(FixtureRelease.site_id == site_id)
                                   .order_by(FixtureRelease.id.desc()).limit(RELEASES_SHOWN)))


def fixtures(site_id: int) -> list[Item]:
    """The model rooms' fixtures in use, room by room (what a release may ask for)."""
    return list(db.session.scalars(select(Item).join(Location).where(
        Item.site_id == site_id, Item.kind == "fixture", Item.active.is_(True))
        .order_by(Location.position, Item.position)))


def chosen_item(site_id: int, item_id: int) -> Item | None:
    """The item a form chose, if it is this site's."""
    item = db.session.get(Item, item_id)
    return item if item is not None and item.site_id == site_id else None
