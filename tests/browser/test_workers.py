"""Workers in a model room on two phones: security registers the crew and lets it in and out, the model-room
attendant counts the room before and after (the count after shows a lamp missing: a discrepancy on record)."""
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.walk import assert_fits_phone, follow, home, landed, login, menu, tap_link
from tests.factories import make_item
from tests.harness import msg

pytestmark = pytest.mark.browser
POLL = 15_000  # the workers panel polls every 10 s


def test_workers_registered_counted_in_and_out(app, live_server, phone):
    """Register (a bad phone first), count before, in, out, count after with a difference, the lead's list."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        guard_name = factories.make_user(site.id, "security").username
        keeper = factories.make_user(site.id, "model_room")
        keeper_name, keeper_id = keeper.username, str(keeper.id)
        make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
        make_item(site.id, "model_room", name="台灯", expected=1, unit="件")
    guard, room = phone(), phone()
    login(guard, base, guard_name)
    login(room, base, keeper_name)
    expect(room.locator("#workers-inside")).to_be_visible()  # on the model room's today screen

    # Security registers two workers of one company; a wrong phone is refused under its field.
    tap_link(guard, "登记施工人员", "登记施工人员")  # from the workers panel of the guard's today screen
    assert_fits_phone(guard)
    guard.locator("label.pick", has_text="样板间1").tap()
    guard.locator("#company").fill("鑫达装修")
    guard.locator("input[name=name-0]").fill("张三")
    guard.locator("input[name=phone-0]").fill("12345")
    guard.locator("input[name=name-1]").fill("李四")
    guard.locator("input[name=phone-1]").fill("139 0000 0001")
    guard.locator("label.pick:has(input[name=purpose][value=repair])").tap()
    guard.locator("select[name=supervisor_id]").select_option(value=keeper_id)
    guard.locator("button.register-btn").tap()
    expect(guard.locator("#phone-0-err")).to_be_visible()
    expect(guard.locator("input[name=name-1]")).to_have_value("李四")  # nothing typed is lost
    guard.locator("input[name=phone-0]").fill("13800138000")
    guard.locator("button.register-btn").tap()
    expect(guard).to_have_url(re.compile(r"/workers/\d+$"))
    landed(guard, "样板间1 · 鑫达装修")
    expect(guard.locator("#crew h2")).to_contain_text("鑫达装修")
    expect(guard.locator("#crew .wk-people")).to_contain_text("13900000001")
    expect(guard.locator("#crew")).to_contain_text(
        msg(app, "Waiting for the model room attendant to count the room before they go in."))
    assert_fits_phone(guard)

    # The model room sees them appear without reloading and counts the room before: all present.
    crew_row = room.locator("#workers-inside li", has_text="鑫达装修")
    expect(crew_row).to_be_visible(timeout=POLL)
    crew_row.locator("button.wk-count").tap()
    expect(room).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(room, "样板间1")
    room.locator("button.all-match").tap()
    expect(room).to_have_url(re.compile(r"/workers/\d+$"))
    landed(room, "样板间1 · 鑫达装修")
    expect(room.locator("#crew .wk-story")).to_contain_text(msg(app, "All present"))

    # Security lets them in (one tap swaps the card), then out when they are done.
    guard.reload()  # the guard refreshes the crew's page they are on
    landed(guard, "样板间1 · 鑫达装修")
    guard.locator("button.in-btn").tap()
    expect(guard.locator("#crew .wk-out")).to_be_visible()
    guard.locator("button.out-btn").tap()
    expect(guard.locator("#crew .sub mark")).to_have_text(msg(app, "Left: count the room"))
    expect(guard.locator("button.out-btn")).to_have_count(0)

    # The model room counts after: the lamp is missing, so a discrepancy opens for security to confirm.
    home(room)
    crew_row = room.locator("#workers-inside li", has_text="鑫达装修")
    crew_row.locator("button.wk-count").tap()
    expect(room).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(room, "样板间1")
    assert_fits_phone(room)
    room.locator("tr", has_text="花瓶").locator("input[type=number]").fill("2")
    room.locator("tr", has_text="台灯").locator("input[type=number]").fill("0")
    room.locator("button[name=all_match][value='0']").tap()
    expect(room).to_have_url(re.compile(r"/stock/discrepancies/\d+$"))
    landed(room, "差异 · 样板间1")

    # The entry's story links the discrepancy; the crew is no longer in the room.
    menu(room, "施工人员", "施工人员")
    card = room.locator(".wk-card", has_text="鑫达装修")
    expect(card.locator("a.bad")).to_be_visible()
    follow(room, card.locator(".card-title a"), "样板间1 · 鑫达装修")
    expect(room.locator("#crew .wk-story a[href*='/stock/discrepancies/']")).to_be_visible()
    assert_fits_phone(room)
    home(room)
    expect(room.locator("#workers-inside")).to_be_visible()
    expect(room.locator("#workers-inside li", has_text="鑫达装修")).to_have_count(0)
