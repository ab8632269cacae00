"""SQL statements per page stay constant as the data grows (few rows vs. thousands of ledger rows)."""
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from hospitality.extensions import db
from hospitality.inventory import services
from hospitality.models import (
    CountLine,
    Discrepancy,
    Item,
    PurchaseLine,
    PurchaseRequest,
    Receipt,
    Site,
    StockCount,
    StockMove,
    User,
)
from hospitality.models.core import utcnow
from hospitality.purchasing import services as purchasing
from tests.factories import location, make_item, make_user, route_env, user_id
from tests.harness import counting, login


def _grow(app, env, items=40, moves=4000, requests=60):
    """More items, thousands of ledger rows over 60 days, many requests with receipts by many people."""
    rnd = random.Random(7)
    with app.app_context():
        site = db.session.get(Site, env.site)
        staff = [make_user(env.site, "water_bar").id for _ in range(5)] + [user_id(env.wb)]
        receivers = [make_user(env.site, "water_bar").id for _ in range(5)]  # not among the requesters
        counters = [make_user(env.site, "lead").id for _ in range(8)]
        new = [make_item(env.site, name=f"批量{n}", stock=1000, price="1.50", pack_size=6, par=20).id
               for n in range(items)]
        all_items = [env.water, env.tea, *new]
        balance = {i: db.session.scalar(db.select(StockMove.balance_after).where(StockMove.item_id == i)
                                        .order_by(StockMove.id.desc()).limit(1)) for i in all_items}
        now = utcnow()
        rows = []
        for n in range(moves):
            item = rnd.choice(all_items)
            reason, qty = rnd.choice([("served", -1), ("served", -2), ("discarded", -1), ("received", 6)])
            balance[item] += qty
            rows.append(dict(site_id=env.site, item_id=item, qty=Decimal(qty), balance_after=balance[item],
                             reason=reason, user_id=rnd.choice(staff), at=now - timedelta(minutes=n * 20),
                             ref_type="bench"))
        db.session.execute(insert(StockMove), rows)
        bar = location(env.site)
        for day in range(30):
            for kind in ("opening", "closing"):
                c = StockCount(site_id=env.site, location_id=bar.id, kind=kind, status="matched",
                               started_by_id=rnd.choice(staff), started_at=now - timedelta(days=day, hours=3),
                               submitted_at=now - timedelta(days=day, hours=2 if kind == "opening" else 0))
                db.session.add(c)
                db.session.flush()
                db.session.execute(insert(CountLine), [dict(count_id=c.id, item_id=i, expected=Decimal(5),
                                                            counted=Decimal(5)) for i in all_items])
        for n in range(requests):
            status = rnd.choice(["pending", "approved", "partial", "rejected"])
            req = PurchaseRequest(site_id=env.site, status=status, for_date=site.today(),
                                  requested_by_id=staff[n % len(staff)], submitted_at=now)
            db.session.add(req)
            db.session.flush()
            for i in rnd.sample(all_items, 5):
                db.session.add(PurchaseLine(request_id=req.id, item_id=i, qty_requested=Decimal(6),
                                            unit_price=Decimal("1.50")))
            if req.status == "partial":
                db.session.add(Receipt(site_id=env.site, request_id=req.id,
                                       received_by_id=receivers[n % len(receivers)]))
        for n, counter in enumerate(counters):  # open discrepancies at every stock location, by many people
            where = location(env.site, "model_room", n % 2) if n % 3 else bar
            c = StockCount(site_id=env.site, location_id=where.id, kind="spot", status="discrepancy",
                           started_by_id=counter, submitted_at=now)
            db.session.add(c)
            db.session.flush()
            db.session.add(Discrepancy(site_id=env.site, count_id=c.id, location_id=where.id,
                                       status="confirmed" if n % 2 else "open"))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(StockMove)) > moves
        assert db.session.scalar(db.select(db.func.count()).select_from(Item)) >= items


def _measure(app, client, url) -> int:
    with counting(app) as seen:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(seen)


@pytest.mark.parametrize("who,url", [
    ("wb", "/stock/loc/{bar}"),
    ("wb", "/stock/consumption"),
    ("boss", "/stock/consumption?from={first}&to={last}"),
    ("boss", "/purchases/"),
    ("wb", "/purchases/"),
    ("boss", "/stock/"),
    ("lead", "/stock/"),
    ("boss", "/"),
    ("lead", "/"),
])
def test_query_count_is_constant_as_data_grows(app, who, url):
    """The same page issues the same number of SQL statements with a few rows and with thousands."""
    env = route_env(app)
    with app.app_context():
        today = db.session.get(Site, env.site).today()
        manager = db.session.get(User, user_id(env.boss))
        wb_user = db.session.get(User, user_id(env.wb))
        # a little of everything for the small size
        site = db.session.get(Site, env.site)
        services.record_moves(site, wb_user, location(env.site), "served", {env.water: "1"}, None, None)
        req = purchasing.create_request(site, wb_user, {env.water: "24"}, None, today, None)
        purchasing.decide(site, manager, req, req.version, "approve")
        purchasing.receive(site, wb_user, req, {req.lines[0].id: "6"}, None, None)
        count = services.start_count(site, wb_user, location(env.site), "spot")
        services.submit_count(site, wb_user, count, {env.water: "1", env.tea: "14"})  # one open discrepancy
    url = url.format(bar=env.bar, first=(today - timedelta(days=30)).isoformat(), last=today.isoformat())
    client = login(app, getattr(env, who))
    small = _measure(app, client, url)
    _grow(app, env)
    large = _measure(app, client, url)
    assert large == small, f"{url}: {small} statements with little data, {large} with thousands of rows"


# On PostgreSQL each statement is a round trip: the day's page reads the session, the bar's items, then the rest at
# once; the range adds which items are prepared before its one aggregate (their prices go with it).
PG_STATEMENTS = {"/stock/consumption": 3, "/stock/consumption?from={first}&to={last}": 4}


@pytest.mark.parametrize("url", list(PG_STATEMENTS))
def test_the_consumption_pages_read_in_few_statements_on_postgresql(app, url, database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL: SQLite runs the reads one by one (no round trips to save)")
    env = route_env(app)
    with app.app_context():
        today = db.session.get(Site, env.site).today()
    client = login(app, env.boss)
    address = url.format(first=(today - timedelta(days=30)).isoformat(), last=today.isoformat())
    client.get(address)  # the statements are prepared from their second reading
    assert _measure(app, client, address) == PG_STATEMENTS[url]


def test_the_count_form_and_the_location_page_read_their_items_with_their_stock_at_once(app):
    """The count form reads the session, the count with its place, then the items with their stock and the book
    mark in one statement; the location page the same plus its count in progress. The form shows each item's book
    quantity and carries the location's newest ledger row (the outbox's conflict check), as before."""
    env = route_env(app)
    with app.app_context():
        site = db.session.get(Site, env.site)
        wb_user = db.session.get(User, user_id(env.wb))
        services.record_moves(site, wb_user, location(env.site), "served", {env.water: "2"}, None, None)
        count_id = services.start_count(site, wb_user, location(env.site), "spot").id
        newest = db.session.scalar(db.select(db.func.max(StockMove.id)).join(Item, Item.id == StockMove.item_id)
                                   .where(Item.location_id == env.bar, Item.active.is_(True)))
        water = db.session.get(Item, env.water)
        on_hand = db.session.scalar(db.select(StockMove.balance_after).where(StockMove.item_id == env.water)
                                    .order_by(StockMove.id.desc()).limit(1))
    client = login(app, env.wb)
    for url, statements in ((f"/stock/counts/{count_id}", 3), (f"/stock/loc/{env.bar}", 4)):
        client.get(url)
        assert _measure(app, client, url) == statements, url
    page = client.get(f"/stock/counts/{count_id}").text
    assert f'name="book" value="{newest}"' in page
    assert f'data-book="{on_hand.normalize():f}"' in page and water.label in page
