"""The manager's staff screens on a phone: a login locked after wrong passwords is unlocked with one tap, and a
new sales rep is listed as in use."""
import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.walk import assert_fits_phone, login, menu

pytestmark = pytest.mark.browser


def _wrong_password(page: Page, base: str, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill("not-my-password")
    # Wait for this attempt's answer: the previous attempt's error is already on the page.
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")):
        page.locator("form:has(#password) button[type=submit]").tap()
    # The answer has arrived; htmx swaps it in just after. Typing before the swap would go into the form being
    # replaced, and the next attempt would send empty fields (not counted against this account).
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)
    expect(page.locator("#password-err")).to_be_visible()
    assert page.url == f"{base}/login"


def test_manager_unlocks_a_locked_login(app, live_server, phone):
    """Five wrong passwords lock an attendant out with a time to try again; the manager finds the lock on the
    staff page through the menu, taps 解锁, and the attendant logs in."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        boss = factories.make_user(site.id, "manager").username
        staff = factories.make_user(site.id, "water_bar")
        barista, barista_name = staff.username, staff.name
    attendant = phone()
    attendant.goto(f"{base}/login")
    for _ in range(5):
        _wrong_password(attendant, base, barista)
    expect(attendant.locator("#password-err")).to_contain_text("账号已锁定至")

    manager = phone()
    login(manager, base, boss)
    menu(manager, "人员")
    expect(manager.locator("h2.screen-title")).to_have_text("人员")
    locked = manager.locator("section.locked-logins")
    expect(locked).to_contain_text(barista_name)
    expect(locked).to_contain_text("锁定至")
    assert_fits_phone(manager)
    locked.get_by_role("button", name="解锁").tap()
    expect(manager.locator(".flash")).to_contain_text(f"{barista_name} 已解锁")
    expect(manager.locator("section.locked-logins")).to_have_count(0)

    login(attendant, base, barista)  # the right password now opens the today screen


def test_manager_adds_a_sales_rep_in_use(app, live_server, phone):
    """A rep added through the menu's 置业顾问 page is listed as in use (not 已停用)."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        boss = factories.make_user(site.id, "manager").username
    manager = phone()
    login(manager, base, boss)
    menu(manager, "置业顾问")
    expect(manager.locator("label[for=name]")).to_contain_text("姓名")
    manager.locator("#name").fill("周顾问")
    manager.locator("main form button[type=submit]").tap()
    expect(manager.locator(".flash")).to_contain_text("已保存")
    row = manager.locator("table.list tr", has_text="周顾问")
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("已停用")
    expect(row).not_to_have_class("muted")
