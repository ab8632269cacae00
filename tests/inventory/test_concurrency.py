"""Many phones hitting the same stock at once: no lost rows, no "database is locked", a double tap posts once.

Each thread works in its own app context (its own session and connection), as a request would.
Runs on whichever engine the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.inventory import services
from hospitality.inventory.ledger import StockError
from hospitality.models import (
    AuditLog,
    CountLine,
    Discrepancy,
    FixtureRelease,
    Item,
    Location,
    PurchaseRequest,
    Receipt,
    Site,
    StockCount,
    StockMove,
    User,
)
from hospitality.purchasing import services as purchasing
from hospitality.purchasing.services import PurchaseConflict
from tests.factories import assert_chain, location, make_item, make_site, make_user, on_hand
from tests.harness import count_rows, in_threads


@pytest.fixture
def ids(app):
    with app.app_context():
        site = make_site()
        users = [make_user(site.id, "water_bar").id for _ in range(10)]
        managers = [make_user(site.id, "manager").id for _ in range(10)]
        water = make_item(site.id, name="矿泉水", stock=100, price="2.00")
        return SimpleNamespace(site=site.id, users=users, managers=managers, water=water.id,
                               bar=location(site.id).id)


def _load(ids, i):
    return (db.session.get(Site, ids.site), db.session.get(User, ids.users[i % len(ids.users)]),
            db.session.get(Location, ids.bar))


def test_thirty_phones_serving_the_same_item_lose_nothing(app, ids):
    """30 threads each serve 1 of the same item: 30 rows, stock down by exactly 30, the chain intact."""
    def work(i):
        site, user, bar = _load(ids, i)
        return services.record_moves(site, user, bar, "served", {ids.water: "1"}, None, f"serve{i:04d}x")

    results, errors = in_threads(app, 30, work)
    assert errors == [], [repr(e) for e in errors]
    assert len(results) == 30
    with app.app_context():
        served = db.session.scalars(select(StockMove).where(StockMove.reason == "served")).all()
        assert len(served) == 30 and all(m.qty == -1 for m in served)
        assert sorted(m.balance_after for m in served) == [Decimal(n) for n in range(70, 100)]
        assert on_hand(ids.water) == 70
        assert_chain(ids.water)
        assert count_rows(AuditLog, AuditLog.action == "served") == 30


def test_twenty_taps_with_the_same_key_post_once(app, ids):
    """20 threads posting with the same idempotency key write exactly one row and all get it back."""
    def work(i):
        site, user, bar = _load(ids, i)
        return [r.id for r in services.record_moves(site, user, bar, "served", {ids.water: "2"}, None,
                                                    "doubletap0001")]

    results, errors = in_threads(app, 20, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        [row] = db.session.scalars(select(StockMove).where(StockMove.idem_key == "doubletap0001")).all()
        assert results == [[row.id]] * 20
        assert on_hand(ids.water) == 98
        assert_chain(ids.water)


def test_ten_people_starting_a_count_at_once_make_one_count(app, ids):
    """10 users starting a count of the same location: one open count, the others a StockError (no 500)."""
    def work(i):
        site, user, bar = _load(ids, i)
        return services.start_count(site, user, bar, "spot").id

    results, errors = in_threads(app, 10, work)
    assert len(results) == 1, [repr(e) for e in errors]
    assert len(errors) == 9 and all(type(e) is StockError for e in errors), [repr(e) for e in errors]
    with app.app_context():
        [count] = db.session.scalars(select(StockCount).where(StockCount.status == "open")).all()
        assert results == [count.id]
        assert count_rows(AuditLog, AuditLog.entity == "stock_count", AuditLog.action == "start") == 1


def test_ten_managers_approving_the_same_request_approve_once(app, ids):
    """10 threads approving one request: exactly one approval, the rest a PurchaseConflict."""
    with app.app_context():
        site = db.session.get(Site, ids.site)
        req = purchasing.create_request(site, db.session.get(User, ids.users[0]), {ids.water: "24"}, None,
                                        site.today(), None)
        req_id, version = req.id, req.version

    def work(i):
        site = db.session.get(Site, ids.site)
        manager = db.session.get(User, ids.managers[i])
        return purchasing.decide(site, manager, db.session.get(PurchaseRequest, req_id), version, "approve").id

    results, errors = in_threads(app, 10, work)
    assert results == [req_id], [repr(e) for e in errors]
    assert len(errors) == 9 and all(isinstance(e, PurchaseConflict) for e in errors), [repr(e) for e in errors]
    with app.app_context():
        req = db.session.get(PurchaseRequest, req_id)
        assert req.status == "approved" and req.version == version + 1 and req.decided_by_id in ids.managers
        assert count_rows(AuditLog, AuditLog.entity == "purchase_request", AuditLog.action == "approve") == 1


def test_serving_and_receiving_many_items_at_once(app, ids):
    """Threads serving and receiving across two items in one post each keep both chains exact."""
    with app.app_context():
        tea_id = make_item(ids.site, name="茶叶", stock=50).id

    def work(i):
        site, user, bar = _load(ids, i)
        reason = "received" if i % 3 == 0 else "served"
        return services.record_moves(site, user, bar, reason, {ids.water: "2", tea_id: "1"}, None, f"mix{i:05d}")

    results, errors = in_threads(app, 24, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        assert on_hand(ids.water) == 100 + 8 * 2 - 16 * 2
        assert on_hand(tea_id) == 50 + 8 - 16
        assert_chain(ids.water)
        assert_chain(tea_id)
        assert count_rows(StockMove, StockMove.item_id.in_([ids.water, tea_id])) == 2 + 24 * 2


def test_double_tapped_purchase_request_makes_one(app, ids):
    """20 threads submitting the same request form (one idempotency key) make one request, no errors."""
    def work(i):
        site = db.session.get(Site, ids.site)
        return purchasing.create_request(site, db.session.get(User, ids.users[0]), {ids.water: "24"}, None,
                                         site.today(), "sameform0001").id

    results, errors = in_threads(app, 20, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        [req_id] = db.session.scalars(select(PurchaseRequest.id)).all()
    assert results == [req_id] * 20


def test_double_tapped_receipt_receives_once(app, ids):
    """20 threads posting the same delivery form receive it once: one receipt, one ledger row, no errors."""
    with app.app_context():
        site = db.session.get(Site, ids.site)
        req = purchasing.create_request(site, db.session.get(User, ids.users[0]), {ids.water: "24"}, None,
                                        site.today(), None)
        req = purchasing.decide(site, db.session.get(User, ids.managers[0]), req, req.version, "approve")
        req_id, line_id = req.id, req.lines[0].id

    def work(i):
        site = db.session.get(Site, ids.site)
        return purchasing.receive(site, db.session.get(User, ids.users[i % 10]),
                                  db.session.get(PurchaseRequest, req_id), {line_id: "24"}, None,
                                  "samedelivery01").id

    results, errors = in_threads(app, 20, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        [receipt_id] = db.session.scalars(select(Receipt.id)).all()
        assert count_rows(StockMove, StockMove.ref_type == "receipt") == 1
        assert on_hand(ids.water) == 124
        assert db.session.get(PurchaseRequest, req_id).status == "received"
    assert results == [receipt_id] * 20


def test_double_tapped_fixture_release_makes_one(app, ids):
    """20 threads posting the same release form make one release request, no errors."""
    with app.app_context():
        vase_id = make_item(ids.site, "model_room", name="花瓶", expected=2).id
        mr_id = make_user(ids.site, "model_room").id

    def work(i):
        site = db.session.get(Site, ids.site)
        return purchasing.request_release(site, db.session.get(User, mr_id), db.session.get(Item, vase_id), "1",
                                          "送修", "samerelease01").id

    results, errors = in_threads(app, 20, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        [rel_id] = db.session.scalars(select(FixtureRelease.id)).all()
    assert results == [rel_id] * 20


def test_double_tapped_count_submission_is_recorded_once(app, ids):
    """10 threads submitting the same count: one set of lines, one discrepancy, no errors."""
    with app.app_context():
        site, user, bar = _load(ids, 0)
        count_id = services.start_count(site, user, bar, "closing").id

    def work(i):
        site, user, _bar = _load(ids, 0)
        return services.submit_count(site, user, db.session.get(StockCount, count_id), {ids.water: "97"}).status

    results, errors = in_threads(app, 10, work)
    assert errors == [], [repr(e) for e in errors]
    assert results == ["discrepancy"] * 10
    with app.app_context():
        assert count_rows(CountLine, CountLine.count_id == count_id) == 1
        assert count_rows(Discrepancy) == 1


def test_ten_managers_closing_one_discrepancy_correct_the_book_once(app, ids):
    """10 threads closing the same confirmed discrepancy post one set of corrections; the rest are refused."""
    with app.app_context():
        site, user, bar = _load(ids, 0)
        count = services.start_count(site, user, bar, "closing")
        services.submit_count(site, user, count, {ids.water: "97"})
        disc = db.session.scalar(select(Discrepancy).where(Discrepancy.count_id == count.id))
        services.confirm_discrepancy(site, make_user(ids.site, "security"), disc, None)
        disc_id = disc.id

    def work(i):
        site = db.session.get(Site, ids.site)
        return services.close_discrepancy(site, db.session.get(User, ids.managers[i]),
                                          db.session.get(Discrepancy, disc_id), "lost", "丢了").id

    results, errors = in_threads(app, 10, work)
    assert results == [disc_id], [repr(e) for e in errors]
    assert len(errors) == 9 and all(type(e) is StockError for e in errors), [repr(e) for e in errors]
    with app.app_context():
        assert count_rows(StockMove, StockMove.ref_type == "discrepancy") == 1
        assert on_hand(ids.water) == 97
        assert count_rows(AuditLog, AuditLog.entity == "discrepancy", AuditLog.action == "close") == 1


def test_ten_managers_approving_one_release_move_the_fixture_once(app, ids):
    """10 threads approving the same fixture release post one moved_out row; the rest are refused."""
    with app.app_context():
        site = db.session.get(Site, ids.site)
        vase = make_item(ids.site, "model_room", name="花瓶", expected=2)
        rel_id = purchasing.request_release(site, make_user(ids.site, "model_room"), vase, "1", "送修", None).id
        vase_id = vase.id

    def work(i):
        site = db.session.get(Site, ids.site)
        return purchasing.decide_release(site, db.session.get(User, ids.managers[i]),
                                         db.session.get(FixtureRelease, rel_id), True, None).id

    results, errors = in_threads(app, 10, work)
    assert results == [rel_id], [repr(e) for e in errors]
    assert len(errors) == 9 and all(isinstance(e, purchasing.PurchaseError) for e in errors), [
        repr(e) for e in errors]
    with app.app_context():
        assert count_rows(StockMove, StockMove.reason == "moved_out") == 1
        assert on_hand(vase_id) == 1


def test_double_tapped_reversal_reverses_once(app, ids):
    """10 threads reversing the same move: one reversing row, the rest a StockError (no 500)."""
    with app.app_context():
        site, user, bar = _load(ids, 0)
        [move] = services.record_moves(site, user, bar, "served", {ids.water: "5"}, None, None)
        move_id = move.id

    def work(i):
        site = db.session.get(Site, ids.site)
        return services.reverse_move(site, db.session.get(User, ids.managers[i]),
                                     db.session.get(StockMove, move_id), "记错").id

    results, errors = in_threads(app, 10, work)
    assert len(results) == 1, [repr(e) for e in errors]
    assert len(errors) == 9 and all(type(e) is StockError for e in errors), [repr(e) for e in errors]
    with app.app_context():
        assert count_rows(StockMove, StockMove.reverses_id == move_id) == 1
        assert on_hand(ids.water) == 100
        assert_chain(ids.water)
