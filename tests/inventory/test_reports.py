"""Daily consumption (日消耗) from the ledger and the counts, and the weekday usage behind proposals."""
from datetime import time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from hospitality.extensions import db
from hospitality.inventory import services
from hospitality.inventory.reads import consumption as reports
from hospitality.models import Site
from tests.factories import insert_move, local_utc, location, make_item, make_past_count, make_site, make_user


@pytest.fixture
def env(ctx):
    site = make_site()
    wb = make_user(site.id, "water_bar")
    water = make_item(site.id, name="矿泉水", stock=20, price="2.00")
    tea = make_item(site.id, name="茶叶", stock=10, price="8.00")
    fruit = make_item(site.id, name="水果", stock="3.5", whole=False, price="12.00")
    return SimpleNamespace(site=db.session.get(Site, site.id), wb=wb, water=water, tea=tea, fruit=fruit,
                           bar=location(site.id))


def _by_item(lines, day):
    return {dl.item.id: dl for dl in lines if dl.day == day}


def test_a_day_at_the_bar(env):
    """Opening count, received, served, discarded, damaged, closing count: the day's line and variance."""
    site, wb, bar = env.site, env.wb, env.bar
    c = services.start_count(site, wb, bar, "opening")
    services.submit_count(site, wb, c, None, all_match=True)
    services.record_moves(site, wb, bar, "received", {env.water.id: "24", env.fruit.id: "2"}, None, None)
    services.record_moves(site, wb, bar, "served", {env.water.id: "10", env.fruit.id: "1.5"}, None, None)
    services.record_moves(site, wb, bar, "served", {env.water.id: "3"}, None, None)
    services.record_moves(site, wb, bar, "discarded", {env.water.id: "2"}, None, None)
    services.record_moves(site, wb, bar, "damaged", {env.water.id: "1"}, None, None)
    c = services.start_count(site, wb, bar, "closing")
    services.submit_count(site, wb, c, {env.water.id: "27", env.tea.id: "10", env.fruit.id: "4"})
    today = site.today()
    lines = reports.consumption(site, [env.water, env.tea, env.fruit], today, today)
    assert [dl.item.id for dl in lines] == [env.water.id, env.tea.id, env.fruit.id]
    got = _by_item(lines, today)
    water = got[env.water.id]
    assert water.opening == 20 and water.closing == 27
    assert (water.flow["received"], water.flow["served"], water.flow["discarded"], water.flow["damaged"]) == (
        24, 13, 2, 1)
    assert water.expected_closing == 20 + 24 - 13 - 2 - 1 == 28
    assert water.variance == -1
    assert water.cost == Decimal("32.00")  # (13 + 2 + 1) × ¥2
    tea = got[env.tea.id]
    assert tea.opening == tea.closing == 10 and tea.variance == 0 and tea.cost == 0
    fruit = got[env.fruit.id]
    assert fruit.expected_closing == Decimal("4.0") and fruit.variance == 0
    assert fruit.cost == Decimal("18.00")
    assert reports.daily_totals(lines) == [(today, Decimal("50.00"))]


def test_a_day_without_an_opening_count_has_no_variance(env):
    """Without an opening count the expected closing and the variance are unknown, not zero."""
    services.record_moves(env.site, env.wb, env.bar, "served", {env.water.id: "2"}, None, None)
    today = env.site.today()
    [dl] = reports.consumption(env.site, [env.water], today, today)
    assert dl.opening is None and dl.expected_closing is None and dl.variance is None
    assert dl.flow["served"] == 2


def test_range_splits_by_site_local_day(env):
    """Moves and counts fall on the site's local day (Asia/Shanghai), and days outside the range are left out."""
    site = env.site
    d1 = site.today() - timedelta(days=3)
    d2 = d1 + timedelta(days=1)
    make_past_count(env, "opening", d1, time(8, 30), {env.water.id: 20})
    insert_move(env.water, env.wb.id, -5, "served", local_utc(site, d1, time(10)))
    insert_move(env.water, env.wb.id, -1, "served", local_utc(site, d1, time(23, 50)))  # 15:50 UTC, still d1
    make_past_count(env, "closing", d1, time(23, 55), {env.water.id: 14})
    insert_move(env.water, env.wb.id, -4, "served", local_utc(site, d2, time(0, 10)))  # 16:10 UTC of d1
    insert_move(env.water, env.wb.id, 12, "received", local_utc(site, d2, time(9)))
    # The 00:10 serve is d2's, though before its opening count: that count (10) has it already.
    make_past_count(env, "opening", d2, time(8), {env.water.id: 10})
    make_past_count(env, "opening", d2, time(9, 30), {env.water.id: 99})  # only the first opening count counts
    make_past_count(env, "closing", d2, time(18), {env.water.id: 50})
    make_past_count(env, "closing", d2, time(19), {env.water.id: 22})  # the last closing count counts
    insert_move(env.water, env.wb.id, -7, "served", local_utc(site, d2 + timedelta(days=1), time(10)))
    lines = reports.consumption(site, [env.water, env.tea], d1, d2)
    assert [(dl.day, dl.item.id) for dl in lines] == [(d1, env.water.id), (d2, env.water.id)]
    first, second = lines
    assert first.flow["served"] == 6 and first.opening == 20 and first.closing == 14 and first.variance == 0
    assert second.flow["served"] == 4 and second.flow["received"] == 12
    assert second.opening == 10 and second.closing == 22 and second.variance == 0
    assert second.outside_change == -4
    assert reports.daily_totals(lines) == [(d1, Decimal("12.00")), (d2, Decimal("8.00"))]


def test_consumption_of_no_items_is_empty(env):
    """No items, no lines (and no query)."""
    assert reports.consumption(env.site, [], env.site.today(), env.site.today()) == []


def test_served_by_weekday_averages_the_same_weekday_over_four_weeks(env):
    """The average of the last four same weekdays; other weekdays, older weeks and the day itself left out."""
    site = env.site
    for_date = site.today() + timedelta(days=1)
    for weeks_back, qty in ((1, 10), (2, 20), (3, 30), (4, 41)):
        insert_move(env.water, env.wb.id, 100, "received", local_utc(site, for_date - timedelta(weeks=weeks_back)))
        insert_move(env.water, env.wb.id, -qty, "served",
                    local_utc(site, for_date - timedelta(weeks=weeks_back), time(23, 30)))
    insert_move(env.water, env.wb.id, -500, "served", local_utc(site, for_date - timedelta(days=6), time(0, 30)))
    insert_move(env.water, env.wb.id, -500, "served", local_utc(site, for_date - timedelta(days=1)))
    insert_move(env.water, env.wb.id, -500, "served", local_utc(site, for_date - timedelta(weeks=5)))
    insert_move(env.tea, env.wb.id, -4, "served", local_utc(site, for_date - timedelta(weeks=2), time(15)))
    insert_move(env.tea, env.wb.id, 8, "received", local_utc(site, for_date - timedelta(weeks=1)))  # not served
    got = reports.served_by_weekday(site, [env.water.id, env.tea.id, env.fruit.id], for_date)
    assert got == {env.water.id: Decimal("25.250"), env.tea.id: Decimal("1.000")}
    assert reports.served_by_weekday(site, [], for_date) == {}


def test_range_summary_totals_per_item_and_cost_per_day(env):
    """Over a range: flows summed per item, cost per local day, moves outside the range left out."""
    site, today = env.site, env.site.today()
    d1, d2 = today - timedelta(days=2), today - timedelta(days=1)
    insert_move(env.water, env.wb.id, -4, "served", local_utc(site, d1, time(9)))
    insert_move(env.water, env.wb.id, -1, "discarded", local_utc(site, d1, time(23, 30)))  # still d1 locally
    insert_move(env.tea, env.wb.id, -2, "served", local_utc(site, d2, time(0, 30)))
    insert_move(env.water, env.wb.id, 24, "received", local_utc(site, d2, time(10)))
    insert_move(env.water, env.wb.id, -7, "served", local_utc(site, d2 - timedelta(days=5), time(10)))  # outside
    items, costs = reports.range_summary(site, [env.water, env.tea, env.fruit], d1, d2)
    by_id = {rl.item.id: rl for rl in items}
    assert set(by_id) == {env.water.id, env.tea.id}  # fruit did not move
    assert by_id[env.water.id].flow["served"] == 4 and by_id[env.water.id].flow["discarded"] == 1
    assert by_id[env.water.id].flow["received"] == 24 and by_id[env.water.id].cost == Decimal("10.00")
    assert costs == [(d1, Decimal("10.00")), (d2, Decimal("16.00"))]


def test_range_cost_per_day_leaves_out_days_without_use_and_counts_reversals(env):
    """A day that only received goods has no cost; a reversed serving gives its cost back; an item without a
    price costs nothing; the per item totals still count the receipt."""
    site, today = env.site, env.site.today()
    d0, d1 = today - timedelta(days=3), today - timedelta(days=2)
    free = make_item(site.id, name="赠品", stock=5)  # no price
    insert_move(env.water, env.wb.id, 12, "received", local_utc(site, d0, time(10)))
    insert_move(env.tea, env.wb.id, -3, "served", local_utc(site, d1, time(10)))
    insert_move(free, env.wb.id, -2, "served", local_utc(site, d1, time(11)))
    served = services.record_moves(site, env.wb, env.bar, "served", {env.tea.id: "1"}, None, None)
    services.reverse_move(site, env.wb, served[0], "录错了")
    items, costs = reports.range_summary(site, [env.water, env.tea, free], d0, today)
    assert costs == [(d1, Decimal("24.00")), (today, Decimal("0.00"))]  # 3 × ¥8; today's serving undone
    by_id = {rl.item.id: rl for rl in items}
    assert by_id[env.water.id].flow["received"] == 12 and by_id[free.id].flow["served"] == 2
    assert by_id[env.tea.id].flow["served"] == 3 and by_id[free.id].cost == 0


def test_manager_range_page_shows_item_totals(app, client):
    """The manager's range view lists each item once with its totals, and links the exports."""
    from tests.harness import login as login_as
    with app.app_context():
        site = make_site()
        boss = make_user(site.id, "manager")
        water = make_item(site.id, name="矿泉水", stock=20, price="2.00")
        insert_move(water, boss.id, -3, "served", local_utc(db.session.get(Site, site.id),
                                                              db.session.get(Site, site.id).today()))
        today = db.session.get(Site, site.id).today()
        username = boss.username
    c = login_as(app, username)
    r = c.get(f"/stock/consumption?from={(today - timedelta(days=6)).isoformat()}&to={today.isoformat()}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert body.count("矿泉水") == 1 and "format=xlsx" in body and 'class="day-row"' not in body


def test_a_reversed_move_is_netted_out_of_the_report(env):
    """A mistaken 'served 5' that the manager reverses no longer counts as served, on the day or a range."""
    site, wb, bar = env.site, env.wb, env.bar
    boss = make_user(site.id, "manager")
    services.record_moves(site, wb, bar, "served", {env.water.id: "2"}, None, None)
    [mistake] = services.record_moves(site, wb, bar, "served", {env.water.id: "5"}, None, None)
    services.reverse_move(site, boss, mistake, "录错了")
    today = site.today()
    [water] = [dl for dl in reports.consumption(site, [env.water], today, today)]
    assert water.flow["served"] == 2 and water.cost == Decimal("4.00")
    items, costs = reports.range_summary(site, [env.water], today - timedelta(days=1), today)
    assert items[0].flow["served"] == 2 and costs == [(today, Decimal("4.00"))]


def _days(site_id):
    from hospitality.models.inventory import StockDay
    return {(r.day, r.item_id, r.reason): (r.qty, r.reversed)
            for r in db.session.scalars(db.select(StockDay).where(StockDay.site_id == site_id))}


def test_daily_totals_are_written_with_the_ledger_and_match_a_rebuild(env):
    """Each ledger row adds to its item's site-local day and reason in the same transaction; a reversal counts
    under the reason it undoes; a rebuild from the ledger gives the same totals; a failed move adds nothing."""
    from hospitality.inventory import rollup
    from hospitality.inventory.ledger import StockError
    from hospitality.models import StockMove
    site, wb, bar, today = env.site, env.wb, env.bar, env.site.today()
    services.record_moves(site, wb, bar, "served", {env.water.id: "3", env.tea.id: "1"}, None, None)
    services.record_moves(site, wb, bar, "served", {env.water.id: "2"}, None, None)
    insert_move(env.water, wb.id, -1, "served", local_utc(site, today - timedelta(days=1), time(23, 50)))
    served = db.session.scalars(db.select(StockMove).where(StockMove.item_id == env.tea.id,
                                                           StockMove.reason == "served")).one()
    services.reverse_move(site, make_user(site.id, "manager"), served, "记错")
    with pytest.raises(StockError):
        services.record_moves(site, wb, bar, "served", {env.water.id: "999"}, None, None)
    got = _days(site.id)
    assert got[(today, env.water.id, "served")] == (Decimal("-5"), Decimal("0"))
    assert got[(today - timedelta(days=1), env.water.id, "served")] == (Decimal("-1"), Decimal("0"))
    assert got[(today, env.tea.id, "served")] == (Decimal("-1"), Decimal("1"))
    assert (today, env.tea.id, "reversal") not in got
    rollup.rebuild(db.session.connection(), [site.id])
    assert _days(site.id) == got
    items, costs = reports.range_summary(site, [env.water, env.tea, env.fruit], today - timedelta(days=1), today)
    by_id = {rl.item.id: rl for rl in items}
    assert by_id[env.water.id].flow["served"] == 6 and by_id[env.tea.id].flow["served"] == 0
    assert costs == [(today - timedelta(days=1), Decimal("2.00")), (today, Decimal("10.00"))]
