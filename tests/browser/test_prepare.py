"""The water bar on a fresh day: brews a pot of tea from the stock screen, cuts a fruit plate from the serve form
where it is out, and serves both to a group reached from the live list."""
import pytest
from playwright.sync_api import expect

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.seed import add_demo_items
from hospitality.visits import services as visits
from tests import factories
from tests.browser.walk import assert_fits_phone, follow, home, landed, login, menu, tap_link

pytestmark = pytest.mark.browser


def test_water_bar_prepares_tea_and_fruit_then_serves_them(app, live_server, phone):
    """Stock → 制作 a pot; the group's page links 制作 for the plate that is out; both served at their raw cost."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        bar_name = factories.make_user(site.id, "water_bar").username
        guard = factories.make_user(site.id, "security")
        with write_tx():
            add_demo_items(db.session.get(Site, site.id), guard.id)
        with app.test_request_context():
            visits.record_arrival(db.session.get(Site, site.id), db.session.get(User, guard.id), 2, True,
                                  "粤B55555", None)
    bar = phone()
    login(bar, base, bar_name)

    # A fresh day: no tea brewed. Stock → 制作 → one pot.
    menu(bar, "库存", "库存")
    tap_link(bar, "制作", "制作")
    pot = bar.locator("article.prepare", has_text="泡好的茶水")
    expect(pot).to_contain_text("库存 0 壶")
    expect(pot).to_contain_text("铁观音茶叶 1 包")
    assert_fits_phone(bar)
    pot.locator("input[name=qty]").fill("1")
    pot.get_by_role("button", name="制作").tap()
    expect(bar.locator(".flash")).to_contain_text("已制作泡好的茶水 1 壶")
    expect(bar.locator("article.prepare", has_text="泡好的茶水")).to_contain_text("库存 1 壶")

    # The group, from the live list on the today screen.
    home(bar)
    follow(bar, bar.locator("#visits-live a", has_text="粤B55555"), "粤B55555")
    card = bar.locator("#visit")
    guest = card.locator("select[name=guest]").first
    expect(guest.locator("option", has_text="一次性纸杯")).to_have_count(0)
    expect(guest.locator("option", has_text="切好的果盘")).to_have_count(0)  # for the table, not a guest's drink

    # No fruit plate cut yet: the form says so and links to 制作, which comes back here.
    expect(card.locator(".prep-out")).to_have_count(1)
    expect(card.locator(".prep-out")).to_contain_text("切好的果盘")
    follow(bar, card.locator(".prep-out a"), "制作")
    plate = bar.locator("article.prepare", has_text="切好的果盘")
    expect(plate).to_contain_text("水果 1.5 斤")
    plate.get_by_role("button", name="制作").tap()
    landed(bar, "粤B55555")
    expect(bar.locator(".flash")).to_contain_text("已制作切好的果盘 1 份")
    expect(card.locator(".prep-out")).to_have_count(0)

    # Guest 1 has tea, the table a fruit plate: the cost is the leaves and the fruit (¥8 + 1.5 × ¥12).
    card.locator("select[name=guest]").first.select_option(label="泡好的茶水(壶)")
    card.locator("input[aria-label=切好的果盘]").fill("1")
    card.locator("button.serve-btn").tap()
    expect(card.locator(".cost")).to_have_text("¥26")
    expect(card.locator(".timeline")).to_contain_text("客人1 泡好的茶水")
    assert_fits_phone(bar)
