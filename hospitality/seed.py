"""Default content of a new site (locations and routines from the seeds) and the demo data."""
from datetime import time

from sqlalchemy import select

from .audit import record
from .extensions import db
from .models import ChecklistItem, ChecklistTemplate, Location, SalesRep, Site, User, core
from .models.core import HQ_POST, Company
from .permissions import post_can

DEFAULT_LOCATIONS = [
    ("water_bar", "水吧"), ("negotiation", "洽谈区"), ("sand_table", "沙盘区"),
    ("lounge", "VIP室"), ("gate", "大门岗"), ("car_park", "停车场"),
]

# (post, kind, name, name_en, due, [(text, text_en, answer_type, extra)])
# Wording follows seed 002 (售楼处客户服务工作指引 / 夜班保安岗位职责).
C, N, T = "check", "number", "note"
DEFAULT_ROUTINES = [
    ("water_bar", "opening", "水吧开吧", "Open the water bar", time(9, 0), [
        ("检查水吧台内一切物品和食品,与库存核对", "Check every item and food at the bar against stock", C, {}),
        ("吧台面、机器、器皿清洁", "Clean the counter, machines and utensils", C, {}),
        ("器具、器皿消毒", "Disinfect utensils and glassware", C, {}),
        ("用具、器皿、容器整齐有序摆放", "Set out utensils, glassware and containers in order", C, {}),
        ("准备空杯数量(按预计来访人数)", "Cups prepared (by expected party sizes)", N, {"unit": "个", "max": 500}),
        ("检查销售中心卫生,较差时通知保洁", "Check the centre's hygiene; call a cleaner if poor", C, {}),
    ]),
    ("water_bar", "closing", "水吧收吧", "Close the water bar", time(18, 30), [
        ("已切开的水果处理掉", "Cut fruit discarded", C, {}),
        ("已倒进杯子的饮料处理掉,不再回收", "Poured drinks discarded, never reused", C, {}),
        ("已泡好的茶水全部倒掉", "Brewed tea poured away", C, {}),
        ("用过的器具清洁后放回原位", "Used utensils washed and put back", C, {}),
        ("毛巾清洗、晾干", "Towels washed and hung to dry", C, {}),
        ("垃圾袋处理到垃圾堆放点", "Rubbish taken to the bin area", C, {}),
        ("当日消耗及需补充的物品", "Today's consumption and what to restock", T, {"required": False}),
    ]),
    ("model_room", "opening", "样板间开放", "Open the model rooms", time(9, 0), [
        ("开启门窗通风", "Doors and windows opened, room aired", C, {}),
        ("开启空调", "Air conditioning on", C, {}),
        ("开启音响", "Audio on", C, {}),
        ("开启照明", "Lighting on", C, {}),
        ("检查样板间物品有无破损、遗失", "Items checked for damage or loss", C, {}),
        ("鞋套备齐(双)", "Shoe covers ready (pairs)", N, {"unit": "双", "max": 1000}),
        ("样板间卫生良好(必要时联系保洁)", "Rooms clean (call a cleaner if needed)", C, {}),
    ]),
    ("model_room", "closing", "样板间关闭", "Close the model rooms", time(18, 0), [
        ("样板间物品盘点无误", "Room items counted, all present", C, {}),
        ("关闭照明", "Lighting off", C, {}),
        ("关闭音响", "Audio off", C, {}),
        ("关闭空调", "Air conditioning off", C, {}),
        ("关好门窗并上锁", "Doors and windows closed and locked", C, {}),
        ("布草送洗情况", "Linen sent for washing", T, {"required": False}),
    ]),
    ("concierge", "opening", "前台开岗", "Open the front desk", time(9, 0), [
        ("前台台面整洁、资料摆放整齐", "Desk tidy, brochures in order", C, {}),
        ("对讲机正常、电量充足", "Radio works and is charged", C, {}),
        ("雨伞数量", "Umbrellas on hand", N, {"unit": "把", "max": 200}),
        ("大堂门口及通道整洁", "Entrance and walkways clear", C, {}),
    ]),
    ("concierge", "closing", "前台收岗", "Close the front desk", time(18, 0), [
        ("借出雨伞已收回", "Lent umbrellas returned", C, {}),
        ("雨伞数量", "Umbrellas on hand", N, {"unit": "把", "max": 200}),
        ("前台资料、物品归位", "Desk materials put away", C, {}),
    ]),
    ("security", "opening", "白班上岗(大门/停车场)", "Day shift: gate and car park", time(8, 30), [
        ("与夜班交接,检查公司财产有无损坏", "Handed over with night shift; company property undamaged", C, {}),
        ("对讲机正常、电量充足", "Radio works and is charged", C, {}),
        ("停车场车位、指示牌整齐", "Car park bays and signs in order", C, {}),
        ("岗亭卫生整洁", "Guard booth clean", C, {}),
    ]),
    ("security", "closing", "夜班闭场检查", "Night shift: closing checks", time(20, 0), [
        ("所有灯具已关闭(应急灯除外)", "All lights off except emergency lights", C, {}),
        ("所有空调已关闭", "All air conditioning off", C, {}),
        ("用电用水设备正常或已关闭", "Water and power equipment normal or off", C, {}),
        ("排查消防隐患", "Fire hazards checked", C, {}),
        ("门窗已锁闭", "Doors and windows locked", C, {}),
    ]),
]
# Security works a day and a night shift: its opening is the day guard's, its closing the night guard's (each sees
# only their own on the today screen: checklists.reads.ON_PERSONS_SHIFT_WHERE). Shift codes: attendance's defaults.
DEFAULT_ROUTINE_SHIFTS = {("security", "opening"): "day", ("security", "closing"): "night"}


def add_default_content(site: Site, model_rooms: int = 2) -> None:
    """Locations and routines every new site starts with; the manager edits them afterwards."""
    kinds = DEFAULT_LOCATIONS[:1] + [("model_room", f"样板间{i}") for i in range(1, model_rooms + 1)]
    kinds += DEFAULT_LOCATIONS[1:]
    for pos, (kind, name) in enumerate(kinds):
        db.session.add(Location(site=site, kind=kind, name=name, position=pos))
    routines = []
    for pos, (post, kind, name, name_en, due, items) in enumerate(DEFAULT_ROUTINES):
        t = ChecklistTemplate(site_id=site.id, post=post, kind=kind, name=name, name_en=name_en,
                              due_time=due, position=pos)
        db.session.add(t)
        routines.append(t)
        for ipos, (text, text_en, atype, extra) in enumerate(items):
            t.items.append(ChecklistItem(position=ipos, text=text, text_en=text_en, answer_type=atype,
                                         unit=extra.get("unit"), max_value=extra.get("max"),
                                         required=extra.get("required", True)))
    db.session.flush()
    # The day and night shifts, the grooming checklist, the area inspections (one per model room), the night patrol.
    from .attendance.services import default_shifts
    from .inspections.seed import seed_templates
    from .patrol.seed import seed_patrol
    from .routines.seed import seed_cleaning
    shift_ids = {s.code: s.id for s in default_shifts(site)}
    for t in routines:
        t.shift_id = shift_ids.get(DEFAULT_ROUTINE_SHIFTS.get((t.post, t.kind)))
    seed_templates(site)
    seed_patrol(site)
    seed_cleaning(site)  # the cleaners' daily, weekly, half-monthly and monthly rota (seed 002)


# (name, name_en, unit, whole, pack, par, price, discard_at_close, stock)
DEMO_BAR_ITEMS = [
    ("矿泉水", "Bottled water", "瓶", True, 24, 48, "2.00", False, 60),
    ("铁观音茶叶", "Tieguanyin tea", "包", True, 10, 10, "8.00", False, 14),
    ("泡好的茶水", "Brewed tea", "壶", True, 1, 0, "0.00", True, 0),
    ("咖啡胶囊", "Coffee capsules", "粒", True, 50, 40, "3.50", False, 55),
    ("橙汁", "Orange juice", "瓶", True, 12, 12, "6.00", False, 10),
    ("切好的果盘", "Cut fruit plate", "份", True, 1, 0, "15.00", True, 0),
    ("水果", "Fruit", "斤", False, 5, 5, "12.00", False, 6),
    ("糖果", "Candy", "袋", True, 10, 5, "9.90", False, 8),
    ("一次性纸杯", "Paper cups", "个", True, 50, 100, "0.20", False, 150),
]
DEMO_FIXTURES = [("装饰花瓶", "Vase", 2), ("台灯", "Table lamp", 2), ("抱枕", "Cushion", 6),
                 ("床品套件", "Bed linen set", 1), ("装饰画", "Wall picture", 3), ("电视遥控器", "TV remote", 1)]


def add_demo_items(site: Site, user_id: int) -> None:
    """Water-bar consumables and model-room fixtures, with their opening stock in the ledger."""
    from decimal import Decimal

    from .inventory import ledger
    from .models import Item
    entries = []
    for loc in site.locations:
        if loc.kind == "water_bar":
            for pos, (name, en, unit, whole, pack, par, price, discard, stock) in enumerate(DEMO_BAR_ITEMS):
                item = Item(site_id=site.id, location_id=loc.id, kind="consumable", name=name, name_en=en,
                            unit=unit, whole=whole, pack_size=pack, par_level=Decimal(par),
                            unit_price=Decimal(price), discard_at_close=discard, position=pos)
                db.session.add(item)
                entries.append((item, stock, "opening"))
        elif loc.kind == "model_room":
            for pos, (name, en, qty) in enumerate(DEMO_FIXTURES):
                item = Item(site_id=site.id, location_id=loc.id, kind="fixture", name=name, name_en=en,
                            unit="件", expected_qty=Decimal(qty), position=pos)
                db.session.add(item)
                entries.append((item, qty, "opening"))
    db.session.flush()
    ledger.post(site.id, user_id, entries, ref_type="seed")
    from .inventory.demo import add_demo_recipes
    add_demo_recipes(site)  # the serve form's menu, and the tea and fruit plate made from raw stock


DEMO_PASSWORD = "demo1234"
DEMO_PIN = "2468"  # every demo login's PIN for switching user on a shared device (issue 18)
DEMO_VIP_PLATE = "粤B88888"  # a known guest: security records it, every post's live list shows the VIP note
DEMO_USERS = [
    ("manager", "王经理", "M001", "manager"),
    ("lead", "李领班", "L001", "lead"),
    ("waterbar", "张水吧", "W001", "water_bar"),
    ("modelroom", "陈样板", "R001", "model_room"),
    ("concierge", "刘礼宾", "C001", "concierge"),
    ("security", "赵安防", "S001", "security"),
    # A colleague for the water bar and for security, so a shift handover can be tried with the demo logins.
    ("waterbar2", "孙水吧", "W002", "water_bar"),
    ("security2", "钱安防", "S002", "security"),
]
DEMO_HQ = ("hq", "何总部", "H001")  # username, name, badge
DEMO_REPS = ["周置业顾问", "吴置业顾问", "郑置业顾问"]


def seed_demo() -> bool:
    """Create the demo site with one login per post; False if there is data already."""
    if db.session.scalar(select(Site.id).limit(1)) is not None:
        return False
    company = Company(name="安居物业服务有限公司", code="DEMOCO")
    db.session.add(company)
    db.session.flush()
    site = Site(name="盛世中央公馆售楼处", code="DEMO", timezone="Asia/Shanghai", company_id=company.id)
    db.session.add(site)
    db.session.flush()
    add_default_content(site)
    for username, name, badge, post in DEMO_USERS:
        user = User(site_id=site.id, username=username, name=name, badge_no=badge,
                    phone="1380000" + badge[1:].rjust(4, "0"), post=post)
        user.set_password(DEMO_PASSWORD)
        user.pin_hash = core.generate_password_hash(DEMO_PIN)
        if post_can(post, "admin.manage"):
            user.managed_sites.append(site)
        db.session.add(user)
    db.session.flush()
    manager_id = db.session.scalar(select(User.id).where(User.username == "manager"))
    add_demo_items(site, manager_id)
    for name in DEMO_REPS:
        db.session.add(SalesRep(site_id=site.id, name=name))
    db.session.flush()
    from .attendance.demo import seed_demo as seed_attendance
    staff = list(db.session.scalars(select(User).where(User.site_id == site.id).order_by(User.id)))
    seed_attendance(site, staff, next(u for u in staff if u.username == "lead"))  # the demo's lead
    from .patrol.demo import seed_demo as seed_patrols
    seed_patrols(site)
    from .tasks.demo import seed_demo as seed_work
    seed_work(site)
    from .models.guests import VipNotice
    db.session.add(VipNotice(site_id=site.id, plate=DEMO_VIP_PLATE, note="李总，老业主，喜欢铁观音，由王经理亲自接待",
                             created_by_id=manager_id))
    add_demo_hq(site)  # after the site's people were rostered: head office is on no roster
    record("seed_demo", "site", site.id, site_id=site.id)
    return True


def add_demo_hq(site: Site) -> None:
    """The demo's head-office login (总部), its home the demo site (which names its company); once."""
    if db.session.scalar(select(User.id).where(User.username == DEMO_HQ[0])) is None:
        hq = User(site_id=site.id, username=DEMO_HQ[0], name=DEMO_HQ[1], badge_no=DEMO_HQ[2], post=HQ_POST)
        hq.set_password(DEMO_PASSWORD)
        db.session.add(hq)
