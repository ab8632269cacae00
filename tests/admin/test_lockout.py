"""The manager sees locked logins and wrong passwords on the staff screens, and unlocks with one tap."""
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from hospitality import create_app
from hospitality.admin import services
from hospitality.extensions import db
from hospitality.models import AuditLog, Site, User, utcnow
from tests.factories import PASSWORD, make_site, make_user
from tests.harness import Auth, csrf_token


@pytest.fixture
def env(app, client):
    """A site with a Chinese-speaking manager (logged in), a locked attendant and a guard with two wrong
    passwords; another site with a locked person."""
    with app.app_context():
        site = make_site(code="HOME")
        other = make_site(code="AWAY")
        boss = make_user(site.id, "manager", username="boss")
        wb = make_user(site.id, "water_bar", username="barista")
        guard = make_user(site.id, "security", username="guard")
        stranger = make_user(other.id, "water_bar", username="stranger")
    for username, times in (("barista", 5), ("guard", 2), ("stranger", 5)):
        for n in range(times):
            Auth(app.test_client()).login(username, f"wrong-{n}")
    Auth(client).login("boss")
    return SimpleNamespace(site=site.id, boss=boss.id, wb=wb.id, wb_name=wb.name, guard=guard.id, guard_name=guard.name,
                           stranger=stranger.id, client=client)


def _user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(db.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def test_staff_page_shows_locked_accounts_and_wrong_passwords(app, env):
    """Locked accounts head the staff page with an unlock button; someone with wrong passwords shows how many."""
    body = env.client.get("/admin/staff").text
    locked = re.search(r'<section class="locked-logins">(.*?)</section>', body, re.S).group(1)
    assert env.wb_name in locked and "锁定至" in locked and env.guard_name not in locked
    assert f'action="/admin/staff/{env.wb}/unlock"' in locked
    assert "stranger" not in body  # another site's locked person is not this manager's
    assert "连续输错密码 2 次" in body


def test_person_page_lists_refused_logins_with_an_unlock(app, env):
    """The person's page shows the lock, an unlock that comes back to it, and the refused logins."""
    body = env.client.get(f"/admin/staff/{env.wb}").text
    assert "锁定至" in body and 'name="back" value="person"' in body
    rows = re.search(r'<table class="list login-attempts">(.*?)</table>', body, re.S).group(1)
    assert rows.count("<tr>") == 6 and "锁定 5 分钟" in rows and rows.count("密码错误") == 5
    assert "来自 127.0.0.1" in rows


def test_unlock_lets_the_person_log_in_again(app, env):
    """One tap: the lock and the count are gone, the unlock is audited, and the person logs in."""
    resp = env.client.post(f"/admin/staff/{env.wb}/unlock")
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/staff"
    user = _user(app, env.wb)
    assert (user.locked_until, user.failed_logins, user.lockouts) == (None, 0, 0)
    [row] = _audit(app, "unlock")
    assert (row.user_id, row.entity_id, row.site_id) == (env.boss, env.wb, env.site) and row.detail["locked_until"]
    assert f"{env.wb_name} 已解锁" in env.client.get("/admin/staff").text
    assert Auth(app.test_client()).login("barista").status_code == 302


def test_unlock_from_the_person_page_returns_there(app, env):
    """Unlocking from the person's page comes back to that page, without the lock."""
    resp = env.client.post(f"/admin/staff/{env.wb}/unlock", data={"back": "person"})
    assert resp.headers["Location"] == f"/admin/staff/{env.wb}"
    assert "锁定至" not in env.client.get(resp.headers["Location"]).text


def test_unlocking_another_sites_person_is_404(app, env):
    """Another site's locked person cannot be unlocked (404), and nothing is written."""
    before = _user(app, env.stranger)
    resp = env.client.post(f"/admin/staff/{env.stranger}/unlock")
    assert resp.status_code == 404
    after = _user(app, env.stranger)
    assert after.locked_until == before.locked_until and after.locked_until > utcnow()
    assert _audit(app, "unlock") == []


def test_staff_cannot_unlock(app, env):
    """Only the manager unlocks: a guard gets 403 and the lock stays."""
    guard = Auth(app.test_client())
    assert guard.login("guard").status_code == 302
    assert guard.client.post(f"/admin/staff/{env.wb}/unlock").status_code == 403
    assert _user(app, env.wb).locked_until is not None


def test_unlock_service_clears_and_audits(app, env):
    """unlock_staff lifts the lock and forgets the run, recording who did it and what the lock was."""
    with app.test_request_context():
        site = db.session.get(Site, env.site)
        boss = db.session.scalar(db.select(User).where(User.username == "boss"))
        guard = db.session.get(User, env.guard)
        services.unlock_staff(site, guard, boss)
        [row] = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "unlock")).all()
        assert (row.user_id, row.entity_id, row.detail["failed_logins"]) == (boss.id, env.guard, 2)
        assert db.session.get(User, env.guard, populate_existing=True).failed_logins == 0


def test_an_old_wrong_password_still_shows_for_a_day(app, env):
    """After a successful login the run is gone but the last wrong password shows for a day."""
    assert Auth(app.test_client()).login("guard", PASSWORD).status_code == 302
    assert "最近一次输错密码" in env.client.get("/admin/staff").text
    with app.app_context():
        db.session.execute(User.__table__.update().where(User.id == env.guard).values(
            last_failed_login_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    assert "最近一次输错密码" not in env.client.get("/admin/staff").text


def test_person_form_says_name_of_a_person(app, env):
    """The person and rep forms label the name 姓名; a location's stays 名称."""
    assert "姓名" in env.client.get("/admin/staff/new").text
    assert "姓名" in env.client.get("/admin/reps").text
    location = env.client.get("/admin/locations/new").text
    assert "名称" in location and "姓名" not in location


@pytest.fixture
def csrf_client(app, database_url):
    """A client of a second app on the same database with CSRF checks on."""
    checked = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    yield checked.test_client()
    with checked.app_context():
        db.session.remove()
        db.engine.dispose()


def test_unlock_needs_the_forms_csrf_token(app, env, csrf_client):
    """With CSRF on, an unlock without the token is refused and writes nothing; the page's button works."""
    token = csrf_token(csrf_client.get("/login").text)
    assert csrf_client.post("/login", data={"username": "boss", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    assert csrf_client.post(f"/admin/staff/{env.wb}/unlock").status_code == 400
    assert _user(app, env.wb).locked_until is not None and _audit(app, "unlock") == []
    page = csrf_client.get("/admin/staff").text
    form = re.search(rf'action="/admin/staff/{env.wb}/unlock".*?</form>', page, re.S).group(0)
    resp = csrf_client.post(f"/admin/staff/{env.wb}/unlock", data={"csrf_token": csrf_token(form)})
    assert resp.status_code == 302 and _user(app, env.wb).locked_until is None
