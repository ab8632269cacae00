"""CSRF protection switched on, as in production: forms and htmx requests carry a token."""
import re
import time
from html import escape

import pytest
from flask_babel import force_locale, gettext
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from hospitality import create_app, templating
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistAnswer, LoginSession
from tests.factories import PASSWORD, make_site, make_user, routine
from tests.harness import count_rows, csrf_token

EXPIRED = "This form has expired. Please reload the page and try again."


@pytest.fixture
def csrf_app(app, database_url):
    """A second app on the same database with CSRF checks on."""
    checked = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False,
    })
    yield checked
    with checked.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def setup(csrf_app):
    """A water-bar attendant and the ids of their opening routine's first yes/no item."""
    with csrf_app.app_context():
        site = make_site()
        make_user(site.id, "water_bar", username="xiaowang")
        tpl = routine(site.id, "water_bar")
        item = next(i for i in tpl.active_items if i.answer_type == "check")
        return {"template_id": tpl.id, "item_id": item.id}


def expired_message(app, locale="zh_Hans") -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext(EXPIRED)


def log_in(client):
    """Log in through the real form, token included."""
    token = csrf_token(client.get("/login").text)
    resp = client.post("/login", data={"username": "xiaowang", "password": PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code == 302


def header_token(html: str) -> str:
    """The token base.html hands htmx in hx-headers."""
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def test_post_without_token_is_refused_in_chinese(csrf_app, setup):
    """A form posted without a token gets 400 and the "form has expired" message in Chinese."""
    client = csrf_app.test_client()
    resp = client.post("/login", data={"username": "xiaowang", "password": PASSWORD})
    assert resp.status_code == 400
    message = expired_message(csrf_app)
    assert escape(message) in resp.text
    assert re.search(r"[\u4e00-\u9fff]", message), "the message has no Chinese translation"
    assert '<html lang="zh-CN">' in resp.text
    with csrf_app.app_context():
        assert count_rows(LoginSession) == 0


def test_htmx_post_with_header_token_returns_the_fragment(csrf_app, setup):
    """htmx sends the page's token in X-CSRFToken; the answer comes back as the item fragment."""
    client = csrf_app.test_client()
    log_in(client)
    page = client.get(f"/checklists/{setup['template_id']}")
    assert page.status_code == 200
    resp = client.post(f"/checklists/{setup['template_id']}/items/{setup['item_id']}",
                       data={"ok": "1"},
                       headers={"HX-Request": "true", "X-CSRFToken": header_token(page.text)})
    assert resp.status_code == 200
    assert f'id="item-{setup["item_id"]}"' in resp.text and "<html" not in resp.text
    with csrf_app.app_context():
        assert db.session.scalar(db.select(ChecklistAnswer.ok)) is True


def _token_from_another_phone(csrf_app, setup):
    other = csrf_app.test_client()
    log_in(other)
    return header_token(other.get(f"/checklists/{setup['template_id']}").text)


class _YesterdaySigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 24 * 3600


def _token_from_yesterday(csrf_app, client):
    """This session's own token, signed as Flask-WTF does but a day ago (past the time limit)."""
    client.get("/")  # make sure the session holds a raw token
    with client.session_transaction() as sess:
        raw = sess["csrf_token"]
    signer = URLSafeTimedSerializer(csrf_app.secret_key, salt="wtf-csrf-token",
                                    signer=_YesterdaySigner)
    return signer.dumps(raw)


@pytest.mark.parametrize("kind", ["garbage", "other_session", "expired"])
def test_bad_token_is_refused_and_nothing_saved(csrf_app, setup, kind):
    """A garbage, foreign or expired token gets 400 with the expiry message; no answer is saved."""
    client = csrf_app.test_client()
    log_in(client)
    token = {
        "garbage": lambda: "not-a-token",
        "other_session": lambda: _token_from_another_phone(csrf_app, setup),
        "expired": lambda: _token_from_yesterday(csrf_app, client),
    }[kind]()
    with csrf_app.app_context():
        audit_before = count_rows(AuditLog)
    url = f"/checklists/{setup['template_id']}/items/{setup['item_id']}"
    resp = client.post(url, data={"ok": "1"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert resp.status_code == 400
    assert escape(expired_message(csrf_app)) in resp.text and "<html" not in resp.text
    resp = client.post(url, data={"ok": "1", "csrf_token": token})
    assert resp.status_code == 400 and "<html" in resp.text
    with csrf_app.app_context():
        assert count_rows(ChecklistAnswer) == 0 and count_rows(AuditLog) == audit_before
    fresh = header_token(client.get(f"/checklists/{setup['template_id']}").text)
    ok = client.post(url, data={"ok": "1"}, headers={"HX-Request": "true", "X-CSRFToken": fresh})
    assert ok.status_code == 200  # the same phone recovers by reloading the page


def test_pages_of_a_session_reuse_one_signed_token_that_posts(csrf_app, setup, monkeypatch):
    """The token is signed once per session for a few minutes: two pages carry the same one, a form posts
    with it, another session gets its own, and after the re-sign interval a fresh one is signed."""
    client = csrf_app.test_client()
    log_in(client)
    first = header_token(client.get("/").text)
    page = client.get(f"/checklists/{setup['template_id']}")
    assert header_token(page.text) == first == csrf_token(page.text)
    resp = client.post(f"/checklists/{setup['template_id']}/items/{setup['item_id']}", data={"ok": "1"},
                       headers={"HX-Request": "true", "X-CSRFToken": first})
    assert resp.status_code == 200
    assert _token_from_another_phone(csrf_app, setup) != first
    monkeypatch.setattr(templating, "CSRF_RESIGN_SECONDS", -1)  # as if the interval had passed
    time.sleep(1.1)  # the signature carries the time in seconds
    again = header_token(client.get("/").text)
    assert again != first
    resp = client.post(f"/checklists/{setup['template_id']}/items/{setup['item_id']}", data={"ok": "1"},
                       headers={"HX-Request": "true", "X-CSRFToken": again})
    assert resp.status_code == 200
