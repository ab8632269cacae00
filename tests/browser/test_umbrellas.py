"""The concierge lends umbrellas to a walk-in group and takes them back one by one; what is still out shows on
the visit and on the today screen."""
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.walk import assert_fits_phone, follow, home, landed, login

pytestmark = pytest.mark.browser


def test_concierge_returns_umbrellas_in_part(app, live_server, phone):
    """Lend 2, return 1: 1 把未还 on the visit and the today screen; tapping it opens the visit; return the last."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        username = factories.make_user(site.id, "concierge").username
    desk = phone()
    login(desk, base, username)

    # A walk-in group of two.
    # The link is drawn as a button (role=button).
    follow(desk, desk.locator("main").get_by_role("button", name="登记来访"), "登记来访")
    desk.locator("label.pick:has(input[name=party_size][value='2'])").tap()
    desk.locator("label.pick:has(input[name=by_car][value='0'])").tap()
    desk.locator("form.arrival button[type=submit]").tap()
    landed(desk, "2人")
    visit_url = desk.url
    card = desk.locator("#visit")

    # It rains: two umbrellas.
    card.locator("input[name=qty]").fill("2")
    card.get_by_role("button", name="借出雨伞").tap()
    expect(card.locator(".umbrellas-out")).to_have_text("伞：2 把未还")
    expect(card.locator("input[name=return_qty]")).to_have_value("2")

    # One comes back.
    card.locator("input[name=return_qty]").fill("1")
    card.get_by_role("button", name="归还雨伞").tap()
    expect(card.locator(".umbrellas-out")).to_have_text("伞：1 把未还")
    expect(card.locator(".timeline")).to_contain_text("归还 1 把伞")
    assert_fits_phone(desk)

    # Asking for more than is out is refused next to the field.
    card.locator("input[name=return_qty]").fill("3")
    card.get_by_role("button", name="归还雨伞").tap()
    expect(card.locator(".umbrella-return + small.error")).to_contain_text("可归还 1 到 1 把")
    expect(card.locator(".umbrellas-out")).to_have_text("伞：1 把未还")

    # The today screen shows the group with one still out; tapping the line opens the visit.
    home(desk)
    line = desk.locator("#visits-live a", has_text="伞：1 把未还")
    expect(line).to_be_visible()
    follow(desk, line, "2人")
    assert desk.url == visit_url

    # The last one comes back (all that is out is the default).
    expect(card.locator("input[name=return_qty]")).to_have_value("1")
    card.get_by_role("button", name="归还雨伞").tap()
    expect(card.locator(".umbrellas-out")).to_have_count(0)
    expect(card.locator(".timeline li", has_text="归还 1 把伞")).to_have_count(2)
    home(desk)
    expect(desk.locator("#visits-live")).not_to_contain_text("未还")
