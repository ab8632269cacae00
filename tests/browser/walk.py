"""How a person moves through the app in the browser tests: the header menu and visible links, never an inner URL.

`login` (the only page.goto besides scanned codes) lives in test_routines; these are the steps after it.
Each step waits for the page it leads to, then checks what a person sees: the page's heading, and one header
(a page nested inside a fragment of another shows two).
"""
import re
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page, expect

TODAY = "今日"
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


def home(page: Page) -> None:
    """Back to the today screen through the site name in the header."""
    follow(page, page.locator("header.bar a.home"), TODAY)
