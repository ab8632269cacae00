"""Shared devices (issue 18): registering a device, PINs (rules, lock after five wrong, reset), switching user with
badge number and PIN on a registered device, the idle lock, and personal pages never cached."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.devices import services
from hospitality.devices.reads import COOKIE
from hospitality.extensions import db
from hospitality.models import AuditLog, LoginSession, Site, User, utcnow
from hospitality.models.devices import Device
from tests import factories
from tests.harness import Auth, csrf_token, login, text

PIN = "4826"


def _person(site_id: int, post: str = "water_bar", pin: str | None = PIN) -> User:
    user = factories.make_user(site_id, post)
    if pin:
        services.set_pin(user, pin, pin)
    return db.session.get(User, user.id)


def _device(site_id: int, manager: User | None = None, name: str = "吧台平板") -> tuple[Device, str]:
    site = db.session.get(Site, site_id)
    manager = manager or factories.make_user(site_id, "manager")
    return services.register(site, manager, name)


def _fresh(user_id: int) -> User:
    return db.session.execute(select(User).where(User.id == user_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# --- service rules ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pin", ["0000", "1111", "1234", "4321", "123456", "987654", "7890", "1212", "121212",
                                 "2580", "520520"])
def test_weak_pins_are_recognised(pin):
    """Repeated digits, runs up or down, repeated pairs and common PINs are weak."""
    assert services.weak_pin(pin)


@pytest.mark.parametrize("pin", ["4826", "2468", "739105", "90417"])
def test_ordinary_pins_are_not_weak(pin):
    """A PIN without a pattern passes."""
    assert not services.weak_pin(pin)


@pytest.mark.english
@pytest.mark.parametrize("pin, again, field, message", [
    ("12a4", "12a4", "pin", "4 to 6 digits"),
    ("123", "123", "pin", "4 to 6 digits"),
    ("1234567", "1234567", "pin", "4 to 6 digits"),
    ("1234", "1234", "pin", "too easy to guess"),
    ("000000", "000000", "pin", "too easy to guess"),
    ("4826", "4827", "again", "not the same"),
])
def test_set_pin_refuses_bad_pins(ctx, site, pin, again, field, message):
    """A PIN of the wrong length, a weak one or two different entries are refused under the right field."""
    user = factories.make_user(site, "concierge")
    with pytest.raises(services.PinError) as e:
        services.set_pin(user, pin, again)
    assert e.value.field == field and message in e.value.message
    assert db.session.get(User, user.id).pin_hash is None


def test_set_pin_stores_a_hash_only(ctx, site):
    """The PIN is stored hashed, never as typed, and setting it is audited."""
    user = _person(site)
    assert user.pin_hash and PIN not in user.pin_hash
    assert [a.user_id for a in _audit("set_pin")] == [user.id]


def test_switch_opens_a_session_and_audits_device_and_person(ctx, site):
    """Badge + PIN on a device of the person's site opens their session; the audit row names device and person."""
    user = _person(site)
    device, _token = _device(site)
    assert services.switch(device, f" {user.badge_no.lower()} ", PIN, None).id == user.id
    row = _audit("switch_user")[-1]
    assert (row.user_id, row.entity_id, row.detail["device"], row.detail["person"]) == (
        user.id, device.id, "吧台平板", user.name)
    assert db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == user.id)) is not None


@pytest.mark.english
def test_five_wrong_pins_lock_until_the_manager_resets(ctx, site):
    """Four wrong PINs only count; the fifth locks the PIN (the right one is then refused too); a reset clears
    the PIN and the lock, and the person sets a new one."""
    user = _person(site)
    device, _token = _device(site)
    for _ in range(4):
        with pytest.raises(services.PinError, match="Wrong badge number or PIN"):
            services.switch(device, user.badge_no, "9999", None)
    with pytest.raises(services.PinError, match="locked until"):
        services.switch(device, user.badge_no, "9999", None)
    with pytest.raises(services.PinError, match="locked until"):
        services.switch(device, user.badge_no, PIN, None)
    locked = _fresh(user.id)
    assert locked.pin_locked_until > utcnow() + timedelta(minutes=services.PIN_LOCK_MINUTES - 1)
    assert len(_audit("pin_locked")) == 1

    services.reset_pin(db.session.get(Site, site), locked)
    fresh = db.session.get(User, user.id)
    assert (fresh.pin_hash, fresh.pin_failures, fresh.pin_locked_until) == (None, 0, None)
    with pytest.raises(services.PinError, match="No PIN is set"):
        services.switch(device, user.badge_no, PIN, None)
    services.set_pin(fresh, "739105", "739105")
    assert services.switch(device, user.badge_no, "739105", None).id == user.id


def test_a_pin_lock_ends_after_its_minutes(ctx, site):
    """A lock whose 30 minutes have passed no longer refuses the right PIN."""
    user = _person(site)
    device, _token = _device(site)
    with write_tx():
        db.session.get(User, user.id).pin_locked_until = utcnow() - timedelta(seconds=1)
    assert services.switch(device, user.badge_no, PIN, None).id == user.id


def test_a_right_pin_forgets_the_wrong_ones(ctx, site):
    """Wrong PINs count in a row only: a right one starts the count again."""
    user = _person(site)
    device, _token = _device(site)
    for _ in range(4):
        with pytest.raises(services.PinError):
            services.switch(device, user.badge_no, "9999", None)
    services.switch(device, user.badge_no, PIN, None)
    assert _fresh(user.id).pin_failures == 0


@pytest.mark.english
def test_a_device_logs_in_only_people_of_its_site(ctx, site):
    """A person of another site (their badge, their right PIN) is refused on this site's device."""
    other_site = factories.make_site()
    stranger = _person(other_site.id)
    device, _token = _device(site)
    with pytest.raises(services.PinError, match="Wrong badge number or PIN"):
        services.switch(device, stranger.badge_no, PIN, None)
    assert db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == stranger.id)) is None


@pytest.mark.english
def test_device_names_and_idle_minutes(ctx, site):
    """A site's devices have different names; the idle lock is 1 to 60 minutes."""
    device, _token = _device(site)
    boss = db.session.get(User, device.registered_by_id)
    the_site = db.session.get(Site, site)
    with pytest.raises(services.DeviceError, match="has this name"):
        services.register(the_site, boss, " 吧台平板 ")
    for minutes in (0, 61):
        with pytest.raises(services.DeviceError) as e:
            services.update(the_site, device, "吧台平板", minutes)
        assert e.value.field == "idle_minutes"
    services.update(the_site, device, "岗亭手机", 2)
    assert (db.session.get(Device, device.id).name, db.session.get(Device, device.id).idle_minutes) == ("岗亭手机", 2)


# --- routes ----------------------------------------------------------------------------------------------------

@pytest.fixture
def floor(app):
    """Site A with its manager (who registered the bar tablet), two attendants with PINs; site B with a person
    whose PIN is set. Returns usernames, ids and the tablet's cookie token."""
    with app.test_request_context():
        a = factories.make_site()
        b = factories.make_site()
        boss = factories.make_user(a.id, "manager")
        one, two = _person(a.id), _person(a.id, "concierge")
        stranger = _person(b.id)
        device, token = _device(a.id, boss)
        other_device, _t = _device(b.id)
        return {"boss": boss.username, "boss_id": boss.id, "one": one, "two": two, "stranger": stranger,
                "device_id": device.id, "token": token, "other_device_id": other_device.id, "site_b": b.id}


def _on_device(client, token: str):
    client.set_cookie(COOKIE, token)
    return client


def test_registering_sets_a_long_lived_httponly_cookie(app, client, floor):
    """The manager registers the browser in hand: the cookie is HttpOnly, SameSite=Lax, long-lived, Secure when the
    app forces HTTPS; only its hash is stored."""
    Auth(client).login(floor["boss"])
    app.config["FORCE_HTTPS"] = True
    try:
        r = client.post("/devices/", data={"name": "岗亭手机", "idle_minutes": "3"})
    finally:
        app.config["FORCE_HTTPS"] = False
    assert r.status_code == 302
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}="))
    token = cookie.split(";")[0].split("=", 1)[1]
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" in flags and "max-age=34560000" in flags
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.name == "岗亭手机"))
        assert device.token_hash == services.hash_token(token) and token not in device.token_hash
        assert device.idle_minutes == 3
    page = client.get("/devices/").text
    assert "岗亭手机" in page and 'class="device-bar"' in page


def test_register_refuses_bad_minutes_with_422(app, client, floor):
    """Idle minutes out of range: 422 with the message under the field, nothing saved, no cookie."""
    Auth(client).login(floor["boss"])
    r = client.post("/devices/", data={"name": "新平板", "idle_minutes": "90"})
    assert r.status_code == 422
    assert 'id="idle_minutes-err"' in r.text and text(app, "Enter 1 to 60 minutes.") in r.text
    assert not any(h.startswith(f"{COOKIE}=") for h in r.headers.getlist("Set-Cookie"))
    with app.app_context():
        assert db.session.scalar(select(Device.id).where(Device.name == "新平板")) is None


def test_login_page_on_a_device_shows_badge_and_pin_first(app, client, floor):
    """On a registered device the login page asks for badge and PIN, with the password form below; elsewhere it
    is the plain login."""
    assert 'name="badge_no"' not in client.get("/login").text
    page = _on_device(client, floor["token"]).get("/login").text
    assert page.index('name="badge_no"') < page.index('name="username"')
    assert "吧台平板" in page


def test_switch_ends_the_previous_session_and_logs_in_the_next(app, client, floor):
    """Badge + PIN on the device logs the next person in and revokes the previous person's session."""
    one, two = floor["one"], floor["two"]
    _on_device(client, floor["token"])
    assert client.post("/login", data={"badge_no": one.badge_no, "pin": PIN}).status_code == 302
    page = client.get("/").text
    assert one.name in page and "device-bar" in page
    r = client.post("/login", data={"badge_no": two.badge_no, "pin": PIN})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert two.name in client.get("/").text
    with app.app_context():
        sessions = db.session.execute(select(LoginSession.user_id, LoginSession.revoked_at)
                                      .order_by(LoginSession.id)).all()
        assert [(s.user_id, s.revoked_at is not None) for s in sessions] == [(one.id, True), (two.id, False)]
        assert [a.detail["person"] for a in _audit("switch_user")] == [one.name, two.name]
        assert _audit("switch_user")[-1].detail["previous"] == one.name


def test_wrong_pin_is_422_with_the_message_under_the_pin(app, client, floor):
    """A wrong PIN answers 422 with the message next to the PIN field; nobody is logged in."""
    r = _on_device(client, floor["token"]).post("/login", data={"badge_no": floor["one"].badge_no, "pin": "9999"})
    assert r.status_code == 422
    assert 'id="pin-err"' in r.text and text(app, "Wrong badge number or PIN.") in r.text
    assert client.get("/").status_code == 302


def test_another_sites_badge_is_refused(app, client, floor):
    """Site A's device refuses site B's person, badge and PIN right."""
    r = _on_device(client, floor["token"]).post("/login", data={"badge_no": floor["stranger"].badge_no, "pin": PIN})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(LoginSession.id)) is None


def test_password_login_still_works_on_a_device(app, client, floor):
    """The password form below the PIN form logs in as ever (and ends the previous person's session)."""
    _on_device(client, floor["token"])
    client.post("/login", data={"badge_no": floor["one"].badge_no, "pin": PIN})
    assert Auth(client).login(floor["boss"]).status_code == 302
    with app.app_context():
        live = db.session.scalars(select(LoginSession.user_id).where(LoginSession.revoked_at.is_(None))).all()
        assert live == [floor["boss_id"]]


def test_a_retired_device_no_longer_switches(app, client, floor):
    """After the manager retires the device its cookie opens the plain login page only."""
    boss = login(app, floor["boss"])
    assert boss.post(f"/devices/{floor['device_id']}/retire").status_code == 302
    _on_device(client, floor["token"])
    assert 'name="badge_no"' not in client.get("/login").text
    r = client.post("/login", data={"badge_no": floor["one"].badge_no, "pin": PIN})
    assert r.status_code == 422
    assert client.get("/").status_code == 302


def test_idle_lock_ends_the_session(app, client, floor):
    """The idle lock's post ends the session and is audited with the device and the person."""
    _on_device(client, floor["token"])
    client.post("/login", data={"badge_no": floor["one"].badge_no, "pin": PIN})
    assert client.post("/devices/lock").status_code == 302
    assert client.get("/").status_code == 302
    with app.app_context():
        assert _audit("lock")[-1].detail["person"] == floor["one"].name


def test_logged_in_pages_are_not_stored(app, client, floor):
    """A logged-in page says Cache-Control: no-store; the login page and static files do not."""
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")
    Auth(client).login(floor["boss"])
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_my_pin_refuses_a_weak_pin_with_422(app, client, floor):
    """My PIN: a weak PIN is refused with the message under the field; a good one is saved."""
    with app.app_context():
        user = factories.make_user(db.session.get(User, floor["boss_id"]).site_id, "security")
    Auth(client).login(user.username)
    r = client.post("/devices/pin", data={"pin": "1234", "again": "1234"})
    assert r.status_code == 422 and 'id="pin-err"' in r.text
    with app.app_context():
        assert db.session.get(User, user.id).pin_hash is None
    assert client.post("/devices/pin", data={"pin": "739105", "again": "739105"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).pin_hash is not None


def test_manager_resets_a_pin_from_the_staff_page(app, client, floor):
    """The staff page shows a Reset PIN button; it clears the PIN."""
    one = floor["one"]
    Auth(client).login(floor["boss"])
    page = client.get(f"/admin/staff/{one.id}").text
    assert f"/devices/pins/{one.id}/reset" in page
    assert client.post(f"/devices/pins/{one.id}/reset").status_code == 302
    with app.app_context():
        assert db.session.get(User, one.id).pin_hash is None


@pytest.mark.parametrize("method, path", [
    ("GET", "/devices/{other_device_id}"),
    ("POST", "/devices/{other_device_id}"),
    ("POST", "/devices/{other_device_id}/retire"),
    ("POST", "/devices/pins/{stranger_id}/reset"),
])
def test_another_sites_devices_and_people_are_404(app, client, floor, method, path):
    """Site A's manager cannot see, rename or retire B's device, nor reset B's person's PIN."""
    Auth(client).login(floor["boss"])
    url = path.format(other_device_id=floor["other_device_id"], stranger_id=floor["stranger"].id)
    assert client.open(url, method=method, data={"name": "偷改", "idle_minutes": "5"}).status_code == 404
    with app.app_context():
        assert db.session.get(Device, floor["other_device_id"]).retired_at is None
        assert db.session.get(Device, floor["other_device_id"]).name == "吧台平板"
        assert db.session.get(User, floor["stranger"].id).pin_hash is not None


def test_the_devices_list_shows_only_this_sites_devices(app, client, floor):
    """The manager's list names the site's devices, never another site's."""
    with app.app_context():
        with write_tx():
            db.session.get(Device, floor["other_device_id"]).name = "别家平板"
    Auth(client).login(floor["boss"])
    page = client.get("/devices/").text
    assert "吧台平板" in page and "别家平板" not in page



def test_switch_and_idle_lock_work_with_csrf_on(app, database_url, floor):
    """With CSRF checks on (as in production) the switch form and device.js's lock post (the token from the body's
    hx-headers) are accepted; a lock post without the token is refused."""
    from hospitality import create_app
    checked = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    try:
        client = _on_device(checked.test_client(), floor["token"])
        page = client.get("/login").text
        r = client.post("/login", data={"badge_no": floor["one"].badge_no, "pin": PIN,
                                        "csrf_token": csrf_token(page)})
        assert r.status_code == 302
        header = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").text).group(1)
        assert client.post("/devices/lock").status_code == 400
        assert client.post("/devices/lock", headers={"X-CSRFToken": header}).status_code == 302
        assert client.get("/").status_code == 302
    finally:
        with checked.app_context():
            db.session.remove()
            db.engine.dispose()
