"""A follow-up call after a visit, on phones: the front desk opens a group from its live list and puts it on the calls
list with the name and number the guests left; four days later its 回访 list shows the call overdue with the number
masked, "Show number" reveals it (audited), the guest is reached and not satisfied, and the lead finds the complaint
about the visit under 投诉. Every screen is reached by tapping from the login."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import AuditLog, Site, User, Visit
from hospitality.models.complaints import FOLLOW_UP_OUTCOMES, TOPICS, Complaint, FollowUp
from hospitality.templating import day
from hospitality.visits import services as visits
from tests import factories
from tests.browser.walk import assert_fits_phone, follow, landed, login, menu, pick, tap_link
from tests.harness import count_rows, msg, shown_when

pytestmark = pytest.mark.browser
PLATE, NAME, TYPED, PHONE, MASKED = "粤B24680", "李四", "139 0000 1111", "13900001111", "139****1111"
SAID = "销售说好回电话，一直没有联系我"
FLASH = "main p.flash[role=status]"


class Cast:
    """A site with security (who records the group at the gate), the front desk and the lead; the words the pages
    say (Chinese, or the English msgid until it is translated)."""

    def __init__(self, app, base: str):
        self.app, self.base = app, base
        with app.app_context():
            site = factories.make_site()
            self.site_id = site.id
            people = {post: factories.make_user(site.id, post) for post in ("security", "concierge", "lead")}
            self.ids = {post: u.id for post, u in people.items()}
            self.login = {post: u.username for post, u in people.items()}

    def say(self, msgid: str, **kw) -> str:
        return msg(self.app, msgid, **kw)

    def label(self, lazy) -> str:
        with self.app.test_request_context(), force_locale("zh_Hans"):
            return str(lazy)

    def day(self, value) -> str:
        """A calendar day as a Chinese page shows it."""
        with self.app.test_request_context(), force_locale("zh_Hans"):
            return day(value)

    def arrival(self) -> int:
        """A group of three security recorded at the gate (set-up through the rules)."""
        with self.app.test_request_context():
            site, guard = db.session.get(Site, self.site_id), db.session.get(User, self.ids["security"])
            return visits.record_arrival(site, guard, 3, True, PLATE, None).id

    def arrived(self, visit_id: int) -> str:
        """The group's arrival as the pages show it, in the site's time."""
        with self.app.app_context():
            site, v = db.session.get(Site, self.site_id), db.session.get(Visit, visit_id)
            return shown_when(self.app, v.arrived_at, site.tz)

    def phone_of(self, phone, post: str) -> Page:
        page = phone()
        login(page, self.base, self.login[post])
        assert_fits_phone(page)
        return page


def test_a_visits_follow_up_call_overdue_revealed_and_not_satisfied_becomes_a_complaint(app, live_server, phone):
    """The front desk plans the call from the visit's page; four days on its 回访 list shows it overdue and masked,
    reveals the number, records "Reached: not satisfied" with what the guest said; the lead reads the complaint
    about the visit in 投诉."""
    c = Cast(app, live_server.url)
    say = c.say
    visit_id = c.arrival()
    start = datetime.now(UTC)

    # The front desk: the group's row in the live list, then "Call them within three days" in its satisfaction part.
    desk = c.phone_of(phone, "concierge")
    follow(desk, desk.locator("#visits-live a", has_text=PLATE), PLATE)
    section = desk.locator("#guest-feedback")
    expect(section.locator("h3")).to_have_text(say("Guests' satisfaction"))
    section.locator("details.gf-plan > summary").tap()
    section.locator("input[name=guest_name]").fill(NAME)
    section.locator("input[name=guest_phone]").fill(TYPED)
    assert_fits_phone(desk)
    section.locator("button.gf-plan-btn").tap()
    due = desk.locator("#guest-feedback .gf-call")
    expect(due).to_be_visible()
    with app.app_context():
        due_on = db.session.scalar(select(FollowUp.due_on).where(FollowUp.visit_id == visit_id))
        today = db.session.get(Site, c.site_id).today()
    assert due_on == today + timedelta(days=3)
    expect(due).to_have_text(say("Follow-up call due %(d)s", d=c.day(due_on)))
    expect(desk.locator("#guest-feedback button.gf-plan-btn")).to_have_count(0)
    landed(desk, PLATE)  # swapped in place: still the visit's page
    assert desk.url == f"{c.base}/visits/{visit_id}"
    assert_fits_phone(desk)

    with clock.travel_to(start + timedelta(days=4)):
        # Four days on: the call is overdue on the front desk's 回访 list, the guest masked.
        desk = c.phone_of(phone, "concierge")
        menu(desk, say("Follow-up calls"), say("Follow-up calls"))
        card = desk.locator("main article.fu-card")
        expect(card).to_have_count(1)
        title = card.locator(".card-title a")
        expect(title).to_have_text(say("Visit of %(t)s · %(n)s ppl", t=c.arrived(visit_id), n=3))
        expect(title).to_have_attribute("href", f"/visits/{visit_id}")
        expect(card.locator("mark.st-missing")).to_have_text(say("Overdue"))
        who = card.locator(".cp-who")
        expect(who).to_contain_text(f"李* · {MASKED}")
        expect(desk.locator("main")).not_to_contain_text(PHONE)
        expect(desk.locator("main")).not_to_contain_text(NAME)
        assert_fits_phone(desk)

        # Show number: the whole number in place, for the call; the reveal is audited.
        who.get_by_role("button", name=say("Show number")).tap()
        expect(who.locator("a.phone-full")).to_have_text(PHONE)
        expect(who.locator("a.phone-full")).to_have_attribute("href", f"tel:{PHONE}")
        expect(who).not_to_contain_text(MASKED)
        fu_id = int(card.locator("form").get_attribute("action").rsplit("/", 1)[1])
        assert count_rows(AuditLog, AuditLog.action == "reveal_phone", AuditLog.entity == "follow_up",
                          AuditLog.entity_id == fu_id, app=app) == 1
        assert_fits_phone(desk)

        # Reached, not satisfied, with what the guest said: off the list.
        pick(desk, c.label(FOLLOW_UP_OUTCOMES["unsatisfied"]))
        card.locator("input[name=note]").fill(SAID)
        card.locator("button.call-btn").tap()
        expect(desk.locator(FLASH)).to_have_text(say("Call recorded."))
        landed(desk, say("Follow-up calls"))
        expect(desk.locator("main article.fu-card")).to_have_count(0)
        expect(desk.locator("main")).to_contain_text(say("No calls due."))
        assert_fits_phone(desk)
        with app.app_context():
            fu = db.session.get(FollowUp, fu_id)
            assert (fu.visit_id, fu.outcome, fu.attempts, fu.done_at is not None) == (visit_id, "unsatisfied", 1,
                                                                                      True)
            complaint = db.session.get(Complaint, fu.complaint_id)
            assert (complaint.visit_id, complaint.channel, complaint.topic, complaint.said) == (
                visit_id, "phone", "other", SAID)
            cid = complaint.id

        # The lead: the complaint in 投诉's open list, about the visit, with what the guest said.
        lead = c.phone_of(phone, "lead")
        menu(lead, say("Complaints"), say("Complaints"))
        assert_fits_phone(lead)
        heading = f"{say('Complaint')} #{cid} · {c.label(TOPICS['other'])}"
        tap_link(lead, re.compile(rf"^\s*#{cid} · "), heading)
        expect(lead.locator("main .cp-said")).to_have_text(SAID)
        expect(lead.locator(f'main a[href="/visits/{visit_id}"]')).to_be_visible()
        expect(lead.locator("main .cp-who")).to_contain_text(f"{NAME} · {PHONE}")
        assert_fits_phone(lead)
