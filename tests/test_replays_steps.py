"""Two steps whose replay used to be refused: a handover accepted, a purchase request edited. The same form sent
again (a double tap, a retry after a time-out) answers as the first did and writes nothing; another person, another
form (another key), or a replay after the thing changed is still refused."""
from datetime import UTC

from hospitality.extensions import db
from hospitality.handover import services as handover
from hospitality.models import PurchaseRequest
from hospitality.purchasing import services as purchasing
from tests.factories import fresh, handover_env, site_of, submitted_water_bar, visit_env, who
from tests.harness import login, snapshot
from tests.harness import text as shown
from tests.test_idempotency import Replay, _replay

KEY = "replaykey000001"  # the key tests.test_idempotency._replay sends


def _unchanged(app, before: dict) -> None:
    with app.app_context():
        after = snapshot()
    changed = {t for t in after if after[t] != before[t]}
    assert not changed, f"wrote to {sorted(changed)}"


def _snapshot(app) -> dict:
    with app.app_context():
        return snapshot()


# Purchasing: the requester edits a pending request.

def _pending_request(env) -> PurchaseRequest:
    site = site_of(env)
    return purchasing.create_request(site, who(env, "water_bar"), {env.water: "5"}, None, site.today(), None)


def _edit(env, req: PurchaseRequest) -> Replay:
    return Replay(env.names["water_bar"], f"/purchases/{req.id}/edit",
                  {"version": str(req.version), f"qty-{env.water}": "8", "note": "周末客多"})


def test_a_purchase_edit_sent_twice_saves_once(app):
    """The edit form sent again answers with the same redirect to the request; no second version, no audit row."""
    env = visit_env(app)
    with app.test_request_context():
        req = _pending_request(env)
        case = _edit(env, req)
        version = req.version
    _replay(app, case)
    with app.app_context():
        saved = db.session.get(PurchaseRequest, req.id)
        assert saved.version == version + 1 and saved.note == "周末客多"
        assert [str(ln.qty_requested.normalize()) for ln in saved.lines] == ["8"]


def test_another_edit_with_the_old_version_is_still_a_conflict(app):
    """Another form (another key) sent with the version the first edit replaced: 409, nothing saved."""
    env = visit_env(app)
    with app.test_request_context():
        req = _pending_request(env)
        case = _edit(env, req)
    phone = login(app, case.user)
    assert phone.post(case.url, data=case.data | {"idem": KEY}).status_code == 302
    before = _snapshot(app)
    r = phone.post(case.url, data=case.data | {"idem": "otherkey000002", f"qty-{env.water}": "9"})
    assert r.status_code == 409
    assert shown(app, "This request was changed meanwhile. Reload and try again.") in r.get_data(as_text=True)
    _unchanged(app, before)
    r = phone.post(case.url, data=case.data | {f"qty-{env.water}": "9"})  # no key at all: the same
    assert r.status_code == 409
    _unchanged(app, before)


def test_an_edit_keeps_working_after_a_replay(app):
    """After a replay, the next form (the page shows the new version, a new key) saves as usual."""
    env = visit_env(app)
    with app.test_request_context():
        req = _pending_request(env)
        case = _edit(env, req)
    phone = login(app, case.user)
    for _ in range(2):
        assert phone.post(case.url, data=case.data | {"idem": KEY}).status_code == 302
    r = phone.post(case.url, data=case.data | {"idem": "nextkey0000003", "version": str(int(case.data["version"]) + 1),
                                               f"qty-{env.water}": "12"})
    assert r.status_code == 302
    with app.app_context():
        saved = db.session.get(PurchaseRequest, req.id)
        assert saved.version == int(case.data["version"]) + 2
        assert [str(ln.qty_requested.normalize()) for ln in saved.lines] == ["12"]


# Handover: the incoming person accepts.

def _accept(env, h) -> Replay:
    return Replay(env.names["wb_in"], f"/handover/{h.id}/accept", {})


def _already(app, env, hid: int) -> str:
    with app.app_context():
        at = fresh(hid).accepted_at.replace(tzinfo=UTC).astimezone(site_of(env).tz)
    return shown(app, "You already accepted this handover at %(time)s.", time=at.strftime("%H:%M"))


def test_a_handover_accept_sent_twice_accepts_once(app):
    """The accept form sent again answers with the same redirect; no second audit row."""
    env = handover_env(app)
    with app.test_request_context():
        h = submitted_water_bar(env)
        case = _accept(env, h)
    _replay(app, case)
    with app.app_context():
        assert fresh(h.id).status == "accepted"


def test_someone_else_accepting_is_still_refused(app):
    """The outgoing colleague sending an accept (even with the same key) is refused, as is another form of the
    incoming person's (another key, or none) once the handover is accepted; nothing is written."""
    env = handover_env(app)
    with app.test_request_context():
        h = submitted_water_bar(env)
        case = _accept(env, h)
    incoming = login(app, case.user)
    assert incoming.post(case.url, data={"idem": KEY}).status_code == 302
    outgoing = login(app, env.names["wb_out"])
    before = _snapshot(app)
    r = outgoing.post(case.url, data={"idem": KEY})
    assert r.status_code == 422
    with app.app_context():
        name = who(env, "wb_in").name
    assert shown(app, "This handover is addressed to %(name)s.", name=name) in r.get_data(as_text=True)
    _unchanged(app, before)
    for data in ({"idem": "otherkey000002"}, {}):
        r = incoming.post(case.url, data=data)
        assert r.status_code == 422 and _already(app, env, h.id) in r.get_data(as_text=True)
    _unchanged(app, before)


def test_a_replay_after_the_handover_changed_is_refused(app):
    """Accepted with a disputed line, which the lead then resolves: the accept form sent again is told it was
    accepted already, and writes nothing."""
    env = handover_env(app)
    with app.test_request_context():
        h = submitted_water_bar(env)
        key_line = next(ln for ln in h.lines if ln.kind == "key")
        handover.dispute(site_of(env), who(env, "wb_in"), key_line, "钥匙不在领班处")
        case = _accept(env, h)
    incoming = login(app, case.user)
    assert incoming.post(case.url, data={"idem": KEY}).status_code == 302
    lead = login(app, env.names["lead"])
    assert lead.post(f"/handover/lines/{key_line.id}/resolve", data={"note": "在保安室找到"}).status_code == 302
    before = _snapshot(app)
    r = incoming.post(case.url, data={"idem": KEY})
    assert r.status_code == 422 and _already(app, env, h.id) in r.get_data(as_text=True)
    _unchanged(app, before)
