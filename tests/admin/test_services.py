"""Service rules of the manager's set-up: sites, locations, staff and sales reps."""
from datetime import timedelta

import pytest

from hospitality.admin import services
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistTemplate, Location, LoginSession, SalesRep, Site, User, utcnow
from tests.factories import make_rep, make_site, make_user
from tests.harness import count_rows


@pytest.fixture
def setup(ctx):
    site = make_site(code="HOME")
    other = make_site(code="AWAY")
    boss = make_user(site.id, "manager", username="boss")
    return db.session.get(Site, site.id), db.session.get(Site, other.id), db.session.get(User, boss.id)


def _staff(site, boss, **over):
    kw = {"username": "newbie", "name": "新同事", "badge_no": "N1", "phone": "", "post": "concierge",
          "password": "first-pass-1"}
    kw.update(over)
    return services.create_staff(site, boss, **kw)


def test_create_site_adds_defaults_and_manager(setup):
    """A new site gets its locations and routines, is managed by its creator, and is audited."""
    _site, _other, boss = setup
    new = services.create_site(boss, " 新城售楼处 ", "nc-1", "Asia/Shanghai", 0)
    assert (new.name, new.code) == ("新城售楼处", "NC-1")
    kinds = db.session.scalars(db.select(Location.kind).where(Location.site_id == new.id)).all()
    assert "model_room" not in kinds and "water_bar" in kinds
    assert count_rows(ChecklistTemplate, ChecklistTemplate.site_id == new.id,
                      ChecklistTemplate.kind.in_(("opening", "closing"))) == 8  # + grooming and inspections
    assert new.id in {s.id for s in db.session.get(User, boss.id).managed_sites}
    assert count_rows(AuditLog, AuditLog.action == "create", AuditLog.entity == "site",
                      AuditLog.entity_id == new.id) == 1


def test_create_site_code_taken_in_any_case(setup):
    """A code matching another site's, whatever its case, is refused under the code field."""
    _site, _other, boss = setup
    with pytest.raises(services.AdminError) as e:
        services.create_site(boss, "重复", "away", "Asia/Shanghai", 2)
    assert e.value.field == "code"
    assert count_rows(Site) == 2 and count_rows(AuditLog, AuditLog.entity == "site") == 0


def test_location_names_are_unique_per_site(setup):
    """A location name is refused twice on one site, case-insensitively, but fine on another site."""
    site, other, _boss = setup
    loc = services.save_location(site, None, "other", "Front Desk")
    with pytest.raises(services.AdminError) as e:
        services.save_location(site, None, "other", "front desk ")
    assert e.value.field == "name"
    services.save_location(other, None, "other", "Front Desk")
    same = services.save_location(site, loc, "other", "Front Desk", active=False)
    assert same.id == loc.id and same.active is False
    assert count_rows(Location, Location.name == "Front Desk") == 2


def test_location_kind_must_be_known(setup):
    """An unknown kind of location is refused under the kind field."""
    site, _other, _boss = setup
    with pytest.raises(services.AdminError) as e:
        services.save_location(site, None, "spaceship", "X")
    assert e.value.field == "kind"


def test_create_staff_checks_username_and_badge(setup):
    """Usernames are unique everywhere, badges per site; the new login is audited with its creator."""
    site, other, boss = setup
    user = _staff(site, boss)
    assert user.check_password("first-pass-1") and user.password_hash != "first-pass-1"
    with pytest.raises(services.AdminError) as e:
        _staff(other, boss, username="NEWBIE", badge_no="Z9")
    assert e.value.field == "username"
    with pytest.raises(services.AdminError) as e:
        _staff(site, boss, username="second", badge_no="n1")
    assert e.value.field == "badge_no"
    _staff(other, boss, username="second", badge_no="N1")  # the same badge on another site
    assert count_rows(User, User.badge_no == "N1") == 2
    row = db.session.scalar(db.select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == user.id))
    assert (row.action, row.user_id, row.site_id) == ("create", boss.id, site.id)


def test_new_manager_manages_their_site(setup):
    """A manager created on a site manages that site."""
    site, _other, boss = setup
    user = _staff(site, boss, username="boss2", badge_no="M2", post="manager")
    assert [s.id for s in db.session.get(User, user.id).managed_sites] == [site.id]


def _login_session(user_id, site_id):
    row = LoginSession(token=f"tok-{user_id}", user_id=user_id, site_id=site_id,
                       expires_at=utcnow() + timedelta(hours=1))
    db.session.add(row)
    db.session.commit()
    return row.id


def test_deactivating_ends_sessions_and_keeps_the_person(setup):
    """Deactivation keeps the row, records the old values and revokes every live session."""
    site, _other, boss = setup
    user = _staff(site, boss)
    sid = _login_session(user.id, site.id)
    services.update_staff(site, user, name=user.name, badge_no=user.badge_no, phone="", post=user.post,
                          active=False, password=None, actor=boss)
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    assert db.session.get(LoginSession, sid).revoked_at is not None
    row = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "update", AuditLog.entity == "user"))
    assert row.detail["before"]["active"] is True and row.detail["active"] is False


def test_password_reset_ends_sessions(setup):
    """A new password takes effect and logs the person out everywhere."""
    site, _other, boss = setup
    user = _staff(site, boss)
    sid = _login_session(user.id, site.id)
    services.update_staff(site, user, name=user.name, badge_no=user.badge_no, phone="", post=user.post,
                          active=True, password="second-pass-2", actor=boss)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("second-pass-2")
    assert db.session.get(LoginSession, sid).revoked_at is not None


def test_manager_cannot_deactivate_or_demote_themselves(setup):
    """A manager's own login cannot be switched off or moved to another post."""
    site, _other, boss = setup
    for active, post in ((False, "manager"), (True, "water_bar")):
        with pytest.raises(services.AdminError) as e:
            services.update_staff(site, boss, name=boss.name, badge_no=boss.badge_no, phone="", post=post,
                                  active=active, password=None, actor=boss)
        assert e.value.field == "active"
    db.session.expire_all()
    me = db.session.get(User, boss.id)
    assert (me.active, me.post) == (True, "manager")


def test_update_staff_badge_taken(setup):
    """Changing a badge to another person's on the same site is refused and nothing changes."""
    site, _other, boss = setup
    user = _staff(site, boss)
    with pytest.raises(services.AdminError) as e:
        services.update_staff(site, user, name="改名", badge_no=boss.badge_no, phone="", post=user.post,
                              active=True, password=None, actor=boss)
    assert e.value.field == "badge_no"
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "新同事"


def test_sales_rep_names_unique_per_site(setup):
    """A rep's name is refused twice on one site; saving a rep under its own name is fine."""
    site, other, _boss = setup
    rep = make_rep(site.id, name="郑顾问")
    with pytest.raises(services.AdminError) as e:
        services.save_rep(site, None, "郑顾问", "")
    assert e.value.field == "name"
    services.save_rep(other, None, "郑顾问", "")
    again = services.save_rep(site, rep, "郑顾问", "139", active=False)
    assert (again.id, again.phone, again.active) == (rep.id, "139", False)
    assert count_rows(SalesRep, SalesRep.name == "郑顾问") == 2
