"""A whole visit on four phones: security records it, the concierge greets, the bar serves, the model room
admits and counts after the group (一客一盘点); each phone sees the others' steps."""
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from hospitality.extensions import db
from hospitality.inventory.services import submit_count
from hospitality.models import Site, User
from hospitality.visits import services
from tests import factories
from tests.browser.walk import assert_fits_phone, follow, home, landed, login, tap_link
from tests.factories import location, make_item

pytestmark = pytest.mark.browser
POLL = 12_000  # the live element polls every 5 s


def test_visit_across_four_phones(app, live_server, phone):
    """Arrival, seen, greeting, serving, model room and its count, seen from every post."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        users = {p: factories.make_user(site.id, p).username
                 for p in ("security", "concierge", "water_bar", "model_room")}
        factories.make_rep(site.id, "李顾问")
        make_item(site.id, name="矿泉水", stock=20, price="2.00", unit="瓶")
        make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
    phones = {}
    for post, username in users.items():
        phones[post] = phone()
        login(phones[post], base, username)

    desk, bar, room, guard = phones["concierge"], phones["water_bar"], phones["model_room"], phones["security"]
    for page in (desk, bar, room):
        expect(page.locator("#visits-live")).to_be_visible()

    # Security: three people by car.
    tap_link(guard, "登记来访", "登记来访")
    assert_fits_phone(guard)
    guard.locator("label.pick:has(input[name=party_size][value='3'])").tap()
    guard.locator("#plate").fill("粤bd12345")
    guard.locator("form.arrival button[type=submit]").tap()
    landed(guard, "粤BD12345")
    expect(guard.locator("#visit h2")).to_contain_text("粤BD12345")
    expect(guard.locator("#visit h2")).to_contain_text("3人")

    # The other posts see it within a poll, marked unseen, without reloading.
    for page in (desk, bar, room):
        expect(page.locator("#visits-live li.unseen")).to_contain_text("粤BD12345", timeout=POLL)
    desk.locator("#visits-live li.unseen button").tap()
    expect(desk.locator("#visits-live li.unseen")).to_have_count(0)
    expect(bar.locator("#visits-live li.unseen")).to_have_count(1)  # the bar has not tapped yet

    # Concierge greets: purpose and rep.
    follow(desk, desk.locator("#visits-live a", has_text="粤BD12345"), "3人 · 粤BD12345")
    desk.locator("label.pick:has(input[name=purpose][value='first'])").tap()
    desk.locator("select[name=rep_id]").select_option(label="李顾问")
    desk.locator("button.greet-btn").tap()
    expect(desk.locator("#visit .sub")).to_contain_text("李顾问")
    assert_fits_phone(desk)

    # Water bar: sees who greeted them, serves two bottles.
    bar.locator("#visits-live li.unseen button").tap()
    expect(bar.locator("#visits-live li.unseen")).to_have_count(0)  # the list swapped: its links are new
    follow(bar, bar.locator("#visits-live a", has_text="粤BD12345"), "3人 · 粤BD12345")
    expect(bar.locator("#visit .sub")).to_contain_text("李顾问")
    pickers = bar.locator("#visit select[name=guest]")
    expect(pickers).to_have_count(3)  # one per guest
    water = pickers.nth(0).locator("option", has_text="矿泉水").get_attribute("value")  # the label may carry the unit
    pickers.nth(0).select_option(water)
    pickers.nth(1).select_option(water)
    bar.locator("button.serve-btn").tap()
    expect(bar.locator("#visit .cost")).to_have_text("¥4")
    expect(bar.locator("#visit .timeline")).to_contain_text("客人1 矿泉水")
    expect(bar.locator("button.refill-btn")).to_be_visible()

    # Model room: admits with the rep, the group leaves, the count after the visit: all match.
    room.locator("#visits-live li.unseen button").tap()
    expect(room.locator("#visits-live li.unseen")).to_have_count(0)  # the list swapped: its links are new
    follow(room, room.locator("#visits-live a", has_text="粤BD12345"), "3人 · 粤BD12345")
    expect(room.locator("#visit .timeline")).to_contain_text("已接待")
    room.locator("#visit select[name=rep_id]").select_option(label="李顾问")
    room.locator("button.admit-btn").tap()
    room.locator("button.leave-room").tap()
    expect(room).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(room, "样板间")
    room.locator("button.all-match").tap()
    expect(room.locator(".flash").first).to_contain_text("账实相符")
    landed(room, "粤BD12345")

    # Security sees every step on the visit's timeline, then sees them out.
    guard.reload()  # the guard refreshes the visit they are on
    landed(guard, "粤BD12345")
    timeline = guard.locator("#visit .timeline")
    for step in ("已接待", "进入样板间", "离开样板间"):
        expect(timeline).to_contain_text(step)
    guard.locator("button.depart-btn").tap()
    expect(guard.locator("#visit .sub")).to_contain_text("离开")
    # The bar is told to clear the table.
    bar.reload()
    landed(bar, "粤BD12345")
    expect(bar.locator("#visit")).to_contain_text("请收拾桌面")


def test_damaged_after_a_group_alerts_the_manager(app, live_server, phone, tmp_path):
    """The model room marks a vase damaged with a camera photo after a group; the manager's phone shows the
    alert within a poll and the discrepancy names the group's rep."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        users = {p: factories.make_user(site.id, p).username for p in ("security", "model_room", "manager")}
        factories.make_rep(site.id, "周顾问")
        make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
    photo = tmp_path / "vase.jpg"
    Image.new("RGB", (64, 48), (180, 40, 40)).save(photo, "JPEG")
    guard, room, boss = phone(), phone(), phone()
    for page, post in ((guard, "security"), (room, "model_room"), (boss, "manager")):
        login(page, base, users[post])
    expect(boss.locator("#visits-live")).to_be_visible()

    tap_link(guard, "登记来访", "登记来访")
    guard.locator("label.pick:has(input[name=party_size][value='2'])").tap()
    guard.locator("label.pick:has(input[name=by_car][value='0'])").tap()
    guard.locator("form.arrival button[type=submit]").tap()
    expect(guard.locator("#visit h2")).to_contain_text("2人")
    landed(guard, "2人")
    visit_url = guard.url

    # The model room's live list shows the walk-in group within a poll; a tap opens it.
    row = room.locator("#visits-live a", has_text="2人")
    expect(row).to_be_visible(timeout=POLL)
    follow(room, row, "2人")
    assert room.url == visit_url
    room.locator("#visit select[name=rep_id]").select_option(label="周顾问")
    room.locator("button.admit-btn").tap()
    room.locator("button.leave-room").tap()
    expect(room).to_have_url(re.compile(r"/stock/counts/\d+$"))
    room.locator("input[type=number]").first.fill("2")
    room.locator("tr.problem-row summary").first.tap()
    room.locator("select[name^=problem-]").first.select_option("damaged")
    room.locator("input[name^=note-]").first.fill("瓶口有裂纹")
    room.locator("input[type=file][name^=photo-]").first.set_input_files(str(photo))
    assert_fits_phone(room)
    room.locator("button[name=all_match][value='0']").tap()
    expect(room).to_have_url(re.compile(r"/stock/discrepancies/\d+$"))
    landed(room, "差异")
    expect(room.get_by_text("周顾问")).to_be_visible()
    expect(room.locator("img.thumb")).to_be_visible()

    alert = boss.locator("#visits-live li.alert")
    expect(alert).to_be_visible(timeout=POLL)
    follow(boss, alert.locator("a"), "差异")
    expect(boss).to_have_url(re.compile(r"/stock/discrepancies/\d+$"))
    expect(boss.get_by_text("瓶口有裂纹")).to_be_visible()


ROW = re.compile(r"^\d{2}:\d{2} · 3人 · 粤BD12345$")


@pytest.mark.parametrize("post", ["concierge", "water_bar", "lead", "manager"])
def test_live_row_opens_the_visit_page(app, live_server, phone, post):
    """Tapping a group in the live list of a today screen opens the visit's own page (one header, not a page
    nested in the list); on the lead's, the alert of a count that differed opens the discrepancy the same way."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        users = {p: factories.make_user(site.id, p).id for p in ("security", "model_room", post)}
        rep = factories.make_rep(site.id, "李顾问")
        vase = make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
        with app.test_request_context():
            s = db.session.get(Site, site.id)
            guard, keeper = db.session.get(User, users["security"]), db.session.get(User, users["model_room"])
            car = services.record_arrival(s, guard, 3, True, "粤BD12345", None)
            # A walk-in group went through model room 1 and a vase was missing after it.
            walk_in = services.record_arrival(s, guard, 2, False, None, None)
            rv = services.admit(s, keeper, walk_in, location(site.id, "model_room").id, rep.id)
            _rv, count = services.leave_room(s, keeper, rv)
            submit_count(s, keeper, count, {vase.id: "1"})
        visit_url, username = f"{base}/visits/{car.id}", db.session.get(User, users[post]).username

    page = phone()
    login(page, base, username)
    if post == "lead":
        alert = page.locator("#visits-live li.alert a")
        expect(alert).to_have_text(re.compile(r"^⚠ .*差异"))
        follow(page, alert, "差异 · 样板间")
        expect(page).to_have_url(re.compile(r"/stock/discrepancies/\d+$"))
        expect(page.locator("#visits-live")).to_have_count(0)  # the list is gone, not wrapped round the page
        home(page)
    row = page.locator("#visits-live a", has_text="粤BD12345")
    expect(row).to_have_text(ROW)
    follow(page, row, "3人 · 粤BD12345")
    assert page.url == visit_url
    expect(page.locator("#visit")).to_have_count(1)
    expect(page.locator("#visits-live")).to_have_count(0)
