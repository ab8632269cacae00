"""Stock below par: the site's consumables in use whose stock on hand is below their par level, and the page."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory.reads import stock as reads
from hospitality.models import Item
from tests.factories import make_item, make_site, make_user, post
from tests.harness import counting, login


@pytest.fixture
def env(app):
    """A site with items above, at and below par (and some that never count), another site short of everything."""
    with app.app_context():
        site = make_site()
        boss = make_user(site.id, "manager")
        water = make_item(site.id, name="矿泉水", stock=30, par=48, unit="瓶")  # short 18
        tea = make_item(site.id, name="铁观音", stock=10, par=10, unit="包")  # at par: not short
        cups = make_item(site.id, name="纸杯", stock=200, par=100, unit="个")  # above par
        candy = make_item(site.id, name="糖果", par=5, unit="袋")  # never moved: 0 on hand
        lemon = make_item(site.id, name="柠檬", stock=8, par=0, unit="个")  # no par: never short
        gone = make_item(site.id, name="旧饮料", stock=1, par=10, unit="瓶")  # not in use any more
        vase = make_item(site.id, "model_room", name="花瓶", stock=1, par=3, expected=3, unit="件")  # a fixture
        post(db.session.get(Item, tea.id), boss.id, "-1", "served")  # now 9 of 10: short 1
        with write_tx():
            db.session.execute(update(Item).where(Item.id == gone.id).values(active=False))
        other = make_site()
        make_item(other.id, name="外站矿泉水", stock=1, par=48, unit="瓶")
        names = {p: make_user(site.id, p).username for p in ("water_bar", "model_room", "security", "lead",
                                                             "concierge")}
        return SimpleNamespace(site=site.id, other=other.id, boss=boss.username, names=names, water=water.id,
                               tea=tea.id, cups=cups.id, candy=candy.id, lemon=lemon.id, gone=gone.id,
                               vase=vase.id)


def test_below_par_lists_the_short_consumables_in_use(app, env):
    """Only active consumables with a par above their newest balance, with place, on hand, par, unit and shortfall."""
    with app.app_context():
        rows = reads.below_par(env.site)
        assert [(r.item_id, r.on_hand, r.par, r.shortfall, r.unit) for r in rows] == [
            (env.water, Decimal(30), Decimal(48), Decimal(18), "瓶"),
            (env.tea, Decimal(9), Decimal(10), Decimal(1), "包"),
            (env.candy, Decimal(0), Decimal(5), Decimal(5), "袋")]
        assert [r.label for r in rows] == ["矿泉水", "铁观音", "糖果"]
        assert {r.location_name for r in rows} == {rows[0].location_name} and rows[0].location_name
        assert reads.below_par_count(env.site) == 3


def test_restocking_takes_an_item_off_the_list(app, env):
    """Receiving up to par removes the item; the count follows the list."""
    with app.app_context():
        post(db.session.get(Item, env.water), make_user(env.site, "manager").id, "18", "received")
        assert env.water not in {r.item_id for r in reads.below_par(env.site)}
        assert reads.below_par_count(env.site) == 2


def test_another_sites_items_never_count(app, env):
    """Each site sees only its own items short: the other site's one, not ours."""
    with app.app_context():
        assert [r.label for r in reads.below_par(env.other)] == ["外站矿泉水"]
        assert reads.below_par_count(env.other) == 1
        assert "外站矿泉水" not in {r.label for r in reads.below_par(env.site)}


def test_a_site_without_stock_has_nothing_below_par(app):
    """No items: an empty list and a count of 0."""
    with app.app_context():
        site = make_site()
        assert reads.below_par(site.id) == [] and reads.below_par_count(site.id) == 0


def test_manager_sees_the_list_with_links_to_the_item_pages(app, env):
    """The manager finds the link on the stock page: each short item with its figures, linked to its ledger page."""
    c = login(app, env.boss)
    assert "/stock/below-par" in c.get("/stock/").text
    body = c.get("/stock/below-par").text
    for item_id in (env.water, env.tea, env.candy):
        assert f'href="/stock/items/{item_id}"' in body
    for item_id in (env.cups, env.lemon, env.gone, env.vase):
        assert f'href="/stock/items/{item_id}"' not in body
    assert "矿泉水" in body and "48" in body and "18" in body
    assert "外站矿泉水" not in body


def test_floor_posts_see_the_list_without_the_ledger_links(app, env):
    """The water bar sees the short items, but no links to item pages it may not open."""
    c = login(app, env.names["water_bar"])
    assert "/stock/below-par" in c.get("/stock/").text
    body = c.get("/stock/below-par").text
    assert "矿泉水" in body and "糖果" in body
    assert "/stock/items/" not in body


@pytest.mark.parametrize("post_,status", [("water_bar", 200), ("model_room", 200), ("security", 200),
                                          ("lead", 200), ("concierge", 403)])
def test_access_per_post(app, env, post_, status):
    """Who may see stock may see what is short; the concierge may not."""
    assert login(app, env.names[post_]).get("/stock/below-par").status_code == status


def test_empty_state(app):
    """A site with nothing short says so (the English msgid until the translation is compiled)."""
    with app.app_context():
        site = make_site()
        name = make_user(site.id, "manager").username
    body = login(app, name).get("/stock/below-par").text
    assert "Nothing is below par." in body or "没有低于标准库存的物品。" in body


def test_statements_stay_the_same_as_items_grow(app, env):
    """The page reads the list in the same number of statements for 3 short items or 23."""
    c = login(app, env.boss)
    c.get("/stock/below-par")
    with counting(app) as few:
        c.get("/stock/below-par")
    with app.app_context():
        for n in range(20):
            make_item(env.site, name=f"短缺{n}", stock=1, par=5)
    with counting(app) as many:
        body = c.get("/stock/below-par").text
    assert "短缺19" in body and len(many) == len(few)
