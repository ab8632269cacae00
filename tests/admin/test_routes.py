"""The manager's set-up screens: sites, locations, staff, sales reps and the audit trail."""
import re
from types import SimpleNamespace

import pytest

from hospitality.extensions import db
from hospitality.models import (
    AuditLog,
    ChecklistAnswer,
    ChecklistTemplate,
    Location,
    LoginSession,
    SalesRep,
    Site,
    User,
)
from hospitality.models.attendance import Shift
from hospitality.models.patrol import Checkpoint
from tests.factories import make_rep, make_site, make_user, routine
from tests.harness import Auth, count_rows

HX = {"HX-Request": "true"}


@pytest.fixture
def env(app):
    """A site with an English-speaking manager and a water-bar attendant, and a second site."""
    with app.app_context():
        site = make_site(code="HOME")
        other = make_site(code="AWAY")
        boss = make_user(site.id, "manager", username="boss", locale="en")
        wb = make_user(site.id, "water_bar", username="barista")
        make_user(other.id, "manager", username="otherboss")
        stranger = make_user(other.id, "water_bar", username="stranger")
        return SimpleNamespace(site=site.id, other=other.id, boss=boss.id, boss_name=boss.name, wb=wb.id,
                               wb_badge=wb.badge_no, stranger=stranger.id)


@pytest.fixture
def manager(env, client, auth):
    auth.login("boss")
    return client


def _get(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def _field_error(body: str, field: str) -> str | None:
    """The error message rendered under a form field, if any."""
    m = re.search(rf'<small class="error" id="{field}-err">([^<]*)</small>', body)
    return m.group(1) if m else None


def _audit(app, action, entity):
    with app.app_context():
        return db.session.scalars(db.select(AuditLog).where(AuditLog.action == action, AuditLog.entity == entity)
                                  .order_by(AuditLog.id)).all()


@pytest.mark.parametrize("url", ["/admin/", "/admin/sites/new", "/admin/staff", "/admin/staff/new",
                                 "/admin/reps", "/admin/audit", "/admin/locations/new"])
def test_admin_pages_are_for_the_manager_only(app, env, client, auth, url):
    """Staff get 403 on every set-up page; the manager gets the page."""
    auth.login("barista")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("boss")
    r = client.get(url)
    assert r.status_code == 200 and "<html" in r.get_data(as_text=True)


def test_other_sites_people_do_not_exist(app, env, manager):
    """A person of another site is a 404, and posting to them changes nothing."""
    assert manager.get(f"/admin/staff/{env.stranger}").status_code == 404
    r = manager.post(f"/admin/staff/{env.stranger}", data={"name": "x", "badge_no": "X1", "post": "water_bar"})
    assert r.status_code == 404
    assert _get(app, User, env.stranger).active is True


def test_create_site_with_defaults_and_switch_to_it(app, env, manager):
    """A new site gets default locations (with N model rooms) and routines; the manager works on it now."""
    r = manager.post("/admin/sites/new", data={"name": "滨江售楼处", "code": "bj-01", "timezone": "Asia/Shanghai",
                                                "model_rooms": "3"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/")
    with app.app_context():
        site = db.session.scalar(db.select(Site).where(Site.name == "滨江售楼处"))
        assert site.code == "BJ-01"
        names = db.session.scalars(db.select(Location.name).where(Location.site_id == site.id)).all()
        assert {"样板间1", "样板间2", "样板间3", "水吧", "洽谈区"} <= set(names) and "样板间4" not in names
        assert len(names) == 12  # 9 hospitality areas, and the lobby, fire exits and electrical room a patrol walks
        # The night patrol's checkpoints: lobby, bar, 3 rooms, negotiation area, car park, fire exits, power room.
        assert count_rows(Checkpoint, Checkpoint.site_id == site.id, app=app) == 9
        assert count_rows(ChecklistTemplate, ChecklistTemplate.site_id == site.id,
                          ChecklistTemplate.kind.in_(("opening", "closing")), app=app) == 8
        # Grooming for hospitality staff and for security, and an inspection per area incl. each model room.
        kinds = db.session.scalars(db.select(ChecklistTemplate.kind).where(
            ChecklistTemplate.site_id == site.id, ChecklistTemplate.kind.in_(("grooming", "inspection")))).all()
        assert kinds.count("grooming") == 2 and kinds.count("inspection") >= 3 + 3  # rooms + bar, talks, lounge
        assert {s.code for s in db.session.scalars(db.select(Shift).where(Shift.site_id == site.id))} == {
            "day", "night"}
        boss = db.session.get(User, env.boss)
        assert site.id in {s.id for s in boss.managed_sites}
        live = db.session.scalars(db.select(LoginSession).where(LoginSession.user_id == env.boss,
                                                                LoginSession.revoked_at.is_(None))).all()
        assert [s.site_id for s in live] == [site.id]
        created = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "create",
                                                               AuditLog.entity == "site")).all()
        assert [(a.entity_id, a.site_id, a.user_id) for a in created] == [(site.id, site.id, env.boss)]
    body = manager.get("/admin/").get_data(as_text=True)
    assert "滨江售楼处" in body and "样板间3" in body


def test_create_site_duplicate_code_is_422_and_writes_nothing(app, env, manager):
    """A code another site uses (in any case) is refused under the code field; nothing is written."""
    sites, locations = count_rows(Site, app=app), count_rows(Location, app=app)
    r = manager.post("/admin/sites/new", data={"name": "重复", "code": "away", "timezone": "Asia/Shanghai",
                                                "model_rooms": "2"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert _field_error(body, "code") == "This code is used by another site."
    assert count_rows(Site, app=app) == sites and count_rows(Location, app=app) == locations
    assert _audit(app, "create", "site") == []


def test_edit_site_name_and_timezone(app, env, manager):
    """The manager renames the site and changes its time zone; the change is audited with the old values."""
    r = manager.post("/admin/", data={"name": "新名字售楼处", "timezone": "Asia/Hong_Kong"})
    assert r.status_code == 302
    site = _get(app, Site, env.site)
    assert (site.name, site.timezone) == ("新名字售楼处", "Asia/Hong_Kong")
    [row] = _audit(app, "update", "site")
    assert row.detail["before"]["timezone"] == "Asia/Shanghai" and row.user_id == env.boss
    assert "新名字售楼处" in manager.get("/admin/").get_data(as_text=True)


def test_edit_site_rejects_unknown_timezone(app, env, manager):
    """A time zone outside the list is refused and the site keeps its own."""
    r = manager.post("/admin/", data={"name": "x", "timezone": "Mars/Olympus"})
    assert r.status_code == 422
    assert _get(app, Site, env.site).timezone == "Asia/Shanghai"


def test_auto_approve_threshold_is_set_and_cleared(app, env, manager):
    """The manager sets the amount below which requests approve themselves; a negative one is refused."""
    r = manager.post("/admin/", data={"name": "x", "timezone": "Asia/Shanghai", "auto_approve_below": "-5"})
    assert r.status_code == 422 and _get(app, Site, env.site).auto_approve_below is None
    r = manager.post("/admin/", data={"name": "x", "timezone": "Asia/Shanghai", "auto_approve_below": "200"})
    assert r.status_code == 302 and _get(app, Site, env.site).auto_approve_below == 200
    r = manager.post("/admin/", data={"name": "x", "timezone": "Asia/Shanghai", "auto_approve_below": ""})
    assert r.status_code == 302 and _get(app, Site, env.site).auto_approve_below is None


def test_refill_round_is_set_per_site(app, env, manager):
    """The water bar's refill round is the site's: 3 to 60 minutes, a clear message otherwise."""
    r = manager.post("/admin/", data={"name": "x", "timezone": "Asia/Shanghai", "refill_minutes": "0"})
    assert r.status_code == 422 and "3" in r.text and _get(app, Site, env.site).refill_minutes == 10
    r = manager.post("/admin/", data={"name": "x", "timezone": "Asia/Shanghai", "refill_minutes": "15"})
    assert r.status_code == 302 and _get(app, Site, env.site).refill_minutes == 15


def test_location_add_rename_deactivate(app, env, manager):
    """A location is added, renamed, then switched off; it is never deleted."""
    r = manager.post("/admin/locations/new", data={"kind": "other", "name": "前台", "active": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/")
    with app.app_context():
        loc_id = db.session.scalar(db.select(Location.id).where(Location.site_id == env.site,
                                                                Location.name == "前台"))
    assert loc_id is not None
    r = manager.post(f"/admin/locations/{loc_id}", data={"kind": "other", "name": "礼宾台", "active": "y"})
    assert r.status_code == 302
    assert _get(app, Location, loc_id).name == "礼宾台"
    r = manager.post(f"/admin/locations/{loc_id}", data={"kind": "other", "name": "礼宾台"})
    assert r.status_code == 302
    loc = _get(app, Location, loc_id)
    assert loc.active is False and loc.name == "礼宾台"
    assert [a.action for a in _audit(app, "create", "location") + _audit(app, "update", "location")] == \
        ["create", "update", "update"]
    body = manager.get("/admin/").get_data(as_text=True)
    assert re.search(rf'<tr class="muted">\s*<td><a href="/admin/locations/{loc_id}">礼宾台', body)


def test_location_duplicate_name_is_422(app, env, manager):
    """A second location with a name the site already has is refused under the name field."""
    before = count_rows(Location, Location.site_id == env.site, app=app)
    r = manager.post("/admin/locations/new", data={"kind": "water_bar", "name": "水吧", "active": "y"})
    assert r.status_code == 422
    assert _field_error(r.get_data(as_text=True), "name") == "This site already has a location of that name."
    assert count_rows(Location, Location.site_id == env.site, app=app) == before


def test_other_sites_location_is_404(app, env, manager):
    """A location of another site cannot be opened or changed."""
    with app.app_context():
        away = db.session.scalar(db.select(Location).where(Location.site_id == env.other))
    r = manager.post(f"/admin/locations/{away.id}", data={"kind": "other", "name": "hacked"})
    assert r.status_code == 404
    assert _get(app, Location, away.id).name == away.name


def _staff(**over):
    data = {"username": "newbie", "name": "新同事", "badge_no": "N-01", "phone": "138 0000-1111",
            "post": "concierge", "password": "first-pass-1"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_create_staff_who_can_then_log_in(app, env, manager):
    """The manager adds a person; they can log in with the first password and the write is audited."""
    r = manager.post("/admin/staff/new", data=_staff())
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/staff")
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "newbie"))
        assert (user.site_id, user.post, user.badge_no, user.phone) == (env.site, "concierge", "N-01",
                                                                         "138 0000-1111")
    [row] = _audit(app, "create", "user")
    assert row.entity_id == user.id and row.user_id == env.boss
    assert "新同事" in manager.get("/admin/staff").get_data(as_text=True)
    newcomer = Auth(app.test_client())
    assert newcomer.login("newbie", "first-pass-1").status_code == 302


@pytest.mark.parametrize("over,field,message", [
    ({"username": "barista"}, "username", "This username is taken."),
    ({"username": "stranger"}, "username", "This username is taken."),
    ({"badge_no": "__WB__"}, "badge_no", "Another person on this site has this badge number."),
    ({"phone": "call me"}, "phone", "Digits, spaces, + and - only."),
    ({"password": None}, "password", "Set a first password (at least 8 characters)."),
    ({"password": "short"}, "password", "Field must be between 8 and 128 characters long."),
])
def test_create_staff_refusals_are_422_under_the_field(app, env, manager, over, field, message):
    """Each refused new person shows the reason under the right field, and no one is added."""
    if over.get("badge_no") == "__WB__":
        over = {"badge_no": env.wb_badge}
    users = count_rows(User, app=app)
    r = manager.post("/admin/staff/new", data=_staff(**over))
    assert r.status_code == 422
    assert _field_error(r.get_data(as_text=True), field) == message
    assert count_rows(User, app=app) == users
    assert _audit(app, "create", "user") == []


def test_edit_staff(app, env, manager):
    """The manager changes a person's name, badge, phone and post; the username stays."""
    r = manager.post(f"/admin/staff/{env.wb}", data={"name": "张三", "badge_no": "W-9", "phone": "+86 139",
                                                      "post": "concierge", "active": "y"})
    assert r.status_code == 302
    user = _get(app, User, env.wb)
    assert (user.username, user.name, user.badge_no, user.phone, user.post, user.active) == (
        "barista", "张三", "W-9", "+86 139", "concierge", True)
    [row] = _audit(app, "update", "user")
    assert row.detail["before"]["post"] == "water_bar" and row.detail["post"] == "concierge"


def test_deactivate_staff_keeps_what_they_recorded(app, env, manager):
    """A deactivated person is logged out and cannot log in; their answers and audit rows remain."""
    staff = Auth(app.test_client())
    staff.login("barista")
    with app.app_context():
        tpl = routine(env.site, "water_bar")
        item_id = tpl.active_items[0].id
    assert staff.client.post(f"/checklists/{tpl.id}/items/{item_id}", data={"ok": "1"},
                             headers=HX).status_code == 200
    answers = count_rows(ChecklistAnswer, ChecklistAnswer.answered_by_id == env.wb, app=app)
    their_audit = count_rows(AuditLog, AuditLog.user_id == env.wb, app=app)
    assert answers == 1 and their_audit >= 2  # login, run start, answer

    r = manager.post(f"/admin/staff/{env.wb}", data={"name": "离职员工", "badge_no": env.wb_badge,
                                                      "post": "water_bar"})
    assert r.status_code == 302
    assert _get(app, User, env.wb).active is False
    assert count_rows(ChecklistAnswer, ChecklistAnswer.answered_by_id == env.wb, app=app) == answers
    assert count_rows(AuditLog, AuditLog.user_id == env.wb, app=app) == their_audit
    assert count_rows(LoginSession, LoginSession.user_id == env.wb, LoginSession.revoked_at.is_(None), app=app) == 0
    home = staff.client.get("/")
    assert home.status_code == 302 and "/login" in home.headers["Location"]
    again = Auth(app.test_client()).login("barista")
    assert again.status_code == 422
    assert "deactivated" in manager.get("/admin/staff").get_data(as_text=True)


def test_manager_cannot_deactivate_themselves(app, env, manager):
    """Switching off one's own login is refused under the active switch and changes nothing."""
    with app.app_context():
        boss = db.session.get(User, env.boss)
        data = {"name": boss.name, "badge_no": boss.badge_no, "post": "manager"}
    r = manager.post(f"/admin/staff/{env.boss}", data=data)
    assert r.status_code == 422
    assert _field_error(r.get_data(as_text=True), "active") == \
        "You cannot deactivate yourself or change your own post."
    assert _get(app, User, env.boss).active is True
    assert manager.get("/admin/staff").status_code == 200


def test_sales_reps_add_edit_deactivate(app, env, manager):
    """A sales rep is added, renamed with a phone, then deactivated."""
    r = manager.post("/admin/reps", data={"name": "周顾问", "phone": "13800001111"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/reps")
    with app.app_context():
        rep_id = db.session.scalar(db.select(SalesRep.id).where(SalesRep.name == "周顾问"))
    r = manager.post(f"/admin/reps/{rep_id}", data={"name": "周置业顾问", "phone": "13800002222", "active": "y"})
    assert r.status_code == 302
    rep = _get(app, SalesRep, rep_id)
    assert (rep.name, rep.phone, rep.active, rep.site_id) == ("周置业顾问", "13800002222", True, env.site)
    manager.post(f"/admin/reps/{rep_id}", data={"name": "周置业顾问", "phone": "13800002222"})
    assert _get(app, SalesRep, rep_id).active is False
    body = manager.get("/admin/reps").get_data(as_text=True)
    assert re.search(rf'<tr class="muted">\s*<td><a href="/admin/reps/{rep_id}">周置业顾问', body)
    assert len(_audit(app, "create", "sales_rep")) == 1 and len(_audit(app, "update", "sales_rep")) == 2


def test_sales_rep_duplicate_name_is_422(app, env, manager):
    """A second rep with the same name on the site is refused under the name field."""
    with app.app_context():
        make_rep(env.site, name="吴顾问")
    r = manager.post("/admin/reps", data={"name": " 吴顾问 ", "phone": ""})
    assert r.status_code == 422
    assert _field_error(r.get_data(as_text=True), "name") == "This site already has a sales rep of that name."
    assert count_rows(SalesRep, SalesRep.site_id == env.site, app=app) == 1


def test_audit_trail_lists_writes_newest_first(app, env, manager):
    """The audit trail names who did what, the newest write on top."""
    manager.post("/admin/reps", data={"name": "甲顾问"})
    manager.post("/admin/reps", data={"name": "乙顾问"})
    r = manager.get("/admin/audit")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in body
    first, second = body.find("name=甲顾问"), body.find("name=乙顾问")
    assert 0 < second < first
    row = re.search(r"<tr>(?:(?!</tr>).)*name=乙顾问.*?</tr>", body, re.S).group(0)
    assert env.boss_name in row and "create sales_rep" in row


def test_audit_trail_pages_with_htmx_rows_only(app, env, manager):
    """Past the first page a Load-more button fetches older rows as bare table rows."""
    with app.app_context():
        for i in range(1, 61):
            db.session.add(AuditLog(site_id=env.site, action="test", entity="thing", entity_id=i, detail={}))
        db.session.commit()
    body = manager.get("/admin/audit").get_data(as_text=True)
    assert "thing #60</code>" in body and "thing #5</code>" not in body
    before = re.search(r'hx-get="/admin/audit\?before=(\d+)"', body).group(1)
    r = manager.get(f"/admin/audit?before={before}", headers=HX)
    rows = r.get_data(as_text=True)
    assert r.status_code == 200
    assert rows.lstrip().startswith("<tr") and "<html" not in rows and "<table" not in rows
    assert "thing #5</code>" in rows and "thing #1</code>" in rows and "thing #60</code>" not in rows
    assert "audit-more" not in rows  # the last page has no further button
    shown = {int(n) for n in re.findall(r"thing #(\d+)</code>", body + rows)}
    assert shown == set(range(1, 61))


def test_audit_trail_shows_only_the_current_site(app, env, manager):
    """Rows of another site never appear in this site's audit trail."""
    with app.app_context():
        db.session.add(AuditLog(site_id=env.other, action="test", entity="secret", entity_id=7, detail={}))
        db.session.add(AuditLog(site_id=env.site, action="test", entity="visible", entity_id=8, detail={}))
        db.session.commit()
    body = manager.get("/admin/audit").get_data(as_text=True)
    assert "visible #8" in body and "secret" not in body
