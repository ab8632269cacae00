"""An urgent incident from the water bar reaches the lead's open screen within a poll, highlighted, and the lead
acknowledges it there; the incident's page then says who acknowledged it. Every step is a tap from the login."""
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests import factories
from tests.browser.walk import assert_fits_phone, assert_thumb_sized, follow, landed, login, menu, tap_link

pytestmark = pytest.mark.browser
POLL = 12_000  # the live element polls every 5 s


def test_urgent_incident_from_the_water_bar_is_acknowledged_on_the_leads_screen(app, live_server, phone, tmp_path):
    """The bar reports a leak as urgent; the lead's screen shows it at the top of the live list without a reload,
    the lead taps 收到 there, the row goes, and the incident's page names the lead."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        bar_user = factories.make_user(site.id, "water_bar")
        lead_user = factories.make_user(site.id, "lead")
        names = {"bar": bar_user.username, "lead": lead_user.username, "lead_name": lead_user.name}
    bar, lead = phone(), phone()
    login(bar, base, names["bar"])
    login(lead, base, names["lead"])
    expect(lead.locator("#visits-live")).to_be_visible()
    expect(lead.locator("#visits-live li.incident")).to_have_count(0)

    # The water bar: 上报事件 from its today screen; its own place (水吧) is ticked already.
    tap_link(bar, "上报事件", "上报事件")
    assert_fits_phone(bar)
    assert_thumb_sized(bar)
    expect(bar.locator("label.pick:has(input[name=location_id]:checked)")).to_have_text("水吧")
    bar.locator("label.pick", has_text="漏水或停电").tap()
    bar.locator("label.pick", has_text="紧急").tap()
    bar.locator("textarea[name=description]").fill("水吧台下水管漏水，地面有积水")
    photo = tmp_path / "leak.jpg"
    Image.new("RGB", (64, 48), (40, 80, 180)).save(photo, "JPEG")
    bar.locator("input[type=file][name=photos]").set_input_files(str(photo))
    bar.get_by_role("button", name="上报", exact=True).tap()
    landed(bar, "漏水或停电 · 水吧")
    expect(bar.locator(".inc-waiting")).to_be_visible()
    expect(bar.locator(".inc-timeline img.thumb")).to_have_count(1)  # the photo came with the form

    # The lead's open screen: the alert at the top of the live list within a poll, highlighted.
    row = lead.locator("#visits-live li.incident")
    expect(row).to_contain_text("漏水或停电", timeout=POLL)
    expect(row).to_contain_text("水吧")
    expect(lead.locator("#visits-live li").first).to_have_class("unseen incident")
    assert_fits_phone(lead)
    row.get_by_role("button", name="收到").tap()
    expect(lead.locator("#visits-live li.incident")).to_have_count(0)
    expect(lead.locator("#visits-live")).to_have_count(1)  # swapped over itself, not nested

    # The incident's page, reached through the menu and the list, says who acknowledged it.
    menu(lead, "事件", "事件")
    assert_fits_phone(lead)
    follow(lead, lead.locator("main a", has_text="漏水或停电").first, "漏水或停电 · 水吧")
    expect(lead.locator(".inc-ack")).to_contain_text(names["lead_name"])
    expect(lead.locator(".inc-what")).to_have_text("水吧台下水管漏水，地面有积水")
    assert_fits_phone(lead)
    assert_thumb_sized(lead)


def test_the_guard_taps_through_from_the_five_most_pressing_to_all_open_incidents(app, live_server, phone):
    """Seven open incidents: the guard's today screen shows five cards, the urgent one first, and a link to all
    seven; tapping it opens the list with every one of them, each card a tap to its page."""
    with app.app_context():
        site = factories.make_site()
        guard = factories.make_user(site.id, "security")
        bar = factories.make_user(site.id, "water_bar")
    with app.test_request_context():
        factories.make_incident(site.id, bar.id, kind="utility", level="urgent", description="水管漏水")
        for n in range(6):
            factories.make_incident(site.id, bar.id, description=f"门口推销第{n}次")
    page = phone()
    login(page, live_server.url, guard.username)
    cards = page.locator("#incidents-open a.inc-card")
    expect(cards).to_have_count(5)
    expect(cards.first).to_contain_text("漏水或停电")
    assert_fits_phone(page)
    assert_thumb_sized(page, "#incidents-open")
    tap_link(page, "全部 7 起未关闭的事件", "未关闭的事件")
    expect(page.locator("main a.inc-card")).to_have_count(7)
    follow(page, page.locator("main a.inc-card", has_text="漏水或停电"), "漏水或停电")
