"""A routine given to a shift: security's day opening is the day guard's, its night closing the night guard's. Each
sees only their own shift's on the today screen; someone not rostered sees all of the post's; the manager sets the
shift in the editor."""
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.checklists import editor
from hospitality.checklists.services import ChecklistError
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import ChecklistRun, ChecklistTemplate, Site
from hospitality.models.attendance import RosterEntry, Shift
from tests.factories import at, make_site, make_user, routine
from tests.harness import HX, login

DAY_OPENING, NIGHT_CLOSING = "白班上岗(大门/停车场)", "夜班闭场检查"


@pytest.fixture
def guards(app):
    """A new site (its default content: security's opening on the day shift, closing on the night shift), a day
    guard rostered on the day shift today, a night guard on the night shift, a third guard not rostered."""
    with app.app_context():
        site = make_site()
        shifts = {s.code: s.id for s in db.session.scalars(select(Shift).where(Shift.site_id == site.id))}
        day_guard = make_user(site.id, "security")
        night_guard = make_user(site.id, "security")
        spare = make_user(site.id, "security")
        manager = make_user(site.id, "manager")
        today = db.session.get(Site, site.id).today()
        with write_tx():
            for user, code in ((day_guard, "day"), (night_guard, "night")):
                db.session.add(RosterEntry(site_id=site.id, user_id=user.id, day=today, shift_id=shifts[code],
                                           post="security", created_by_id=manager.id))
        return SimpleNamespace(site=site.id, shifts=shifts, day=day_guard.username, night=night_guard.username,
                               spare=spare.username, manager=manager.username,
                               opening=routine(site.id, "security").id,
                               closing=routine(site.id, "security", "closing").id)


def _routines_on_today(app, username: str) -> str:
    body = login(app, username).get("/").get_data(as_text=True)
    assert "routines-h" in body
    return body.split('id="routines-h"', 1)[1]


def test_new_sites_give_securitys_opening_to_the_day_shift_and_closing_to_the_night(app, guards):
    with app.app_context():
        opening = db.session.get(ChecklistTemplate, guards.opening)
        closing = db.session.get(ChecklistTemplate, guards.closing)
        assert (opening.name, opening.shift_id) == (DAY_OPENING, guards.shifts["day"])
        assert (closing.name, closing.shift_id) == (NIGHT_CLOSING, guards.shifts["night"])
        water_bar = routine(guards.site, "water_bar")
        assert water_bar.shift_id is None  # a one-shift post's routines are everyone's


@pytest.mark.parametrize("who, sees, not_sees", [
    ("day", DAY_OPENING, NIGHT_CLOSING),
    ("night", NIGHT_CLOSING, DAY_OPENING),
])
def test_each_guard_sees_the_routine_of_their_shift_only(app, guards, who, sees, not_sees):
    body = _routines_on_today(app, getattr(guards, who))
    assert sees in body
    assert not_sees not in body


def test_a_guard_not_rostered_today_sees_every_routine_of_the_post(app, guards):
    """Someone covering without a roster entry must not lose the post's routines."""
    body = _routines_on_today(app, guards.spare)
    assert DAY_OPENING in body and NIGHT_CLOSING in body


def test_the_leads_board_still_shows_both(app, guards):
    with app.app_context():
        lead = make_user(guards.site, "lead").username
    body = login(app, lead).get("/board").get_data(as_text=True)
    assert DAY_OPENING in body and NIGHT_CLOSING in body


def test_the_manager_gives_a_routine_to_a_shift_in_the_editor(app, guards):
    """The editor offers the site's shifts and "any shift"; the shift picked is saved and shown again."""
    manager = login(app, guards.manager)
    page = manager.get(f"/checklists/templates/{guards.closing}").get_data(as_text=True)
    assert 'name="shift_id"' in page and "任何班次" in page
    data = {"name": NIGHT_CLOSING, "kind": "closing", "post": "security", "due_time": "20:00", "active": "y",
            "recurrence": "daily", "assignee": "post", "shift_id": str(guards.shifts["day"])}
    r = manager.post(f"/checklists/templates/{guards.closing}", data=data)
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(ChecklistTemplate, guards.closing).shift_id == guards.shifts["day"]
    page = manager.get(f"/checklists/templates/{guards.closing}").get_data(as_text=True)
    assert f'<option selected value="{guards.shifts["day"]}">' in page
    assert NIGHT_CLOSING in _routines_on_today(app, guards.day)  # now the day guard's
    r = manager.post(f"/checklists/templates/{guards.closing}", data=data | {"shift_id": ""})
    with app.app_context():
        assert db.session.get(ChecklistTemplate, guards.closing).shift_id is None
    assert NIGHT_CLOSING in _routines_on_today(app, guards.night)  # any shift: everyone's again


def test_a_shift_of_another_site_is_refused_under_the_field(app, guards):
    with app.app_context():
        other = make_site()
        foreign = db.session.scalar(select(Shift.id).where(Shift.site_id == other.id, Shift.code == "day"))
    manager = login(app, guards.manager)
    r = manager.post(f"/checklists/templates/{guards.closing}", data={
        "name": NIGHT_CLOSING, "kind": "closing", "post": "security", "due_time": "20:00", "active": "y",
        "recurrence": "daily", "assignee": "post", "shift_id": str(foreign)})
    assert r.status_code == 422
    assert "请选择本案场的班次" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ChecklistTemplate, guards.closing).shift_id == guards.shifts["night"]


def test_only_routines_take_a_shift_and_a_patrol_keeps_its_own(app, guards):
    """A grooming or inspection list has no shift (a left-over one would hide an area round); a patrol's shift is its
    set-up's, whatever the editor sends."""
    with app.test_request_context():
        site = db.session.get(Site, guards.site)
        tpl = db.session.get(ChecklistTemplate, guards.opening)
        changed = editor.save_template(site, tpl, name=tpl.name, name_en=None, kind="inspection", post="security",
                                       due_time=None, active=True, shift_id=guards.shifts["day"])
        assert changed.shift_id is None
        patrol = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.site_id == site.id,
                                                                   ChecklistTemplate.kind == "patrol"))
        assert patrol is not None and patrol.shift_id == guards.shifts["night"]
        kept = editor.save_template(site, patrol, name=patrol.name, name_en=None, kind="patrol", post="security",
                                    due_time=None, active=True, shift_id=None)
        assert kept.shift_id == guards.shifts["night"]
        with pytest.raises(ChecklistError) as refused:
            editor.save_template(site, tpl, name=tpl.name, name_en=None, kind="opening", post="security",
                                 due_time=None, active=True, shift_id=10 ** 6)
        assert refused.value.field == "shift_id"


# After midnight the night guard still works the night that began the day before: their screen and the routine they
# fill are that night's, until the shift ends (the default night shift: 17:30 to 08:30).
NIGHT = date(2026, 3, 4)


@pytest.fixture
def night(app):
    """A new site whose night guard is rostered on the night of NIGHT, and a day guard on the day shift of NIGHT."""
    with app.app_context():
        site = make_site()
        shifts = {s.code: s.id for s in db.session.scalars(select(Shift).where(Shift.site_id == site.id))}
        guard, day_guard, manager = (make_user(site.id, p) for p in ("security", "security", "manager"))
        with write_tx():
            for user, code in ((guard, "night"), (day_guard, "day")):
                db.session.add(RosterEntry(site_id=site.id, user_id=user.id, day=NIGHT, shift_id=shifts[code],
                                           post="security", created_by_id=manager.id))
        closing = routine(site.id, "security", "closing")
        return SimpleNamespace(site=site.id, guard=guard.username, day_guard=day_guard.username,
                               closing=closing.id, item=closing.active_items[0].id)


def test_after_midnight_the_night_guard_sees_and_fills_the_nights_routine(app, night):
    with clock.travel_to(at(2026, 3, 5, 2, 0), frozen=True):
        client = login(app, night.guard)
        body = _routines_on_today(app, night.guard)
        assert NIGHT_CLOSING in body and DAY_OPENING not in body  # the night's own routine, not the coming day's
        assert 'class="muted routine-day"' in body  # and it says which shift's they are
        r = client.post(f"/checklists/{night.closing}/items/{night.item}", data={"ok": "1"}, headers=HX)
        assert r.status_code == 200
        assert '<progress value="1"' in client.get(f"/checklists/{night.closing}").get_data(as_text=True)
    with app.app_context():
        days = db.session.scalars(select(ChecklistRun.shift_date).where(ChecklistRun.template_id == night.closing))
        assert list(days) == [NIGHT]  # the run of the night that began on NIGHT, not of the calendar day


def test_once_the_night_shift_ends_the_guard_has_the_new_days_routines(app, night):
    with clock.travel_to(at(2026, 3, 5, 9, 0), frozen=True):
        body = _routines_on_today(app, night.guard)
    assert DAY_OPENING in body and NIGHT_CLOSING in body  # not rostered on the new day: every routine of the post
    assert "routine-day" not in body


def test_after_midnight_the_day_guard_has_the_calendar_days_routines(app, night):
    """Only a shift still running carries its day past midnight: the day guard's ended the evening before."""
    with clock.travel_to(at(2026, 3, 5, 2, 0), frozen=True):
        body = _routines_on_today(app, night.day_guard)
    assert "routine-day" not in body
