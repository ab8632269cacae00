"""The front desk takes a call for the water bar with a call-back time; the water bar reads it on its today screen
and taps done; a call for a sales rep, still open past its call-back time, is flagged overdue on the front desk's
log. Every step is a tap from the login screen."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hospitality import clock
from tests import factories
from tests.browser.walk import assert_fits_phone, landed, login, menu, tap_link

pytestmark = pytest.mark.browser
NOW = factories.at(2026, 12, 7, 10, 0)  # a Monday morning at a Shanghai site


def take_call(page: Page, say, *, for_whom: str, caller: str, phone: str, text: str, call_back: str) -> None:
    """From the log: 接听留言 (take a message), a phone call for someone, who called, the message, call back by."""
    tap_link(page, say("Take a message"), say("Take a message"))
    assert_fits_phone(page)
    page.locator("label.pick", has_text=say("Phone call")).tap()
    page.locator("label.pick", has_text=for_whom).tap()
    page.locator("#caller_name").fill(caller)
    page.locator("#caller_phone").fill(phone)
    page.locator("#text").fill(text)
    page.locator("#call_back_time").fill(call_back)
    page.get_by_role("button", name=say("Save"), exact=True).tap()
    page.wait_for_url(re.compile(r"/desk/$"))
    landed(page, say("Calls and messages"))
    expect(page.locator("#desk-open li.desk-msg", has_text=text)).to_be_visible()


def test_a_call_for_the_water_bar_is_read_and_done_and_a_late_call_back_is_flagged(app, live_server, phone, say):
    """The front desk takes a call for the water bar (call back by 10:30); the bar's today screen shows it with
    the whole number and one tap marks it done; a call for a sales rep left open is flagged overdue at 11:00."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            site = factories.make_site()
            desk_user = factories.make_user(site.id, "concierge")
            bar_user = factories.make_user(site.id, "water_bar")
            rep = factories.make_rep(site.id, "王顾问")
            names = {"desk": desk_user.username, "bar": bar_user.username, "bar_name": bar_user.name,
                     "rep": rep.name}
        desk, bar = phone(), phone()
        login(desk, base, names["desk"])
        login(bar, base, names["bar"])
        expect(bar.locator("#desk-mine")).to_have_count(0)

        # The front desk: menu 来电留言 → take a call for the water bar, to be called back by 10:30.
        menu(desk, say("Calls and messages"), say("Calls and messages"))
        assert_fits_phone(desk)
        take_call(desk, say, for_whom=f'{names["bar_name"]} · {say("Water bar")}', caller="李先生", phone="13812345678",
                  text="供应商来电：明天的茶叶改下午送", call_back="10:30")
        card = desk.locator("#desk-open li.desk-msg", has_text="明天的茶叶")
        expect(card.locator(".desk-phone")).to_have_text("13812345678")
        expect(card.locator(".desk-callback")).to_contain_text("10:30")
        expect(card.locator(".desk-overdue")).to_have_count(0)
        assert_fits_phone(desk)

        # The water bar: its today screen (reloaded as a person would, through the header) carries the message.
        desk_mine = bar.locator("#desk-mine")
        bar.locator("header.bar a.home").tap()
        landed(bar, say("Today"))
        expect(desk_mine).to_contain_text(say("Messages for you"))
        mine = desk_mine.locator("li.desk-msg", has_text="明天的茶叶")
        expect(mine.locator(".desk-phone")).to_have_text("13812345678")
        expect(mine).to_contain_text("李先生")
        assert_fits_phone(bar)
        mine.locator("button.msg-done").tap()
        expect(mine).to_have_class(re.compile(r"\bdone\b"))
        expect(mine.locator("button.msg-done")).to_have_count(0)
        expect(mine.locator("mark.st-done")).to_be_visible()

        # The front desk: a call for the sales rep (no login), to be called back by 10:45.
        take_call(desk, say, for_whom=names["rep"], caller="赵女士", phone="13900001111",
                  text="赵女士想改约看房时间", call_back="10:45")
        expect(desk.locator("#desk-open li.desk-msg", has_text="明天的茶叶")).to_have_count(0)  # done: not open

    # 11:00: the rep's call-back time has passed and it is still open: flagged on the front desk's log.
    with clock.travel_to(NOW + timedelta(hours=1)):
        menu(desk, say("Calls and messages"), say("Calls and messages"))
        late = desk.locator("#desk-open li.desk-msg", has_text="改约看房")
        expect(late).to_have_class(re.compile(r"\boverdue\b"))
        expect(late.locator(".desk-overdue")).to_have_text(say("Call-back overdue"))
        expect(desk.locator("#desk-open .desk-overdue")).to_have_count(1)
        assert_fits_phone(desk)
        # The front desk told the rep: one tap, and nothing is open any more.
        late.locator("button.msg-done").tap()
        landed(desk, say("Calls and messages"))
        expect(desk.locator("#desk-open li.desk-msg")).to_have_count(0)
        expect(desk.locator("#desk-day li.desk-msg.done")).to_have_count(2)
