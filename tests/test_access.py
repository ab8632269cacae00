"""Who may reach what: every route × every post, anonymous visitors, and other sites' ids."""
import importlib
import re
import time
from html import escape
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy.exc import DBAPIError

from hospitality import create_app
from hospitality.auth.services import start_session
from hospitality.checklists import reads as checklist_reads
from hospitality.checklists import services as checklists
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import services as inventory
from hospitality.models import (
    ChecklistTemplate,
    CountLine,
    Discrepancy,
    Item,
    Location,
    PurchaseRequest,
    SalesRep,
    Site,
    StockMove,
    User,
    Visit,
)
from hospitality.models.core import HQ_POST, POSTS
from hospitality.purchasing import services as purchasing
from hospitality.seed import add_demo_items
from hospitality.visits import services as visits
from tests.access_rules import (  # Rule and the post sets
    ANY,
    ARRIVE,
    BAR,
    BAR_IDS,
    BUYERS,
    CONCIERGE,
    HASH,
    ITEM,
    LEAD_MANAGER,
    LOCATION,
    MANAGER,
    OVERSEE,
    PERSON,
    PLUGINS,
    PUBLIC,
    REP,
    STOCK,
    STOCK_IDS,
    STOCK_ITEM,
    TEMPLATE,
    Rule,
)
from tests.factories import make_site, routine
from tests.harness import empty_tables, put_back, snapshot

# (rule, method) → Rule. A route missing here fails test_access_matrix for every post.
MATRIX = {
    ("/static/<path:filename>", "GET"): Rule(PUBLIC),
    ("/healthz", "GET"): Rule(PUBLIC),
    ("/readyz", "GET"): Rule(PUBLIC),
    ("/metrics", "GET"): Rule(PUBLIC, status=404),  # no METRICS_TOKEN in the tests: it does not exist
    ("/login", "GET"): Rule(PUBLIC, status=302, anon_status=200),
    ("/login", "POST"): Rule(PUBLIC, status=302, anon_status=422,
                             data={"username": "nobody", "password": "wrong-password"}),
    ("/logout", "POST"): Rule(ANY, 302, writes=True),
    ("/language/<lang>", "POST"): Rule(PUBLIC, 302, data={"next": "/"}, writes=True),
    ("/site", "POST"): Rule(ANY, 302, data={"site_id": "{site_id}"}, writes=True),
    ("/", "GET"): Rule(ANY),
    ("/board", "GET"): Rule(LEAD_MANAGER),
    ("/checklists/<int:template_id>", "GET"): Rule(OVERSEE),
    ("/checklists/<int:template_id>/items/<int:item_id>", "POST"): Rule(
        frozenset({"water_bar"}), 302, data={"ok": "1"}, writes=True),
    ("/checklists/<int:template_id>/complete", "POST"): Rule(frozenset({"water_bar"}), 302),
    ("/checklists/runs/<int:run_id>", "GET"): Rule(OVERSEE),
    ("/checklists/templates", "GET"): Rule(MANAGER),
    ("/checklists/templates/<int:template_id>", "GET"): Rule(MANAGER),
    ("/checklists/templates/<int:template_id>", "POST"): Rule(MANAGER, 302, TEMPLATE, True),
    ("/checklists/templates/new", "GET"): Rule(MANAGER),
    ("/checklists/templates/new", "POST"): Rule(MANAGER, 302, TEMPLATE, True),
    ("/checklists/templates/<int:template_id>/items/<int:item_id>", "GET"): Rule(MANAGER),
    ("/checklists/templates/<int:template_id>/items/<int:item_id>", "POST"): Rule(
        MANAGER, 302, ITEM, True),
    ("/checklists/templates/<int:template_id>/items/new", "GET"): Rule(MANAGER),
    ("/checklists/templates/<int:template_id>/items/new", "POST"): Rule(MANAGER, 302, ITEM, True),
    ("/checklists/templates/<int:template_id>/items/<int:item_id>/move", "POST"): Rule(
        MANAGER, 302, {"step": "down"}, True),
    ("/admin/", "GET"): Rule(MANAGER),
    ("/admin/", "POST"): Rule(MANAGER, 302, {"name": "新名字", "timezone": "Asia/Shanghai"}, True),
    ("/admin/sites/new", "GET"): Rule(MANAGER),
    ("/admin/sites/new", "POST"): Rule(MANAGER, 302, {
        "name": "二期售楼处", "code": "PHASE2", "timezone": "Asia/Shanghai", "model_rooms": "1"}, True),
    ("/admin/locations/<int:location_id>", "GET"): Rule(MANAGER),
    ("/admin/locations/<int:location_id>", "POST"): Rule(MANAGER, 302, LOCATION, True),
    ("/admin/locations/new", "GET"): Rule(MANAGER),
    ("/admin/locations/new", "POST"): Rule(MANAGER, 302, LOCATION, True),
    ("/admin/staff", "GET"): Rule(MANAGER),
    ("/admin/staff/<int:user_id>", "GET"): Rule(MANAGER),
    ("/admin/staff/<int:user_id>", "POST"): Rule(MANAGER, 302, PERSON, True),
    ("/admin/staff/new", "GET"): Rule(MANAGER),
    ("/admin/staff/new", "POST"): Rule(MANAGER, 302, PERSON | {
        "username": "newcomer", "badge_no": "N-1", "password": "first-pass-1"}, True),
    ("/admin/reps", "GET"): Rule(MANAGER),
    ("/admin/reps", "POST"): Rule(MANAGER, 302, REP, True),
    ("/admin/reps/<int:rep_id>", "GET"): Rule(MANAGER),
    ("/admin/reps/<int:rep_id>", "POST"): Rule(MANAGER, 302, REP, True),
    ("/admin/audit", "GET"): Rule(MANAGER),
    ("/stock/", "GET"): Rule(STOCK),
    ("/stock/loc/<int:location_id>", "GET"): Rule(BAR, ids=BAR_IDS),
    ("/stock/loc/<int:location_id>/count", "POST"): Rule(BAR, 302, {"kind": "spot"}, True, ids=BAR_IDS),
    ("/stock/loc/<int:location_id>/moves", "POST"): Rule(
        BAR, 302, {"reason": "served", "qty-{stock_item_id}": "1", "idem": "matrix0001"}, True, ids=BAR_IDS),
    # The count is submitted already: submitting again is refused, cancelling it too.
    ("/stock/counts/<int:count_id>", "GET"): Rule(BAR | {"security"}),
    ("/stock/counts/<int:count_id>", "POST"): Rule(BAR | {"security"}, 422, {"all_match": "1"}),
    ("/stock/counts/<int:count_id>/cancel", "POST"): Rule(BAR, 302),
    ("/stock/discrepancies/<int:disc_id>", "GET"): Rule(STOCK),
    ("/stock/discrepancies/<int:disc_id>/confirm", "POST"): Rule(frozenset({"security"}), 302, writes=True),
    # Not confirmed by security yet, so the manager's close is refused.
    ("/stock/discrepancies/<int:disc_id>/close", "POST"): Rule(MANAGER, 422, {"reason": "lost", "note": "x"}),
    ("/stock/items", "GET"): Rule(MANAGER),
    ("/stock/items/new", "GET"): Rule(MANAGER),
    ("/stock/items/new", "POST"): Rule(MANAGER, 302, STOCK_ITEM, True),
    ("/stock/items/<int:item_id>/edit", "GET"): Rule(MANAGER, ids=STOCK_IDS),
    ("/stock/items/<int:item_id>/edit", "POST"): Rule(MANAGER, 302, STOCK_ITEM, True, ids=STOCK_IDS),
    ("/stock/items/<int:item_id>", "GET"): Rule(LEAD_MANAGER, ids=STOCK_IDS),
    # The demo water has no photo: staff who may see photos get 404 (served photos: tests/inventory/test_photos.py).
    ("/stock/items/<int:item_id>/photo", "GET"): Rule(STOCK, 404, ids=STOCK_IDS),
    # The shared count has no photos: staff get 404 (served: tests/visits/test_after_visit_count.py).
    ("/stock/counts/<int:count_id>/lines/<int:line_id>/photo", "GET"): Rule(
        STOCK, 404, ids={"line_id": "count_line_id"}),
    ("/stock/moves/<int:move_id>/reverse", "POST"): Rule(MANAGER, 302, {"note": "录错了"}, True),
    ("/stock/consumption", "GET"): Rule(OVERSEE),
    ("/stock/close", "GET"): Rule(frozenset({"water_bar"})),
    ("/stock/close", "POST"): Rule(frozenset({"water_bar"}), 302, writes=True),
    ("/purchases/", "GET"): Rule(OVERSEE),
    ("/purchases/new", "GET"): Rule(BUYERS),
    ("/purchases/new", "POST"): Rule(BUYERS, 302, {"qty-{stock_item_id}": "24", "idem": "matrix0002"}, True),
    ("/purchases/<int:request_id>", "GET"): Rule(OVERSEE),
    # Someone else's pending request: only its requester edits it, and it is not approved yet.
    ("/purchases/<int:request_id>/edit", "POST"): Rule(BUYERS, 422, {"version": "1", "qty-{stock_item_id}": "1"}),
    ("/purchases/<int:request_id>/decide", "POST"): Rule(MANAGER, 302, {"version": "1", "action": "approve"},
                                                        True),
    ("/purchases/<int:request_id>/receive", "POST"): Rule(BUYERS, 422, {"qty-{stock_item_id}": "1"}),
    ("/purchases/receipts/<int:receipt_id>/sign", "POST"): Rule(MANAGER, 302, writes=True),
    ("/purchases/releases", "GET"): Rule(frozenset({"model_room", "lead", "manager"})),
    ("/purchases/releases", "POST"): Rule(frozenset({"model_room"}), 302, {
        "item_id": "{fixture_id}", "qty": "1", "reason": "拿去清洗", "idem": "matrix0003"}, True),
    ("/purchases/releases/<int:release_id>/decide", "POST"): Rule(MANAGER, 302, {"action": "approve"}, True),
    # A group on site: arrived by car, greeted, umbrellas out, in model room 1.
    ("/visits/", "GET"): Rule(ANY),
    ("/visits/live", "GET"): Rule(ANY),
    ("/visits/new", "GET"): Rule(ARRIVE),
    ("/visits/new", "POST"): Rule(ARRIVE, 302, {"party_size": "2", "by_car": "0", "idem": "matrix0005"}, True),
    ("/visits/plate", "GET"): Rule(ARRIVE, 302),  # a plain GET goes to the form; htmx gets the hint
    ("/visits/<int:visit_id>", "GET"): Rule(ANY),
    # Security recorded this group at the gate: it has seen it already, its "Seen" writes nothing.
    ("/visits/<int:visit_id>/seen", "POST"): Rule(frozenset({"water_bar", "concierge", "model_room", "security"}), 302,
                                                  writes=frozenset({"water_bar", "concierge", "model_room"})),
    ("/visits/<int:visit_id>/greet", "POST"): Rule(CONCIERGE, 302, {"purpose": "return", "rep_id": "{rep_id}"},
                                                   True),
    ("/visits/<int:visit_id>/serve", "POST"): Rule(frozenset({"water_bar"}), 302, {
        "qty-{stock_item_id}": "1", "idem": "matrix0006"}, True),
    ("/visits/<int:visit_id>/refill", "POST"): Rule(frozenset({"water_bar"}), 302, writes=True),
    ("/visits/<int:visit_id>/umbrellas", "POST"): Rule(CONCIERGE, 302, {"qty": "1"}, True),
    ("/visits/<int:visit_id>/umbrellas/return", "POST"): Rule(CONCIERGE, 302, {"return_qty": "1"}, True),
    ("/visits/<int:visit_id>/rooms", "POST"): Rule(frozenset({"model_room"}), 302, {
        "location_id": "{room2_id}", "rep_id": "{rep_id}"}, True),
    ("/visits/rooms/<int:room_visit_id>/leave", "POST"): Rule(frozenset({"model_room"}), 302, writes=True),
    ("/visits/<int:visit_id>/depart", "POST"): Rule(ARRIVE, 302, writes=True),
    ("/visits/<int:visit_id>/car-left", "POST"): Rule(frozenset({"security"}), 302, writes=True),
    ("/visits/<int:visit_id>/correct", "POST"): Rule(LEAD_MANAGER, 302, {"party_size": "4", "purpose": "event"},
                                                     True),
}


def _plugins() -> list:
    """Capability modules with access rules; one not written yet is skipped."""
    found = []
    for name in PLUGINS:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
    return found


PLUGIN_MODULES = _plugins()
for _mod in PLUGIN_MODULES:
    MATRIX |= _mod.MATRIX


def _app_routes() -> list[tuple[str, str]]:
    """Every (rule, method) the app serves, read from its URL map."""
    app = create_app({"TESTING": True, "SECRET_KEY": "routes", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.engine.dispose()
    return sorted({(r.rule, m) for r in app.url_map.iter_rules()
                   for m in r.methods - {"HEAD", "OPTIONS"}})


ROUTES = _app_routes()
WHO = [*POSTS, "anonymous"]  # anonymous: not logged in


def text(app, msgid: str) -> str:
    """A message as the default (Chinese) page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return escape(gettext(msgid))


def _user(site_id: int, post: str, username: str) -> User:
    with write_tx():
        user = User(site_id=site_id, username=username, name=f"{post}员工", badge_no=username,
                    post=post, password_hash=HASH)
        if post == "manager":
            user.managed_sites.append(db.session.get(Site, site_id))
        db.session.add(user)
    return user


def _site_rows(code: str, who: str | None) -> dict:
    """A site with its default content, a person of post `who`, another person, a rep and a run."""
    site = make_site(code=code)
    actor = _user(site.id, who, f"{code.lower()}-{who}") if who else None
    other = _user(site.id, "water_bar", f"{code.lower()}-other")
    with write_tx():
        rep = SalesRep(site_id=site.id, name=f"{code}顾问")
        db.session.add(rep)
    tpl = routine(site.id, "water_bar")
    item = tpl.active_items[0]
    site = db.session.get(Site, site.id)
    checklists.answer_item(site, db.session.get(User, other.id), tpl, item, "1", None, None)
    stock = _stock_rows(site, other.id)
    stock |= _visit_rows(db.session.get(Site, site.id), rep.id)
    ids = stock | {
        "site_id": site.id,
        "template_id": tpl.id,
        "item_id": item.id,
        "run_id": checklist_reads.find_run(tpl, site.today()).id,
        "location_id": db.session.scalar(db.select(Location.id).where(Location.site_id == site.id)),
        "user_id": other.id,
        "rep_id": rep.id,
        # Head office works at no site: the capabilities' rows are built as for a visitor, without it.
        "actor_id": actor.id if actor and who != HQ_POST else None,
        "login_id": actor.id if actor else None,
    }
    for mod in PLUGIN_MODULES:
        ids |= mod.rows(db.session.get(Site, site.id), ids)
    return ids


def _stock_rows(site: Site, attendant_id: int) -> dict:
    """Demo items, a count with a discrepancy, a pending and a received request, a release."""
    attendant = db.session.get(User, attendant_id)
    keeper = _user(site.id, "model_room", f"{site.code.lower()}-keeper")
    boss = _user(site.id, "manager", f"{site.code.lower()}-boss")
    with write_tx():
        add_demo_items(db.session.get(Site, site.id), attendant_id)
    site = db.session.get(Site, site.id)
    bar = next(loc for loc in site.locations if loc.kind == "water_bar")
    water, *_rest = inventory.location_items(bar.id)
    fixture = next(i for i in db.session.scalars(db.select(Item).where(Item.site_id == site.id,
                                                                       Item.kind == "fixture")))
    count = inventory.start_count(site, attendant, bar, "opening")
    count = inventory.submit_count(site, attendant, count, {i.id: "0" for i in inventory.location_items(bar.id)})
    disc = db.session.scalar(db.select(Discrepancy).where(Discrepancy.count_id == count.id))
    received = purchasing.create_request(site, attendant, {water.id: "24"}, None, site.today(), None)
    purchasing.decide(site, db.session.get(User, boss.id), received, received.version, "approve")
    receipt = purchasing.receive(site, attendant, db.session.get(PurchaseRequest, received.id),
                                 {received.lines[0].id: "24"}, None, None)
    pending = purchasing.create_request(site, attendant, {water.id: "12"}, None, site.today(), None)
    release = purchasing.request_release(site, db.session.get(User, keeper.id), fixture, "1", "送洗", None)
    return {"bar_id": bar.id, "stock_item_id": water.id,
            "count_line_id": db.session.scalar(db.select(CountLine.id).where(CountLine.count_id == count.id)
                                               .limit(1)),
            "fixture_id": fixture.id, "count_id": count.id,
            "disc_id": disc.id, "request_id": pending.id, "receipt_id": receipt.id, "release_id": release.id,
            "move_id": db.session.scalar(db.select(StockMove.id).where(StockMove.item_id == water.id)
                                         .order_by(StockMove.id).limit(1))}


def _visit_rows(site: Site, rep_id: int) -> dict:
    """A group on site by car, greeted, with umbrellas out and inside model room 1."""
    guard = _user(site.id, "security", f"{site.code.lower()}-guard")
    desk = _user(site.id, "concierge", f"{site.code.lower()}-desk")
    keeper = db.session.scalar(db.select(User).where(User.username == f"{site.code.lower()}-keeper"))
    visit = visits.record_arrival(site, guard, 3, True, "粤B12345", None)
    visit = visits.greet(site, desk, db.session.get(Visit, visit.id), "first", rep_id)
    loan = visits.lend_umbrellas(site, desk, visit, 2)
    room, room2 = visits.model_rooms(site.id)[:2]
    rv = visits.admit(site, keeper, visit, room.id, rep_id)
    return {"visit_id": visit.id, "loan_id": loan.id, "room_visit_id": rv.id, "room2_id": room2.id}


def _log_in(app, client, user_id: int) -> None:
    """Open a server-side session and hand its token to the test client (no password hashing)."""
    with app.test_request_context():
        token = start_session(db.session.get(User, user_id)).token
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True


class World:
    """Sites A (the user's) and B (someone else's) for one `who`, with the actor's login session."""

    MAX_AGE = 240  # seconds: rows made relative to now (a lock of 5 minutes, sessions) must stay as built

    def __init__(self, app, who: str):
        self.app, self.who = app, None if who == "anonymous" else who
        self.build()

    def build(self) -> None:
        """Empty the tables, build both sites and open the actor's session; keep a snapshot of every row."""
        with self.app.app_context():
            empty_tables()
            self.a = _site_rows("SITEA", self.who)
            self.b = _site_rows("SITEB", "manager")
            self.token = None
            if self.who:
                with self.app.test_request_context():
                    self.token = start_session(db.session.get(User, self.a["login_id"])).token
            self.rows = snapshot()
        self.built_at, self.now = time.monotonic(), None

    def log_in(self, client) -> None:
        """Hand the actor's session token to a test client (no password, nothing written)."""
        if self.token:
            with client.session_transaction() as sess:
                sess["_user_id"] = self.token
                sess["_fresh"] = True

    def changed(self) -> bool:
        """Whether the database differs from the rows as built (every case starts from them)."""
        with self.app.app_context():
            self.now = snapshot()
        return self.now != self.rows

    def reset(self) -> None:
        """Put back what a case wrote (only the rows that differ); rebuild if that fails or the world is old."""
        if time.monotonic() - self.built_at > self.MAX_AGE:
            self.build()
            return
        if self.now is None:
            self.changed()
        now, self.now = self.now, None
        if now == self.rows:
            return
        try:
            with self.app.app_context():
                put_back(self.rows, now)
            same = not self.changed()
        except DBAPIError:
            same = False
        if not same:
            self.build()


@pytest.fixture(scope="module")
def world(app, request):
    """The world of one `who` (a post, or anonymous), built once for this module's tests of that `who` (pytest runs
    them one after the other); the tables are emptied when the module is done with it."""
    built = World(app, request.param)
    yield built
    with app.app_context():
        empty_tables()


@pytest.fixture
def case(app, client, world):
    """(who, A's ids, B's ids), the client logged in on A as `who`; what the test wrote is put back after it, so
    every case starts from the rows as built."""
    world.now = None
    world.log_in(client)
    yield world.who, world.a, world.b
    world.reset()


def url_for_rule(rule: str, ids: dict, rename: dict | None = None) -> str:
    fill = ids | {"filename": "app.css", "lang": "en"} | {k: ids[v] for k, v in (rename or {}).items()}
    return re.sub(r"<(?:[a-z]+:)?(\w+)>", lambda m: str(fill[m.group(1)]), rule)


def _form(data: dict, ids: dict) -> dict:
    return {k.format(**ids): v.format(**ids) for k, v in data.items()}


def test_every_route_has_a_matrix_entry():
    """The matrix names exactly the routes the app serves: a new route needs an access rule."""
    missing = sorted(set(ROUTES) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(ROUTES))
    assert not missing, f"routes without an access rule: {missing}"
    assert not stale, f"access rules for routes that no longer exist: {stale}"


@pytest.mark.parametrize("world", WHO, indirect=True)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[1]} {r[0]}")
def test_access_matrix(app, client, world, case, route):
    """Each post reaches exactly its routes (others get 403); anonymous visitors go to login."""
    who, a, _b = case
    rule = MATRIX.get(route)
    assert rule is not None, f"no access rule for {route[1]} {route[0]}: add it to MATRIX"
    path, method = route
    url = url_for_rule(path, a, rule.ids)
    resp = client.open(url, method=method, data=_form(rule.data, a))
    changed = world.changed()  # the rows before are the world's as built

    if rule.allowed == PUBLIC:
        expected = rule.anon_status if who is None and rule.anon_status else rule.status
        assert resp.status_code == expected
        assert changed == (rule.writes and who is not None)
        return
    if who is None:
        assert resp.status_code == 302
        assert urlsplit(resp.headers["Location"]).path == "/login"
        assert not changed
        return
    if who in rule.allowed:
        assert resp.status_code == rule.status, resp.text[:500]
        if resp.status_code == 200:
            assert "<html" in resp.text and text(app, "Your post does not have access to this page.") \
                not in resp.text
        writes = rule.writes if isinstance(rule.writes, bool) else who in rule.writes
        assert changed == (method == "POST" and writes)
    else:
        assert resp.status_code == 403
        assert text(app, "Your post does not have access to this page.") in resp.text
        assert not changed


OTHER_SITE = [
    ("GET", "/admin/staff/{b[user_id]}"),
    ("POST", "/admin/staff/{b[user_id]}"),
    ("GET", "/admin/locations/{b[location_id]}"),
    ("POST", "/admin/locations/{b[location_id]}"),
    ("GET", "/admin/reps/{b[rep_id]}"),
    ("POST", "/admin/reps/{b[rep_id]}"),
    ("GET", "/checklists/{b[template_id]}"),
    ("POST", "/checklists/{b[template_id]}/complete"),
    ("GET", "/checklists/runs/{b[run_id]}"),
    ("GET", "/checklists/templates/{b[template_id]}"),
    ("POST", "/checklists/templates/{b[template_id]}"),
    ("GET", "/checklists/templates/{b[template_id]}/items/{b[item_id]}"),
    ("POST", "/checklists/templates/{b[template_id]}/items/{b[item_id]}"),
    ("GET", "/checklists/templates/{b[template_id]}/items/new"),
    ("POST", "/checklists/templates/{b[template_id]}/items/new"),
    ("POST", "/checklists/templates/{b[template_id]}/items/{b[item_id]}/move"),
    ("GET", "/checklists/templates/{a[template_id]}/items/{b[item_id]}"),  # A's template, B's item
    ("POST", "/checklists/templates/{a[template_id]}/items/{b[item_id]}/move"),
    ("POST", "/site"),
    ("GET", "/stock/loc/{b[bar_id]}"),
    ("POST", "/stock/loc/{b[bar_id]}/count"),
    ("GET", "/stock/counts/{b[count_id]}"),
    ("GET", "/stock/discrepancies/{b[disc_id]}"),
    ("POST", "/stock/discrepancies/{b[disc_id]}/close"),
    ("GET", "/stock/items/{b[stock_item_id]}"),
    ("GET", "/stock/items/{b[stock_item_id]}/edit"),
    ("POST", "/stock/moves/{b[move_id]}/reverse"),
    ("GET", "/purchases/{b[request_id]}"),
    ("POST", "/purchases/{b[request_id]}/decide"),
    ("POST", "/purchases/receipts/{b[receipt_id]}/sign"),
    ("POST", "/purchases/releases/{b[release_id]}/decide"),
    ("GET", "/visits/{b[visit_id]}"),
    ("POST", "/visits/{b[visit_id]}/correct"),
]
FORMS = {"/admin/staff": PERSON, "/admin/locations": LOCATION, "/admin/reps": REP,
         "/move": {"step": "up"}, "/items": ITEM, "/site": {"site_id": "{site_b}"}}


@pytest.mark.parametrize("world", ["manager"], indirect=True)
@pytest.mark.parametrize("method, path", OTHER_SITE, ids=lambda v: v)
def test_other_sites_ids_are_404_for_a_manager(app, client, case, method, path):
    """A manager of site A asking for site B's rows gets 404, and a POST writes nothing."""
    _who, a, b = case
    url = path.format(a=a, b=b)
    data = next((f for key, f in FORMS.items() if key in url), TEMPLATE)
    with app.app_context():
        before = snapshot()
    resp = client.open(url, method=method, data=_form(data, {"site_b": b["site_id"]}))
    assert resp.status_code == 404
    assert text(app, "Not found. It may belong to another site or have been removed.") in resp.text
    with app.app_context():
        assert snapshot() == before
        assert db.session.get(ChecklistTemplate, b["template_id"]).name != TEMPLATE["name"]


@pytest.mark.parametrize("world", ["water_bar"], indirect=True)
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_answering_another_sites_checklist_is_404(app, client, case, htmx):
    """A water-bar attendant of A answering B's water-bar routine gets 404 and nothing is written."""
    _who, a, b = case
    headers = {"HX-Request": "true"} if htmx else {}
    with app.app_context():
        before = snapshot()
    for url in (f"/checklists/{b['template_id']}/items/{b['item_id']}",
                f"/checklists/{a['template_id']}/items/{b['item_id']}"):
        resp = client.post(url, data={"ok": "0", "note": "坏了"}, headers=headers)
        assert resp.status_code == 404
        assert text(app, "Not found. It may belong to another site or have been removed.") in resp.text
        assert ("<html" in resp.text) is not htmx  # htmx gets a toast, a browser a page
    with app.app_context():
        assert snapshot() == before
