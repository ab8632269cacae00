"""The lead on a 360 px phone: today's visits, filters that swap only the list, more rows, per-rep figures,
and the manager's Excel export."""
import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import SalesRep, Site, User, Visit
from hospitality.visits import services
from hospitality.visits.reads.report import PAGE_SIZE
from tests import factories
from tests.browser.walk import assert_fits_phone, follow, landed, login, menu, tap_link
from tests.factories import local_utc, make_item
from tests.harness import text

pytestmark = pytest.mark.browser


def _setup(app):
    with app.app_context():
        site = factories.make_site()
        users = {p: factories.make_user(site.id, p) for p in ("security", "concierge", "water_bar", "lead", "manager")}
        factories.make_rep(site.id, "李顾问")
        rep = db.session.scalar(db.select(SalesRep).where(SalesRep.site_id == site.id))
        water = make_item(site.id, name="矿泉水", stock=50, price="2.00", unit="瓶")
        s = db.session.get(Site, site.id)
        guard, desk, bar = (db.session.get(User, users[p].id) for p in ("security", "concierge", "water_bar"))
        car = services.record_arrival(s, guard, 3, True, "粤B12345", None)
        services.greet(s, desk, car, "first", rep.id)
        services.serve(s, bar, db.session.get(Visit, car.id), {water.id: "2"}, None)
        services.record_arrival(s, desk, 2, False, None, None)
        yesterday = s.today() - timedelta(days=1)
        with write_tx():
            db.session.execute(insert(Visit), [dict(
                site_id=s.id, arrived_at=local_utc(s, yesterday, time(9)) + timedelta(minutes=i), by_car=True,
                plate=f"粤C{20000 + i}", party_size=2, purpose="return", rep_id=rep.id, recorded_by_id=guard.id,
                status="left", left_at=local_utc(s, yesterday, time(10)) + timedelta(minutes=i)) for i in range(60)])
        return {p: u.username for p, u in users.items()}, yesterday


def test_lead_filters_pages_and_reads_rep_figures(app, live_server, phone):
    """Today's list, a filter by car that swaps only the list, a plate search, a bad range, more rows and a
    rep's page, all at phone width."""
    base = live_server.url
    users, yesterday = _setup(app)
    page = phone()
    login(page, base, users["lead"])
    menu(page, "来访记录", "来访客户")
    rows = page.locator("#visit-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#visit-list")).to_contain_text("粤B12345")
    expect(page.locator("#visit-list .cost").first).to_have_text("¥0.00")  # the walk-in, still on site, first
    expect(page.locator("#visit-list")).to_contain_text("¥4.00")
    assert_fits_phone(page)

    # Only the list is swapped; the form keeps its state and the URL follows the filters.
    page.evaluate("document.querySelector('form.filters').dataset.mark = 'kept'")  # lost if the form is redrawn
    page.locator("select[name=mode]").select_option("car")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"mode=car"))
    expect(page.locator("form.filters[data-mark=kept]")).to_have_count(1)
    page.locator("select[name=mode]").select_option("")
    expect(rows).to_have_count(2)
    page.locator("input[name=plate]").fill("b123")
    expect(page).to_have_url(re.compile(r"plate=b123"))
    expect(rows).to_have_count(1)
    expect(page.locator("#visit-list")).to_contain_text("粤B12345")
    expect(page.locator("input[name=plate]")).to_be_focused()
    page.reload()  # the pushed URL is a full page
    landed(page, "来访客户")
    expect(page.locator("input[name=plate]")).to_have_value("B123")
    expect(rows).to_have_count(1)

    # A range that ends before it starts: the message under the end date, nothing listed.
    page.locator("input[name=plate]").fill("")
    page.locator("input[name=from]").fill(yesterday.isoformat())
    page.locator("input[name=to]").fill((yesterday - timedelta(days=3)).isoformat())
    expect(page.locator("#err-to")).to_have_text(text(app, "The end date is before the start date."))
    landed(page)  # the refusal redrew the form: typing into it before htmx wires it up would send nothing
    assert_fits_phone(page)

    # Yesterday: 60 groups, a page at first, the next page on each tap of "more".
    size = PAGE_SIZE
    page.locator("input[name=to]").fill(yesterday.isoformat())
    expect(page).to_have_url(re.compile(rf"from={yesterday.isoformat()}&to={yesterday.isoformat()}"))
    expect(rows).to_have_count(size + 1)  # a page of rows and the "more" row
    page.locator("button.more-btn").tap()
    expect(rows).to_have_count(2 * size + 1)
    page.locator("button.more-btn").tap()
    expect(rows).to_have_count(60)
    expect(page.locator("button.more-btn")).to_have_count(0)
    assert_fits_phone(page)

    # Per rep from yesterday to today, then the rep's own page.
    tap_link(page, "置业顾问统计", "置业顾问统计")
    page.locator("form.range-form input[name=from]").fill(yesterday.isoformat())
    page.locator("form.range-form button[type=submit]").tap()
    expect(page).to_have_url(re.compile(rf"/visits/reps\?from={yesterday.isoformat()}&to="))
    landed(page, "置业顾问统计")
    expect(page.locator("table.reps")).to_contain_text("61 / 123")
    assert_fits_phone(page)
    follow(page, page.locator("table.reps a", has_text="李顾问"), "李顾问")
    expect(page.locator("h2")).to_contain_text("李顾问")
    expect(page.locator(".rep-cost")).to_have_text("¥4.00")
    assert_fits_phone(page)


def test_manager_downloads_the_filtered_list(app, live_server, phone):
    """The Excel link carries the filters and downloads an .xlsx."""
    base = live_server.url
    users, _yesterday = _setup(app)
    page = phone(accept_downloads=True)
    login(page, base, users["manager"])
    menu(page, "来访记录", "来访客户")
    page.locator("select[name=mode]").select_option("car")
    expect(page).to_have_url(re.compile(r"mode=car"))
    expect(page.locator("a.export")).to_have_attribute("href", re.compile(r"format=xlsx.*mode=car"))
    with page.expect_download() as info:
        page.locator("a.export").tap()
    assert info.value.suggested_filename.endswith(".xlsx")
