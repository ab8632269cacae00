"""Staff evaluation on a 360 px phone: the manager taps from the menu to everyone's month, opens a person and adds a
penalty with a reason (the score drops); a water-bar person taps to their own month; the lead taps from the today
screen to the weekly meeting sheet."""
import pytest
from playwright.sync_api import expect

from hospitality import clock
from tests import factories
from tests.browser.walk import assert_fits_phone, login, menu, tap_link

pytestmark = pytest.mark.browser
NOW = factories.at(2026, 12, 9, 15, 0)


def test_the_manager_adds_a_penalty_and_the_person_sees_it(app, live_server, phone, say):
    """Menu → staff evaluation → the person → a penalty of 5 points and 20 yuan: the score goes 100 → 95; the
    water-bar person's own month shows it."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            boss = factories.make_user(site.id, "manager")
            bar = factories.make_user(site.id, "water_bar")
            names, who = (boss.username, bar.username), bar.name
        page = phone()
        login(page, base, names[0])
        menu(page, say("Staff evaluation"), say("Staff evaluation"))
        assert_fits_phone(page)
        tap_link(page, who, who)
        expect(page.locator(".eval-score strong")).to_have_text("100")
        page.locator("#points").fill("5")
        page.locator("#yuan").fill("20")
        page.locator("#reason").fill("吧台未清洁")
        page.locator("main form:has(#reason) button[type=submit]").tap()
        expect(page.locator(".eval-adjustments")).to_contain_text("吧台未清洁")
        expect(page.locator(".eval-score strong")).to_have_text("95")
        assert_fits_phone(page)

        page = phone()
        login(page, base, names[1])
        menu(page, say("My evaluation"), who)
        expect(page.locator(".eval-score strong")).to_have_text("95")
        expect(page.locator(".eval-adjustments")).to_contain_text("吧台未清洁")
        assert_fits_phone(page)


def test_the_lead_opens_the_weekly_meeting_sheet(app, live_server, phone, say):
    """Today → 周例会: the week's figures and an urgent incident among the open problems, within 360 px; the last
    week one tap back; printed without the menu and navigation."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            lead = factories.make_user(site.id, "lead")
            factories.make_incident(site.id, lead.id, level="urgent", description="消防通道被堵")
            username = lead.username
        page = phone()
        login(page, base, username)
        tap_link(page, say("Weekly meeting sheet"), say("Weekly meeting sheet"))
        assert_fits_phone(page)
        expect(page.locator("#wk-incidents")).to_have_text("1")
        expect(page.locator("#urgent-incidents")).to_contain_text("消防通道被堵")
        tap_link(page, say("Previous week"), say("Weekly meeting sheet"))
        expect(page.locator("#wk-incidents")).to_have_text("0")
        expect(page.locator("#week-next")).to_be_visible()
        page.emulate_media(media="print")  # printed: the sheet alone, no menu, navigation or buttons
        expect(page.locator("header.bar")).to_be_hidden()
        expect(page.locator("#week-next")).to_be_hidden()
        expect(page.locator("#week-figures")).to_be_visible()
