"""Guests on phones: the concierge shows a group the QR code of their visit, the guests answer "unsatisfied" on their
own phone (no login, no cookie), the lead's open today screen shows the alert within a poll and makes it a complaint
in two taps. And a VIP: the manager marks a plate, security records its arrival (the plate hint already says so) and
the concierge's live list shows ★ VIP with the note. Every staff screen is reached by tapping from the login; the
guest's page by its scanned URL."""
import re

import pytest
from flask_babel import force_locale, ngettext
from playwright.sync_api import Page, expect

from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.guests import RATINGS
from hospitality.visits import services as visits
from tests import factories
from tests.browser.walk import assert_fits_phone, follow, home, landed, login, menu, pick, tap_link
from tests.harness import msg

pytestmark = pytest.mark.browser
POLL = 12_000  # the live element polls every 5 s
FLASH = "main p.flash[role=status]"


class Cast:
    """A site with one person per post that takes part, and the words its pages say (Chinese, or the English msgid
    until it is translated)."""

    def __init__(self, app, base: str, posts=("security", "concierge", "lead", "manager")):
        self.app, self.base = app, base
        with app.app_context():
            site = factories.make_site()
            self.site_id = site.id
            self.ids = {post: factories.make_user(site.id, post).id for post in posts}
            self.login = {post: db.session.get(User, i).username for post, i in self.ids.items()}

    def say(self, msgid: str, **kw) -> str:
        return msg(self.app, msgid, **kw)

    def label(self, lazy) -> str:
        with self.app.test_request_context(), force_locale("zh_Hans"):
            return str(lazy)

    def plural(self, one: str, many: str, n: int) -> str:
        with self.app.test_request_context(), force_locale("zh_Hans"):
            return ngettext(one, many, n)

    def arrival(self, plate: str, size: int = 3) -> int:
        """A group security recorded at the gate (set-up through the rules)."""
        with self.app.test_request_context():
            site, guard = db.session.get(Site, self.site_id), db.session.get(User, self.ids["security"])
            return visits.record_arrival(site, guard, size, True, plate, None).id

    def phone_of(self, phone, post: str) -> Page:
        page = phone()
        login(page, self.base, self.login[post])
        assert_fits_phone(page)
        return page


def test_guests_answer_unsatisfied_by_qr_and_the_lead_makes_it_a_complaint(app, live_server, phone):
    """The concierge opens the group from the live list and shows the code; a phone without login opens its URL and
    answers "unsatisfied" with a remark, and gets no cookie; the lead's open today screen shows the alert within a
    poll; the lead taps it, then "Make it a complaint", and reads the complaint about the visit."""
    c = Cast(app, live_server.url)
    say = c.say
    visit_id = c.arrival("粤B23456")
    desk, lead = c.phone_of(phone, "concierge"), c.phone_of(phone, "lead")
    alert = c.plural("%(num)s group left unsatisfied", "%(num)s groups left unsatisfied", 1)
    expect(lead.locator("#visits-live")).not_to_contain_text(alert)

    # The concierge: the group's row in the live list, then the satisfaction section's QR button.
    follow(desk, desk.locator("#visits-live a", has_text="粤B23456"), "粤B23456")
    section = desk.locator("#guest-feedback")
    expect(section.locator("h3")).to_have_text(say("Guests' satisfaction"))
    section.get_by_role("button", name=say("Let the guests answer (QR code)")).tap()
    expect(section.locator("svg")).to_be_visible()
    feedback_url = section.locator(".gf-url").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(c.base)}/f/[\w-]{{20,32}}", feedback_url), feedback_url
    assert_fits_phone(desk)

    # The guests, on their own phone: no login, the scanned URL.
    guest = phone()
    guest.goto(feedback_url)  # what the guests' camera opens from the code
    expect(guest.locator("h1")).to_have_text(say("How was your visit?"))
    assert_fits_phone(guest)
    pick(guest, c.label(RATINGS["unsatisfied"]))
    guest.locator("#remark").fill("等了二十分钟没人倒水")
    guest.get_by_role("button", name=say("Send")).tap()
    expect(guest.locator("h1")).to_have_text(say("Thank you!"))
    assert_fits_phone(guest)
    assert guest.context.cookies() == []

    # The lead's today screen, open all along: the alert arrives with the next poll.
    line = lead.locator("#visits-live li.alert a", has_text=alert)
    expect(line).to_be_visible(timeout=POLL)
    assert_fits_phone(lead)
    follow(lead, line, say("Unsatisfied guests"))
    card = lead.locator("main article.gf-alert")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("等了二十分钟没人倒水")
    assert_fits_phone(lead)
    card.locator("button.gf-complaint").tap()
    lead.wait_for_url(re.compile(rf"{re.escape(c.base)}/complaints/\d+$"))
    landed(lead, f"{say('Complaint')} #")
    expect(lead.locator(FLASH)).to_have_text(say("Complaint registered. The manager judges it next."))
    expect(lead.locator("main")).to_contain_text("等了二十分钟没人倒水")
    expect(lead.locator(f'main a[href="/visits/{visit_id}"]')).to_be_visible()
    assert_fits_phone(lead)
    expect(lead.locator("#visits-live li.alert", has_text=alert)).to_have_count(0)

    # The concierge taps the group again: its section shows the guests' answer and links to the complaint.
    home(desk)
    follow(desk, desk.locator("#visits-live a", has_text="粤B23456"), "粤B23456")
    expect(section.locator(".gf-answer")).to_contain_text(c.label(RATINGS["unsatisfied"]))
    # The link in the section opens the complaint as a whole page (not swapped into the section).
    follow(desk, section.locator(".gf-answer a"), f"{say('Complaint')} #")
    assert desk.url == lead.url
    assert_fits_phone(desk)


def test_a_vip_plate_shows_at_the_gate_and_on_the_concierges_live_list(app, live_server, phone):
    """The manager adds 粤B88888 with a note; security types it in the arrival form and the hint shows ★ VIP; once
    recorded, the concierge's live list shows the row with ★ VIP and the note within a poll."""
    c = Cast(app, live_server.url)
    say = c.say
    desk = c.phone_of(phone, "concierge")

    boss = c.phone_of(phone, "manager")
    menu(boss, say("VIP guests"), say("VIP guests"))
    assert_fits_phone(boss)
    new = boss.locator("main form.vip-new")
    new.locator("input[name=plate]").fill("粤b88888")
    new.locator("textarea[name=note]").fill("王总，请到贵宾室")
    new.get_by_role("button", name=say("Add")).tap()
    expect(boss.locator(FLASH)).to_have_text(say("Saved."))
    landed(boss, say("VIP guests"))
    expect(boss.locator("main details.vip summary")).to_contain_text("★ 粤B88888")
    assert_fits_phone(boss)

    guard = c.phone_of(phone, "security")
    tap_link(guard, say("Record an arrival"), say("Record an arrival"))
    guard.locator("label.pick:has(input[name=party_size][value='2'])").tap()
    guard.locator("#plate").fill("粤b88888")
    expect(guard.locator("#plate-info .vip-note")).to_contain_text("★ VIP · 王总，请到贵宾室")
    assert_fits_phone(guard)
    guard.locator("form.arrival button[type=submit]").tap()
    landed(guard, "粤B88888")

    row = desk.locator("#visits-live li", has_text="粤B88888")
    expect(row.locator("strong.vip")).to_have_text("★ VIP", timeout=POLL)
    expect(row.locator(".vip-note")).to_have_text("王总，请到贵宾室")
    assert_fits_phone(desk)
