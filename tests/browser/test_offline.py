"""Without signal: a water-bar count and a guard's checkpoint scan are kept on the phone (the outbox), shown in the
header chip, and land exactly once when the signal is back; a count whose book moved meanwhile comes back as a
conflict the person reads and discards. The service worker is blocked: these contexts test the page's own outbox."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from hospitality import clock
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import ledger
from hospitality.models import CountLine, Item, Site, StockCount
from hospitality.models.patrol import PatrolScan
from hospitality.seed import add_demo_items
from tests import factories
from tests.browser.walk import assert_fits_phone, landed, login, tap_link

pytestmark = pytest.mark.browser
HERE = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 10}
CHIP = "header.bar #outbox .outbox-chip"


def night_with_a_bar(app):
    """The patrol night's site (tests/factories.py patrol_env) with the demo bar stocked."""
    with app.app_context():
        env = factories.patrol_env(app)
        with write_tx():
            add_demo_items(db.session.get(Site, env.site), env.users["boss"])
    env.login = {key: f"{key}{env.site}" for key in env.users}
    return env


def start_bar_count(bar: Page) -> int:
    """From the today screen: the water bar's tile, then Count now; returns the open count's id."""
    tap_link(bar, re.compile("^水吧$"), "水吧", scope="main nav.tiles")
    bar.get_by_role("button", name="开始盘点").tap()
    expect(bar).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(bar, "水吧 · ")
    expect(bar.locator("form[data-outbox]")).to_have_count(1)
    return int(bar.url.rsplit("/", 1)[1])


def waiting(page: Page, say, n: int) -> None:
    """The header chip says how many taps wait on this phone."""
    expect(page.locator(CHIP)).to_have_text("⏳ " + say("%(count)s waiting to send", count=n))


def count_of(app, count_id: int) -> tuple[str, int]:
    with app.app_context():
        count = db.session.get(StockCount, count_id)
        lines = db.session.scalar(select(func.count()).select_from(CountLine).where(CountLine.count_id == count_id))
        return count.status, lines


def scans_of(app, env, i: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PatrolScan).where(
            PatrolScan.checkpoint_id == env.points[i]))


def test_a_count_and_a_scan_made_offline_land_once_when_the_signal_is_back(app, live_server, phone, say):
    """Offline, the bar's count and the guard's scan are kept (chip: 1 waiting, nothing in the database); back
    online both are sent by themselves, land once, and the chip goes."""
    env, base = night_with_a_bar(app), live_server.url
    bar = phone(service_workers="block")
    guard = phone(service_workers="block", geolocation=HERE, permissions=["geolocation"])
    for page in (bar, guard):  # the phones' clocks agree with the app's: the outbox sends the time a tap was made
        page.clock.set_fixed_time(env.at(23, 35))
    with clock.travel_to(env.at(23, 35)):
        login(bar, base, env.login["bar"])
        count_id = start_bar_count(bar)
        bar.context.set_offline(True)
        expect(bar.locator("#net")).to_have_text(say("No signal"))
        bar.locator("button.all-match").tap()
        expect(bar.locator("#toast")).to_have_text(say("Kept on this phone: it will be sent when the signal is back."))
        waiting(bar, say, 1)
        assert count_of(app, count_id) == ("open", 0)

        # The guard scans a code (the camera opens its URL) and taps All normal in the car park, out of signal.
        login(guard, base, env.login["guard"])
        guard.goto(f"{base}/c/{env.tokens[0]}")
        landed(guard, f"{say('Checkpoint')} · {env.names[0]}")
        expect(guard.locator("form.patrol-scan.located[data-outbox]")).to_have_count(1)
        guard.context.set_offline(True)
        guard.locator("button[name=ok][value='1']").tap()
        waiting(guard, say, 1)
        guard.locator(CHIP).tap()
        entry = guard.locator("#outbox li")
        expect(entry).to_have_count(1)
        expect(entry.locator("small")).to_contain_text(say("Waiting to send"))
        expect(entry.locator("strong")).not_to_be_empty()  # what it is, as the form names it
        assert_fits_phone(guard)
        assert scans_of(app, env, 0) == 0

        # Signal again: each phone sends what it kept, by itself, and says so.
        for page in (bar, guard):
            page.context.set_offline(False)
            expect(page.locator("#net")).to_have_text(say("Back online"))
            expect(page.locator("header.bar #outbox")).to_be_hidden()
        expect(bar.locator("#toast")).to_contain_text(say("Sent from this phone"))
        status, lines = count_of(app, count_id)
        assert status == "matched" and lines > 0
        assert scans_of(app, env, 0) == 1
        expect(bar.locator("main form[data-outbox]")).to_have_count(0)  # the count's page shows it counted

        # Another page open (a reload) replays nothing twice.
        bar.reload()
        landed(bar)
        expect(bar.locator("header.bar #outbox")).to_be_hidden()
        assert count_of(app, count_id) == (status, lines)
        assert scans_of(app, env, 0) == 1


def test_a_count_whose_book_moved_while_offline_comes_back_as_a_conflict_to_discard(app, live_server, phone, say):
    """The book of the bar changes while the count waits on the phone: sent, it is refused (409) and saved nowhere;
    the chip's list shows the server's message, and Discard takes it off the phone."""
    env, base = night_with_a_bar(app), live_server.url
    bar = phone(service_workers="block")
    bar.clock.set_fixed_time(env.at(23, 35))  # the phone's clock agrees with the app's
    with clock.travel_to(env.at(23, 35)):
        login(bar, base, env.login["bar"])
        count_id = start_bar_count(bar)
        bar.context.set_offline(True)
        bar.locator("button.all-match").tap()
        waiting(bar, say, 1)

        with app.app_context(), write_tx():  # a drink served at the bar meanwhile, from another phone
            bar_id = db.session.get(StockCount, count_id).location_id
            item = db.session.scalars(select(Item).where(Item.location_id == bar_id).order_by(Item.id)).first()
            ledger.post(env.site, env.users["bar"], [(item, Decimal("-1"), "served")])

        bar.context.set_offline(False)
        entry = bar.locator("#outbox li")
        expect(bar.locator("#outbox li.ob-needs")).to_have_count(1)
        waiting(bar, say, 1)  # kept until the person decides
        bar.locator(CHIP).tap()
        expect(entry.locator("small")).to_contain_text(say("Needs you"))
        expect(entry.locator("p.error")).not_to_be_empty()
        assert count_of(app, count_id) == ("open", 0)

        entry.get_by_role("button", name=say("Discard")).tap()
        expect(bar.locator("header.bar #outbox")).to_be_hidden()
        assert count_of(app, count_id) == ("open", 0)
