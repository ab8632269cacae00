"""Purchase pages: request → approval → receipt → signature, conflicts, releases, and access."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import FixtureRelease, PurchaseLine, PurchaseRequest, Receipt, StockMove
from tests.factories import on_hand, route_env, user_id
from tests.harness import count_rows, login, msg


@pytest.fixture
def env(app):
    return route_env(app)


def _q(app, fn):
    with app.app_context():
        return fn()


def _new_request(app, env, c=None, qty="24"):
    c = c or login(app, env.wb)
    page = c.get("/purchases/new")
    assert page.status_code == 200
    r = c.post("/purchases/new", data={f"qty-{env.water}": qty, "note": "明天周六", "idem": "req1234567"})
    assert r.status_code == 302
    m = re.search(r"/purchases/(\d+)$", r.location)
    assert m, r.location
    return int(m.group(1))


def _line_id(app, req_id, item_id):
    return _q(app, lambda: db.session.scalar(select(PurchaseLine.id).where(PurchaseLine.request_id == req_id,
                                                                           PurchaseLine.item_id == item_id)))


def test_new_request_page_proposes_tomorrows_order(app, env):
    """The new-request page proposes one pack of water (30 on hand, par 48, packs of 24) and no tea."""
    body = login(app, env.wb).get("/purchases/new").get_data(as_text=True)
    assert re.search(rf'name="qty-{env.water}"[^>]*value="24"', body), body
    assert not re.search(rf'name="qty-{env.tea}"[^>]*value="[1-9]', body)


def test_request_approve_receive_sign(app, env):
    """Water bar asks; the manager approves from the queue; the bar receives; the manager signs."""
    wb = login(app, env.wb)
    req_id = _new_request(app, env, wb)
    assert _new_request(app, env, wb) == req_id  # the same form submitted twice makes one request
    detail = wb.get(f"/purchases/{req_id}")
    assert detail.status_code == 200 and "矿泉水" in detail.get_data(as_text=True)
    boss = login(app, env.boss)
    queue = boss.get("/purchases/").get_data(as_text=True)
    assert f'href="/purchases/{req_id}"' in queue
    line = _line_id(app, req_id, env.water)
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve", f"qty-{line}": "48"})
    assert r.status_code == 302
    with app.app_context():
        req = db.session.get(PurchaseRequest, req_id)
        assert req.status == "approved" and req.decided_by_id == user_id(env.boss)
        assert req.lines[0].qty_approved == 48
    r = wb.post(f"/purchases/{req_id}/receive", data={f"qty-{line}": "24", "idem": "rcv1234567"})
    assert r.status_code == 302
    assert _q(app, lambda: db.session.get(PurchaseRequest, req_id).status) == "partial"
    assert _q(app, lambda: on_hand(env.water)) == 54
    receipt_id = _q(app, lambda: db.session.scalar(select(Receipt.id).where(Receipt.request_id == req_id)))
    # the unsigned stock-in is listed above the requests in the manager's queue
    assert boss.get("/purchases/").get_data(as_text=True).count(f'href="/purchases/{req_id}"') == 2
    assert wb.post(f"/purchases/receipts/{receipt_id}/sign").status_code == 403
    r = boss.post(f"/purchases/receipts/{receipt_id}/sign")
    assert r.status_code == 302 and r.location.endswith(f"/purchases/{req_id}")
    with app.app_context():
        receipt = db.session.get(Receipt, receipt_id)
        assert receipt.signed_by_id == user_id(env.boss) and receipt.signed_at is not None
    assert boss.get("/purchases/").get_data(as_text=True).count(f'href="/purchases/{req_id}"') == 1
    with app.app_context():
        rows = db.session.scalars(select(StockMove).where(StockMove.ref_type == "receipt")).all()
        assert [(m.item_id, m.qty, m.reason) for m in rows if m.site_id == env.site] == [
            (env.water, Decimal(24), "received")]


def _card(queue: str, req_id: int) -> str:
    m = re.search(rf'<a class="card[^"]*" href="/purchases/{req_id}">(.*?)</a>', queue, re.S)
    assert m, queue
    return " ".join(m.group(1).split())


def test_the_queue_shows_who_asked_the_lines_and_the_total_pending_first(app, env):
    """Each card: who asked, how many items, the total at the approved quantities once decided (the requested ones
    before), as the request's own page counts it; the requests waiting for the manager come first."""
    wb = login(app, env.wb)
    first = _new_request(app, env, wb)
    boss = login(app, env.boss)
    line = _line_id(app, first, env.water)
    with app.app_context():
        asked = db.session.get(PurchaseRequest, first)
        requested_total, name = asked.total, asked.requested_by.name
    card = _card(boss.get("/purchases/").get_data(as_text=True), first)
    assert f"¥{requested_total}" in card and name in card and msg(app, "%(n)d item(s)", n=1) in card, card
    assert boss.post(f"/purchases/{first}/decide", data={"version": "1", "action": "approve",
                                                        f"qty-{line}": "48"}).status_code == 302
    r = wb.post("/purchases/new", data={f"qty-{env.water}": "24", "note": "", "idem": "req7654321"})
    second = int(re.search(r"/purchases/(\d+)$", r.location).group(1))
    with app.app_context():
        approved_total = db.session.get(PurchaseRequest, first).total
    assert approved_total == 2 * requested_total != 0
    queue = boss.get("/purchases/").get_data(as_text=True)
    assert f"¥{approved_total}" in _card(queue, first)
    assert queue.index(f'href="/purchases/{second}"') < queue.index(f'href="/purchases/{first}"')


def test_decide_with_a_stale_version_is_409(app, env):
    """The requester changed the request after the manager loaded it: the approval is a 409, nothing decided."""
    wb = login(app, env.wb)
    req_id = _new_request(app, env, wb)
    r = wb.post(f"/purchases/{req_id}/edit", data={"version": "1", f"qty-{env.water}": "48"})
    assert r.status_code == 302
    boss = login(app, env.boss)
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve"})
    assert r.status_code == 409
    assert 'class="flash error"' in r.get_data(as_text=True)
    with app.app_context():
        req = db.session.get(PurchaseRequest, req_id)
        assert req.status == "pending" and req.version == 2 and req.lines[0].qty_requested == 48
    assert boss.post(f"/purchases/{req_id}/decide", data={"version": "2", "action": "approve"}).status_code == 302
    # deciding again is a conflict too
    assert boss.post(f"/purchases/{req_id}/decide", data={"version": "3", "action": "approve"}).status_code == 409


def test_reject_without_reason_is_422_with_the_error_at_the_note(app, env):
    """Rejecting without a note: 422 and the message under the note field; with a note it is rejected."""
    req_id = _new_request(app, env)
    boss = login(app, env.boss)
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "reject", "note": ""})
    assert r.status_code == 422
    assert re.search(r'<textarea name="note"[^>]*aria-invalid="true">\s*</textarea></label>\s*'
                     r'<small class="error">', r.get_data(as_text=True))
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "reject", "note": "库存够用"})
    assert r.status_code == 302
    assert _q(app, lambda: db.session.get(PurchaseRequest, req_id).status) == "rejected"


def test_manager_cannot_approve_own_request_on_the_page(app, env):
    """A manager who asked for a purchase gets 422 approving it; another manager can."""
    boss = login(app, env.boss)
    req_id = _new_request(app, env, boss)
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve"})
    assert r.status_code == 422
    assert _q(app, lambda: db.session.get(PurchaseRequest, req_id).status) == "pending"
    r = login(app, env.boss2).post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve"})
    assert r.status_code == 302


@pytest.mark.parametrize("raw", ["1.5", "-2", "abc", "1e9"])
def test_bad_quantities_are_422_not_500(app, env, raw):
    """Bad quantities in a new request, an approval and a receipt answer 422 with nothing saved."""
    wb = login(app, env.wb)
    r = wb.post("/purchases/new", data={f"qty-{env.water}": raw})
    assert r.status_code == 422
    assert _q(app, lambda: count_rows(PurchaseRequest, PurchaseRequest.site_id == env.site)) == 0
    req_id = _new_request(app, env, wb)
    line = _line_id(app, req_id, env.water)
    boss = login(app, env.boss)
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve", f"qty-{line}": raw})
    assert r.status_code == 422
    assert _q(app, lambda: db.session.get(PurchaseRequest, req_id).status) == "pending"
    boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve"})
    r = wb.post(f"/purchases/{req_id}/receive", data={f"qty-{line}": raw})
    assert r.status_code == 422
    assert _q(app, lambda: count_rows(Receipt, Receipt.request_id == req_id)) == 0


def test_receiving_beyond_approved_needs_a_note_on_the_page(app, env):
    """More than approved without a note: 422 under that line; with a note: received."""
    wb = login(app, env.wb)
    req_id = _new_request(app, env, wb)
    login(app, env.boss).post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve"})
    line = _line_id(app, req_id, env.water)
    r = wb.post(f"/purchases/{req_id}/receive", data={f"qty-{line}": "30"})
    assert r.status_code == 422
    assert re.search(rf'name="qty-{line}"[^>]*aria-invalid="true">\s*<small class="error">',
                     r.get_data(as_text=True))
    assert _q(app, lambda: on_hand(env.water)) == 30
    r = wb.post(f"/purchases/{req_id}/receive", data={f"qty-{line}": "30", "note": "多送6瓶"})
    assert r.status_code == 302
    assert _q(app, lambda: db.session.get(PurchaseRequest, req_id).status) == "received"
    assert _q(app, lambda: on_hand(env.water)) == 60


def test_receiving_a_pending_request_is_422(app, env):
    """A request the manager has not approved cannot be received."""
    wb = login(app, env.wb)
    req_id = _new_request(app, env, wb)
    line = _line_id(app, req_id, env.water)
    assert wb.post(f"/purchases/{req_id}/receive", data={f"qty-{line}": "24"}).status_code == 422
    assert _q(app, lambda: on_hand(env.water)) == 30


def test_fixture_release_flow(app, env):
    """The model-room attendant asks to release a vase; the manager approves; a moved_out row is posted."""
    mr = login(app, env.mr)
    assert mr.get("/purchases/releases").status_code == 200
    r = mr.post("/purchases/releases", data={"item_id": str(env.vase), "qty": "3", "reason": "送修"})
    assert r.status_code == 422
    r = mr.post("/purchases/releases", data={"item_id": str(env.water), "qty": "1", "reason": "送修"})
    assert r.status_code == 422
    r = mr.post("/purchases/releases", data={"item_id": str(env.vase), "qty": "1", "reason": "送修"})
    assert r.status_code == 302
    rel_id = _q(app, lambda: db.session.scalar(select(FixtureRelease.id).where(FixtureRelease.site_id == env.site)))
    assert login(app, env.boss).post("/purchases/releases", data={"item_id": str(env.vase), "qty": "1",
                                                                   "reason": "x"}).status_code == 403
    boss = login(app, env.boss)
    boss.post(f"/purchases/releases/{rel_id}/decide", data={"action": "reject", "note": ""})
    assert _q(app, lambda: db.session.get(FixtureRelease, rel_id).status) == "pending"
    r = boss.post(f"/purchases/releases/{rel_id}/decide", data={"action": "approve"})
    assert r.status_code == 302
    assert _q(app, lambda: db.session.get(FixtureRelease, rel_id).status) == "approved"
    assert _q(app, lambda: on_hand(env.vase)) == 1


@pytest.mark.parametrize("who,url", [("concierge", "/purchases/"), ("guard", "/purchases/"),
                                     ("mr", "/purchases/new"), ("lead", "/purchases/new"),
                                     ("wb", "/purchases/releases")])
def test_purchase_pages_are_403_for_other_posts(app, env, who, url):
    """Posts that do not buy or oversee purchases get 403."""
    assert login(app, getattr(env, who)).get(url).status_code == 403


@pytest.mark.parametrize("who,method,url", [
    ("wb", "get", "/purchases/{o.req}"),
    ("wb", "post", "/purchases/{o.req}/edit"),
    ("boss", "post", "/purchases/{o.req}/decide"),
    ("wb", "post", "/purchases/{o.req}/receive"),
    ("boss", "post", "/purchases/receipts/{o.receipt}/sign"),
    ("boss", "post", "/purchases/releases/{o.rel}/decide"),
])
def test_other_sites_purchase_ids_are_404(app, env, who, method, url):
    """Another site's requests, receipts and releases do not exist here, and nothing changes there."""
    c = login(app, getattr(env, who))
    r = getattr(c, method)(url.format(o=env.other), data={"version": "2", "action": "approve",
                                                          f"qty-{env.other.line}": "1", "note": "x"})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(Receipt, env.other.receipt).signed_at is None
        assert db.session.get(FixtureRelease, env.other.rel).status == "pending"
        assert db.session.get(PurchaseRequest, env.other.req).status == "received"
        assert on_hand(env.other.item) == 14


def test_release_of_another_sites_fixture_is_refused(app, env):
    """Posting another site's item id to the release form is a 422 'choose an item', nothing saved."""
    r = login(app, env.mr).post("/purchases/releases", data={"item_id": str(env.other.vase), "qty": "1",
                                                             "reason": "x"})
    assert r.status_code == 422
    assert _q(app, lambda: count_rows(FixtureRelease)) == 1  # the other site's own


@pytest.mark.parametrize("qty", ["", "12"])
def test_after_approving_the_manager_lands_on_the_request_ready_to_receive(app, env, qty):
    """Approving (as asked, or fewer: approved in part) leads to the request's own page, where receiving the
    delivery is the one form; rejecting goes back to the queue."""
    req_id = _new_request(app, env)
    line = _line_id(app, req_id, env.water)
    boss = login(app, env.boss)
    r = boss.post(f"/purchases/{req_id}/decide", data={"version": "1", "action": "approve", f"qty-{line}": qty})
    assert r.status_code == 302 and r.location.endswith(f"/purchases/{req_id}")
    page = boss.get(r.location).get_data(as_text=True)
    assert f'action="/purchases/{req_id}/receive"' in page
    assert re.search(rf'name="qty-{line}"[^>]*value="{qty or 24}"', page)
    r = login(app, env.wb).post("/purchases/new", data={f"qty-{env.water}": "48", "idem": "req7654321"})
    rejected = int(r.location.rsplit("/", 1)[1])
    r = boss.post(f"/purchases/{rejected}/decide", data={"version": "1", "action": "reject", "note": "够用"})
    assert r.status_code == 302 and r.location.endswith("/purchases/")
