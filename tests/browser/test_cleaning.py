"""The lead ticks a weekly cleaning task for the cleaners (who have no login) from the cleaning rota; the model
room counts linen out to the laundry and part of it back, and sees what is still away on its today screen. Every
step is a tap from the login screen."""
import re

import pytest
from playwright.sync_api import expect

from hospitality import clock
from tests import factories
from tests.browser.walk import assert_fits_phone, landed, login, menu, pick, tap_link

pytestmark = pytest.mark.browser
NOW = factories.at(2026, 12, 2, 10, 0)  # a Wednesday morning at a Shanghai site


def test_the_lead_ticks_a_weekly_task_for_the_cleaners(app, live_server, phone, say):
    """Menu 保洁计划 → this week's glass cleaning → Done: the row turns done, for the cleaners by the lead."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            lead = factories.make_user(site.id, "lead")
            names = {"lead": lead.username, "lead_name": lead.name}
        page = phone()
        login(page, base, names["lead"])
        menu(page, say("Cleaning rota"), say("Cleaning rota"))
        assert_fits_phone(page)
        week = page.locator("section[aria-labelledby=rota-week]")
        expect(week).to_contain_text(say("This week"))
        row = week.locator("li.rota-row", has_text="门、窗等玻璃清洁")
        expect(row.locator("mark.st-pending")).to_be_visible()
        row.get_by_role("button", name=re.compile(say("Done"))).tap()
        expect(row).to_have_class(re.compile(r"\bdone\b"))
        expect(row.locator(".rota-by")).to_contain_text(names["lead_name"])
        expect(row.locator("button")).to_have_count(0)
        assert_fits_phone(page)


def test_the_model_room_counts_linen_out_and_back(app, live_server, phone, say):
    """Menu 布草 → count 4 sheets and 8 pillowcases of 样板间1 out; open the batch, count 4 and 6 back: 2
    pillowcases stay away, on the linen page and the model room's today screen."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            mr = factories.make_user(site.id, "model_room")
            name = mr.username
        page = phone()
        login(page, base, name)
        menu(page, say("Linen"), say("Linen"))
        assert_fits_phone(page)
        pick(page, "样板间1")
        page.locator("#qty-sheet").fill("4")
        page.locator("#qty-pillowcase").fill("8")
        page.get_by_role("button", name=say("Count out to the laundry")).tap()
        landed(page, say("Linen"))
        away = page.locator("section.linen-away")
        expect(away).to_contain_text(say("%(n)d away", n=12))
        tap_link(page, "样板间1", say("Linen batch"))
        page.locator("#qty-sheet").fill("4")
        page.locator("#qty-pillowcase").fill("6")
        page.get_by_role("button", name=say("Count back in")).tap()
        landed(page, say("Linen"))
        expect(page.locator("section.linen-away")).to_contain_text(say("%(n)d away", n=2))
        page.locator("header.bar a.home").tap()
        landed(page, say("Today"))
        expect(page.locator("section.linen-away")).to_contain_text(say("%(n)d away", n=2))
        assert_fits_phone(page)
