"""Access rules of the below-par list, preparing and recipes (merged into tests/test_access.py's MATRIX): the
demo bar's pot of tea."""
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import Item, Site
from tests.access_rules import BAR, MANAGER, STOCK, Rule

POT = {"item_id": "prep_item_id"}

MATRIX = {
    ("/stock/below-par", "GET"): Rule(STOCK),
    ("/stock/prepare", "GET"): Rule(BAR),
    # A pot of tea from the demo's 14 包 of leaves.
    ("/stock/prepare", "POST"): Rule(BAR, 302, {"item_id": "{prep_item_id}", "qty": "1", "idem": "matrix0201"},
                                     True),
    ("/stock/items/<int:item_id>/recipe", "GET"): Rule(MANAGER, ids=POT),
    ("/stock/items/<int:item_id>/recipe", "POST"): Rule(MANAGER, 302, {"qty-{leaves_id}": "2"}, True, ids=POT),
}


def rows(site: Site, ids: dict) -> dict:
    def item(name: str) -> int:
        return db.session.scalar(select(Item.id).where(Item.site_id == site.id, Item.name == name))
    return {"prep_item_id": item("泡好的茶水"), "leaves_id": item("铁观音茶叶")}
