"""The water bar's shared tablet (issue 18): the manager registers it from the menu, two people switch on it with
badge number and PIN and each ticks a routine item, Back never shows the previous person's page, the tablet locks
itself when idle, and the manager's audit trail names each person and the device."""
import re

import pytest
from playwright.sync_api import Page, expect

from hospitality.database import write_tx
from hospitality.devices import services
from hospitality.extensions import db
from hospitality.models import AuditLog, LoginSession, Site, User
from tests import factories
from tests.browser.walk import (
    ANSWERED,
    TODAY,
    assert_fits_phone,
    early_morning_tz,
    item_ids,
    landed,
    login,
    menu,
    open_routine,
)

pytestmark = pytest.mark.browser

PIN = "4826"
TABLET = "吧台平板"


def _people(app) -> dict:
    """A site on an early-morning clock: its manager, a water-bar attendant and a lead with PINs, and the water
    bar's opening routine."""
    with app.test_request_context():
        site = factories.make_site()
        with write_tx():
            db.session.get(Site, site.id).timezone = early_morning_tz()
        people = {}
        for key, post in (("boss", "manager"), ("bar", "water_bar"), ("lead", "lead")):
            user = factories.make_user(site.id, post)
            services.set_pin(user, PIN, PIN)
            people[key] = (user.username, user.name, user.badge_no)
        routine = factories.routine(site.id, "water_bar")
        people["routine"] = routine.id
        return people


def _switch(page: Page, base: str, badge: str, name: str) -> None:
    """Two taps from any page: Switch user in the device bar, then badge + PIN and Go."""
    landed(page)  # nothing of the last page still on its way (a Back's history restore, lazy sections)
    bar = page.locator("#device-bar")
    bar.get_by_role("button").tap()  # the Switch user link-button
    page.wait_for_url(f"{base}/login")
    expect(page.locator("#badge_no")).to_be_visible()  # the switch screen itself, not only its address
    assert_fits_phone(page)
    page.locator("#badge_no").fill(badge)
    page.locator("#pin").fill(PIN)
    page.locator("form.pin-login button[type=submit]").tap()
    page.wait_for_url(f"{base}/")
    landed(page, TODAY)
    expect(page.locator("header.bar summary")).to_contain_text(name)


def _tick_first(page: Page, base: str, routine_id: int) -> None:
    open_routine(page, base, routine_id)
    first = item_ids(page)[0]
    page.locator(f"#{first} button.ok").tap()
    expect(page.locator(f"#{first}")).to_have_class(ANSWERED)


def test_two_people_switch_on_the_bar_tablet(app, live_server, phone, say):
    """Registered by the manager, the tablet switches between two people with badge + PIN; each ticks an item of the
    routine as themself, and the audit trail names each person and the tablet."""
    base = live_server.url
    people = _people(app)
    boss, bar, lead = people["boss"], people["bar"], people["lead"]

    tablet = phone()
    login(tablet, base, boss[0])
    menu(tablet, say("Shared devices"), say("Shared devices"))
    tablet.locator("#name").fill(TABLET)
    tablet.locator("main form button[type=submit]").tap()
    expect(tablet.locator(".flash")).to_contain_text(TABLET)
    device_bar = tablet.locator("#device-bar")
    expect(device_bar).to_contain_text(TABLET)
    assert device_bar.get_by_role("button").bounding_box()["height"] >= 44
    assert_fits_phone(tablet)

    _switch(tablet, base, bar[2], bar[1])
    _tick_first(tablet, base, people["routine"])
    _switch(tablet, base, lead[2], lead[1])
    expect(tablet.locator("header.bar summary")).not_to_contain_text(bar[1])
    # Back from the switch: the previous person's routine page is not shown from any cache, and nobody but the
    # person now logged in appears.
    # Back pops to the routine page's entry: htmx asks the server for it again (no history cache), as the lead.
    # Wait for that answer before the next tap: until it lands, the lead's today screen is still shown, and a tap
    # on it races the restore's swap.
    with tablet.expect_response(re.compile(r"/checklists/\d+")):
        tablet.go_back()
    landed(tablet)
    expect(tablet.locator("header.bar summary")).to_contain_text(lead[1])
    expect(tablet.locator("header.bar summary")).not_to_contain_text(bar[1])

    _switch(tablet, base, boss[2], boss[1])
    menu(tablet, say("Audit trail"))
    switches = tablet.locator("table tr", has_text="switch_user device")
    for name in (bar[1], lead[1], boss[1]):
        row = switches.filter(has_text=name).first
        expect(row).to_contain_text(f"device={TABLET}")
    ticks = tablet.locator("table tr", has_text=re.compile("answer|checklist")).filter(has_text=bar[1])
    expect(ticks.first).to_be_visible()


def test_an_idle_tablet_locks_itself(app, live_server, phone, say):
    """After its idle minutes without a touch the tablet ends the session and shows the switch screen; Back does
    not bring the person's page back."""
    base = live_server.url
    people = _people(app)
    tablet = phone()
    tablet.clock.install()
    login(tablet, base, people["boss"][0])
    menu(tablet, say("Shared devices"), say("Shared devices"))
    tablet.locator("#name").fill(TABLET)
    tablet.locator("#idle_minutes").fill("1")
    tablet.locator("main form button[type=submit]").tap()
    expect(tablet.locator("#device-bar")).to_contain_text(TABLET)
    _switch(tablet, base, people["bar"][2], people["bar"][1])
    tablet.clock.run_for("01:10")
    tablet.wait_for_url(f"{base}/login")
    expect(tablet.locator("#badge_no")).to_be_visible()
    expect(tablet.locator("header.bar")).to_have_count(0)
    tablet.go_back()
    expect(tablet.locator("#badge_no")).to_be_visible()  # the switch screen again, not the person's page
    expect(tablet.locator("body")).not_to_contain_text(people["bar"][1])
    with app.app_context():
        bar_id = db.session.scalar(db.select(User.id).where(User.username == people["bar"][0]))
        assert db.session.scalar(db.select(LoginSession.id).where(
            LoginSession.user_id == bar_id, LoginSession.revoked_at.is_(None))) is None
        lock = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "lock"))
        assert (lock.user_id, lock.detail["device"]) == (bar_id, TABLET)
