"""The manager taps 经理看板 (the manager's day) in the menu: today's groups, the trends as bars that fit a 360 px
phone, 30 days in one tap, and a figure taps through to its list."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hospitality import clock
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Visit
from tests import factories
from tests.browser.walk import assert_fits_phone, landed, login, menu, tap_link

pytestmark = pytest.mark.browser
NOW = factories.at(2026, 12, 7, 15, 0)


def test_the_manager_reads_the_day_on_a_phone(app, live_server, phone, say):
    """Menu → the manager's day: two groups today, seven bars per trend, 30 days on a tap, all within 360 px."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            boss = factories.make_user(site.id, "manager")
            with write_tx():
                for hours in (1, 2, 30):
                    db.session.add(Visit(site_id=site.id, party_size=4, recorded_by_id=boss.id, status="left",
                                         arrived_at=clock.to_utc(NOW) - timedelta(hours=hours)))
            username = boss.username
        page = phone()
        login(page, base, username)
        menu(page, say("Manager's day"), say("Manager's day"))
        assert_fits_phone(page)
        expect(page.locator("#fig-groups")).to_have_text("2")
        expect(page.locator("#fig-guests")).to_have_text("8")
        expect(page.locator("#trend-groups rect")).to_have_count(7)
        expect(page.locator("#trend-groups svg")).to_have_attribute("aria-label", f'{say("Groups per day")}: '
                                                                    "12-01 0, 12-02 0, 12-03 0, 12-04 0, 12-05 0, "
                                                                    "12-06 1, 12-07 2")
        link = page.locator("#cockpit-trends a", has_text=say("%(n)s days", n=30))
        link.tap()
        page.wait_for_url(f"{base}/manager/?days=30")
        landed(page, say("Manager's day"))
        expect(page.locator("#trend-guests rect")).to_have_count(30)
        assert_fits_phone(page)
        page.locator("#fig-groups").tap()
        page.wait_for_url(lambda url: "/visits/" in url)
        landed(page)


def test_the_manager_sets_the_budget_and_sees_the_bar(app, live_server, phone, say):
    """The manager's day → 设置预算 → December ¥100 → back on the manager's day: ¥40 of ¥100, a bar at 40%."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            boss = factories.make_user(site.id, "manager")
            water = factories.make_item(site.id, name="矿泉水", price="2", stock=100)
            factories.insert_move(water, boss.id, -20, "served", clock.to_utc(NOW) - timedelta(hours=2))
            username = boss.username
        page = phone()
        login(page, base, username)
        menu(page, say("Manager's day"), say("Manager's day"))
        expect(page.locator("#fig-spend")).to_have_text("¥40.00")
        expect(page.locator("#budget-none")).to_be_visible()
        tap_link(page, say("Set the budget"), say("Consumables budget"))
        assert_fits_phone(page)
        expect(page.locator("#month")).to_have_value("2026-12")
        page.locator("#amount").fill("100")
        page.locator("#budget-form button[type=submit]").tap()
        expect(page.locator("#budget-2026-12")).to_contain_text("¥100.00")
        expect(page.locator("#budget-2027-01")).to_contain_text(say("same as %(month)s", month="2026-12"))
        tap_link(page, say("Back to the manager's day"), say("Manager's day"))
        expect(page.locator("#budget-bar")).to_be_visible()
        expect(page.locator("#budget-spent")).to_have_attribute("data-pct", "40")
        expect(page.locator("#budget-projection")).to_contain_text("¥177.14")
        assert_fits_phone(page)
