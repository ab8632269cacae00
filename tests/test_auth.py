"""Logging in and out, server-side sessions, the language switch and the login rate limit."""
from datetime import timedelta
from html import escape
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext

from hospitality import create_app
from hospitality.extensions import db, limiter
from hospitality.models import AuditLog, LoginSession, User, utcnow
from tests.factories import PASSWORD, make_site, make_user


def text(app, msgid: str, locale: str = "zh_Hans") -> str:
    """A message as a page in `locale` shows it (translated, HTML-escaped)."""
    with app.test_request_context(), force_locale(locale):
        return escape(gettext(msgid))


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def people(app):
    """A site with a water-bar attendant, a deactivated attendant and a manager."""
    with app.app_context():
        site = make_site()
        users = {
            "staff": make_user(site.id, "water_bar", username="xiaowang"),
            "gone": make_user(site.id, "water_bar", username="left", active=False),
            "manager": make_user(site.id, "manager", username="boss"),
        }
        return {"site": site.id} | {k: SimpleNamespace(id=u.id, name=u.name, badge_no=u.badge_no)
                                    for k, u in users.items()}


def login(client, username, password=PASSWORD, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"username": username, "password": password})


def test_login_ok_opens_a_session(app, client, people):
    """Right credentials redirect to today, open one server-side session and audit the login."""
    resp = login(client, "xiaowang")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and people["staff"].name in page.text
    with app.app_context():
        row = db.session.scalar(db.select(LoginSession))
        assert row.user_id == people["staff"].id and row.revoked_at is None
        assert db.session.scalar(db.select(AuditLog.action)) == "login"


@pytest.mark.parametrize("username, password, msgid", [
    ("xiaowang", "wrong-password", "Wrong username or password."),
    ("nobody", PASSWORD, "Wrong username or password."),
    ("left", PASSWORD, "This account has been deactivated. Ask your manager."),
])
def test_refused_login_says_why_and_saves_nothing(app, client, people, username, password, msgid):
    """A wrong password, unknown user or deactivated account gets 422, a clear message, no session."""
    resp = login(client, username, password)
    assert resp.status_code == 422
    assert text(app, msgid) in resp.text
    assert 'name="username"' in resp.text  # the form again, to correct
    with app.app_context():
        assert count(LoginSession) == 0 and count(AuditLog) == 0
    assert client.get("/").status_code == 302


def test_empty_login_form_is_422(client, people):
    """Submitting the login form empty re-renders it with 422 and opens no session."""
    resp = client.post("/login", data={})
    assert resp.status_code == 422 and 'name="password"' in resp.text
    assert client.get("/").status_code == 302


def test_next_param_redirects_inside_the_app(client, people):
    """After login, a local `next` path is followed."""
    resp = login(client, "boss", next_url="/admin/staff")
    assert resp.headers["Location"] == "/admin/staff"


@pytest.mark.parametrize("evil", [
    "//evil.example", "https://evil.example/", "http:evil.example", "/\\evil.example",
    "%2F%2Fevil.example", "/%09/evil.example", "javascript:alert(1)", "evil.example",
])
def test_next_param_never_leaves_the_site(client, people, evil):
    """A `next` pointing off the site (or that a browser would read so) lands on today instead."""
    resp = login(client, "xiaowang", next_url=evil)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_anonymous_page_redirects_to_login_with_next(client, people):
    """A plain GET without a login redirects to the login page, remembering where it was going."""
    resp = client.get("/board?date=2026-01-01")
    assert resp.status_code == 302
    loc = urlsplit(resp.headers["Location"])
    assert loc.path == "/login" and "next=" in loc.query and "board" in loc.query


def test_logout_revokes_a_copied_cookie(app, client, people):
    """After logout, a copy of the old session cookie no longer opens any page."""
    login(client, "xiaowang")
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/").status_code == 200  # the copy worked while the session was live
    resp = client.post("/logout")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    resp = replay.get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"
    with app.app_context():
        assert db.session.scalar(db.select(LoginSession.revoked_at)) is not None
        assert "logout" in db.session.scalars(db.select(AuditLog.action)).all()


def test_deactivating_a_user_ends_their_live_session(app, client, people):
    """When the manager deactivates someone, their phone is logged out at the next request."""
    login(client, "xiaowang")
    assert client.get("/").status_code == 200
    boss = app.test_client()
    login(boss, "boss")
    staff = people["staff"]
    resp = boss.post(f"/admin/staff/{staff.id}", data={
        "name": staff.name, "badge_no": staff.badge_no, "phone": "", "post": "water_bar"})
    assert resp.status_code == 302
    resp = client.get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"
    with app.app_context():
        assert db.session.get(User, staff.id).active is False
        live = db.session.scalar(db.select(db.func.count()).select_from(LoginSession).where(
            LoginSession.user_id == staff.id, LoginSession.revoked_at.is_(None)))
        assert live == 0
    assert boss.get("/").status_code == 200  # the manager's own session lives on
    assert login(app.test_client(), "xiaowang").status_code == 422


def test_language_switch_is_remembered_on_the_user(app, client, people):
    """A logged-in switch to English is stored on the user and follows them to another phone."""
    login(client, "xiaowang")
    resp = client.post("/language/en", data={"next": "/"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(User, people["staff"].id).locale == "en"
    other_phone = app.test_client()
    login(other_phone, "xiaowang")
    assert '<html lang="en">' in other_phone.get("/").text


def test_language_switch_sets_a_cookie_when_anonymous(app, client, people):
    """An anonymous switch is kept in a cookie; Chinese is the default without it."""
    assert '<html lang="zh-CN">' in client.get("/login").text
    resp = client.post("/language/en", data={"next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get_cookie("lang").value == "en"
    assert '<html lang="en">' in client.get("/login").text
    with app.app_context():
        assert db.session.scalars(db.select(User.locale)).all() == [None, None, None]


def test_unknown_language_falls_back_to_chinese(client, people):
    """A made-up language code is stored as Chinese, not as given."""
    client.post("/language/xx", data={"next": "/login"})
    assert client.get_cookie("lang").value == "zh_Hans"


@pytest.fixture
def limited_app(app, database_url):
    """A second app on the same database with a tight login rate limit."""
    was_enabled = limiter.enabled
    limited = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    yield limited
    limiter.reset()
    # The limiter is one object shared by every app in this process: give the others theirs back.
    limiter.enabled = was_enabled
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_login_is_rate_limited(limited_app, people):
    """The fourth login attempt within a minute gets 429 with a readable message, and no session."""
    client = limited_app.test_client()
    for _ in range(3):
        assert login(client, "xiaowang", "wrong-password").status_code == 422
    resp = login(client, "xiaowang")
    assert resp.status_code == 429
    assert text(limited_app, "Too many attempts. Please wait a minute and try again.") in resp.text
    assert "<html" in resp.text  # a page a person can read, not a bare error
    with limited_app.app_context():
        assert count(LoginSession) == 0
    assert client.get("/login").status_code == 200  # looking at the form is not limited


def _expire_sessions(app):
    with app.app_context():
        db.session.execute(LoginSession.__table__.update().values(
            expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()


def test_expired_session_on_htmx_answers_401_with_hx_redirect(app, client, people):
    """An htmx request after the session expired gets 401 and HX-Redirect to login, no fragment."""
    login(client, "xiaowang")
    assert client.get("/", headers={"HX-Request": "true"}).status_code == 200
    _expire_sessions(app)
    resp = client.get("/", headers={"HX-Request": "true"})
    assert resp.status_code == 401
    assert urlsplit(resp.headers["HX-Redirect"]).path == "/login"
    assert "<form" not in resp.text and "<html" not in resp.text
    resp = client.post("/logout", headers={"HX-Request": "true"})
    assert resp.status_code == 401 and urlsplit(resp.headers["HX-Redirect"]).path == "/login"


def test_expired_session_on_plain_get_redirects_to_login(app, client, people):
    """A plain GET after the session expired redirects to the login page."""
    login(client, "xiaowang")
    _expire_sessions(app)
    resp = client.get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"
