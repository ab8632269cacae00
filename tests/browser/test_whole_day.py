"""A whole day at one sales center on seven phones: clock-in, opening, a group served and counted after the model
room, closing with tomorrow's purchase (approved, received, signed), a handover with a dispute, and the day's
consumption checked against the ledger. Every screen is reached by tapping from the login page."""
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from hospitality.attendance import services as attendance
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Item, Site, StockMove
from hospitality.seed import add_demo_items
from tests import factories
from tests.browser.walk import (
    TODAY,
    answer,
    assert_fits_phone,
    early_morning_tz,
    follow,
    home,
    item_ids,
    landed,
    login,
    menu,
    open_routine,
    tap_link,
)

pytestmark = pytest.mark.browser

PLATE = "粤B88888"
GROUP = f"3人 · {PLATE}"
ROSTERED = ("water_bar", "model_room", "concierge", "security", "lead")


def set_up_day(app) -> SimpleNamespace:
    """A site on a 06:xx clock with the demo bar and one model room, one login per post and a second water-bar
    attendant; the lead's day shift is running and everyone but the manager is on it."""
    with app.app_context(), app.test_request_context():
        site = factories.make_site(name="盛世中央公馆售楼处", model_rooms=1)
        with write_tx():
            db.session.get(Site, site.id).timezone = early_morning_tz()  # routines due 09:00 are done in time
        site = db.session.get(Site, site.id)
        users = {post: factories.make_user(site.id, post) for post in (*ROSTERED, "manager")}
        users["water_bar2"] = factories.make_user(site.id, "water_bar")
        with write_tx():
            add_demo_items(db.session.get(Site, site.id), users["manager"].id)
        factories.make_rep(site.id, "李顾问")
        # The site's day shift started within the hour and the lead's grace is an hour: nobody is late.
        now = site.now()
        day = next(s for s in attendance.shifts(site.id) if s.code == "day")
        starts = f"{now.hour:02d}:{30 if now.minute >= 30 else 0:02d}"
        attendance.save_settings(site, users["lead"], attendance.MAX_GRACE,
                                 {day.id: {"name": day.name, "starts": starts, "ends": "18:00", "active": True}})
        for post in ROSTERED:
            attendance.add_entry(site, users["lead"], users[post].id, now.date(), day.id)
        items = {i.name: i.id for i in db.session.scalars(select(Item).where(Item.site_id == site.id))}
        return SimpleNamespace(site=site.id, today=now.date(), tz=site.tz, items=items,
                               logins={p: u.username for p, u in users.items()},
                               names={p: u.name for p, u in users.items()},
                               routine=factories.routine(site.id, "water_bar").id)


def clock_in(page: Page) -> None:
    """上班打卡 on the today screen: the card swaps to on duty, not late."""
    clock = page.locator("#clock")
    expect(clock.locator(".clock-shift")).to_contain_text("白班")
    clock.locator("button.clock-in").tap()
    expect(page.locator("#clock.clock-on_duty")).to_be_visible()
    expect(page.locator("#clock .clock-times")).to_be_visible()
    expect(page.locator("#clock .late-min")).to_have_count(0)
    expect(page.locator("#clock button.clock-out")).to_be_visible()


def open_the_bar(bar: Page, base: str, day) -> None:
    """The opening routine answered item by item and completed, then the opening count in one tap."""
    open_routine(bar, base, day.routine)
    for item_id in item_ids(bar):
        answer(bar, item_id)
    bar.locator("button.complete").tap()
    bar.wait_for_url(f"{base}/")
    landed(bar, TODAY)
    card = bar.locator(f'a.card[href="/checklists/{day.routine}"]')
    expect(card.locator("mark.st")).to_have_text("已完成")

    tap_link(bar, re.compile("^水吧$"), "水吧", scope="main nav.tiles")
    expect(bar.locator("select[name=kind]")).to_have_value("opening")
    bar.get_by_role("button", name="开始盘点").tap()
    expect(bar).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(bar, "水吧 · 开岗盘点")
    bar.locator("button.all-match").tap()
    landed(bar, "水吧")
    expect(bar.locator(".flash").first).to_contain_text("账实相符")
    water = bar.locator("table.stock tbody tr", has_text="矿泉水")
    expect(water.locator("td.num")).to_have_text("60 瓶")


def count_model_room(room: Page, missing: str) -> None:
    """The count after the group: every item typed as seen, one `missing` fewer than the book."""
    expect(room).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(room, "样板间1 · ")
    for row in room.locator("form table.stock tbody tr:not(.problem-row)").all():
        field = row.locator("input[type=number]")
        if missing in row.locator("td").first.inner_text():
            row.get_by_role("button", name="减一").tap()  # an empty field steps down from the book figure
        else:
            field.fill(field.get_attribute("data-book"))
    expect(room.locator("tr", has_text=missing).locator("input[type=number]")).to_have_value("5")
    assert_fits_phone(room)
    room.get_by_role("button", name="提交盘点").tap()


def ledger_flows(app, day) -> dict[tuple[str, str], Decimal]:
    """What the ledger holds for the site's local day: (item name, reason) → how much moved (out rows made positive)."""
    start = datetime.combine(day.today, time.min, day.tz).astimezone(UTC).replace(tzinfo=None)
    with app.app_context():
        rows = db.session.execute(
            select(Item.name, StockMove.reason, func.sum(StockMove.qty)).join(Item, Item.id == StockMove.item_id)
            .where(StockMove.site_id == day.site, StockMove.at >= start, StockMove.at < start + timedelta(days=1))
            .group_by(Item.name, StockMove.reason)).all()
    return {(name, reason): abs(Decimal(total)) for name, reason, total in rows}


def test_a_whole_day_on_seven_phones(app, live_server, phone):
    """Clock-in, opening, a group served and counted, closing and purchase, handover and dispute, consumption."""
    base = live_server.url
    day = set_up_day(app)
    posts = (*ROSTERED, "manager")
    phones = {}
    for post in posts:
        phones[post] = phone()
        login(phones[post], base, day.logins[post])
    bar, room, desk, guard = phones["water_bar"], phones["model_room"], phones["concierge"], phones["security"]
    lead, boss = phones["lead"], phones["manager"]

    # 1. Everyone on the day shift clocks in on their today screen; the lead's board counts them on duty.
    for post in ROSTERED:
        clock_in(phones[post])
    home(lead)
    board = lead.locator("#att-board")
    expect(board.locator(".att-count.on-duty strong")).to_have_text("5")
    expect(board.locator(".att-count.late strong")).to_have_text("0")
    expect(board.locator(".att-count.missing strong")).to_have_text("0")

    # 2. The water bar opens: the routine, then the opening count; the lead's routines board shows it done.
    open_the_bar(bar, base, day)
    menu(lead, "岗位例行检查看板", "岗位例行检查看板")
    row = lead.locator("table.board tr", has_text="水吧开吧")
    expect(row.locator("mark.st")).to_have_text("已完成")
    expect(row).to_contain_text("6/6")

    # 3. Security records three people by car.
    tap_link(guard, "登记来访", "登记来访")
    guard.locator("label.pick:has(input[name=party_size][value='3'])").tap()
    guard.locator("label.pick:has(input[name=by_car][value='1'])").tap()
    guard.locator("#plate").fill(PLATE.lower())
    guard.locator("form.arrival button[type=submit]").tap()
    landed(guard, GROUP)
    visit_url = guard.url

    # The concierge reloads rather than wait for the poll, opens the group, greets it and lends two umbrellas.
    desk.reload()
    follow(desk, desk.locator("#visits-live a", has_text=PLATE), GROUP)
    assert desk.url == visit_url
    desk.locator("label.pick:has(input[name=purpose][value='first'])").tap()
    desk.locator("select[name=rep_id]").select_option(label="李顾问")
    desk.locator("button.greet-btn").tap()
    expect(desk.locator("#visit .sub")).to_contain_text("李顾问")
    desk.locator("#visit input[name=qty]").fill("2")
    desk.locator("#visit").get_by_role("button", name="借出雨伞").tap()
    expect(desk.locator("#visit .umbrellas-out")).to_have_text("伞：2 把未还")

    # The water bar: no tea brewed yet, so the group's page links 制作; two pots, back to the group.
    home(bar)
    follow(bar, bar.locator("#visits-live a", has_text=PLATE), GROUP)
    expect(bar.locator("#visit .sub")).to_contain_text("李顾问")
    tea_out = bar.locator("#visit .prep-out", has_text="泡好的茶水")
    expect(tea_out).to_contain_text("还没有制作")
    follow(bar, tea_out.locator("a"), "制作")
    pot = bar.locator("article.prepare", has_text="泡好的茶水")
    expect(pot).to_contain_text("库存 0 壶")
    pot.locator("input[name=qty]").fill("2")
    pot.get_by_role("button", name="制作").tap()
    landed(bar, GROUP)
    assert bar.url == visit_url
    expect(bar.locator(".flash").first).to_contain_text("已制作泡好的茶水 2 壶")
    expect(bar.locator("#visit .prep-out", has_text="泡好的茶水")).to_have_count(0)

    # Two bottled waters and a pot of tea: ¥2 × 2 + the pot's leaves ¥8.
    guests = bar.locator("#visit select[name=guest]")
    expect(guests).to_have_count(3)
    guests.nth(0).select_option(label="矿泉水(瓶)")
    guests.nth(1).select_option(label="矿泉水(瓶)")
    guests.nth(2).select_option(label="泡好的茶水(壶)")
    bar.locator("button.serve-btn").tap()
    expect(bar.locator("#visit .cost")).to_have_text("¥12")
    expect(bar.locator("#visit .timeline")).to_contain_text("客人3 泡好的茶水")
    expect(bar.locator("#visit .next-refill")).to_be_visible()
    assert_fits_phone(bar)

    # The model room admits the group with its rep; after it leaves, the count finds one cushion missing.
    room.reload()  # rather than wait for the list's next poll
    follow(room, room.locator("#visits-live a", has_text=PLATE), GROUP)
    room.locator("#visit select[name=rep_id]").select_option(label="李顾问")
    room.locator("button.admit-btn").tap()
    room.locator("button.leave-room").tap()
    count_model_room(room, "抱枕")
    expect(room).to_have_url(re.compile(r"/stock/discrepancies/\d+$"))
    landed(room, "差异 · 样板间1")
    disc_url = room.url
    expect(room.locator("main .flash.error").first).to_contain_text("与当班安防员核对")
    expect(room.locator("main")).to_contain_text("陪同置业顾问：李顾问")
    expect(room.locator("table.stock tbody tr")).to_have_count(1)
    expect(room.locator("table.stock tbody tr td.bad")).to_have_text("-1 件")

    # Security confirms it on their own phone (the today screen lists it), the manager closes it with a reason.
    home(guard)
    waiting = guard.locator("a.card", has_text="待安防确认")
    follow(guard, waiting, "差异 · 样板间1")
    assert guard.url == disc_url
    guard.locator("textarea[name=note]").fill("与样板间客服一起点过,抱枕少一个")
    guard.get_by_role("button", name="确认：已与客服专员核对").tap()
    expect(guard.locator(".flash").first).to_contain_text("已确认")
    home(boss)
    follow(boss, boss.locator("a.card", has_text="待案场经理处理"), "差异 · 样板间1")
    boss.locator("select[name=reason]").select_option("lost")
    boss.locator("textarea[name=note]").fill("客户带走,已联系置业顾问")
    boss.get_by_role("button", name="关闭并调整账面").tap()
    expect(boss.locator(".flash").first).to_contain_text("差异已关闭")
    timeline = boss.locator("main ol.timeline")
    expect(timeline).to_contain_text("安防")
    expect(timeline).to_contain_text("客户带走,已联系置业顾问")

    # The umbrellas come back one at a time; security sees the group out.
    ret = desk.locator("#visit input[name=return_qty]")
    ret.fill("1")
    desk.locator("#visit").get_by_role("button", name="归还雨伞").tap()
    expect(desk.locator("#visit .umbrellas-out")).to_have_text("伞：1 把未还")
    expect(ret).to_have_value("1")
    desk.locator("#visit").get_by_role("button", name="归还雨伞").tap()
    expect(desk.locator("#visit .umbrellas-out")).to_have_count(0)
    expect(desk.locator("#visit .timeline li", has_text="归还 1 把伞")).to_have_count(2)
    tap_link(guard, "查看来访", GROUP)  # from the discrepancy the guard confirmed
    timeline = guard.locator("#visit .timeline")
    for step in ("已接待", "借出 2 把伞", "进入样板间", "离开样板间"):
        expect(timeline).to_contain_text(step)
    guard.locator("button.depart-btn").tap()
    expect(guard.locator("#visit .sub")).to_contain_text("离开")

    # 4. Closing: the pot left over is poured away, the closing count matches, tomorrow's order goes out.
    home(bar)
    tap_link(bar, re.compile("^收吧$"), "收吧", scope="main nav.tiles")
    leftover = bar.locator("table.stock tbody tr", has_text="泡好的茶水")
    expect(leftover.locator("td.num")).to_have_text("1 壶")
    leftover.locator("input").fill("1")
    bar.get_by_role("button", name="下一步：收岗盘点").tap()
    expect(bar).to_have_url(re.compile(r"/stock/counts/\d+$"))
    landed(bar, "水吧 · 收岗盘点")
    bar.locator("button.all-match").tap()
    expect(bar).to_have_url(re.compile(r"/purchases/new$"))
    landed(bar, "采购申请")
    juice = bar.locator("table.stock tbody tr", has_text="橙汁")
    expect(juice.locator("td.num")).to_have_text("10 / 12 瓶")  # below its par level: one pack of 12
    expect(juice.locator("input")).to_have_value("12")
    bar.get_by_role("button", name="提交案场经理").tap()
    expect(bar).to_have_url(re.compile(r"/purchases/\d+$"))
    landed(bar, "待审批")
    request_no = bar.url.rsplit("/", 1)[1]
    expect(bar.locator(".flash").first).to_contain_text("申请已提交案场经理")

    # The manager approves from 待审批, receives half the delivery and signs the stock-in.
    home(boss)
    tap_link(boss, re.compile(r"^待审批 \(1\)$"), "采购申请", scope="main nav.tiles")
    follow(boss, boss.locator("a.card", has_text=f"#{request_no}"), f"采购申请 #{request_no}")
    boss.get_by_role("button", name="批准").tap()
    landed(boss, f"采购申请 #{request_no} · 已批准")
    received = boss.locator("table.stock tbody tr", has_text="橙汁").locator("input")
    expect(received).to_have_value("12")
    received.fill("6")
    boss.get_by_role("button", name="入库", exact=True).tap()
    landed(boss, "部分入库")
    boss.get_by_role("button", name="签批入库").tap()
    expect(boss.locator(".flash").first).to_contain_text("入库已签批")
    expect(boss.locator("article.receipt")).to_contain_text("橙汁 6瓶")
    expect(boss.locator("article.receipt mark.st-done")).to_contain_text("签批")
    assert_fits_phone(boss)
    menu(boss, "库存", "库存")
    follow(boss, boss.locator("main a.card", has_text="水吧").first, "水吧")
    expect(boss.locator("table.stock tbody tr", has_text="橙汁").locator("td.num")).to_have_text("16 瓶")

    # 5. The water bar hands over to the evening colleague: the count reconciles, a pending line, hand over.
    menu(bar, "交接班", "交接班 · 水吧")
    bar.locator("select[name=to_user_id]").select_option(label=day.names["water_bar2"])
    bar.locator("button.start-btn").tap()
    expect(bar).to_have_url(re.compile(r"/handover/\d+$"))
    handover_url = bar.url
    bar.locator("button.count-btn").tap()
    landed(bar, "水吧 · 交接班盘点")
    bar.locator("button.all-match").tap()
    expect(bar).to_have_url(handover_url)
    expect(bar.locator(".ho-count-matched")).to_have_count(1)
    bar.locator("#ho-pending input[name=text]").fill("橙汁还有 6 瓶明天送到")
    bar.locator("#ho-pending button.add-btn").tap()
    expect(bar.locator("#ho-pending li.ho-line")).to_contain_text("橙汁还有 6 瓶明天送到")
    bar.locator("input[name=property_checked]").check()
    bar.locator("button.submit-handover").tap()
    expect(bar.locator(".ho-status-submitted")).to_be_visible()

    # The seventh phone: the incoming attendant disputes the line and accepts.
    evening = phone()
    login(evening, base, day.logins["water_bar2"])
    menu(evening, "交接班", "交接班 · 水吧")
    follow(evening, evening.locator("a.ho-incoming"), "交接班 · 水吧")
    assert evening.url == handover_url
    line = evening.locator("#ho-pending li.ho-line", has_text="橙汁还有 6 瓶明天送到")
    line_id = line.get_attribute("id")
    line.locator("summary").tap()
    line.locator("textarea[name=reason]").fill("送货单上写的是后天")
    line.locator("button.dispute-btn").tap()
    expect(evening.locator(f"#{line_id}")).to_have_class(re.compile(r"\bdisputed\b"))
    expect(evening.locator("button.accept-btn")).to_contain_text("有异议 1 项")
    evening.locator("button.accept-btn").tap()
    expect(evening.locator(".ho-status-accepted")).to_be_visible()
    assert_fits_phone(evening)

    # The lead resolves the dispute from the handover board.
    menu(lead, "交接班", "交接班")
    follow(lead, lead.locator("a.ho-disputed", has_text="送货单上写的是后天"), "交接班 · 水吧")
    disputed = lead.locator(f"#{line_id}")
    disputed.locator("summary").tap()
    disputed.locator("textarea[name=note]").fill("已问供应商:明天上午送到")
    disputed.locator("button.resolve-btn").tap()
    expect(lead.locator(f"#{line_id}")).to_have_class(re.compile(r"\bstate-resolved\b"))
    menu(lead, "交接班", "交接班")
    expect(lead.locator("a.ho-disputed")).to_have_count(0)

    # 6. The day's consumption on the water bar's phone equals what the ledger holds, item by item.
    home(bar)
    tap_link(bar, re.compile("^日消耗$"), "日消耗", scope="main nav.tiles")
    assert_fits_phone(bar)
    heads = [t.strip() for t in bar.locator("table.consumption thead th").all_inner_texts()]
    assert heads[4] == "招待消耗" and heads[6] == "报废", heads
    flows = ledger_flows(app, day)
    # What the day did: two waters and a pot served, two pots brewed from two packs of leaves, one poured away.
    assert flows[("矿泉水", "served")] == 2 and flows[("泡好的茶水", "served")] == 1
    assert flows[("泡好的茶水", "prepared")] == 2 and flows[("铁观音茶叶", "prep_used")] == 2
    assert flows[("泡好的茶水", "discarded")] == 1
    shown = {}
    for tr in bar.locator("table.consumption tbody tr:not(.day-row)").all():
        cells = [c.strip() for c in tr.locator("td").all_inner_texts()]
        shown[cells[0]] = cells
    assert set(shown) == set(day.items) - {"装饰花瓶", "台灯", "抱枕", "床品套件", "装饰画", "电视遥控器"}
    for name, cells in shown.items():
        for col, reason in ((2, "received"), (3, "prepared"), (4, "served"), (5, "prep_used"), (6, "discarded")):
            assert Decimal(cells[col]) == flows.get((name, reason), 0), (name, reason, cells)
        assert cells[9] == "0", (name, cells)  # every item balanced between the opening and the closing count
