"""The prepare page (the water bar brews, cuts) and the recipe page (the manager): forms, errors, access."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory.reads import stock as reads
from hospitality.models import Item, Site, StockMove
from hospitality.models.inventory import Preparation
from hospitality.seed import add_demo_items
from tests.factories import make_item, make_site, make_user, on_hand
from tests.harness import count_rows, login


@pytest.fixture
def env(app):
    """The demo bar at two sites; a login per post at the first."""
    with app.app_context():
        out = {}
        for key in ("site", "other"):
            site = make_site()
            boss = make_user(site.id, "manager")
            with write_tx():
                add_demo_items(db.session.get(Site, site.id), boss.id)
            items = {i.name: i.id for i in db.session.scalars(select(Item).where(Item.site_id == site.id))}
            out[key] = SimpleNamespace(id=site.id, boss=boss.username, pot=items["泡好的茶水"],
                                       plate=items["切好的果盘"], leaves=items["铁观音茶叶"], fruit=items["水果"],
                                       water=items["矿泉水"], candy=items["糖果"])
        names = {p: make_user(out["site"].id, p).username
                 for p in ("water_bar", "lead", "model_room", "security", "concierge")}
        return SimpleNamespace(**vars(out["site"]), other=out["other"], names=names)


def test_water_bar_prepares_from_the_stock_screens(app, env):
    """Stock → 制作: the page lists the pot and plate with their recipes; 2 pots are brewed, 302 back with a flash."""
    c = login(app, env.names["water_bar"])
    assert "/stock/prepare" in c.get("/stock/").text
    assert "/stock/prepare" in c.get(f"/stock/loc/{_bar(app, env)}").text
    page = c.get("/stock/prepare").text
    assert "泡好的茶水" in page and "切好的果盘" in page and "铁观音茶叶 1 包" in page and "水果 1.5 斤" in page
    r = c.post("/stock/prepare", data={"item_id": str(env.pot), "qty": "2", "idem": "routepot0001"})
    assert r.status_code == 302 and r.location.endswith("/stock/prepare")
    assert "已制作泡好的茶水 2 壶" in c.get(r.location).text
    c.post("/stock/prepare", data={"item_id": str(env.pot), "qty": "2", "idem": "routepot0001"})  # double tap
    with app.app_context():
        assert on_hand(env.pot) == 2 and on_hand(env.leaves) == 12 and count_rows(Preparation) == 1


def test_short_stock_is_422_with_the_message_under_the_count(app, env):
    """5 plates need 7.5 斤 and there are 6: the plate's form says so in Chinese; nothing is written."""
    c = login(app, env.names["water_bar"])
    with app.app_context():
        before = count_rows(StockMove)
    r = c.post("/stock/prepare", data={"item_id": str(env.plate), "qty": "5", "idem": "routeplate01"})
    assert r.status_code == 422
    card = r.text[r.text.index(f'id="prepare-{env.plate}"'):]
    card = card[:card.index("</article>")]
    assert "水果不足，无法制作5 份：需要7.5 斤，库存只有6 斤。" in card and 'aria-invalid="true"' in card
    assert 'aria-invalid="true"' not in r.text[r.text.index(f'id="prepare-{env.pot}"'):][:600]
    with app.app_context():
        assert count_rows(StockMove) == before and count_rows(Preparation) == 0


@pytest.mark.parametrize("post", ["model_room", "security", "concierge"])
def test_posts_that_do_not_work_the_bar_get_403(app, env, post):
    """The model room, security and the concierge neither see nor post the prepare page; nothing is written."""
    c = login(app, env.names[post])
    assert c.get("/stock/prepare").status_code == 403
    assert c.post("/stock/prepare", data={"item_id": str(env.pot), "qty": "1"}).status_code == 403
    assert c.get(f"/stock/items/{env.pot}/recipe").status_code == 403
    with app.app_context():
        assert count_rows(Preparation) == 0


def test_other_sites_items_and_visits_are_404(app, env):
    """Preparing another site's pot, returning to another site's visit or editing its recipe: 404, nothing written."""
    c = login(app, env.names["water_bar"])
    assert c.post("/stock/prepare", data={"item_id": str(env.other.pot), "qty": "1"}).status_code == 404
    assert c.get("/stock/prepare?visit_id=999999").status_code == 404
    boss = login(app, env.boss)
    r = boss.post(f"/stock/items/{env.other.pot}/recipe", data={f"qty-{env.other.leaves}": "3"})
    assert r.status_code == 404
    with app.app_context():
        assert count_rows(Preparation) == 0
        assert [line.qty for line in reads.recipe_of(env.other.pot)] == [1]


def test_manager_edits_a_recipe_from_the_items_page(app, env):
    """Items → recipe: the pot's page shows its leaves; 2 包 a pot is saved and the pot now costs ¥16."""
    boss = login(app, env.boss)
    items = boss.get("/stock/items").text
    assert f"/stock/items/{env.pot}/recipe" in items
    form = boss.get(f"/stock/items/{env.pot}/edit").text
    assert f"/stock/items/{env.pot}/recipe" in form and "铁观音茶叶 1 包" in form
    page = boss.get(f"/stock/items/{env.pot}/recipe").text
    assert f'name="qty-{env.leaves}"' in page and f'name="qty-{env.pot}"' not in page
    assert f'name="qty-{env.plate}"' not in page  # a prepared item is no raw item
    r = boss.post(f"/stock/items/{env.pot}/recipe", data={f"qty-{env.leaves}": "2", f"qty-{env.water}": ""})
    assert r.status_code == 302
    with app.app_context():
        assert [(line.raw_item_id, line.qty) for line in reads.recipe_of(env.pot)] == [(env.leaves, 2)]
        assert db.session.get(Item, env.pot).unit_price == Decimal("16.00")


def test_bad_recipe_is_422_with_messages_next_to_the_fields(app, env):
    """Half a 包 and a negative candy: both fields say why in Chinese, and the old recipe stays."""
    boss = login(app, env.boss)
    r = boss.post(f"/stock/items/{env.pot}/recipe", data={f"qty-{env.leaves}": "0.5", f"qty-{env.candy}": "-1"})
    assert r.status_code == 422
    leaves_row = r.text[r.text.index(f'name="qty-{env.leaves}"'):][:400]
    candy_row = r.text[r.text.index(f'name="qty-{env.candy}"'):][:400]
    assert "只能按整包计数" in leaves_row and 'aria-invalid="true"' in leaves_row
    assert "请输入大于零的数量，或留空。" in candy_row
    r = boss.post(f"/stock/items/{env.pot}/recipe", data={f"qty-{env.pot}": "1"})
    assert r.status_code == 422 and "物品不能用自己做原料。" in r.text
    with app.app_context():
        assert [line.qty for line in reads.recipe_of(env.pot)] == [1]


def test_item_form_saves_how_the_serve_form_offers_it(app, env):
    """A new item posted as the form is (the select left at its default) is a guest's drink; cups are set off it."""
    boss = login(app, env.boss)
    bar = _bar(app, env)
    form = {"location_id": str(bar), "kind": "consumable", "name": "柠檬水", "unit": "杯", "whole": "y",
            "pack_size": "1", "par_level": "0", "unit_price": "1", "active": "y", "serve_as": "drink"}
    assert '<option selected value="drink">' in boss.get("/stock/items/new").text
    assert boss.post("/stock/items/new", data=form).status_code == 302
    r = boss.post(f"/stock/items/{env.water}/edit", data={**form, "name": "矿泉水", "unit": "瓶", "serve_as": ""})
    assert r.status_code == 302
    r = boss.post(f"/stock/items/{env.water}/edit", data={**form, "name": "矿泉水", "serve_as": "bogus"})
    assert r.status_code == 422 and "请选择招待方式。" in r.text
    with app.app_context():
        lemon = db.session.scalar(select(Item).where(Item.name == "柠檬水"))
        assert lemon.serve_as == "drink" and db.session.get(Item, env.water).serve_as is None
        vase = make_item(env.id, "model_room", name="花瓶", expected=1)
        assert vase.serve_as is None  # a fixture is never served


def _bar(app, env) -> int:
    with app.app_context():
        return db.session.get(Item, env.pot).location_id
