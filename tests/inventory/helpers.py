"""Shared helpers for the stock tests: items made through the app's own service, ledger checks."""
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import cache
from itertools import count
from types import SimpleNamespace
from unittest.mock import patch

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import ledger, services
from hospitality.models import Discrepancy, Item, Location, Site, StockMove, User
from hospitality.purchasing import services as purchasing
from tests import factories
from tests.conftest import Auth
from tests.factories import make_site

_seq = count(1)


@cache
def _hash(password: str) -> str:
    return generate_password_hash(password)


def make_user(site_id: int, post: str, **kw) -> User:
    """factories.make_user, hashing the password once per run (scrypt per user makes setups slow)."""
    def set_password(user, password):
        user.password_hash = _hash(password)
    with patch.object(User, "set_password", set_password):
        return factories.make_user(site_id, post, **kw)


def location(site_id: int, kind: str = "water_bar", n: int = 0) -> Location:
    """The n-th location of a kind at a site (the default content has one water bar, two model rooms)."""
    return db.session.scalars(select(Location).where(Location.site_id == site_id, Location.kind == kind)
                              .order_by(Location.position)).all()[n]


def _stocker(site_id: int) -> User:
    """A manager of the site to own item creation (made once per site)."""
    user = db.session.scalar(select(User).where(User.site_id == site_id, User.username == f"stocker{site_id}"))
    return user or make_user(site_id, "manager", username=f"stocker{site_id}")


def make_item(site_id: int, where: str = "water_bar", *, name: str | None = None, stock=0, whole: bool = True,
              pack_size: int = 1, par=0, price="0", discard: bool = False, kind: str | None = None,
              expected=None, unit: str = "个", user: User | None = None, n: int = 0) -> Item:
    """An item created by services.save_item; `stock` becomes its 'opening' ledger row."""
    site = db.session.get(Site, site_id)
    loc = location(site_id, where, n)
    kind = kind or ("fixture" if where == "model_room" else "consumable")
    item = services.save_item(
        site, user or _stocker(site_id), None, location_id=loc.id, kind=kind,
        name=name or f"物品{next(_seq)}", name_en=None, unit=unit, whole=whole, pack_size=pack_size,
        par_level=Decimal(str(par)), unit_price=Decimal(str(price)), discard_at_close=discard,
        expected_qty=None if expected is None else Decimal(str(expected)),
        initial_qty=Decimal(str(stock)) if stock else None)
    return db.session.get(Item, item.id)


def post(item: Item, user_id: int, qty, reason: str, **kw) -> list[StockMove]:
    """ledger.post for one item in its own write transaction."""
    with write_tx():
        return ledger.post(item.site_id, user_id, [(item, Decimal(str(qty)), reason)], **kw)


def insert_move(item: Item, user_id: int, qty, reason: str, at: datetime) -> StockMove:
    """A ledger row dated `at` (naive UTC), chained on the item's current balance: for history."""
    with write_tx():
        qty = Decimal(str(qty))
        bal = ledger.on_hand([item.id])[item.id] + qty
        row = StockMove(site_id=item.site_id, item_id=item.id, qty=qty, balance_after=bal, reason=reason,
                        user_id=user_id, at=at, ref_type="test")
        db.session.add(row)
    return row


def local_utc(site: Site, day, at: time = time(12)) -> datetime:
    """The naive UTC time of a site-local wall-clock moment."""
    return datetime.combine(day, at, site.tz).astimezone(UTC).replace(tzinfo=None)


def on_hand(item_id: int) -> Decimal:
    return ledger.on_hand([item_id])[item_id]


def ledger_sum(item_id: int) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(StockMove.qty), 0)).where(StockMove.item_id == item_id))


def rows(item_id: int) -> list[StockMove]:
    return list(db.session.scalars(select(StockMove).where(StockMove.item_id == item_id).order_by(StockMove.id)))


def assert_chain(item_id: int) -> None:
    """Each row's balance_after is the previous row's plus its qty; the last one equals SUM(qty)."""
    balance = Decimal(0)
    moves = rows(item_id)
    for row in moves:
        balance += row.qty
        assert row.balance_after == balance, (row.id, row.balance_after, balance)
    assert on_hand(item_id) == balance == ledger_sum(item_id)


def count_rows(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def login(app, username: str):
    """A fresh test client logged in as this user (one client per person, as on their own phones)."""
    client = app.test_client()
    r = Auth(client).login(username)
    assert r.status_code == 302, r.status_code
    return client


def route_env(app):
    """A site with one login per stock post and bar items, plus another site's rows of every kind (by id)."""
    with app.app_context():
        site = make_site()
        for post_ in ("water_bar", "model_room", "security", "manager", "lead", "concierge"):
            make_user(site.id, post_, username=f"{post_}{site.id}")
        make_user(site.id, "manager", username=f"manager2_{site.id}")
        water = make_item(site.id, name="矿泉水", stock=30, pack_size=24, par=48, price="2.00", unit="瓶")
        tea = make_item(site.id, name="铁观音", stock=14, pack_size=10, par=10, price="8.00", unit="包")
        vase = make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")

        other = make_site()
        s = db.session.get(Site, other.id)
        o_wb = make_user(other.id, "water_bar")
        o_boss = make_user(other.id, "manager")
        o_mr = make_user(other.id, "model_room")
        o_item = make_item(other.id, name="外站矿泉水", stock=10)
        o_vase = make_item(other.id, "model_room", name="外站花瓶", expected=1)
        o_bar = location(other.id)
        [o_move] = services.record_moves(s, o_wb, o_bar, "served", {o_item.id: "1"}, None, None)
        o_count = services.start_count(s, o_wb, o_bar, "spot")
        services.submit_count(s, o_wb, o_count, {o_item.id: "1"})
        o_disc = db.session.scalar(select(Discrepancy.id).where(Discrepancy.count_id == o_count.id))
        o_req = purchasing.create_request(s, o_wb, {o_item.id: "5"}, None, s.today(), None)
        o_req = purchasing.decide(s, o_boss, o_req, o_req.version, "approve")
        o_receipt = purchasing.receive(s, o_wb, o_req, {o_req.lines[0].id: "5"}, None, None)
        o_rel = purchasing.request_release(s, o_mr, o_vase, "1", "送修", None)
        return SimpleNamespace(
            site=site.id, bar=location(site.id).id, room=location(site.id, "model_room").id,
            water=water.id, tea=tea.id, vase=vase.id,
            wb=f"water_bar{site.id}", mr=f"model_room{site.id}", guard=f"security{site.id}",
            boss=f"manager{site.id}", boss2=f"manager2_{site.id}", lead=f"lead{site.id}",
            concierge=f"concierge{site.id}",
            other=SimpleNamespace(site=other.id, bar=o_bar.id, item=o_item.id, vase=o_vase.id, move=o_move.id,
                                  count=o_count.id, disc=o_disc, req=o_req.id, receipt=o_receipt.id,
                                  rel=o_rel.id, line=o_req.lines[0].id))


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))
