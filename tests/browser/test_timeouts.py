"""Every tap gets an answer: a request that gets no answer in time says so and offers Retry, which sends it again (a
write that did reach the server is counted once); the banner shows the signal going and coming back; what was typed
survives a reload. The service worker is blocked so that page.route and set_offline see every request."""
import re

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.models import ChecklistAnswer
from tests import factories
from tests.browser.walk import ANSWERED, TODAY, item_ids, landed, login, open_routine

pytestmark = pytest.mark.browser


@pytest.fixture
def bar(app, live_server, phone):
    """A water-bar attendant on the opening routine's page, reached from the today screen."""
    with app.app_context():
        site = factories.make_site()
        user = factories.make_user(site.id, "water_bar")
        routine = factories.routine(site.id, "water_bar").id
        username = user.username
    page = phone(service_workers="block")
    login(page, live_server.url, username)
    open_routine(page, live_server.url, routine)
    return page


def answers(app, item_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ChecklistAnswer).where(
            ChecklistAnswer.item_id == int(item_id.removeprefix("item-"))))


def test_a_tap_with_no_answer_in_time_offers_retry_and_the_retry_counts_once(app, bar: Page, say):
    """The first answer reaches the server but its reply is held past the time-out: the toast says so with Retry;
    Retry sends the same form again, the item shows answered, and the database holds one answer."""
    item = next(i for i in item_ids(bar) if bar.locator(f"#{i} button.ok").count())
    posts: list[Route] = []

    def hold_the_first_reply(route: Route) -> None:
        posts.append(route)
        if len(posts) == 1:
            route.fetch()  # the write is made; its reply never reaches the phone
            return
        route.continue_()

    bar.route(re.compile(r"/checklists/.*/items/.*"), hold_the_first_reply)
    bar.evaluate("htmx.config.timeout = 1500")  # this test only: base.html says 8 s
    bar.locator(f"#{item} button.ok").tap()
    toast = bar.locator("#toast")
    expect(toast).to_contain_text(say("No answer in time: the signal is weak."))
    expect(bar.locator("#net")).to_have_text(say("No signal"))
    expect(bar.locator(f"#{item}")).not_to_have_class(ANSWERED)
    assert answers(app, item) == 1

    toast.get_by_role("button", name=say("Retry")).tap()
    expect(bar.locator(f"#{item}")).to_have_class(ANSWERED)
    expect(toast).to_be_hidden()
    expect(bar.locator("#net")).to_have_text(say("Back online"))
    expect(bar.locator("#net")).to_be_hidden()
    assert len(posts) == 2 and answers(app, item) == 1
    bar.unroute(re.compile(r"/checklists/.*/items/.*"))


def test_a_link_tapped_without_signal_is_followed_again_by_retry(bar: Page, say):
    """Offline, the banner says No signal and a tapped link answers with a toast; back online the banner says so,
    then goes, and Retry follows the same link."""
    bar.context.set_offline(True)
    net = bar.locator("#net")
    expect(net).to_have_text(say("No signal"))
    home = bar.locator("header.bar a.home")
    home.tap()
    toast = bar.locator("#toast")
    expect(toast).to_contain_text(say("No connection. Nothing was saved; try again when the signal is back."))
    bar.context.set_offline(False)
    expect(net).to_have_text(say("Back online"))
    expect(net).to_be_hidden()
    toast.get_by_role("button", name=say("Retry")).tap()
    bar.wait_for_url(re.compile(r"/$"))
    landed(bar, TODAY)


def test_what_was_typed_survives_a_reload_until_it_is_sent(bar: Page):
    """A note or a number typed but not yet saved is back after a reload; once saved, the draft is gone."""
    field = "textarea[name=note], input[name=number]"
    item = next(i for i in item_ids(bar) if bar.locator(f"#{i}").locator(field).count())
    box = bar.locator(f"#{item}").locator(field).first
    box.fill("12")
    bar.reload()
    landed(bar)
    expect(bar.locator(f"#{item}").locator(field).first).to_have_value("12")
    bar.locator(f"#{item} button[type=submit]").first.tap()
    expect(bar.locator(f"#{item}")).to_have_class(ANSWERED)
    assert bar.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('draft|'))") == []
