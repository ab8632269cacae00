"""Hostile input on every route and form: ids no id column can hold, and control characters in text.

The routes come from the app's URL map and the form bodies from the access matrix (tests/test_access.py with
tests/access_rules.py and tests/*/access.py), so a new route or form is covered as soon as it has its access
rule. Ids are tried at 2**31 (PostgreSQL's INTEGER ends just below) and 2**64 (SQLite's end is 2**63 - 1), so
either engine shows a missing bound.
"""
import re
from pathlib import Path

import pytest
from flask import request
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.forms import MAX_ID
from hospitality.inventory import services as inventory
from hospitality.models import Discrepancy, PurchaseRequest, Site, User
from hospitality.models.core import POSTS
from hospitality.purchasing import services as purchasing
from tests.access_rules import PUBLIC
from tests.test_access import MATRIX, ROUTES, _form, _log_in, _site_rows, snapshot

BIG = (2**31, 2**64)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PART = re.compile(r"<(?:([a-z]+):)?(\w+)>")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _names_read() -> list[str]:
    """Every name the views read with .get("…") / .getlist("…"): query and form fields beyond the matrix's."""
    source = "\n".join(p.read_text() for p in (Path(__file__).parents[1] / "hospitality").rglob("*.py"))
    return sorted(set(re.findall(r'\.get(?:list)?\(\s*"([A-Za-z_][\w-]*)"', source)))


NAMES = _names_read()


def _actor(rule) -> str | None:
    """Anonymous for a public route, else the first post the route admits."""
    return None if rule.allowed == PUBLIC else next(p for p in POSTS if p in rule.allowed)


def _url(path: str, ids: dict, rule, **override) -> str:
    fill = ids | {"filename": "app.css", "lang": "en"} | {k: ids[v] for k, v in rule.ids.items()} | override
    return _PART.sub(lambda m: str(fill[m.group(2)]), path)


def _with_controls(text: str) -> str:
    """The text with control characters hidden after its first character (NUL, ESC, BEL, DEL, C1)."""
    return text[:1] + "\x00\x1b\x07\x7f\x85" + text[1:]


def _stored_controls() -> list[str]:
    """Stored text holding a control character other than tab or line feed."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).all():
            found += [f"{table.name}: {v!r}" for v in row if isinstance(v, str) and CONTROL.search(v)]
    return found


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[1]} {r[0]}")
def test_hostile_ids_and_control_characters(app, client, route):
    """Ids beyond the id columns: 404 in a path, refused in a form, 5xx nowhere, nothing written; control
    characters in every value: the request does what the clean one does and stores none of them."""
    path, method = route
    rule = MATRIX.get(route)
    if rule is None:
        pytest.skip("no access rule yet: test_every_route_has_a_matrix_entry names it")
    who = _actor(rule)
    with app.app_context():
        ids = _site_rows("SITEA", who)
    if who:
        _log_in(app, client, ids["login_id"])
    failures = []

    def send(url, data=None, **kw):
        resp = client.open(url, method=method, data=data, **kw)
        if resp.status_code >= 500:
            failures.append(f"{url} {data}: {resp.status_code}")
        return resp

    def refused(label, url, data, statuses):
        with app.app_context():
            before = snapshot()
        resp = send(url, data)
        if resp.status_code not in statuses:
            failures.append(f"{label}: {resp.status_code}, expected one of {statuses}")
        with app.app_context():
            if snapshot() != before:
                failures.append(f"{label}: wrote to the database")

    # A path id no column holds does not match the route.
    for name in (m.group(2) for m in _PART.finditer(path) if m.group(1) == "int"):
        for big in BIG:
            refused(f"path {name}={big}", _url(path, ids, rule, **{name: big}), _form(rule.data, ids), {404})

    # A form id no column holds is refused like the id of a removed row: 404, or a message under the field.
    # An id in a field's name (qty-<item id>) names a row of a grid: one no longer there is skipped (no 5xx).
    def id_names(texts):
        return sorted({n for t in texts for n in _PLACEHOLDER.findall(t) if isinstance(ids.get(n), int)})

    for name in id_names(rule.data.values()):
        for big in BIG:
            refused(f"form {name}={big}", _url(path, ids, rule), _form(rule.data, ids | {name: big}), {404, 422})
    for name in id_names(rule.data):
        for big in BIG:
            send(_url(path, ids, rule), _form(rule.data, ids | {name: big}))

    # Control characters in every value change nothing: the same answer as the clean form, none stored.
    if rule.data:
        hostile = {key: _with_controls(value) for key, value in _form(rule.data, ids).items()}
        expected = rule.anon_status if who is None and rule.anon_status else rule.status
        resp = send(_url(path, ids, rule), hostile)
        if resp.status_code != expected:
            failures.append(f"control characters: {resp.status_code}, the clean form answers {expected}")
        with app.app_context():
            failures += _stored_controls()

    # Every name any view reads, at once, with an id no column holds and with a NUL: never a 5xx.
    for value in (str(2**64), "1\x00"):
        extra = {name: value for name in NAMES}
        if method == "GET":
            send(_url(path, ids, rule), query_string=extra)
        else:
            send(_url(path, ids, rule), extra | _form(rule.data, ids))

    assert not failures, "\n".join(failures)


def test_ids_are_bounded_where_they_are_parsed(app):
    """Out-of-range ids in any field that carries one read as MAX_ID (no row); text loses control characters."""
    form = {"user_id": "99999999999", "rep": " 2147483648 ", "qty-99999999999": "3", "name-new": "a\x00b",
            "phone": "13800138000", "note": "一\r\n二\x00\t三", "who": "²", "location_id": "-9999999999"}
    with app.test_request_context("/?before=99999999999&user_id=7", method="POST", data=form):
        assert request.form.to_dict() == {
            "user_id": str(MAX_ID), "rep": str(MAX_ID), f"qty-{MAX_ID}": "3", "name-new": "ab",
            "phone": "13800138000", "note": "一\n二\t三", "who": str(MAX_ID), "location_id": str(MAX_ID)}
        assert request.args.get("before", type=int) is None  # malformed, as "abc" would be
        assert request.args.get("user_id", type=int) == 7


def _confirmed(ids: dict) -> tuple[dict, int, None]:
    """The discrepancy confirmed by security, so the manager's close form is on the page."""
    site = db.session.get(Site, ids["site_id"])
    guard = db.session.scalar(select(User).where(User.username == "sitea-guard"))
    inventory.confirm_discrepancy(site, guard, db.session.get(Discrepancy, ids["disc_id"]), None)
    return {}, 302, None


def _own_request(ids: dict) -> tuple[dict, int, None]:
    """A pending request of the actor's own, so its edit form is on the page."""
    site = db.session.get(Site, ids["site_id"])
    req = purchasing.create_request(site, db.session.get(User, ids["actor_id"]), {ids["stock_item_id"]: "3"}, None,
                                    site.today(), None)
    return {"request_id": req.id}, 302, None


def _approved(ids: dict) -> tuple[dict, int, dict]:
    """The pending request approved, so its receive form is on the page (quantities by request line)."""
    site = db.session.get(Site, ids["site_id"])
    boss = db.session.scalar(select(User).where(User.username == "sitea-boss"))
    req = db.session.get(PurchaseRequest, ids["request_id"])
    purchasing.decide(site, boss, req, req.version, "approve")
    return {}, 302, {f"qty-{req.lines[0].id}": "1"}


# Free text whose input has a maxlength: (route, field, limit, who posts it, the page showing the field, a set-up
# putting the form on its page). A longer text is refused, never cut: the message under the field (inline list
# forms: flashed) and nothing saved; at the limit the form answers as usual; the page says the limit.
LIMITS = [
    (("/stock/loc/<int:location_id>/moves", "POST"), "note", 200, "water_bar", "/stock/loc/<int:location_id>", None),
    (("/stock/moves/<int:move_id>/reverse", "POST"), "note", 200, "manager", "/stock/items/<int:item_id>", None),
    (("/stock/discrepancies/<int:disc_id>/confirm", "POST"), "note", 500, "security",
     "/stock/discrepancies/<int:disc_id>", None),
    (("/stock/discrepancies/<int:disc_id>/close", "POST"), "note", 500, "manager",
     "/stock/discrepancies/<int:disc_id>", _confirmed),
    (("/purchases/new", "POST"), "note", 500, "water_bar", "/purchases/new", None),
    (("/purchases/<int:request_id>/edit", "POST"), "note", 500, "water_bar", "/purchases/<int:request_id>",
     _own_request),
    (("/purchases/<int:request_id>/decide", "POST"), "note", 500, "manager", "/purchases/<int:request_id>", None),
    (("/purchases/<int:request_id>/receive", "POST"), "note", 500, "water_bar", "/purchases/<int:request_id>",
     _approved),
    (("/purchases/releases", "POST"), "reason", 500, "model_room", "/purchases/releases", None),
    (("/purchases/releases/<int:release_id>/decide", "POST"), "note", 500, "manager", "/purchases/releases", None),
    (("/workers/new", "POST"), "purpose_note", 200, "security", "/workers/new", None),
    (("/workers/new", "POST"), "supervisor_name", 40, "security", None, None),
]


@pytest.mark.parametrize("route, field, limit, who, page, setup", LIMITS,
                         ids=[f"{r[0]} {f}" for r, f, *_rest in LIMITS])
def test_over_long_text_is_refused_not_cut(app, client, route, field, limit, who, page, setup):
    """One character over the input's maxlength: refused with the limit's message, nothing saved; at the limit
    the form answers as usual; the page shows the limit under the field."""
    rule = MATRIX[route]
    status, data = rule.status, rule.data
    with app.app_context():
        ids = _site_rows("SITEA", who)
        if setup is not None:
            more, status, form = setup(ids)
            ids, data = ids | more, form or data
    _log_in(app, client, ids["login_id"])
    message = f"最多 {limit} 个字。"
    url = _url(route[0], ids, rule)
    if page is not None:
        body = client.get(_url(page, ids, MATRIX[(page, "GET")])).get_data(as_text=True)
        assert f'<small class="limit">{message}</small>' in body
    with app.app_context():
        before = snapshot()
    resp = client.post(url, data=_form(data, ids) | {field: "字" * (limit + 1)}, follow_redirects=True)
    assert resp.status_code in (200, 422)  # 200: an inline form's flash, on the page it returns to
    assert message in resp.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before
    resp = client.post(url, data=_form(data, ids) | {field: "字" * limit})
    assert resp.status_code == status and message not in resp.get_data(as_text=True)


def test_prose_fields_of_wtforms_forms_show_their_limit(app, client):
    """A WTForms field of 200 characters or more says its limit under it (the field macro); a name does not."""
    with app.app_context():
        ids = _site_rows("SITEA", "manager")
    _log_in(app, client, ids["actor_id"])
    body = client.get(f"/checklists/templates/{ids['template_id']}/items/new").get_data(as_text=True)
    assert body.count('<small class="limit">最多 200 个字。</small>') == 2  # the item, in Chinese and English
    assert '<small class="limit">' not in client.get("/admin/reps").get_data(as_text=True)


def test_a_page_number_that_is_a_digit_but_not_a_number_is_page_one(app, client):
    """?page=² (a Unicode digit int() refuses) on the visit lists answers the first page, not a 500."""
    from tests.factories import PASSWORD, make_rep, make_site, make_user

    with app.app_context():
        site = make_site()
        make_user(site.id, "lead", username="lead-page")
        rep_id = make_rep(site.id, "页顾问").id
    client.post("/login", data={"username": "lead-page", "password": PASSWORD})
    for url in ("/visits/?page=²", f"/visits/reps/{rep_id}?page=²", "/visits/?page=0"):
        assert client.get(url).status_code == 200, url
