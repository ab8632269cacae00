"""How a person moves through the app in the browser tests: the header menu and visible links, never an inner URL.

`login` (the only page.goto besides scanned codes) lives in test_routines; these are the steps after it.
"""
import re
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page, expect


def follow(page: Page, link: Locator) -> None:
    """Tap a link and wait until the browser shows the page it points to (a boosted swap changes the URL)."""
    expect(link).to_be_visible()
    href = urljoin(page.url, link.get_attribute("href"))
    link.tap()
    page.wait_for_url(href)


def menu(page: Page, label: str) -> None:
    """Open the header menu (the name · post summary) and tap the page link with this visible label."""
    page.locator("header.bar details.menu > summary").tap()
    follow(page, page.locator("header.bar details.menu ul a", has_text=label).first)


def tap_link(page: Page, label: str | re.Pattern, scope: str = "main") -> None:
    """Tap a visible link (or link-button) in the page body by its text, and wait for its page."""
    follow(page, page.locator(scope).get_by_role("link", name=label).first)


def home(page: Page) -> None:
    """Back to the today screen through the site name in the header."""
    follow(page, page.locator("header.bar a.home"))
