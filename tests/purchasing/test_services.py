"""Purchase requests → approval → receipt (入库), and fixture releases (放行)."""
from datetime import time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import ledger
from hospitality.models import (
    AuditLog,
    FixtureRelease,
    PurchaseLine,
    PurchaseRequest,
    Receipt,
    ReceiptLine,
    Site,
    StockMove,
)
from hospitality.purchasing import reads, services
from hospitality.purchasing.services import PurchaseConflict, PurchaseError
from tests.factories import assert_chain, insert_move, local_utc, make_item, make_site, make_user, on_hand
from tests.harness import count_rows


@pytest.fixture
def env(ctx):
    site = make_site()
    wb = make_user(site.id, "water_bar")
    boss = make_user(site.id, "manager")
    boss2 = make_user(site.id, "manager")
    water = make_item(site.id, name="矿泉水", stock=30, pack_size=24, par=48, price="2.00")
    tea = make_item(site.id, name="茶叶", stock=14, pack_size=10, par=10, price="8.00")
    fruit = make_item(site.id, name="水果", stock="2.5", whole=False, pack_size=5, par=5, price="12.00")
    with force_locale("en"):
        yield SimpleNamespace(site=db.session.get(Site, site.id), wb=wb, boss=boss, boss2=boss2, water=water,
                              tea=tea, fruit=fruit, day=db.session.get(Site, site.id).today() + timedelta(days=1))


def _request(env, quantities=None, user=None, idem=None, note=None):
    quantities = quantities or {env.water.id: "24", env.tea.id: "10"}
    return services.create_request(env.site, user or env.wb, quantities, note, env.day, idem)


def _approved(env, quantities=None):
    req = _request(env, quantities)
    return services.decide(env.site, env.boss, req, req.version, "approve")


def _line(req, item):
    return next(line for line in req.lines if line.item_id == item.id)


def test_propose_brings_stock_to_par_in_whole_packs(env):
    """Below par, the proposal tops up to par rounded up to whole packs; above par it proposes nothing."""
    got = {item.id: (stock, need, qty) for item, stock, need, qty in reads.propose(env.site, env.day)}
    assert got[env.water.id] == (30, 48, 24)   # short 18 → one pack of 24
    assert got[env.tea.id] == (14, 10, 0)      # above par
    assert got[env.fruit.id] == (Decimal("2.5"), 5, 5)  # short 2.5 → one pack of 5


def test_propose_uses_busier_weekday_usage(env):
    """When the same weekday used more than par over four weeks, the proposal covers that usage."""
    for weeks_back in range(1, 5):
        when = local_utc(env.site, env.day - timedelta(weeks=weeks_back), time(15))
        insert_move(env.water, env.wb.id, 100, "received", when)
        insert_move(env.water, env.wb.id, -100, "served", when)
    [(_item, stock, need, qty)] = [p for p in reads.propose(env.site, env.day) if p[0].id == env.water.id]
    assert stock == 30 and need == 100
    assert qty == 72  # short 70 → three packs of 24


def test_propose_ignores_fixtures_and_inactive_items(env):
    """Only active water-bar consumables are proposed."""
    vase = make_item(env.site.id, "model_room", name="花瓶", expected=2)
    ids = {p[0].id for p in reads.propose(env.site, env.day)}
    assert ids == {env.water.id, env.tea.id, env.fruit.id} and vase.id not in ids


def test_create_request_is_pending_with_lines(env):
    """A submitted request waits for the manager, with its lines, prices and an audit row."""
    req = _request(env, {env.water.id: "24", env.tea.id: "", env.fruit.id: "2.5"}, note=" 周末 ")
    assert req.status == "pending" and not req.auto_approved and req.version == 1 and req.note == "周末"
    assert {(ln.item_id, ln.qty_requested, ln.unit_price) for ln in req.lines} == {
        (env.water.id, Decimal(24), Decimal("2.00")), (env.fruit.id, Decimal("2.5"), Decimal("12.00"))}
    assert req.total == Decimal("78.00")
    assert count_rows(AuditLog, AuditLog.entity == "purchase_request", AuditLog.action == "submit") == 1


def test_create_request_refusals(env):
    """Empty, bad quantities, fixtures and other sites' items are refused and nothing is saved."""
    vase = make_item(env.site.id, "model_room", name="花瓶", expected=2)
    foreign = make_item(make_site().id, stock=1)
    for bad, field in (({env.water.id: ""}, "qty"), ({env.water.id: "1.5"}, f"qty-{env.water.id}"),
                       ({env.water.id: "-3"}, f"qty-{env.water.id}"), ({vase.id: "1"}, None),
                       ({foreign.id: "1"}, None), ({env.water.id: "1e9"}, f"qty-{env.water.id}")):
        with pytest.raises(PurchaseError) as e:
            services.create_request(env.site, env.wb, bad, None, env.day, None)
        assert e.value.field == field
    assert count_rows(PurchaseRequest) == 0 and count_rows(PurchaseLine) == 0


def test_below_the_site_limit_the_request_approves_itself(env):
    """A request cheaper than auto_approve_below is approved automatically; a dearer one waits."""
    with write_tx():
        db.session.get(Site, env.site.id).auto_approve_below = Decimal("100.00")
    cheap = _request(env, {env.water.id: "24"})  # ¥48
    assert cheap.status == "approved" and cheap.auto_approved and cheap.decided_at is not None
    assert _line(cheap, env.water).qty_approved == 24
    assert count_rows(AuditLog, AuditLog.action == "auto_approve") == 1
    dear = _request(env, {env.water.id: "48", env.tea.id: "10"})  # ¥176
    assert dear.status == "pending" and not dear.auto_approved


def test_manager_approves_once(env):
    """Approval records who and when and bumps the version; a second approval is a conflict."""
    req = _request(env)
    done = services.decide(env.site, env.boss, req, req.version, "approve")
    assert done.status == "approved" and done.decided_by_id == env.boss.id and done.version == 2
    assert {ln.qty_approved for ln in done.lines} == {Decimal(24), Decimal(10)}
    for version in (1, 2):
        with pytest.raises(PurchaseConflict):
            services.decide(env.site, env.boss2, req, version, "approve")
    assert count_rows(AuditLog, AuditLog.entity == "purchase_request", AuditLog.action == "approve") == 1


def test_requester_cannot_approve_own_request(env):
    """A manager who asked for a purchase cannot approve it; another manager can."""
    req = _request(env, user=env.boss)
    with pytest.raises(PurchaseError, match="your own"):
        services.decide(env.site, env.boss, req, req.version, "approve")
    assert db.session.get(PurchaseRequest, req.id).status == "pending"
    assert services.decide(env.site, env.boss2, req, req.version, "approve").status == "approved"


def test_only_a_manager_decides(env):
    """A water-bar attendant or lead cannot approve."""
    req = _request(env)
    lead = make_user(env.site.id, "lead")
    for user in (env.wb, lead):
        with pytest.raises(PurchaseError):
            services.decide(env.site, user, req, req.version, "approve")
    assert db.session.get(PurchaseRequest, req.id).status == "pending"


def test_approval_racing_a_change_is_refused(env):
    """The requester edits the request; an approval of the version the manager saw is a conflict."""
    req = _request(env)
    seen = req.version
    changed = services.update_request(env.site, env.wb, req, seen, {env.water.id: "96"}, "多买点")
    assert changed.version == seen + 1 and [ln.qty_requested for ln in changed.lines] == [96]
    with pytest.raises(PurchaseConflict):
        services.decide(env.site, env.boss, req, seen, "approve")
    db.session.expire_all()
    again = db.session.get(PurchaseRequest, req.id)
    assert again.status == "pending" and again.decided_by_id is None
    assert all(ln.qty_approved is None for ln in again.lines)
    assert services.decide(env.site, env.boss, again, again.version, "approve").status == "approved"


def test_update_with_a_stale_version_or_by_someone_else_is_refused(env):
    """Edits need the current version and the requester."""
    req = _request(env)
    with pytest.raises(PurchaseConflict):
        services.update_request(env.site, env.wb, req, req.version + 5, {env.water.id: "1"}, None)
    other = make_user(env.site.id, "water_bar")
    with pytest.raises(PurchaseError):
        services.update_request(env.site, other, req, req.version, {env.water.id: "1"}, None)
    assert [ln.qty_requested for ln in db.session.get(PurchaseRequest, req.id).lines] == [24, 10]


def test_manager_changes_quantities_on_approval(env):
    """Approving with other quantities keeps what was asked and records the change."""
    req = _request(env)
    water, tea = _line(req, env.water), _line(req, env.tea)
    done = services.decide(env.site, env.boss, req, req.version, "approve", {water.id: "48", tea.id: "0"})
    assert (_line(done, env.water).qty_requested, _line(done, env.water).qty_approved) == (24, 48)
    assert _line(done, env.tea).qty_approved == 0
    assert done.total == Decimal("96.00")
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "approve"))
    assert audit.detail["changes"] == {"矿泉水": "24→48", "茶叶": "10→0"}


def test_approving_nothing_or_bad_quantities_is_refused(env):
    """All-zero approval must be a rejection; a bad quantity names its line; nothing changes."""
    req = _request(env)
    water, tea = _line(req, env.water), _line(req, env.tea)
    with pytest.raises(PurchaseError):
        services.decide(env.site, env.boss, req, req.version, "approve", {water.id: "0", tea.id: "0"})
    with pytest.raises(PurchaseError) as e:
        services.decide(env.site, env.boss, req, req.version, "approve", {water.id: "2.5"})
    assert e.value.field == f"qty-{water.id}"
    db.session.expire_all()
    again = db.session.get(PurchaseRequest, req.id)
    assert again.status == "pending" and again.version == 1 and all(ln.qty_approved is None for ln in again.lines)


def test_reject_requires_a_reason(env):
    """Rejecting without a note is refused; with one it is recorded."""
    req = _request(env)
    with pytest.raises(PurchaseError) as e:
        services.decide(env.site, env.boss, req, req.version, "reject", note="  ")
    assert e.value.field == "note"
    with pytest.raises(PurchaseError):
        services.decide(env.site, env.boss, req, req.version, "maybe")
    done = services.decide(env.site, env.boss, req, req.version, "reject", note="库存够用")
    assert done.status == "rejected" and done.decision_note == "库存够用"


def test_update_after_approval_is_refused(env):
    """An approved request is frozen."""
    req = _approved(env)
    with pytest.raises(PurchaseConflict):
        services.update_request(env.site, env.wb, req, req.version, {env.water.id: "1"}, None)
    assert [ln.qty_requested for ln in db.session.get(PurchaseRequest, req.id).lines] == [24, 10]


def test_partial_then_full_receipt(env):
    """A partial delivery posts 'received' rows and leaves the request partial; the rest completes it."""
    req = _approved(env)
    water, tea = _line(req, env.water), _line(req, env.tea)
    r1 = services.receive(env.site, env.wb, req, {water.id: "12"}, None, "rcpt0001")
    req = db.session.get(PurchaseRequest, req.id)
    assert req.status == "partial" and _line(req, env.water).qty_received == 12
    rows = db.session.scalars(select(StockMove).where(StockMove.ref_type == "receipt", StockMove.ref_id == r1.id)).all()
    assert [(m.item_id, m.qty, m.reason) for m in rows] == [(env.water.id, Decimal(12), "received")]
    assert on_hand(env.water.id) == 42
    assert [(rl.line_id, rl.qty) for rl in r1.lines] == [(water.id, Decimal(12))]
    services.receive(env.site, env.wb, req, {water.id: "12", tea.id: "10"}, None, "rcpt0002")
    req = db.session.get(PurchaseRequest, req.id)
    assert req.status == "received" and on_hand(env.water.id) == 54 and on_hand(env.tea.id) == 24
    assert count_rows(Receipt) == 2
    assert_chain(env.water.id)


def test_receiving_beyond_approved_needs_a_note(env):
    """More than approved without a note is refused and nothing is written; with a note it is taken."""
    req = _approved(env)
    water = _line(req, env.water)
    moves = count_rows(StockMove)
    with pytest.raises(PurchaseError) as e:
        services.receive(env.site, env.wb, req, {water.id: "25"}, " ", None)
    assert e.value.field == f"qty-{water.id}"
    assert count_rows(StockMove) == moves and count_rows(Receipt) == 0 and count_rows(ReceiptLine) == 0
    assert db.session.get(PurchaseLine, water.id).qty_received == 0
    receipt = services.receive(env.site, env.wb, req, {water.id: "25"}, "供应商多送一瓶", None)
    assert receipt.note == "供应商多送一瓶" and on_hand(env.water.id) == 55


def test_receiving_nothing_or_bad_quantities_is_refused(env):
    """An empty delivery or a fractional whole quantity is refused, nothing written."""
    req = _approved(env)
    water = _line(req, env.water)
    for bad in ({}, {water.id: "0"}, {water.id: "1.5"}, {water.id: "abc"}):
        with pytest.raises(PurchaseError):  # the purchasing views catch PurchaseError only
            services.receive(env.site, env.wb, req, bad, None, None)
    assert count_rows(Receipt) == 0 and on_hand(env.water.id) == 30


def test_pending_or_rejected_requests_cannot_be_received(env):
    """Receiving against a request that is not approved is refused."""
    pending = _request(env)
    rejected = _request(env)
    services.decide(env.site, env.boss, rejected, rejected.version, "reject", note="不买")
    for req in (pending, rejected):
        with pytest.raises(PurchaseError):
            services.receive(env.site, env.wb, req, {req.lines[0].id: "1"}, None, None)
    assert count_rows(Receipt) == 0 and on_hand(env.water.id) == 30


def test_fully_received_request_cannot_be_received_again(env):
    """Once everything arrived, the request is no longer receivable."""
    req = _approved(env, {env.water.id: "24"})
    services.receive(env.site, env.wb, req, {req.lines[0].id: "24"}, None, None)
    with pytest.raises(PurchaseError):
        services.receive(env.site, env.wb, req, {req.lines[0].id: "1"}, "还有", None)
    assert on_hand(env.water.id) == 54


def test_sign_receipt_once_by_the_manager(env):
    """Only the manager signs; a second signature keeps the first."""
    req = _approved(env)
    receipt = services.receive(env.site, env.wb, req, {req.lines[0].id: "24"}, None, None)
    with pytest.raises(PurchaseError):
        services.sign_receipt(env.site, env.wb, receipt)
    signed = services.sign_receipt(env.site, env.boss, receipt)
    first_at = signed.signed_at
    again = services.sign_receipt(env.site, env.boss2, receipt)
    assert again.signed_by_id == env.boss.id and again.signed_at == first_at
    assert count_rows(AuditLog, AuditLog.entity == "receipt", AuditLog.action == "sign") == 1


def test_double_submitted_request_and_receipt_count_once(env):
    """The same idempotency key makes one request and one receipt with one set of ledger rows."""
    a = _request(env, idem="req00001")
    b = _request(env, idem="req00001")
    assert a.id == b.id and count_rows(PurchaseRequest) == 1
    req = services.decide(env.site, env.boss, a, a.version, "approve")
    water = _line(req, env.water)
    r1 = services.receive(env.site, env.wb, req, {water.id: "10"}, None, "rcv00001")
    r2 = services.receive(env.site, env.wb, req, {water.id: "10"}, None, "rcv00001")
    assert r1.id == r2.id and count_rows(Receipt) == 1
    assert count_rows(StockMove, StockMove.ref_type == "receipt") == 1 and on_hand(env.water.id) == 40
    assert db.session.get(PurchaseLine, water.id).qty_received == 10


@pytest.fixture
def room(env):
    mr = make_user(env.site.id, "model_room")
    vase = make_item(env.site.id, "model_room", name="花瓶", expected=2)
    return SimpleNamespace(mr=mr, vase=vase)


def test_fixture_release_approved_moves_the_fixture_out(env, room):
    """A release request for a fixture; the manager's approval posts a moved_out row."""
    rel = services.request_release(env.site, room.mr, room.vase, "1", " 送修 ", "rel00001")
    assert rel.status == "pending" and rel.reason == "送修" and on_hand(room.vase.id) == 2
    assert services.request_release(env.site, room.mr, room.vase, "1", "送修", "rel00001").id == rel.id
    assert count_rows(FixtureRelease) == 1
    with pytest.raises(PurchaseError):
        services.decide_release(env.site, room.mr, rel, True, None)
    done = services.decide_release(env.site, env.boss, rel, True, None)
    assert done.status == "approved" and done.decided_by_id == env.boss.id
    [move] = db.session.scalars(select(StockMove).where(StockMove.ref_type == "release")).all()
    assert (move.item_id, move.qty, move.reason, move.ref_id) == (room.vase.id, Decimal(-1), "moved_out", rel.id)
    assert on_hand(room.vase.id) == 1
    assert services.decide_release(env.site, env.boss, rel, True, None).id == rel.id  # a replay: the same answer
    with pytest.raises(PurchaseError):
        services.decide_release(env.site, env.boss, rel, False, "不送了")  # another decision is refused
    assert on_hand(room.vase.id) == 1


def test_fixture_release_rules(env, room):
    """Only fixtures, not more than in the room, not zero, with a reason; nothing saved on refusal."""
    with pytest.raises(PurchaseError) as e:
        services.request_release(env.site, room.mr, env.water, "1", "拿走", None)
    assert e.value.field == "item_id"
    with pytest.raises(PurchaseError) as e:
        services.request_release(env.site, room.mr, room.vase, "3", "拿走", None)
    assert e.value.field == "qty" and "2" in e.value.message
    with pytest.raises(PurchaseError) as e:
        services.request_release(env.site, room.mr, room.vase, "0", "拿走", None)
    assert e.value.field == "qty"
    with pytest.raises(PurchaseError) as e:
        services.request_release(env.site, room.mr, room.vase, "1", "  ", None)
    assert e.value.field == "reason"
    assert count_rows(FixtureRelease) == 0


def test_fixture_release_reject_needs_a_note(env, room):
    """Rejecting a release needs a note and moves nothing."""
    rel = services.request_release(env.site, room.mr, room.vase, "2", "借展", None)
    with pytest.raises(PurchaseError) as e:
        services.decide_release(env.site, env.boss, rel, False, "")
    assert e.value.field == "note"
    done = services.decide_release(env.site, env.boss, rel, False, "不能外借")
    assert done.status == "rejected" and done.decision_note == "不能外借"
    assert on_hand(room.vase.id) == 2 and count_rows(StockMove, StockMove.reason == "moved_out") == 0


def test_fixture_release_approval_when_the_fixture_is_gone_is_refused(env, room):
    """If the room lost the fixture after the request, approval says so (a PurchaseError) and posts nothing."""
    rel = services.request_release(env.site, room.mr, room.vase, "2", "借展", None)
    with write_tx():
        ledger.post(env.site.id, env.boss.id, [(room.vase, -1, "damaged")])
    with pytest.raises(PurchaseError) as e:
        services.decide_release(env.site, env.boss, rel, True, None)
    assert e.value.field == "qty"
    assert db.session.get(FixtureRelease, rel.id).status == "pending"
    assert on_hand(room.vase.id) == 1 and count_rows(StockMove, StockMove.reason == "moved_out") == 0
