"""A complaint in the seeds' six steps on three phones: the front desk registers it from its today screen, the
manager judges it founded, the lead investigates and proposes two remedies, the manager picks one, the front desk
carries it out with the guest, the manager reviews and classifies it. The guest's number is masked on the front
desk's phone until revealed, whole on the lead's and manager's. Then the deadlines: a follow-up call overdue on the
front desk's 回访 list, a first response overdue on the lead's today screen; and a registration refused for a
missing field. Every screen is reached by tapping, from the login."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hospitality import clock
from hospitality.complaints import services
from hospitality.extensions import db
from hospitality.models import AuditLog, Site, User
from hospitality.models.complaints import (
    CHANNELS,
    EVENT_KINDS,
    FOLLOW_UP_OUTCOMES,
    RESPONSIBLE,
    STEPS,
    TOPICS,
    Complaint,
    FollowUp,
)
from hospitality.models.core import POSTS
from tests import factories
from tests.browser.walk import assert_fits_phone, assert_thumb_sized, landed, login, menu, pick, tap_link
from tests.harness import count_rows, msg, shown_when

pytestmark = pytest.mark.browser
NAME, PHONE, MASKED = "张三", "13812345678", "138****5678"
FLASH = "main p.flash[role=status]"


class Desk:
    """A site with a front desk, a lead and a manager; the words the complaint pages say (Chinese, or the English
    msgid until it is translated)."""

    def __init__(self, app, base: str):
        self.app, self.base = app, base
        with app.app_context():
            site = factories.make_site()
            self.site_id = site.id
            people = {post: factories.make_user(site.id, post) for post in ("concierge", "lead", "manager")}
            self.login = {post: u.username for post, u in people.items()}
            self.ids = {post: u.id for post, u in people.items()}
            self.names = {post: u.name for post, u in people.items()}

    def say(self, msgid: str, **kw) -> str:
        return msg(self.app, msgid, **kw)

    def label(self, lazy) -> str:
        """One of the models' lazy labels (some carry a context), as a Chinese page shows it."""
        with self.app.test_request_context(), force_locale("zh_Hans"):
            return str(lazy)

    def who(self, post: str) -> str:
        """How a timeline row names a person: name (post)."""
        return f"{self.names[post]} ({self.label(POSTS[post])})"

    def heading(self, cid: int, topic: str) -> str:
        return f"{self.say('Complaint')} #{cid} · {self.label(TOPICS[topic])}"

    def open_complaint(self, page: Page, cid: int, topic: str) -> None:
        """Menu 投诉, then the complaint's card in the open list."""
        menu(page, self.say("Complaints"), self.say("Complaints"))
        assert_fits_phone(page)
        tap_link(page, re.compile(rf"^\s*#{cid} · "), self.heading(cid, topic))
        assert_fits_phone(page)

    def step_is(self, page: Page, step: int) -> None:
        expect(page.locator("main .cp-step")).to_have_text(self.label(STEPS[step]))

    def timeline(self, page: Page, rows: list[tuple[str, str]]) -> None:
        """The timeline reads these rows in order: (event kind, who did it)."""
        items = page.locator("ol.cp-timeline > li")
        expect(items).to_have_count(len(rows))
        for i, (kind, post) in enumerate(rows):
            expect(items.nth(i)).to_contain_text(f" · {self.label(EVENT_KINDS[kind])} · {self.who(post)}")

    def run(self, api, post: str, complaint_id: int | None = None, *args, **kw):
        """Set-up through the rules, as `post` (the browser is for what a person sees)."""
        with self.app.test_request_context():
            site, user = db.session.get(Site, self.site_id), db.session.get(User, self.ids[post])
            if complaint_id is None:
                return api(site, user, *args, **kw).id
            return api(site, user, db.session.get(Complaint, complaint_id), *args, **kw).id


def submit(page: Page, button: str, flash: str) -> None:
    """Tap a step's button and wait for the complaint's page to come back with the step's message."""
    page.locator(f"main button{button}").tap()
    expect(page.locator(FLASH)).to_have_text(flash)
    landed(page)


def test_a_complaint_goes_through_its_six_steps_on_three_phones(app, live_server, phone):
    """The front desk registers, the manager judges it founded, the lead investigates and proposes two remedies, the
    manager picks one, the front desk records it carried out and accepted, the manager reviews and closes it; each
    phone reads the step, the timeline and the guest's number as its post may."""
    d = Desk(app, live_server.url)
    say, label = d.say, d.label
    desk, manager, lead = phone(), phone(), phone()
    login(desk, d.base, d.login["concierge"])
    assert_fits_phone(desk)

    # Step 1, the front desk: from its today screen's button, in one form.
    desk.locator("main a.register-complaint").tap()
    desk.wait_for_url(f"{d.base}/complaints/new")
    landed(desk, say("Register a complaint"))
    assert_fits_phone(desk)
    pick(desk, label(TOPICS["waiting"]))
    pick(desk, label(CHANNELS["phone"]))
    desk.locator("textarea[name=said]").fill("在沙盘区等了二十分钟没有销售接待")
    desk.locator("input[name=guest_name]").fill(NAME)
    desk.locator("input[name=guest_phone]").fill(PHONE)
    desk.locator("button.register-btn").tap()
    desk.wait_for_url(re.compile(r"/complaints/\d+$"))
    cid = int(desk.url.rsplit("/", 1)[1])
    landed(desk, d.heading(cid, "waiting"))
    expect(desk.locator(FLASH)).to_have_text(say("Complaint registered. The manager judges it next."))
    d.step_is(desk, 1)
    expect(desk.locator("main .cp-said")).to_have_text("在沙盘区等了二十分钟没有销售接待")
    expect(desk.locator("main p.sub").first).to_contain_text(label(CHANNELS["phone"]))
    d.timeline(desk, [("registered", "concierge")])
    # The front desk reads the guest masked, and that the manager acts next; it has no judging form.
    who = desk.locator("main .cp-who")
    expect(who).to_contain_text(f"张* · {MASKED}")
    expect(desk.locator("main")).not_to_contain_text(PHONE)
    expect(desk.locator("main")).not_to_contain_text(NAME)
    expect(desk.locator("#cp-next-h")).to_have_text(say("Step 2: founded or not (the manager)"))
    expect(desk.locator("main button.judge-btn")).to_have_count(0)
    assert_fits_phone(desk)
    assert_thumb_sized(desk)
    # Show number: the whole number in place of the masked one, for the call; the reveal is audited.
    who.get_by_role("button", name=say("Show number")).tap()
    expect(who.locator("a.phone-full")).to_have_text(PHONE)
    expect(who.locator("a.phone-full")).to_have_attribute("href", f"tel:{PHONE}")
    expect(who).not_to_contain_text(MASKED)
    assert count_rows(AuditLog, AuditLog.action == "reveal_phone", AuditLog.entity_id == cid, app=app) == 1

    # Step 2, the manager: the open complaint from the menu, the guest whole; founded, with the reason.
    login(manager, d.base, d.login["manager"])
    d.open_complaint(manager, cid, "waiting")
    expect(manager.locator("main .cp-who")).to_contain_text(f"{NAME} · {PHONE}")
    expect(manager.locator("main .cp-who a[href='tel:13812345678']")).to_have_count(1)
    expect(manager.locator("main .cp-who button")).to_have_count(0)
    d.step_is(manager, 1)
    pick(manager, say("Founded"))
    manager.locator("textarea[name=reason]").fill("当时两名销售都在带客，无人接待")
    submit(manager, ".judge-btn", say("Judged."))
    d.step_is(manager, 2)
    expect(manager.locator("#cp-next-h")).to_have_text(say("Step 3: investigate"))
    d.timeline(manager, [("registered", "concierge"), ("judged", "manager")])
    expect(manager.locator("ol.cp-timeline > li").nth(1)).to_contain_text("当时两名销售都在带客，无人接待")
    assert_fits_phone(manager)

    # Step 3, the lead: a note with the people involved, then the investigation finished.
    login(lead, d.base, d.login["lead"])
    d.open_complaint(lead, cid, "waiting")
    expect(lead.locator("main .cp-who")).to_contain_text(f"{NAME} · {PHONE}")
    lead.locator("textarea[name=note]").fill("前台未及时呼叫销售，客户在沙盘区等候")
    lead.locator("input[name=people]").fill("前台小王、销售李经理")
    submit(lead, ".note-btn", say("Added."))
    d.step_is(lead, 2)  # a note does not finish the investigation
    note_row = lead.locator("ol.cp-timeline > li").nth(2)
    expect(note_row).to_contain_text("前台未及时呼叫销售，客户在沙盘区等候")
    expect(note_row).to_contain_text(say("People involved: %(p)s", p="前台小王、销售李经理"))
    assert_fits_phone(lead)
    submit(lead, ".investigated-btn", say("Investigation finished: propose remedies."))
    d.step_is(lead, 3)
    expect(lead.locator("#cp-next-h")).to_have_text(say("Step 4: remedies, the manager picks one"))

    # Step 4, the lead proposes two remedies; only the manager may choose.
    remedies = ["赠送精美礼品一份并当面致歉", "由销售经理电话致歉"]
    for i, remedy in enumerate(remedies, 1):
        lead.locator("textarea[name=remedy]").fill(remedy)
        lead.locator("main button.propose-btn").tap()
        expect(lead.locator("ul.cp-remedies > li")).to_have_count(i)
        expect(lead.locator(FLASH)).to_have_text(say("Remedy proposed."))
        landed(lead)
    expect(lead.locator("ul.cp-remedies > li").nth(1)).to_contain_text(f"{remedies[1]} · {d.names['lead']}")
    expect(lead.locator("main button.choose-btn")).to_have_count(0)
    assert_fits_phone(lead)

    # The manager chooses the second.
    d.open_complaint(manager, cid, "waiting")
    d.step_is(manager, 3)
    pick(manager, remedies[1])
    submit(manager, ".choose-btn", say("Remedy chosen."))
    d.step_is(manager, 4)
    chosen = manager.locator("ul.cp-remedies > li", has=manager.locator("mark"))
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text(remedies[1])
    expect(chosen.locator("mark")).to_have_text(say("Chosen"))
    assert_fits_phone(manager)

    # Step 5, the front desk: carried out, the guest accepts; its phone still masks the guest.
    d.open_complaint(desk, cid, "waiting")
    d.step_is(desk, 4)
    expect(desk.locator("#cp-next-h")).to_have_text(say("Step 5: carry it out, the guest confirms"))
    expect(desk.locator("main .cp-who")).to_contain_text(f"张* · {MASKED}")
    desk.locator("textarea[name=done]").fill("销售经理已电话致歉")
    pick(desk, say("The guest accepts"))
    desk.locator("textarea[name=guest_said]").fill("接受道歉，下次希望有人接待")
    submit(desk, ".carry-btn", say("Recorded."))
    d.step_is(desk, 5)
    expect(desk.locator("#cp-next-h")).to_have_text(say("Step 6: review and classify (the manager)"))
    expect(desk.locator("main button.review-btn")).to_have_count(0)
    assert_fits_phone(desk)

    # Step 6, the manager: cause, responsible post, preventive action; closed, with a follow-up call due.
    d.open_complaint(manager, cid, "waiting")
    manager.locator("textarea[name=cause]").fill("前台未及时呼叫销售")
    manager.locator("select[name=responsible_post]").select_option("concierge")
    manager.locator("textarea[name=preventive]").fill("客户进门一分钟内呼叫销售")
    submit(manager, ".review-btn", say("Complaint closed. A follow-up call is due within three days."))
    d.step_is(manager, 6)
    review = manager.locator("main .cp-review")
    expect(review).to_contain_text(say("Cause: %(c)s", c="前台未及时呼叫销售"))
    expect(review).to_contain_text(say("Responsible: %(p)s", p=label(RESPONSIBLE["concierge"])))
    expect(review).to_contain_text(say("Prevention: %(p)s", p="客户进门一分钟内呼叫销售"))
    expect(manager.locator("main .cp-next")).to_have_count(0)
    d.timeline(manager, [("registered", "concierge"), ("judged", "manager"), ("note", "lead"),
                         ("investigated", "lead"), ("remedy", "lead"), ("remedy", "lead"), ("chosen", "manager"),
                         ("carried_out", "concierge"), ("reviewed", "manager")])
    assert_fits_phone(manager)

    # The front desk reads it closed, and the call due on its 回访 list (not overdue yet).
    d.open_complaint(desk, cid, "waiting")
    d.step_is(desk, 6)
    expect(desk.locator("main .cp-review")).to_contain_text(say("Cause: %(c)s", c="前台未及时呼叫销售"))
    menu(desk, say("Follow-up calls"), say("Follow-up calls"))
    card = desk.locator("main article.fu-card")
    expect(card).to_have_count(1)
    expect(card.locator(".card-title")).to_contain_text(f"#{cid} · {label(TOPICS['waiting'])}")
    expect(card.locator("mark")).to_have_count(0)
    assert_fits_phone(desk)


def test_an_overdue_follow_up_call_and_a_late_first_response_are_flagged(app, live_server, phone):
    """Three hours on, the lead's today screen flags a complaint nobody judged; four days after another closed, the
    front desk's 回访 list marks its call overdue, records one call not reached (1 attempt) and then one reached
    and satisfied, and the list is empty."""
    d = Desk(app, live_server.url)
    say, label = d.say, d.label
    # Closed today (unfounded: answered and reviewed), its follow-up call due in three days; another left unjudged.
    closed = d.run(services.register, "concierge", guest_name="李四", guest_phone="13900001111", channel="onsite",
                   topic="drinks", said="茶水太凉")
    d.run(services.judge, "manager", closed, "0", "茶水温度符合标准")
    d.run(services.carry_out, "concierge", closed, "已向客人说明并重新上茶", "1", None)
    d.run(services.review, "manager", closed, "客人误会", "none", "上茶时说明温度")
    late = d.run(services.register, "concierge", guest_name="王五", guest_phone=None, channel="onsite",
                 topic="parking", said="车位不够")
    start = datetime.now(UTC)
    with app.app_context():
        respond_by = db.session.get(Complaint, late).respond_by

    with clock.travel_to(start + timedelta(hours=3)):
        respond_by = shown_when(app, respond_by, ZoneInfo("Asia/Shanghai"))  # as the page shows it now
        lead = phone()
        login(lead, d.base, d.login["lead"])
        glance = lead.locator("#complaints-glance:not(.lazy)")
        expect(glance).to_have_count(1)
        card = glance.locator("a.cp-card")
        expect(card).to_have_count(1)  # the closed one is not open
        expect(card.locator(".card-title")).to_have_text(f"#{late} · {label(TOPICS['parking'])}")
        expect(card.locator("mark")).to_have_text(say("First response overdue"))
        expect(card).to_have_class(re.compile(r"\bst-border-missing\b"))
        expect(glance).to_contain_text(say("%(n)s follow-up calls due", n=1))
        assert_fits_phone(lead)
        # Its page says since when.
        tap_link(lead, re.compile(rf"^\s*#{late} · "), d.heading(late, "parking"), scope="#complaints-glance")
        expect(lead.locator("main p.flash.error[role=alert]")).to_have_text(
            say("First response overdue since %(t)s.", t=respond_by))
        assert_fits_phone(lead)

    with clock.travel_to(start + timedelta(days=4)):
        desk = phone()
        login(desk, d.base, d.login["concierge"])
        menu(desk, say("Follow-up calls"), say("Follow-up calls"))
        card = desk.locator("main article.fu-card")
        expect(card).to_have_count(1)
        expect(card.locator(".card-title")).to_contain_text(f"#{closed} · {label(TOPICS['drinks'])}")
        expect(card.locator("mark.st-missing")).to_have_text(say("Overdue"))
        expect(card.locator(".cp-who")).to_contain_text("李* · 139****1111")
        assert_fits_phone(desk)
        assert_thumb_sized(desk)

        pick(desk, label(FOLLOW_UP_OUTCOMES["no_answer"]))
        desk.locator("main button.call-btn").tap()
        expect(desk.locator(FLASH)).to_have_text(say("Call recorded."))
        landed(desk, say("Follow-up calls"))
        expect(card).to_have_count(1)  # not reached: still due, still overdue
        expect(card.locator(".card-meta")).to_contain_text(say("%(n)s attempts", n=1))
        expect(card.locator("mark.st-missing")).to_have_text(say("Overdue"))
        assert_fits_phone(desk)

        pick(desk, label(FOLLOW_UP_OUTCOMES["satisfied"]))
        desk.locator("main input[name=note]").fill("客人表示满意")
        desk.locator("main button.call-btn").tap()
        expect(desk.locator(FLASH)).to_have_text(say("Call recorded."))
        expect(card).to_have_count(0)
        expect(desk.locator("main")).to_contain_text(say("No calls due."))
        landed(desk, say("Follow-up calls"))
        assert_fits_phone(desk)
    with app.app_context():
        fu = db.session.scalars(select(FollowUp).where(FollowUp.complaint_id == closed)).one()
        assert (fu.attempts, fu.outcome, fu.done_at is not None) == (2, "satisfied", True)


def test_registering_without_what_the_guest_said_is_refused_next_to_the_field(app, live_server, phone):
    """The front desk leaves out what the guest said: the form comes back with the message under that field and
    what was typed kept, nothing is saved; filled in, it registers once."""
    d = Desk(app, live_server.url)
    say, label = d.say, d.label
    desk = phone()
    login(desk, d.base, d.login["concierge"])
    desk.locator("main a.register-complaint").tap()
    desk.wait_for_url(f"{d.base}/complaints/new")
    landed(desk, say("Register a complaint"))
    pick(desk, label(TOPICS["cleanliness"]))
    desk.locator("input[name=guest_name]").fill(NAME)
    desk.locator("button.register-btn").tap()

    error = desk.locator("label[for=said] + small.error#said-err")
    expect(error).to_have_text(say("Write what the guest said."))
    expect(desk.locator("textarea#said")).to_have_attribute("aria-invalid", "true")
    expect(desk.locator("textarea#said")).to_have_attribute("aria-describedby", "said-err")
    expect(desk.locator("main p.flash.error[role=alert]")).to_have_text(say("Please correct the marked fields."))
    expect(desk.locator("input[name=guest_name]")).to_have_value(NAME)
    expect(desk.locator("label.pick:has(input:checked)").first).to_have_text(label(TOPICS["cleanliness"]))
    assert desk.url == f"{d.base}/complaints/new"
    landed(desk, say("Register a complaint"))
    assert_fits_phone(desk)
    assert count_rows(Complaint, app=app) == 0

    desk.locator("textarea#said").fill("洗手间地面有水")
    desk.locator("button.register-btn").tap()
    desk.wait_for_url(re.compile(r"/complaints/\d+$"))
    expect(desk.locator(FLASH)).to_have_text(say("Complaint registered. The manager judges it next."))
    assert count_rows(Complaint, app=app) == 1
