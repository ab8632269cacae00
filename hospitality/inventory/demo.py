"""The demo bar's menu and recipes (seed 002: tea, drinks or bottled water for each guest; a fruit plate or candy
for the table; cut fruit and brewed tea discarded at closing)."""
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..models import Item, Site
from ..models.inventory import RecipeLine
from .services import reprice

# How the serve form offers each demo item: cups, tea leaves and fruit by the 斤 are what the bar uses, not
# what a guest is served.
DEMO_SERVE_AS = {"矿泉水": "drink", "铁观音茶叶": None, "泡好的茶水": "drink", "咖啡胶囊": "drink", "橙汁": "drink",
                 "切好的果盘": "table", "水果": None, "糖果": "table", "一次性纸杯": None}
# Per prepared unit: a pot (壶) is brewed from one 包 of leaves; a plate (份) is cut from 1.5 斤 of fruit.
DEMO_RECIPES = {"泡好的茶水": [("铁观音茶叶", "1")], "切好的果盘": [("水果", "1.5")]}


def add_demo_recipes(site: Site) -> None:
    """Set the demo bar's menu and recipes (inside the caller's transaction); prepared items cost their recipe."""
    items = {i.name: i for i in db.session.scalars(select(Item).where(Item.site_id == site.id,
                                                                      Item.kind == "consumable"))}
    for name, serve_as in DEMO_SERVE_AS.items():
        if name in items:
            items[name].serve_as = serve_as
    for name, lines in DEMO_RECIPES.items():
        if name in items and all(raw in items for raw, _q in lines):
            for raw, qty in lines:
                db.session.add(RecipeLine(site_id=site.id, item_id=items[name].id, raw_item_id=items[raw].id,
                                          qty=Decimal(qty)))
    db.session.flush()
    for name in DEMO_RECIPES:
        if name in items:
            reprice(items[name].id)
