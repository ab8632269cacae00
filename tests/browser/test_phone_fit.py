"""Every page of every post fits a 360 px phone: no sideways scrolling, every primary target thumb-sized.

The demo site is seeded (its roster included), with a visit, a count that differs, a purchase request, a
handover, a crew and a task added so that lists and reports have rows. Each post logs in through the form and
taps every page of its header menu; from each, the first row of each list, each link-button and each link
under the title, once per kind of page.
"""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.handover import services as handover
from hospitality.inspections import reads as inspection_reads
from hospitality.inspections import services as inspections
from hospitality.inventory import ledger
from hospitality.inventory import services as inventory
from hospitality.models import Item, Location, SalesRep, Site, User
from hospitality.purchasing import services as purchasing
from hospitality.seed import seed_demo
from hospitality.visits import services as visits
from hospitality.visits.reads import detail as visit_reads
from hospitality.workers import services as workers
from tests import factories
from tests.browser.walk import follow, login, menu

pytestmark = pytest.mark.browser

WIDTH = 360
THUMB = 44
POSTS = ["water_bar", "model_room", "concierge", "security", "lead", "manager"]

# What a thumb taps, each at least 44 px high: the controls; a row's link (a list item's, a table cell's, a
# card's, a grooming row's name); a title's link; the links of a line under a title (.sub: exports, "all
# visits"); and a paragraph that is a link and nothing else. Not checked: a link inside a sentence or a
# detail line (a <p>, <small>, <span> or .ho-text with other text: a phone number under a name, "edit" beside
# an item, "the visit" in a message, "差异" in a handover line). It is a word in a line of text, which
# cannot be 44 px high without breaking the line, and the row around it has its own 44 px way in.
CONTROLS = "main :is(button, [role=button], input[type=submit], summary)"
LINKS = "main :is(li, td, th, h2, h3, h4, .card-title, .who, .sub) > a, main a.card"
# From each page: the first row of each kind of list, every link-button and every link under the title.
ROWS = ["main .live li > a", "main a.card", "main .card-title > a", "main td > a", "main .who > a",
        "main ul:not(.live) > li > a"]
GO = ["main a[role=button]", "main .sub > a"]


def seed(app) -> dict[str, str]:
    """The demo site plus one of everything a list shows; every login's password is the test one. Returns the
    first demo login of each post."""
    with app.app_context():
        with write_tx():
            assert seed_demo()
            for user in db.session.scalars(select(User)):
                user.set_password(factories.PASSWORD)
        users, others = {}, {}
        for user in db.session.scalars(select(User).order_by(User.id)):
            (others if user.post in users else users)[user.post] = user
        site = db.session.scalar(select(Site))
        rep = db.session.scalar(select(SalesRep).where(SalesRep.site_id == site.id))
        # A visit: security records the car, the concierge greets it, the bar serves; and a walk-in.
        car = visits.record_arrival(site, users["security"], 3, True, "粤BD12345", None)
        visits.greet(site, users["concierge"], car, "first", rep.id)
        bar = db.session.scalar(select(Location).where(Location.site_id == site.id, Location.kind == "water_bar"))
        water = db.session.scalar(select(Item).where(Item.location_id == bar.id, Item.name == "矿泉水"))
        drink = next(c for c in visit_reads.bar_choices(site) if not c.out)  # a drink the serve form offers
        visits.serve(site, users["water_bar"], car, {drink.id: "2"}, None)
        visits.record_arrival(site, users["concierge"], 2, False, None, None)
        # A count of the bar that differs from the book: a discrepancy for the lead and the manager.
        count = inventory.start_count(site, users["water_bar"], bar, "closing")
        book = ledger.on_hand([i.id for i in inventory.location_items(bar.id)])
        counted = {item_id: str(qty) for item_id, qty in book.items()}
        counted[water.id] = str(book[water.id] - 3)
        inventory.submit_count(site, users["water_bar"], count, counted)
        # A purchase request for tomorrow.
        purchasing.create_request(site, users["water_bar"], {water.id: "48"}, "周末客多", purchasing.tomorrow(site),
                                  None)
        # A security handover waiting for the night guard (the demo's second security login).
        night = others["security"].id
        ho = handover.start(site, users["security"], night, None)
        handover.submit(site, users["security"], ho, night, "停车场东侧灯坏了", True)
        # A crew in a model room.
        room = db.session.scalar(select(Location).where(Location.site_id == site.id, Location.kind == "model_room"))
        workers.register(site, users["security"], location_id=room.id, company="美家装饰", names=["王师傅", "李师傅"],
                         phones=["13800001111", "13800002222"], purpose="repair", purpose_note=None,
                         supervisor_id=None, supervisor_name="陈工", idem_key=None)
        # An area inspection with a failed item and the task it raised.
        area = inspection_reads.area_templates(site.id)[0]
        slot = inspection_reads.rounds(area)[0][0]
        answer = inspections.answer_area(site, users["lead"], area, slot, area.items[0], "0", None, "地毯有污渍")
        inspections.raise_task(site, users["lead"], answer, "cleaner", None, None)
        return {p: u.username for p, u in users.items()}


def too_wide(page: Page) -> list[str]:
    """The innermost visible elements whose right edge is past the phone's. `html, body {overflow-x: hidden}`
    keeps scrollWidth at 360 while a table's last columns are cut off, so the boxes are measured too."""
    return page.evaluate("""(w) => [...document.querySelectorAll('body *')]
        .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
                && e.getBoundingClientRect().right > w + 0.5
                && ![...e.children].some(c => c.getBoundingClientRect().right > w + 0.5))
        .slice(0, 6).map(e => `<${e.tagName.toLowerCase()} class="${e.className}"> `
                          + `"${(e.textContent || '').trim().slice(0, 20)}" `
                          + `reaches ${Math.round(e.getBoundingClientRect().right)}px`)""",
                         WIDTH)


def too_small(page: Page) -> list[str]:
    """The visible controls and row, title and line links under 44 px high."""
    return page.evaluate("""([controls, links, min]) => {
        const alone = [...document.querySelectorAll('main p > a')]  // a paragraph that is only a link
            .filter(a => a.parentElement.textContent.trim() === a.textContent.trim());
        return [...document.querySelectorAll(`${controls}, ${links}`), ...alone]
            .filter(e => e.getClientRects().length && e.getBoundingClientRect().height < min - 0.5)
            .map(e => `${e.outerHTML.slice(0, 90)}… ${Math.round(e.getBoundingClientRect().height)}px`);
    }""", [CONTROLS, LINKS, THUMB])


def squeezed(page: Page) -> list[str]:
    """Text squeezed into a column a character or two wide (a grid or flex item that got no room): a text of
    three or more characters laid out on three or more lines, each narrower than 2.5 em (in a closed <details>
    only its summary counts: the rest is not shown)."""
    return page.evaluate("""() => {
        const out = [], walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
            const text = walk.currentNode.textContent.trim();
            if (text.length < 3) continue;
            const shut = walk.currentNode.parentElement.closest('details:not([open])');
            if (shut && !walk.currentNode.parentElement.closest('summary')) continue;  // not shown: Chromium lays
            // a closed <details>'s content out a character wide, which nobody sees
            const range = document.createRange();
            range.selectNodeContents(walk.currentNode);
            const lines = [...range.getClientRects()].filter(r => r.width > 0);
            const em = parseFloat(getComputedStyle(walk.currentNode.parentElement).fontSize);
            if (lines.length >= 3 && lines.every(r => r.width < 2.5 * em)) out.push(text.slice(0, 20));
        }
        return out.slice(0, 6);
    }""")


def check(page: Page, where: str, problems: list[str]) -> None:
    """Note this page's faults: wider than the phone (naming what sticks out), targets under 44 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = too_wide(page)
    if width > WIDTH or wide:
        problems.append(f"{where} ({page.url}) is wider than {WIDTH}px (scrollWidth {width}): {wide}")
    narrow = squeezed(page)
    if narrow:
        problems.append(f"{where} ({page.url}) squeezes text into a column a character wide: {narrow}")
    small = too_small(page)
    if small:
        problems.append(f"{where} ({page.url}) has targets under {THUMB}px: {small}")


def menu_labels(page: Page) -> list[str]:
    """The page links of the header menu (it is closed: read their text, not what is shown)."""
    return [t.strip() for t in page.locator("header.bar details.menu ul a").all_text_contents()]


def settle(page: Page) -> None:
    """Wait until the page's lazily loaded sections have arrived and no htmx request is running."""
    expect(page.locator("section.lazy, .htmx-request")).to_have_count(0)


def shape(href: str) -> str:
    """A page's kind: its path with the numbers taken out and its query's names (one visit stands for all)."""
    url = urlsplit(href)
    return re.sub(r"\d+", "#", url.path) + "?" + ",".join(sorted(parse_qs(url.query)))


def targets(page: Page, seen: set[str]) -> list[str]:
    """Where to go from this page: the first row of each list, each link-button and each link under the title,
    to pages of a kind not seen yet."""
    hrefs = []
    for sel in [*ROWS, *GO]:
        for link in page.locator(sel).all():
            href = link.get_attribute("href") or ""
            # Only pages: not an export (?format=), a photo (no boost), a phone number, or a link with its own
            # hx-target, which swaps a part of this page.
            if (href.startswith("/") and "format=" not in href and link.get_attribute("hx-boost") != "false"
                    and link.get_attribute("hx-target") is None and shape(href) not in seen and link.is_visible()):
                seen.add(shape(href))
                hrefs.append(href)
            if sel in ROWS:
                break
    return hrefs


@pytest.mark.parametrize("post", POSTS)
def test_every_page_fits_the_phone(app, live_server, phone, post):
    """Each page of the post's menu, the pages its rows, link-buttons and title lines open, fit a 360 px phone
    with 44 px targets."""
    users = seed(app)
    page = phone()
    login(page, live_server.url, users[post])
    settle(page)
    labels = menu_labels(page)
    assert labels, "the header menu has no pages"
    seen = {shape(a) for a in page.locator("header.bar a").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    problems: list[str] = []
    for label in labels:
        try:
            menu(page, label)
        except Exception as e:
            e.add_note(f"opening {label!r} from the header menu (from {page.url})")
            raise
        settle(page)
        check(page, label, problems)
        hrefs = targets(page, seen)
        for n, href in enumerate(hrefs):
            link = page.locator(f'main a[href="{href}"]').first
            text = " ".join(link.inner_text().split())[:20]
            try:
                follow(page, link)
            except Exception as e:
                e.add_note(f"tapping {text!r} ({href}) on {label}")
                raise
            settle(page)
            check(page, f"{label} → {text}", problems)
            if n < len(hrefs) - 1:
                menu(page, label)
                settle(page)
    assert not problems, "\n".join(problems)
