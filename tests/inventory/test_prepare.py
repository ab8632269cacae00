"""Prepared items: recipes, preparing a pot of tea or a fruit plate from raw stock, its reversal and its report."""
import threading
from datetime import time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import recipes, services
from hospitality.inventory.ledger import StockError
from hospitality.inventory.reads import consumption as reports
from hospitality.inventory.reads import stock as reads
from hospitality.models import AuditLog, Item, Site, StockMove, User
from hospitality.models.inventory import Preparation, RecipeLine
from hospitality.seed import add_demo_items
from tests.factories import (
    assert_chain,
    insert_move,
    local_utc,
    location,
    make_item,
    make_past_count,
    make_site,
    make_user,
    on_hand,
)
from tests.harness import count_rows


def demo_bar(site_id: int, user_id: int) -> SimpleNamespace:
    """The demo bar's items by role: the seed's stock, menu and recipes."""
    with write_tx():
        add_demo_items(db.session.get(Site, site_id), user_id)
    by_name = {i.name: i for i in db.session.scalars(select(Item).where(Item.site_id == site_id))}
    return SimpleNamespace(pot=by_name["泡好的茶水"], leaves=by_name["铁观音茶叶"], plate=by_name["切好的果盘"],
                           fruit=by_name["水果"], water=by_name["矿泉水"], cups=by_name["一次性纸杯"],
                           candy=by_name["糖果"])


@pytest.fixture
def env(ctx):
    site = make_site()
    wb = make_user(site.id, "water_bar")
    boss = make_user(site.id, "manager")
    bar = demo_bar(site.id, boss.id)
    with force_locale("en"):  # messages asserted in English
        yield SimpleNamespace(site=db.session.get(Site, site.id), wb=wb, boss=boss, bar=location(site.id), **vars(bar))


def prep_rows(prep: Preparation) -> list[StockMove]:
    return list(db.session.scalars(select(StockMove).where(StockMove.ref_type == "prepare",
                                                           StockMove.ref_id == prep.id).order_by(StockMove.id)))


def test_demo_bar_has_recipes_menu_and_recipe_prices(env):
    """The seed: a pot is 1 包 of leaves (¥8), a plate 1.5 斤 of fruit (¥18); cups, leaves, raw fruit: off the menu."""
    def recipe(item):
        return [(line.raw_item_id, line.qty) for line in reads.recipe_of(item.id)]
    assert recipe(env.pot) == [(env.leaves.id, 1)] and recipe(env.plate) == [(env.fruit.id, Decimal("1.5"))]
    assert env.pot.unit_price == Decimal("8.00") and env.plate.unit_price == Decimal("18.00")
    assert (env.water.serve_as, env.pot.serve_as, env.plate.serve_as, env.candy.serve_as) == (
        "drink", "drink", "table", "table")
    assert env.cups.serve_as is None and env.leaves.serve_as is None and env.fruit.serve_as is None
    assert reads.prepared_ids([env.pot.id, env.plate.id, env.water.id]) == {env.pot.id, env.plate.id}


def test_prepare_writes_one_preparation_of_tied_rows(env):
    """Two plates: +2 份 'prepared', −3 斤 'prep_used', one ref; the balances chain and an audit row says so."""
    prep = recipes.prepare(env.site, env.wb, env.plate, "2", "prep-plate-1")
    rows = prep_rows(prep)
    assert [(r.item_id, r.qty, r.reason) for r in rows] == [(env.plate.id, Decimal(2), "prepared"),
                                                            (env.fruit.id, Decimal(-3), "prep_used")]
    assert {r.user_id for r in rows} == {env.wb.id} and {r.idem_key for r in rows} == {"prep-plate-1"}
    assert on_hand(env.plate.id) == 2 and on_hand(env.fruit.id) == 3
    for item in (env.plate, env.fruit):
        assert_chain(item.id)
    assert db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "prepare"))["used"] == {"水果": "3"}


def test_short_raw_stock_is_refused_and_nothing_written(env):
    """15 pots need 15 包 of leaves and there are 14: refused under the count, naming the leaves; nothing written."""
    before = (count_rows(StockMove), count_rows(Preparation))
    with pytest.raises(StockError) as e:
        recipes.prepare(env.site, env.wb, env.pot, "15", None)
    assert e.value.field == "qty"
    assert e.value.message == "Not enough Tieguanyin tea for 15 壶: 15 包 needed, 14 包 in stock."
    assert (count_rows(StockMove), count_rows(Preparation)) == before
    assert on_hand(env.pot.id) == 0 and on_hand(env.leaves.id) == 14


@pytest.mark.parametrize("qty", ["0", "-1", "1.5", "abc", ""])
def test_bad_counts_are_refused(env, qty):
    """Zero, negative, half a pot or not a number: refused under the count field."""
    with pytest.raises(StockError) as e:
        recipes.prepare(env.site, env.wb, env.pot, qty, None)
    assert e.value.field == "qty"
    assert count_rows(Preparation) == 0


def test_item_without_recipe_cannot_be_prepared(env):
    """Bottled water has no recipe: preparing it is refused."""
    with pytest.raises(StockError, match="no recipe"):
        recipes.prepare(env.site, env.wb, env.water, "1", None)
    assert count_rows(Preparation) == 0


def test_double_tap_prepares_once(env):
    """The same form's key twice: one preparation, one pot, one 包 used."""
    first = recipes.prepare(env.site, env.wb, env.pot, "1", "tap-pot-0001")
    again = recipes.prepare(env.site, env.wb, env.pot, "1", "tap-pot-0001")
    assert again.id == first.id and count_rows(Preparation) == 1
    assert on_hand(env.pot.id) == 1 and on_hand(env.leaves.id) == 13


def test_double_tap_from_two_threads_prepares_once(app, env):
    """Two requests with the same key at the same moment: one preparation."""
    site_id, wb_id, pot_id = env.site.id, env.wb.id, env.pot.id
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                recipes.prepare(db.session.get(Site, site_id), db.session.get(User, wb_id),
                                db.session.get(Item, pot_id), "1", "race-pot-0001")
                db.session.remove()
        except BaseException as e:  # noqa: B036 - asserted below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    db.session.remove()  # read what the threads committed, not this session's snapshot
    assert count_rows(Preparation) == 1 and on_hand(pot_id) == 1 and on_hand(env.leaves.id) == 13


def test_two_attendants_brewing_from_the_last_leaves_never_go_below_zero(app, env):
    """Two phones brew 10 pots each from 14 包 at the same moment: one is refused, the leaves end at 4, chained."""
    site_id, pot_id = env.site.id, env.pot.id
    wb2 = make_user(site_id, "water_bar").id
    barrier, done, refused = threading.Barrier(2), [], []

    def run(user_id):
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                done.append(recipes.prepare(db.session.get(Site, site_id), db.session.get(User, user_id),
                                            db.session.get(Item, pot_id), "10", None).id)
                db.session.remove()
        except StockError as e:
            refused.append(e)

    threads = [threading.Thread(target=run, args=(u,)) for u in (env.wb.id, wb2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.session.remove()
    assert len(done) == 1 and len(refused) == 1 and refused[0].field == "qty"
    assert on_hand(pot_id) == 10 and on_hand(env.leaves.id) == 4
    assert_chain(env.leaves.id)
    assert_chain(pot_id)


def test_reversing_any_row_reverses_the_whole_preparation(env):
    """Reversing the pot's row also gives the leaves back; a second reversal of either row is refused."""
    prep = recipes.prepare(env.site, env.wb, env.pot, "2", None)
    pot_row, leaves_row = prep_rows(prep)
    services.reverse_move(env.site, env.boss, pot_row, "没泡")
    assert on_hand(env.pot.id) == 0 and on_hand(env.leaves.id) == 14
    reversals = db.session.scalars(select(StockMove).where(StockMove.reason == "reversal")).all()
    assert sorted((r.reverses_id, r.qty) for r in reversals) == sorted([(pot_row.id, Decimal(-2)),
                                                                        (leaves_row.id, Decimal(2))])
    for item in (env.pot, env.leaves):
        assert_chain(item.id)
    n = count_rows(StockMove)
    for row in (pot_row, leaves_row):
        with pytest.raises(StockError, match="already been reversed"):
            services.reverse_move(env.site, env.boss, row, "再来")
    assert count_rows(StockMove) == n


def test_reversing_a_raw_row_after_serving_keeps_the_chain(env):
    """The pot was served already: reversing the preparation from its leaves' row leaves the pot at −1, chained."""
    prep = recipes.prepare(env.site, env.wb, env.pot, "1", None)
    services.record_moves(env.site, env.wb, env.bar, "served", {env.pot.id: "1"}, None, None)
    _pot_row, leaves_row = prep_rows(prep)
    services.reverse_move(env.site, env.boss, leaves_row, "录错了")
    assert on_hand(env.pot.id) == -1 and on_hand(env.leaves.id) == 14
    assert_chain(env.pot.id)
    assert_chain(env.leaves.id)


# Recipes


def test_recipe_saves_and_prices_the_prepared_item(env):
    """A recipe of leaves and candy: lines replaced, price = 1 × ¥8 + 0.5 × ¥9.90; an empty field drops a line."""
    recipes.save_recipe(env.site, env.boss, env.pot, {env.leaves.id: "1", env.candy.id: "1"})
    assert db.session.get(Item, env.pot.id).unit_price == Decimal("17.90")
    recipes.save_recipe(env.site, env.boss, env.pot, {env.leaves.id: "2", env.candy.id: ""})
    assert [(line.raw_item_id, line.qty) for line in reads.recipe_of(env.pot.id)] == [(env.leaves.id, 2)]
    assert db.session.get(Item, env.pot.id).unit_price == Decimal("16.00")


def test_raw_price_change_reprices_the_prepared_item(env):
    """The manager changes the fruit's price to ¥10: the plate now costs 1.5 × ¥10."""
    fruit = env.fruit
    services.save_item(env.site, env.boss, fruit, location_id=fruit.location_id, kind="consumable", name=fruit.name,
                       name_en=fruit.name_en, unit=fruit.unit, whole=fruit.whole, pack_size=fruit.pack_size,
                       par_level=fruit.par_level, unit_price=Decimal("10.00"), discard_at_close=False,
                       expected_qty=None, serve_as=None)
    assert db.session.get(Item, env.plate.id).unit_price == Decimal("15.00")
    # Typing a price on the prepared item itself changes nothing: its recipe sets it.
    plate = env.plate
    services.save_item(env.site, env.boss, plate, location_id=plate.location_id, kind="consumable", name=plate.name,
                       name_en=None, unit=plate.unit, whole=True, pack_size=1, par_level=Decimal(0),
                       unit_price=Decimal("99.00"), discard_at_close=True, expected_qty=None, serve_as="table")
    assert db.session.get(Item, env.plate.id).unit_price == Decimal("15.00")


@pytest.mark.parametrize("make_quantities, field, message", [
    (lambda e: {e.leaves.id: "0"}, "qty-{leaves}", "above zero"),
    (lambda e: {e.leaves.id: "-1"}, "qty-{leaves}", "above zero"),
    (lambda e: {e.leaves.id: "x"}, "qty-{leaves}", "Enter a number"),
    (lambda e: {e.leaves.id: "0.5"}, "qty-{leaves}", "whole"),  # leaves are counted in whole 包
    (lambda e: {e.pot.id: "1"}, "form", "itself"),
    (lambda e: {e.plate.id: "1"}, "form", "this site's list"),  # a prepared item is no raw item
    (lambda e: {e.foreign.id: "1"}, "form", "this site's list"),
])
def test_bad_recipes_are_refused_and_nothing_saved(env, make_quantities, field, message):
    """Zero, negative, not a number, half a whole unit, itself, a prepared item, another site's item: refused."""
    env.foreign = make_item(make_site().id, name="外站茶叶", stock=3)
    before = [(line.raw_item_id, line.qty) for line in reads.recipe_of(env.pot.id)]
    with pytest.raises(services.CountErrors) as e:
        recipes.save_recipe(env.site, env.boss, env.pot, {**make_quantities(env), env.water.id: "1"})
    key = field.format(leaves=env.leaves.id)
    assert message in e.value.errors[key]
    assert [(line.raw_item_id, line.qty) for line in reads.recipe_of(env.pot.id)] == before
    assert db.session.get(Item, env.pot.id).unit_price == Decimal("8.00")


def test_a_raw_item_cannot_get_a_recipe_of_its_own(env):
    """Tea leaves go into pots, so they cannot be made from something (no circles)."""
    with pytest.raises(services.CountErrors) as e:
        recipes.save_recipe(env.site, env.boss, env.leaves, {env.candy.id: "1"})
    assert "raw item of another recipe" in e.value.errors["form"]
    assert reads.recipe_of(env.leaves.id) == []


def test_recipe_choices_leave_out_itself_prepared_items_and_fixtures(env):
    """The pot's recipe offers the bar's other consumables, not the pot, the plate or the model rooms' fixtures."""
    make_item(env.site.id, "model_room", name="花瓶", expected=1)
    offered = {i.name for i in reads.ingredient_choices(env.pot)}
    assert {"铁观音茶叶", "水果", "一次性纸杯"} <= offered
    assert not offered & {"泡好的茶水", "切好的果盘", "花瓶"}


def test_clearing_a_recipe_makes_the_item_plain_again(env):
    """All fields empty: no recipe lines, so the item is no longer prepared."""
    recipes.save_recipe(env.site, env.boss, env.plate, {env.fruit.id: ""})
    assert reads.recipe_of(env.plate.id) == [] and count_rows(RecipeLine, RecipeLine.item_id == env.plate.id) == 0


# The daily consumption report


def test_a_day_of_tea_and_fruit_in_the_report(env):
    """Opening count, 3 pots brewed and 2 served, 2 plates cut and 1 served, the rest discarded at closing, the
    closing count: raw use is the leaves' and fruit's consumption, the pot and plate show made/served/discarded and
    cost nothing of their own; every variance is 0."""
    site, wb, bar = env.site, env.wb, env.bar
    c = services.start_count(site, wb, bar, "opening")
    services.submit_count(site, wb, c, None, all_match=True)
    recipes.prepare(site, wb, env.pot, "3", None)
    recipes.prepare(site, wb, env.plate, "2", None)
    services.record_moves(site, wb, bar, "served", {env.pot.id: "2", env.plate.id: "1", env.water.id: "4"},
                          None, None)
    services.record_moves(site, wb, bar, "discarded", {env.pot.id: "1", env.plate.id: "1"}, None, None)
    c = services.start_count(site, wb, bar, "closing")
    services.submit_count(site, wb, c, None, all_match=True)
    today = site.today()
    items = [env.water, env.leaves, env.pot, env.plate, env.fruit]
    got = {dl.item.id: dl for dl in reports.consumption(site, items, today, today)}
    leaves, pot, fruit, plate = got[env.leaves.id], got[env.pot.id], got[env.fruit.id], got[env.plate.id]
    assert (leaves.opening, leaves.flow["prep_used"], leaves.flow["received"], leaves.closing) == (14, 3, 0, 11)
    assert leaves.cost == Decimal("24.00")  # 3 包 × ¥8
    assert (fruit.flow["prep_used"], fruit.closing, fruit.cost) == (3, 3, Decimal("36.00"))  # 3 斤 × ¥12
    assert (pot.flow["prepared"], pot.flow["served"], pot.flow["discarded"], pot.flow["received"]) == (3, 2, 1, 0)
    assert (plate.flow["prepared"], plate.flow["served"], plate.flow["discarded"]) == (2, 1, 1)
    assert pot.prepared and pot.cost == 0 and plate.cost == 0
    assert {dl.variance for dl in got.values()} == {0}
    # The day's cost: the raw items used plus the water served (4 × ¥2), nothing counted twice.
    assert reports.daily_totals(list(got.values())) == [(today, Decimal("68.00"))]
    rows, costs = reports.range_summary(site, items, today, today)
    assert costs == [(today, Decimal("68.00"))]
    assert {rl.item.id: rl.cost for rl in rows}[env.pot.id] == 0


def test_a_reversed_preparation_leaves_the_report(env):
    """A pot brewed by mistake and reversed: neither made nor used in the day's figures, and no cost."""
    prep = recipes.prepare(env.site, env.wb, env.pot, "1", None)
    services.reverse_move(env.site, env.boss, prep_rows(prep)[0], "录错了")
    today = env.site.today()
    got = {dl.item.id: dl for dl in reports.consumption(env.site, [env.leaves, env.pot], today, today)}
    assert got[env.leaves.id].flow["prep_used"] == 0 and got[env.pot.id].flow["prepared"] == 0
    assert got[env.leaves.id].cost == 0


def test_goods_received_after_the_closing_count_belong_to_the_next_day(env):
    """24 bottles received after the closing count: the day's variance stays 0 (the next opening count has them)."""
    site, wb, water = env.site, env.wb, env.water
    yesterday = site.today() - timedelta(days=1)
    make_past_count(env, "opening", yesterday, time(9), {water.id: 60})
    insert_move(water, wb.id, -5, "served", local_utc(site, yesterday, time(11)))
    make_past_count(env, "closing", yesterday, time(18, 30), {water.id: 55})
    insert_move(water, wb.id, 24, "received", local_utc(site, yesterday, time(19)))  # after the closing count
    [dl] = [d for d in reports.consumption(site, [water], yesterday, yesterday)]
    assert dl.flow["received"] == 24 and dl.flow["served"] == 5
    assert dl.expected_closing == 55 and dl.variance == 0
    assert dl.outside_change == 24
    # Before the fix the receipt counted into this day: expected 79, variance −24.
    # The next day's opening count (79) has the goods, and its variance does not see the receipt again.
    make_past_count(env, "opening", site.today(), time(8), {water.id: 79})
    insert_move(water, wb.id, -9, "served", local_utc(site, site.today(), time(8, 30)))
    make_past_count(env, "closing", site.today(), time(9), {water.id: 70})
    [today] = reports.consumption(site, [water], site.today(), site.today())
    assert today.flow["received"] == 0 and today.variance == 0


def test_purchase_requests_propose_raw_items_never_what_the_bar_prepares(env):
    """The purchase list is what the bar buys: tea leaves and fruit, not brewed pots or cut plates; a request
    for a pot is refused like any item the bar does not buy."""
    from hospitality.purchasing import reads as purchasing_reads
    from hospitality.purchasing import services as purchasing

    listed = {item.id for item, *_rest in purchasing_reads.propose(env.site, env.site.today() + timedelta(days=1))}
    assert {env.leaves.id, env.fruit.id, env.water.id} <= listed
    assert env.pot.id not in listed and env.plate.id not in listed
    with pytest.raises(purchasing.PurchaseError):
        purchasing.create_request(env.site, env.wb, {env.pot.id: "2"}, None, env.site.today(), None)


def test_recipe_choices_are_the_prepared_items_own_location(env):
    """A consumable kept in a model room is not offered for the bar's pot: the barista could not move it."""
    make_item(env.site.id, "model_room", name="样板间矿泉水", kind="consumable", stock=5)
    assert "样板间矿泉水" not in {i.name for i in reads.ingredient_choices(env.pot)}


def test_preparing_half_a_whole_raw_unit_is_refused_and_nothing_written(env):
    """A pot counted by the half would take half a 包 of leaves, which no count can match: refused."""
    with write_tx():
        db.session.get(Item, env.pot.id).whole = False
    before = count_rows(StockMove)
    with pytest.raises(StockError) as e:
        recipes.prepare(env.site, env.wb, db.session.get(Item, env.pot.id), "0.5", None)
    assert e.value.field == "qty" and "whole" in e.value.message
    assert count_rows(StockMove) == before


def test_a_recipe_dearer_than_the_price_column_is_refused(env):
    """Leaves at ¥1,000,000 a 包 and 100,000 包 a pot would overflow the price (PostgreSQL refuses it): refused on
    the form, nothing saved."""
    with write_tx():
        db.session.get(Item, env.leaves.id).unit_price = Decimal("1000000")
    with pytest.raises(StockError) as e:
        recipes.save_recipe(env.site, env.boss, env.pot, {env.leaves.id: "100000"})
    assert e.value.field == "form" and "¥" in e.value.message
    assert [(line.raw_item_id, line.qty) for line in reads.recipe_of(env.pot.id)] == [(env.leaves.id, 1)]
