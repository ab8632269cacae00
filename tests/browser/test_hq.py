"""Head office logs in on a phone and lands on its company's sites side by side; sorts by groups, taps a site and
reads its figures and trends, read-only; another company's site is not there."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hospitality import clock
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Visit
from hospitality.models.core import Company
from tests import factories
from tests.browser.walk import PASSWORD, assert_fits_phone, follow, landed

pytestmark = pytest.mark.browser
NOW = factories.at(2026, 12, 7, 15, 0)


def test_head_office_compares_its_sites_on_a_phone(app, live_server, phone, say):
    """Log in → 总部 (the comparison) → sort by groups → tap the busiest site → its figures, no form on the page."""
    base = live_server.url

    with clock.travel_to(NOW):
        with app.app_context():
            with write_tx():
                ours, theirs = Company(name="安居物业", code="BRA"), Company(name="别家物业", code="BRB")
                db.session.add_all([ours, theirs])
            quiet = factories.make_site(code="QUIET", name="东区售楼处", company_id=ours.id)
            busy = factories.make_site(code="BUSY", name="西区售楼处", company_id=ours.id)
            other = factories.make_site(code="OTHER", name="别家售楼处", company_id=theirs.id)
            boss = factories.make_user(busy.id, "manager")
            with write_tx():
                for site_id, n in ((busy.id, 3), (quiet.id, 1), (other.id, 9)):
                    db.session.add_all(Visit(site_id=site_id, party_size=2, recorded_by_id=boss.id, status="left",
                                             arrived_at=clock.to_utc(NOW) - timedelta(hours=1)) for _ in range(n))
            username = factories.make_user(quiet.id, "hq").username
            busy_id, other_id = busy.id, other.id
        page = phone()
        page.goto(f"{base}/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(PASSWORD)
        page.locator("form:has(#password) button[type=submit]").tap()
        page.wait_for_url(f"{base}/")
        landed(page, say("Head office"))
        assert_fits_phone(page)
        expect(page.locator("#hq-sites tbody tr")).to_have_count(2)  # the company's two, not the other company's
        expect(page.locator(f"#hq-site-{other_id}")).to_have_count(0)
        follow(page, page.locator("nav.hq-sort a", has_text=say("Groups")), say("Head office"))
        expect(page.locator("#hq-sites tbody tr").first).to_have_id(f"hq-site-{busy_id}")
        assert_fits_phone(page)
        follow(page, page.locator(f"#hq-site-{busy_id} a", has_text="西区售楼处"), "西区售楼处")
        expect(page.locator("#fig-groups")).to_have_text("3")
        expect(page.locator("main form[method=post], main button")).to_have_count(0)  # read-only
        assert_fits_phone(page)
