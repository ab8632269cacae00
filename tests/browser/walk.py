"""How a person moves through the app in the browser tests: the header menu and visible links, never an inner URL.

`login` is the only page.goto besides scanned codes (and a routine's own URL once its card was tapped).
Each step waits for the page it leads to, then checks what a person sees: the page's heading, and one header
(a page nested inside a fragment of another shows two).
"""
import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD

TODAY = "今日"
WIDTH = 360  # the phone's viewport (tests/browser/conftest.py)
ANSWERED = re.compile(r"\banswered\b")
HEADING = "main :is(h2, h3)"  # the page's title: the first heading of the body (a board page has no h2)


def landed(page: Page, heading: str | re.Pattern | None = None) -> None:
    """The browser shows one whole page: a single header, and the heading a person expects to read; and htmx has
    settled it (new content is wired up in the settle step, 20 ms after the swap: a change made on a select before
    then fires no request, which a person is too slow to notice and a test is not)."""
    expect(page.locator("header.bar")).to_have_count(1)
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping")).to_have_count(0)
    if heading is not None:
        expect(page.locator(HEADING).first).to_contain_text(heading)


def follow(page: Page, link: Locator, heading: str | re.Pattern | None = None) -> None:
    """Tap a link and wait until the browser shows the page it points to (a boosted swap changes the URL)."""
    expect(link).to_be_visible()
    href = urljoin(page.url, link.get_attribute("href")).split("#")[0]
    link.tap()
    page.wait_for_url(lambda url: url.split("#")[0] == href)  # a #line anchor may or may not be pushed
    landed(page, heading)


def menu(page: Page, label: str, heading: str | re.Pattern | None = None) -> None:
    """Open the header menu (the name · post summary) and tap the page link with exactly this visible label."""
    page.locator("header.bar details.menu > summary").tap()
    # Exact: 人员 (staff) is also the end of 施工人员 (construction workers), which comes first in the menu.
    follow(page, page.locator("header.bar details.menu ul").get_by_role("link", name=label, exact=True), heading)


def tap_link(page: Page, label: str | re.Pattern, heading: str | re.Pattern | None = None,
             scope: str = "main") -> None:
    """Tap a visible link (or link-button) in the page body by its text, and wait for its page."""
    # By tag, not role: an <a role="button"> is a button to the accessibility tree, and still a link to follow.
    follow(page, page.locator(f"{scope} a").filter(has_text=label).first, heading)


def pick(page: Page, label: str, scope: str = "main") -> None:
    """Tap one of a form's big radio labels (a one-tap choice) by its whole text: 满意 is also the end of 不满意, and
    不成立 contains 成立, so a substring would pick either."""
    page.locator(f"{scope} label.pick").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).tap()


def home(page: Page) -> None:
    """Back to the today screen through the site name in the header."""
    follow(page, page.locator("header.bar a.home"), TODAY)


def early_morning_tz() -> str:
    """A fixed-offset zone where it is 06:xx now, before every routine's due time.

    Completing at 15:00 in Shanghai would rightly show "done late"; the tests want "done", so
    the site's clock is put in the early morning, far from midnight.
    """
    offset = ((6 - datetime.now(UTC).hour + 12) % 24) - 12
    if offset == 0:
        return "Etc/GMT"
    # POSIX sign: Etc/GMT-8 is UTC+8.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def login(page: Page, base_url: str, username: str) -> None:
    """Log in through the form, as staff do, and land on the today screen."""
    page.goto(f"{base_url}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form:has(#password) button[type=submit]").tap()
    page.wait_for_url(f"{base_url}/")
    landed(page, TODAY)


def assert_fits_phone(page: Page) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = page.evaluate(f"""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > {WIDTH} + 0.5)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 30))""")
        pytest.fail(f"{page.url} is {width}px wide at {WIDTH}px: {wide}")


def assert_thumb_sized(page: Page, scope: str = "main") -> None:
    """Every visible button and link in the scope is at least 40 px tall."""
    small = page.evaluate(f"""() => [...document.querySelectorAll(
            '{scope} button, {scope} a, {scope} [role=button], {scope} input[type=submit]')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 40)
        .map(e => e.outerHTML.slice(0, 80) + ' ' + e.getBoundingClientRect().height + 'px')""")
    assert small == [], f"too small to tap on {page.url}: {small}"


def mark_page(page: Page) -> None:
    """Tag the window and the page title; a reload, or a boosted swap of the body, drops the tags."""
    page.evaluate("window.__samePage = 'yes'; document.querySelector('h2.screen-title').dataset.kept = 'yes'")


def assert_same_page(page: Page) -> None:
    kept = page.evaluate("[window.__samePage, document.querySelector('h2.screen-title').dataset.kept]")
    assert kept == ["yes", "yes"], "the answer replaced the page instead of swapping the item"


def item_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("li.ck-item", "els => els.map(e => e.id)")


def answer(page: Page, item_id: str) -> None:
    """Answer one item the way its type asks for, and wait for the swapped-in answered item."""
    li = page.locator(f"#{item_id}")
    if li.locator("button.ok").count():
        li.locator("button.ok").tap()
    elif li.locator("input[name=number]").count():
        li.locator("input[name=number]").fill("12")
        li.locator("button[type=submit]").tap()
    else:
        li.locator("textarea[name=note]").fill("毛巾已补充")
        li.locator("button[type=submit]").tap()
    expect(page.locator(f"#{item_id}")).to_have_class(ANSWERED)


def open_routine(page: Page, base_url: str, template_id: int) -> None:
    """Tap the routine's card on the today screen; its page is headed by the routine's name."""
    card = page.locator(f'a.card[href="/checklists/{template_id}"]')
    follow(page, card, card.locator(".card-title").inner_text())
    assert page.url == f"{base_url}/checklists/{template_id}"
