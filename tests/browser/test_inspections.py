"""The lead's grooming check and area inspection on a 360 px phone, and the water bar closing the task raised."""
import re

import pytest
from playwright.sync_api import expect

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from tests import factories
from tests.browser.walk import assert_fits_phone, assert_thumb_sized, early_morning_tz, follow, landed, login, menu
from tests.factories import png, roster, seeded_site, template

pytestmark = pytest.mark.browser
ANSWERED = re.compile(r"\banswered\b")


def _team(app):
    """A site on an early-morning clock (before the 09:30 inspections), a lead and a water-bar attendant on duty."""
    with app.app_context():
        site = factories.make_site(name="盛世中央公馆售楼处")
        with write_tx():
            db.session.get(Site, site.id).timezone = early_morning_tz()
        site = seeded_site(site.id)
        lead = factories.make_user(site.id, "lead")
        wb = factories.make_user(site.id, "water_bar")
        day = site.today()
        roster(site.id, wb.id, day, lead.id)
        roster(site.id, lead.id, day, lead.id)
        return {"lead": lead.username, "wb": wb.username, "wb_id": wb.id,
                "wb_name": db.session.get(User, wb.id).name, "bar": template(site.id, "insp_water_bar").id}


def _answer_all_ok(page):
    ids = page.eval_on_selector_all("li.ck-item:not(.answered)", "els => els.map(e => e.id)")
    for li_id in ids:
        page.locator(f"#{li_id} button.ok").tap()
        expect(page.locator(f"#{li_id}")).to_have_class(ANSWERED)


def test_lead_checks_grooming_and_inspects_the_bar_then_the_bar_closes_the_task(app, live_server, phone):
    """Grooming with a failed item and a photo, a scored result; a failed bar item raises a task the bar closes."""
    base = live_server.url
    team = _team(app)
    lead = phone()
    login(lead, base, team["lead"])
    menu(lead, "仪容与巡检", "仪容与巡检")
    assert_fits_phone(lead)
    assert_thumb_sized(lead)
    person = lead.locator(".people li", has_text=team["wb_name"])
    expect(person.locator(".att .muted")).to_be_visible()  # not clocked in yet
    follow(lead, person.locator("a.check-btn"), f"仪容仪表 · {team['wb_name']}")
    assert lead.url == f"{base}/inspections/grooming/{team['wb_id']}"
    expect(lead.locator("h2.screen-title")).to_contain_text(team["wb_name"])
    assert_fits_phone(lead)
    assert_thumb_sized(lead, "ol.checklist")

    # The first item fails: a note and a photo are asked for and saved with it.
    first = lead.locator("li.ck-item").first
    first_id = first.get_attribute("id")
    first.locator("button.bad-btn").tap()
    li = lead.locator(f"#{first_id}")
    expect(li.locator("small.error")).to_be_visible()
    li.locator("textarea[name=note]").fill("刘海盖住眉毛")
    li.locator("input[name=photo]").set_input_files(
        {"name": "hair.png", "mimeType": "image/png", "buffer": png((640, 480)).getvalue()})
    li.locator("button.save-note").tap()
    expect(li).to_have_class(re.compile(r"\banswered\b.*\bfailed\b"))
    expect(li.locator("img.thumb")).to_be_visible()
    _answer_all_ok(lead)
    assert_fits_phone(lead)
    lead.locator("button.complete").tap()
    lead.wait_for_url(f"{base}/inspections/")
    landed(lead, "仪容与巡检")
    expect(lead.locator(".flash").first).to_contain_text(team["wb_name"])
    score = lead.locator(".people li", has_text=team["wb_name"]).locator("a.score")
    expect(score).to_have_text(re.compile(r"^\d{2}%$"))

    # The water-bar inspection: one item fails and raises a task for the water bar.
    bar_card = lead.locator(f'a.card[href="/inspections/areas/{team["bar"]}"]')
    follow(lead, bar_card, bar_card.locator(".card-title").inner_text())
    assert lead.url == f"{base}/inspections/areas/{team['bar']}"
    first = lead.locator("li.ck-item").first
    first_id = first.get_attribute("id")
    first.locator("button.bad-btn").tap()
    li = lead.locator(f"#{first_id}")
    li.locator("textarea[name=note]").fill("台面有水渍")
    li.locator("button.save-note").tap()
    expect(li).to_have_class(re.compile(r"\bfailed\b"))
    li.locator(".raise summary").tap()
    li.locator("select[name=assignee]").select_option("water_bar")
    li.locator("textarea[name=text]").fill("请擦干台面")
    li.locator("button.raise-btn").tap()
    expect(li.locator(".task-line")).to_contain_text("请擦干台面")
    assert_fits_phone(lead)
    _answer_all_ok(lead)
    lead.locator("button.complete").tap()
    lead.wait_for_url(f"{base}/inspections/")
    landed(lead, "仪容与巡检")
    card = lead.locator(f'a.card[href="/inspections/areas/{team["bar"]}"]')
    expect(card.locator("mark.st")).to_have_class(re.compile(r"\bst-done\b"))
    expect(lead.locator("#tasks")).to_contain_text("请擦干台面")

    # The water bar sees the task on its phone and closes it in one tap.
    bar = phone()
    login(bar, base, team["wb"])
    menu(bar, "任务", "任务")
    assert_fits_phone(bar)
    assert_thumb_sized(bar)
    task = bar.locator("li.task", has_text="请擦干台面")
    task.locator("button.task-done").tap()
    expect(bar.locator("li.task.done", has_text="请擦干台面")).to_be_visible()

    # The lead's list no longer has it; the person's record shows the check and the failed item.
    lead.reload()  # the lead refreshes the page they are on
    landed(lead, "仪容与巡检")
    expect(lead.locator("#tasks")).not_to_contain_text("请擦干台面")
    who = lead.locator(".people li", has_text=team["wb_name"]).locator(".who a")
    follow(lead, who, f"{team['wb_name']} · 水吧")
    assert lead.url == f"{base}/inspections/people/{team['wb_id']}"
    expect(lead.locator("svg rect.bar")).to_have_count(1)
    expect(lead.locator(".failed-items")).to_contain_text("刘海盖住眉毛")
    assert_fits_phone(lead)
