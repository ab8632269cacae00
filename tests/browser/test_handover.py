"""A model-room shift handover on two phones, then the lead: count, check the company items, note what is
pending, hand over; the incoming attendant disputes a line and accepts; the lead resolves the dispute."""
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.walk import assert_fits_phone, assert_thumb_sized, follow, landed, login, menu, tap_link
from tests.factories import make_item

pytestmark = pytest.mark.browser


def test_handover_across_two_phones_and_the_lead(app, live_server, phone):
    """Outgoing prepares and submits, incoming disputes a line and accepts, the lead resolves the dispute."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        out_user = factories.make_user(site.id, "model_room")
        in_user = factories.make_user(site.id, "model_room")
        lead_user = factories.make_user(site.id, "lead")
        names = {"out": out_user.username, "in": in_user.username, "lead": lead_user.username}
        incoming_name = in_user.name
        make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
        make_item(site.id, "model_room", name="台灯", expected=1, unit="件")

    out = phone()
    login(out, base, names["out"])
    menu(out, "交接班", "交接班 · 样板间")
    out.locator("select[name=to_user_id]").select_option(label=incoming_name)
    out.locator("button.start-btn").tap()
    expect(out).to_have_url(re.compile(r"/handover/\d+$"))
    landed(out, "交接班 · 样板间")
    handover_url = out.url
    assert_fits_phone(out)
    assert_thumb_sized(out, "#handover")

    # The count of the room, on the ordinary count page: all match brings the attendant back.
    out.locator("button.count-btn").first.tap()
    expect(out).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(out, "样板间")
    out.locator("button.all-match").tap()
    expect(out).to_have_url(handover_url)
    landed(out, "交接班 · 样板间")
    expect(out.locator(".ho-count-matched")).to_have_count(1)

    # Company items: damaged needs a note (the line swaps in place), the rest in one tap.
    first = out.locator("#ho-fixtures li.ho-line").first
    line_id = first.get_attribute("id")
    first.locator("button.bad-btn").tap()
    line = out.locator(f"#{line_id}")
    expect(line.locator("small.error")).to_be_visible()
    line.locator("textarea[name=note]").fill("瓶口有缺口")
    line.locator("button.save-note").tap()
    expect(out.locator(f"#{line_id}")).to_have_class(re.compile(r"\bdamaged\b"))
    out.locator("button.all-intact").tap()
    expect(out.locator("#ho-fixtures li.ho-line.checked")).to_have_count(2)
    expect(out.locator("button.all-intact")).to_have_count(0)

    # What is pending: a key line, then the notes, then hand over.
    out.locator("#ho-pending input[name=text]").fill("样板间钥匙在前台")
    out.locator("#ho-pending button.add-btn").tap()
    expect(out.locator("#ho-pending li.ho-line")).to_contain_text("样板间钥匙在前台")
    out.locator("textarea[name=notes]").fill("空调遥控器电池快没电了")
    assert_fits_phone(out)
    out.locator("button.submit-handover").tap()
    expect(out.locator(".ho-status-submitted")).to_be_visible()

    # The incoming attendant, on their own phone: the handover waits for them.
    inc = phone()
    login(inc, base, names["in"])
    menu(inc, "交接班", "交接班 · 样板间")
    follow(inc, inc.locator("a.ho-incoming"), "交接班 · 样板间")
    expect(inc).to_have_url(handover_url)
    expect(inc.locator("#handover")).to_contain_text("空调遥控器电池快没电了")
    assert_fits_phone(inc)
    key_line = inc.locator("#ho-pending li.ho-line", has_text="样板间钥匙在前台")
    key_id = key_line.get_attribute("id")
    accept_label = inc.locator("button.accept-btn").inner_text()
    key_line.locator("summary").tap()
    key_line.locator("textarea[name=reason]").fill("前台说没有钥匙")
    key_line.locator("button.dispute-btn").tap()
    expect(inc.locator(f"#{key_id}")).to_have_class(re.compile(r"\bdisputed\b"))
    expect(inc.locator("button.accept-btn")).not_to_have_text(accept_label)  # the accept box came along
    inc.locator("button.accept-btn").tap()
    expect(inc.locator(".ho-status-accepted")).to_be_visible()
    expect(inc.locator("button.accept-btn")).to_have_count(0)

    out.reload()  # the outgoing phone refreshes the page it is on
    landed(out, "交接班 · 样板间")
    expect(out.locator(".ho-status-accepted")).to_be_visible()

    # The lead sees the disputed line and resolves it with a note.
    lead = phone()
    login(lead, base, names["lead"])
    menu(lead, "交接班", "交接班")
    assert_fits_phone(lead)
    follow(lead, lead.locator("a.ho-disputed"), "交接班 · 样板间")
    disputed = lead.locator(f"#{key_id}")
    disputed.locator("summary").tap()
    disputed.locator("textarea[name=note]").fill("钥匙在保安室,已取回")
    disputed.locator("button.resolve-btn").tap()
    expect(lead.locator(f"#{key_id}")).to_have_class(re.compile(r"\bstate-resolved\b"))
    expect(lead.locator(f"#{key_id}")).to_contain_text("钥匙在保安室,已取回")
    menu(lead, "交接班", "交接班")
    expect(lead.locator("a.ho-disputed")).to_have_count(0)
    tap_link(lead, re.compile("^样板间$"), "交接班记录 · 样板间", scope="nav.tiles")
    assert lead.url.endswith("/handover/history?post=model_room")
    expect(lead.locator("a.ho-card")).to_have_count(1)
    assert_fits_phone(lead)
