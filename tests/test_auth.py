"""Logging in and out, server-side sessions, the language switch, the per-account lockout and the login rate
limit (with and without a trusted proxy)."""
import threading
from datetime import UTC, timedelta
from html import escape
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import request
from flask_babel import force_locale, gettext

import hospitality.models.core as core_models
from hospitality import create_app
from hospitality.auth import lockout, services
from hospitality.extensions import db, limiter
from hospitality.models import AuditLog, LoginSession, User, utcnow
from tests.factories import PASSWORD, make_site, make_user
from tests.harness import count_rows


def text(app, msgid: str, locale: str = "zh_Hans") -> str:
    """A message as a page in `locale` shows it (translated, HTML-escaped)."""
    with app.test_request_context(), force_locale(locale):
        return escape(gettext(msgid))


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
def test_refused_login_says_why_and_opens_no_session(app, client, people, username, password, msgid):
    """A wrong password, unknown user or deactivated account gets 422, a clear message, no session; the
    refusal is audited."""
    resp = login(client, username, password)
    assert resp.status_code == 422
    assert text(app, msgid) in resp.text
    assert 'name="username"' in resp.text  # the form again, to correct
    with app.app_context():
        assert count_rows(LoginSession) == 0
        assert db.session.scalars(db.select(AuditLog.action)).all() == ["login_failed"]
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
        assert count_rows(LoginSession) == 0
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


def test_a_fragment_after_the_session_ended_sends_back_to_its_page(app, client, people):
    """A poll (the live list) answered 401 sends the person, once logged in, to the page it was part of, not to the
    fragment's own URL; a boosted page load goes back to that page."""
    login(client, "xiaowang")
    _expire_sessions(app)
    resp = client.get("/visits/live?v=3", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://localhost/stock/?tab=bar"})
    assert resp.status_code == 401
    assert parse_qs(urlsplit(resp.headers["HX-Redirect"]).query)["next"] == ["/stock/?tab=bar"]
    resp = client.get("/stock/", headers={"HX-Request": "true", "HX-Boosted": "true",
                                          "HX-Current-URL": "http://localhost/"})
    assert parse_qs(urlsplit(resp.headers["HX-Redirect"]).query)["next"] == ["/stock/?"]


def test_expired_session_on_plain_get_redirects_to_login(app, client, people):
    """A plain GET after the session expired redirects to the login page."""
    login(client, "xiaowang")
    _expire_sessions(app)
    resp = client.get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"


def _user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(db.select(AuditLog.action).order_by(AuditLog.id)).all()


def _end_lock(app, user_id: int) -> None:
    """Let the account's lock run out (as if its minutes had passed)."""
    with app.app_context():
        db.session.execute(User.__table__.update().where(User.id == user_id).values(
            locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def _locked_text(app, until, locale: str = "zh_Hans") -> str:
    at = until.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    with app.test_request_context(), force_locale(locale):
        return escape(gettext("Too many wrong passwords: this account is locked until %(time)s. Try again then, "
                              "or ask your manager to unlock it.", time=at))


def test_five_wrong_passwords_lock_the_account_for_five_minutes(app, client, people):
    """The fifth wrong password in a row locks the account; the person is told until when (site time), and even
    the right password is refused without saying it was right."""
    for n in range(1, 5):
        resp = login(client, "xiaowang", f"wrong-{n}")
        assert resp.status_code == 422 and text(app, "Wrong username or password.") in resp.text
        assert _user_row(app, people["staff"].id).failed_logins == n
    started = utcnow()
    resp = login(client, "xiaowang", "wrong-5")
    user = _user_row(app, people["staff"].id)
    assert (user.failed_logins, user.lockouts) == (0, 1)
    assert timedelta(minutes=4, seconds=58) < user.locked_until - started <= timedelta(minutes=5, seconds=2)
    assert resp.status_code == 422 and _locked_text(app, user.locked_until) in resp.text
    resp = login(client, "xiaowang")  # the right password, during the lock
    assert resp.status_code == 422 and _locked_text(app, user.locked_until) in resp.text
    assert client.get("/").status_code == 302
    with app.app_context():
        assert count_rows(LoginSession) == 0
        locked = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "login_locked"))
        assert (locked.entity_id, locked.site_id, locked.detail["minutes"]) == (people["staff"].id, people["site"], 5)
    assert _actions(app) == ["login_failed"] * 5 + ["login_locked", "login_failed"]
    assert _user_row(app, people["staff"].id).failed_logins == 0  # tries during the lock do not count
    assert login(app.test_client(), "boss").status_code == 302  # only that account is locked


def test_right_password_after_the_lock_resets_the_count(app, client, people):
    """Once the lock has run out the right password logs in and forgets the wrong ones and the locks."""
    for n in range(5):
        login(client, "xiaowang", f"wrong-{n}")
    _end_lock(app, people["staff"].id)
    assert login(client, "xiaowang").status_code == 302
    user = _user_row(app, people["staff"].id)
    assert (user.failed_logins, user.lockouts, user.locked_until) == (0, 0, None)


def test_a_right_password_breaks_the_run_of_wrong_ones(app, people):
    """Four wrong passwords, a right one, four wrong again: no lock (only wrong ones in a row count)."""
    for _ in range(4):
        login(app.test_client(), "xiaowang", "wrong-password")
    assert login(app.test_client(), "xiaowang").status_code == 302
    for _ in range(4):
        login(app.test_client(), "xiaowang", "wrong-password")
    user = _user_row(app, people["staff"].id)
    assert (user.failed_logins, user.locked_until) == (4, None)


def test_each_further_lock_doubles_up_to_an_hour(app, client, people):
    """Locks in a row last 5, 10, 20, 40 then 60 minutes (never longer)."""
    lengths = []
    for _ in range(6):
        for n in range(5):
            login(client, "xiaowang", f"wrong-{n}")
        with app.app_context():
            row = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "login_locked")
                                     .order_by(AuditLog.id.desc())).first()
            lengths.append(row.detail["minutes"])
        _end_lock(app, people["staff"].id)
    assert lengths == [5, 10, 20, 40, 60, 60]
    with app.test_request_context():
        assert lockout.lock_length(30) == timedelta(hours=1)


def test_unknown_username_gets_the_same_answer_and_the_same_work(app, people, monkeypatch):
    """An unknown username hashes a password like a real one, is audited, gets the generic message, and never
    shows a lock however often it is tried."""
    hashed = []
    real = services.check_password_hash

    def counting(pwhash, password):
        hashed.append(pwhash.split("$")[0])
        return real(pwhash, password)
    monkeypatch.setattr(services, "check_password_hash", counting)
    monkeypatch.setattr(core_models, "check_password_hash", counting)
    known = login(app.test_client(), "xiaowang", "wrong-password")
    unknown = login(app.test_client(), "nobody", "wrong-password")
    assert hashed[0] == hashed[1]  # the same method and cost
    assert known.status_code == unknown.status_code == 422
    message = text(app, "Wrong username or password.")
    assert message in known.text and message in unknown.text
    for _ in range(6):
        resp = login(app.test_client(), "nobody", "wrong-password")
    assert resp.status_code == 422 and message in resp.text
    with app.app_context():
        rows = db.session.scalars(db.select(AuditLog).where(AuditLog.entity_id.is_(None))).all()
        assert [(r.action, r.site_id, r.detail["username"]) for r in rows] == [("login_failed", None, "nobody")] * 7


def test_concurrent_wrong_passwords_all_count(app, people, monkeypatch):
    """Twenty wrong passwords at the same moment (as from several workers) all count."""
    monkeypatch.setitem(app.config, "LOGIN_LOCK_AFTER", 1000)
    errors = _wrong_passwords_at_once(app, 20)
    assert len(errors) == 20 and all(isinstance(e, services.LoginError) for e in errors), errors
    user = _user_row(app, people["staff"].id)
    assert (user.failed_logins, user.locked_until) == (20, None)


def test_concurrent_wrong_passwords_lock_once(app, people):
    """Twenty wrong passwords at once lock the account exactly once; the ones after the lock are refused and
    audited, not counted."""
    errors = _wrong_passwords_at_once(app, 20)
    assert len(errors) == 20 and all(isinstance(e, services.LoginError) for e in errors), errors
    user = _user_row(app, people["staff"].id)
    assert (user.failed_logins, user.lockouts) == (0, 1) and user.locked_until > utcnow()
    actions = _actions(app)
    assert actions.count("login_locked") == 1 and actions.count("login_failed") == 20


def _wrong_passwords_at_once(app, threads: int) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(i):
        try:
            with app.test_request_context():
                barrier.wait(timeout=30)
                services.log_in("xiaowang", f"wrong-{i}", "192.0.2.1")
        except BaseException as e:  # noqa: B036 - collected and asserted on by the caller
            errors.append(e)
        finally:
            with app.app_context():
                db.session.remove()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in workers), "a thread hung"
    return errors


@pytest.fixture
def other_app(database_url):
    """Factory: another app on the same database with extra config (rate limit, proxies, HTTPS cookies)."""
    was_enabled = limiter.enabled
    made = []

    def make(**config):
        made.append(create_app({
            "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"} | config))
        made[-1].add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
        return made[-1]
    yield make
    if any(made_app.config["RATELIMIT_ENABLED"] for made_app in made):  # else the limiter may have no storage yet
        limiter.reset()
    limiter.enabled = was_enabled  # the limiter is shared by every app in this process
    for made_app in made:
        with made_app.app_context():
            db.session.remove()
            db.engine.dispose()


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
ROUTER = {"REMOTE_ADDR": "192.0.2.7"}


def test_forwarded_address_is_ignored_by_default(other_app, people):
    """Without PROXY_COUNT the connection's own address counts: a made-up X-Forwarded-For changes nothing,
    neither the per-address limit nor the address in the audit trail."""
    limited = other_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    assert client.get("/_whoami", headers=FORWARDED, environ_base=ROUTER).text == "192.0.2.7 http"
    for n in range(3):
        resp = client.post("/login", data={"username": "xiaowang", "password": "wrong"}, environ_base=ROUTER,
                           headers={"X-Forwarded-For": f"198.51.100.{n}"})
        assert resp.status_code == 422
    resp = client.post("/login", data={"username": "boss", "password": PASSWORD}, environ_base=ROUTER,
                       headers={"X-Forwarded-For": "198.51.100.99"})
    assert resp.status_code == 429
    with limited.app_context():
        addresses = db.session.scalars(db.select(AuditLog.detail)).all()
        assert [d["address"] for d in addresses] == ["192.0.2.7"] * 3


def test_forwarded_address_is_trusted_when_configured(other_app, people):
    """With PROXY_COUNT=1 the proxy's X-Forwarded-For and -Proto count: phones behind one proxy each get their
    own per-address limit, and the audit trail names the phone's address."""
    limited = other_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", PROXY_COUNT=1)
    client = limited.test_client()
    assert client.get("/_whoami", headers=FORWARDED, environ_base=ROUTER).text == "203.0.113.9 https"
    for _ in range(3):
        resp = client.post("/login", data={"username": "xiaowang", "password": "wrong"}, environ_base=ROUTER,
                           headers=FORWARDED)
        assert resp.status_code == 422
    assert client.post("/login", data={"username": "xiaowang", "password": "wrong"}, environ_base=ROUTER,
                       headers=FORWARDED).status_code == 429
    resp = client.post("/login", data={"username": "boss", "password": PASSWORD}, environ_base=ROUTER,
                       headers={"X-Forwarded-For": "203.0.113.10"})
    assert resp.status_code == 302  # another phone behind the same proxy
    with limited.app_context():
        failed = db.session.scalars(db.select(AuditLog.detail).where(AuditLog.action == "login_failed")).all()
        assert [d["address"] for d in failed] == ["203.0.113.9"] * 3


@pytest.mark.parametrize("secure", [True, False])
def test_language_cookie_is_secure_under_https(other_app, people, secure):
    """The lang cookie carries Secure exactly when the session cookie does (HTTPS=1)."""
    made = other_app(SESSION_COOKIE_SECURE=secure)
    resp = made.test_client().post("/language/en", data={"next": "/login"})
    [cookie] = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert ("; Secure" in cookie) is secure and "HttpOnly" in cookie and "SameSite=Lax" in cookie
