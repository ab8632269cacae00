"""The grooming checklists and area inspections a site starts with (the manager edits them afterwards).

Wording follows seed 002 (仪容仪表; 客服领班: 检查水吧、样板间、洽谈区卫生及物品摆放情况) and seed 000
(休息室: 每日分上午10点、12点,下午3点、5点自巡检查四次).
"""
from datetime import time

from sqlalchemy import select

from ..database import next_position
from ..extensions import db
from ..models import ChecklistItem, ChecklistTemplate, Location, Site

HOSPITALITY_POSTS = "water_bar,model_room,concierge,lead"
LOUNGE_TIMES = "10:00,12:00,15:00,17:00"
INSPECTION_DUE = time(9, 30)

# (text, text_en, required)
GROOMING = [
    ("刘海不盖眉,不披发", "Fringe above the eyebrows, hair not loose", True),
    ("长发用黑色发网束起,发网与耳齐平,碎发用发夹夹好", "Long hair in the black hair net at ear height, strands pinned",
     True),
    ("发色为黑色,未染其他颜色", "Hair black, not dyed another colour", True),
    ("淡妆上岗,口齿无异味", "Light make-up, no odour", True),
    ("工服干净、平整,无脱线,纽扣齐全扣好", "Uniform clean and pressed, no loose threads, all buttons done", True),
    ("工号牌佩戴在左胸,不歪斜", "Badge on the left chest, straight", True),
    ("对讲机耳机线不外露,佩戴在腰右后方", "Radio earpiece hidden, worn at the back right of the waist", True),
    ("首饰不超过四件(婚戒、手表、一对耳钉、不外露的项链),无手镯、吊坠耳环",
     "At most four pieces of jewellery (wedding ring, watch, studs, hidden necklace); no bracelets or dangling "
     "earrings", True),
    ("指甲不超过指尖3毫米,不涂有色指甲油", "Nails at most 3 mm past the fingertip, no coloured polish", True),
    ("黑色皮鞋,清洁光亮", "Black leather shoes, clean and polished", True),
    ("袜子:冬季黑色,夏季肉色", "Socks: black in winter, skin-tone in summer", True),
    ("冬季佩戴公司丝巾,整洁完好", "Company scarf in winter, neat and intact", False),
]
GROOMING_SECURITY = [
    ("制服整洁,帽子端正", "Uniform neat, cap worn straight", True),
    ("工号牌佩戴在左胸,不歪斜", "Badge on the left chest, straight", True),
    ("对讲机耳机线不外露,佩戴在腰右后方", "Radio earpiece hidden, worn at the back right of the waist", True),
    ("头发整齐,仪容整洁", "Hair tidy, neat appearance", True),
    ("站姿规范,手不插兜", "Standard posture, no hands in pockets", True),
    ("黑色皮鞋,清洁光亮", "Black leather shoes, clean and polished", True),
]
WATER_BAR = [
    ("吧台台面、机器、器皿清洁", "Counter, machines and utensils clean", True),
    ("器具、器皿已消毒", "Utensils and glassware disinfected", True),
    ("用具、器皿、容器整齐有序摆放", "Utensils, glassware and containers set out in order", True),
    ("出品饮品、果盘干净卫生", "Drinks and fruit served clean and hygienic", True),
    ("毛巾清洗晾好,不乱放", "Towels washed and hung, not left about", True),
    ("垃圾桶垃圾在三分之二高度以下", "Bins less than two-thirds full", True),
]
MODEL_ROOM = [
    ("门窗、空调、音响、照明完好", "Doors, windows, AC, audio and lighting in order", True),
    ("样板间卫生良好", "Room clean", True),
    ("物品摆放在原位,无破损、无遗失", "Items in their places, none damaged or missing", True),
    ("床上用品、窗帘等布草整洁", "Bed linen, curtains and other linen neat", True),
    ("鞋套备齐", "Shoe covers ready", True),
]
NEGOTIATION = [
    ("桌椅整齐、干净", "Tables and chairs tidy and clean", True),
    ("客户离开后已清理桌面,饰品、烟缸放回原处", "Tables cleared after guests, ornaments and ashtrays back in place",
     True),
    ("地面、地毯干净", "Floor and carpet clean", True),
    ("宣传资料摆放整齐", "Brochures in order", True),
    ("垃圾桶垃圾在三分之二高度以下", "Bins less than two-thirds full", True),
]
LOUNGE = [
    ("茶几上无杂物,整洁有序", "Coffee tables clear and tidy", True),
    ("客户离开三分钟内已收走茶杯、报纸", "Cups and papers cleared within three minutes of guests leaving", True),
    ("垃圾桶垃圾在三分之二高度以下", "Bins less than two-thirds full", True),
    ("报刊杂志、盆景植物整齐", "Magazines and plants in order", True),
    ("电器、电脑使用安全", "Appliances and computers safe", True),
]


def _specs(site: Site) -> list[dict]:
    """Every template the seed gives this site, keyed by seed_key."""
    locs = db.session.scalars(select(Location).where(Location.site_id == site.id, Location.active.is_(True))
                              .order_by(Location.position, Location.id)).all()
    first = {}
    for loc in locs:
        first.setdefault(loc.kind, loc)
    specs = [
        dict(key="grooming", kind="grooming", name="仪容仪表检查", name_en="Grooming check",
             for_posts=HOSPITALITY_POSTS, items=GROOMING),
        dict(key="grooming_security", kind="grooming", name="仪容仪表检查(安防)", name_en="Grooming check (security)",
             for_posts="security", items=GROOMING_SECURITY),
        dict(key="insp_water_bar", kind="inspection", name="水吧卫生及物品摆放",
             name_en="Water bar: hygiene and placement", due_time=INSPECTION_DUE, location=first.get("water_bar"),
             items=WATER_BAR),
    ]
    for loc in locs:
        if loc.kind == "model_room":
            specs.append(dict(key=f"insp_room_{loc.id}", kind="inspection", name=f"{loc.name}卫生及物品摆放",
                              name_en=f"{loc.name}: hygiene and placement", due_time=INSPECTION_DUE, location=loc,
                              items=MODEL_ROOM))
    specs += [
        dict(key="insp_negotiation", kind="inspection", name="洽谈区卫生及物品摆放",
             name_en="Negotiation area: hygiene and placement", due_time=INSPECTION_DUE,
             location=first.get("negotiation"), items=NEGOTIATION),
        # Seed 000: the lounge attendant's own rounds (自巡), here the water bar's post; the lead sees them done.
        dict(key="lounge_rounds", kind="inspection", name="休息室巡检", name_en="Lounge rounds", post="water_bar",
             times=LOUNGE_TIMES, location=first.get("lounge"), items=LOUNGE),
    ]
    return specs


def seed_templates(site: Site) -> int:
    """Add the grooming and inspection templates this site lacks; returns how many were added.

    Runs in the caller's transaction (like seed.add_default_content): the caller commits. Running it again
    adds nothing; after a new model room is added it adds that room's inspection.
    """
    db.session.flush()  # locations added in this transaction get their ids
    have = set(db.session.scalars(select(ChecklistTemplate.seed_key).where(
        ChecklistTemplate.site_id == site.id, ChecklistTemplate.seed_key.is_not(None))))
    added = 0
    pos = next_position(ChecklistTemplate.position, ChecklistTemplate.site_id == site.id)
    for spec in _specs(site):
        if spec["key"] in have:
            continue
        loc = spec.get("location")
        t = ChecklistTemplate(site_id=site.id, kind=spec["kind"], post=spec.get("post", "lead"), name=spec["name"],
                              name_en=spec["name_en"], due_time=spec.get("due_time"), times=spec.get("times"),
                              for_posts=spec.get("for_posts"), location_id=loc.id if loc else None,
                              seed_key=spec["key"], position=pos)
        pos += 1
        db.session.add(t)
        for ipos, (text, text_en, required) in enumerate(spec["items"]):
            t.items.append(ChecklistItem(position=ipos, text=text, text_en=text_en, answer_type="check",
                                         required=required))
        added += 1
    db.session.flush()
    return added
