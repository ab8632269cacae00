"""The cleaners' rota a site starts with (the manager edits it afterwards): one checklist per task, given to the
cleaners, who have no login (the lead ticks what they did).

Wording and how often follow seed 002 (售楼处保洁员岗位职责): 地面每日循环清扫、拖洗; 楼梯扶手、栏杆、窗台每日擦抹;
消防器材、指示牌每日擦抹; 公共灯具、宣传栏、坐凳每日擦抹; 景观池每日打捞漂浮杂物; 天花板、公共灯具每周除尘; 门、窗等玻璃
及各类表具箱表面每周循环清洁; 广场砖地面每周冲洗; 景观池每周清洗、投放药剂; 2米以上部分每半月擦抹、除尘;
大堂、门厅大理石、花岗石地面保养每月一次.
"""
from datetime import time

from sqlalchemy import select

from ..database import next_position
from ..extensions import db
from ..models import ChecklistItem, ChecklistTemplate, Site
from ..models.checklists import LAST

DAILY_DUE = time(17, 30)  # before the sales center closes
WEEKLY_DAY = "4"  # Friday: the week's work done before the weekend's visitors

# (key, text, text_en, recurrence, on_days)
ROTA = [
    ("floor", "地面清扫、拖洗,瓷砖光亮、无污迹", "Floors swept and mopped, tiles shiny, no stains", "daily", None),
    ("walls", "墙面无灰尘、无污渍", "Walls free of dust and stains", "daily", None),
    ("rails", "楼梯扶手、栏杆、窗台擦抹干净", "Stair handrails, railings and window sills wiped", "daily", None),
    ("fittings", "消防器材、指示牌等公共设施擦抹干净", "Fire equipment, signs and other fittings wiped", "daily", None),
    ("lamps", "公共灯具、宣传栏、坐凳擦抹干净", "Lamps, notice boards and benches wiped", "daily", None),
    ("ground", "道路、地面无垃圾杂物、无积水(垃圾滞留不超过一小时)",
     "Paths and ground free of litter and standing water (litter gone within an hour)", "daily", None),
    ("pool", "景观池打捞漂浮杂物", "Landscape pool: floating debris skimmed off", "daily", None),
    ("indoor", "展厅、洽谈室、卫生间、吧台等室内区域清洁",
     "Hall, negotiation room, toilets, bar and other indoor areas cleaned", "daily", None),
    ("ceiling", "天花板、公共灯具除尘", "Ceilings and lamps dusted", "weekly", WEEKLY_DAY),
    ("glass", "门、窗等玻璃清洁,洁净光亮", "Glass of doors and windows cleaned, clear and shiny", "weekly", WEEKLY_DAY),
    ("boxes", "各类表具箱表面清洁", "Meter and panel box surfaces cleaned", "weekly", WEEKLY_DAY),
    ("plaza", "广场砖地面冲洗", "Plaza paving hosed down", "weekly", WEEKLY_DAY),
    ("pool_wash", "景观池清洗,投放药剂,水体无异味", "Landscape pool washed and treated, no odour", "weekly",
     WEEKLY_DAY),
    ("high", "2米以上部分擦抹、除尘", "Everything above 2 m wiped and dusted", "half_month", f"15,{LAST}"),
    ("marble", "大堂、门厅大理石、花岗石地面保养", "Lobby and entrance marble and granite floors maintained", "monthly",
     LAST),
]


def seed_cleaning(site: Site) -> int:
    """Add the rota's tasks this site lacks (one checklist of one item each); returns how many were added.

    Runs in the caller's transaction (like inspections.seed.seed_templates): running it again adds nothing."""
    db.session.flush()
    have = set(db.session.scalars(select(ChecklistTemplate.seed_key).where(
        ChecklistTemplate.site_id == site.id, ChecklistTemplate.seed_key.like("clean_%"))))
    pos = next_position(ChecklistTemplate.position, ChecklistTemplate.site_id == site.id)
    added = 0
    for key, text, text_en, recurrence, on_days in ROTA:
        if f"clean_{key}" in have:
            continue
        t = ChecklistTemplate(site_id=site.id, kind="cleaning", post="lead", assignee="cleaners", name=text,
                              name_en=text_en, due_time=DAILY_DUE, recurrence=recurrence, on_days=on_days,
                              seed_key=f"clean_{key}", position=pos)
        t.items.append(ChecklistItem(position=0, text=text, text_en=text_en, answer_type="check", required=True))
        db.session.add(t)
        pos += 1
        added += 1
    db.session.flush()
    return added
