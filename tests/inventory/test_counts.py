"""Counts of a location against the book, and discrepancies: security confirms, the manager closes."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.inventory import services
from hospitality.inventory.ledger import StockError
from hospitality.inventory.reads import stock as reads
from hospitality.models import AuditLog, CountLine, Discrepancy, Site, StockCount, StockMove
from tests.factories import assert_chain, location, make_item, make_site, make_user, on_hand, post
from tests.harness import count_rows


@pytest.fixture
def env(ctx):
    site = make_site()
    wb = make_user(site.id, "water_bar")
    wb2 = make_user(site.id, "water_bar")
    guard = make_user(site.id, "security")
    boss = make_user(site.id, "manager")
    water = make_item(site.id, name="矿泉水", stock=20)
    tea = make_item(site.id, name="茶叶", stock=10)
    fruit = make_item(site.id, name="水果", stock="4.5", whole=False)
    with force_locale("en"):
        yield SimpleNamespace(site=db.session.get(Site, site.id), wb=wb, wb2=wb2, guard=guard, boss=boss,
                              water=water, tea=tea, fruit=fruit, bar=location(site.id))


def _lines(count_id):
    return {line.item_id: line for line in db.session.scalars(select(CountLine).where(CountLine.count_id == count_id))}


def _discrepancy(env, counted):
    count = services.start_count(env.site, env.wb, env.bar, "closing")
    count = services.submit_count(env.site, env.wb, count, counted)
    return db.session.scalar(select(Discrepancy).where(Discrepancy.count_id == count.id))


def test_all_match_records_every_line(env):
    """'All match' is still recorded: a line per item with counted == expected, status matched."""
    count = services.start_count(env.site, env.wb, env.bar, "opening")
    assert count.status == "open"
    done = services.submit_count(env.site, env.wb, count, None, all_match=True)
    assert done.status == "matched" and done.all_matched_tap and done.submitted_at is not None
    lines = _lines(count.id)
    assert {i: (ln.expected, ln.counted) for i, ln in lines.items()} == {
        env.water.id: (20, 20), env.tea.id: (10, 10), env.fruit.id: (Decimal("4.5"), Decimal("4.5"))}
    assert count_rows(Discrepancy) == 0
    assert count_rows(StockMove, StockMove.ref_type == "discrepancy") == 0


def test_typed_counts_that_agree_are_matched(env):
    """Typing the book numbers gives a matched count with no discrepancy."""
    count = services.start_count(env.site, env.wb, env.bar, "spot")
    done = services.submit_count(env.site, env.wb, count, {env.water.id: "20", env.tea.id: "10",
                                                           env.fruit.id: "4.5"})
    assert done.status == "matched" and not done.all_matched_tap
    assert count_rows(Discrepancy) == 0 and len(_lines(count.id)) == 3


def test_a_differing_count_opens_a_discrepancy(env):
    """A count that disagrees opens a discrepancy listing what is off, item by item."""
    disc = _discrepancy(env, {env.water.id: "18", env.tea.id: "10", env.fruit.id: "5"})
    assert disc is not None and disc.status == "open" and disc.location_id == env.bar.id
    assert disc.count.status == "discrepancy"
    diffs = {ln.item_id: ln.difference for ln in disc.count.lines if ln.difference != 0}
    assert diffs == {env.water.id: Decimal(-2), env.fruit.id: Decimal("0.5")}
    assert disc.id in [d.id for d in reads.open_discrepancies(env.site.id)]
    # counting writes no ledger rows: the book changes only when the manager closes
    assert on_hand(env.water.id) == 20


def test_a_count_in_progress_blocks_another_user(env):
    """Starting a count while someone else counts names them; nothing new is written."""
    mine = services.start_count(env.site, env.wb, env.bar, "opening")
    with pytest.raises(StockError) as e:
        services.start_count(env.site, env.wb2, env.bar, "spot")
    assert env.wb.name in e.value.message
    assert count_rows(StockCount) == 1
    # the same person resumes theirs
    assert services.start_count(env.site, env.wb, env.bar, "spot").id == mine.id


def test_bad_kind_is_refused(env):
    """An unknown kind of count is refused with the kind field."""
    with pytest.raises(StockError) as e:
        services.start_count(env.site, env.wb, env.bar, "weekly")
    assert e.value.field == "kind" and count_rows(StockCount) == 0


def test_cancel_frees_the_location(env):
    """A cancelled count is closed and someone else can start counting."""
    count = services.start_count(env.site, env.wb, env.bar, "opening")
    with pytest.raises(StockError):
        services.cancel_count(env.site, env.wb2, count)
    services.cancel_count(env.site, env.wb, count)
    assert db.session.get(StockCount, count.id).status == "cancelled"
    other = services.start_count(env.site, env.wb2, env.bar, "spot")
    assert other.id != count.id
    services.cancel_count(env.site, env.boss, other)  # the manager may cancel anyone's
    with pytest.raises(StockError):
        services.cancel_count(env.site, env.wb2, db.session.get(StockCount, other.id))
    with pytest.raises(StockError):
        services.submit_count(env.site, env.wb, db.session.get(StockCount, count.id), None, all_match=True)


def test_submitting_twice_is_a_no_op(env):
    """A double tap on submit returns the same count and writes no second set of lines."""
    count = services.start_count(env.site, env.wb, env.bar, "closing")
    first = services.submit_count(env.site, env.wb, count, {env.water.id: "19", env.tea.id: "10",
                                                            env.fruit.id: "4.5"})
    again = services.submit_count(env.site, env.wb, count, {env.water.id: "1", env.tea.id: "1",
                                                            env.fruit.id: "1"})
    assert again.id == first.id and again.status == "discrepancy"
    assert count_rows(CountLine) == 3 and count_rows(Discrepancy) == 1
    assert _lines(count.id)[env.water.id].counted == 19


def test_only_the_counter_submits(env):
    """Another user cannot submit someone else's count."""
    count = services.start_count(env.site, env.wb, env.bar, "closing")
    with pytest.raises(StockError):
        services.submit_count(env.site, env.wb2, count, None, all_match=True)
    assert count_rows(CountLine) == 0


def test_missing_and_bad_values_give_per_field_errors(env):
    """Missing, negative and fractional counts give a message per field and write nothing."""
    count = services.start_count(env.site, env.wb, env.bar, "closing")
    with pytest.raises(services.CountErrors) as e:
        services.submit_count(env.site, env.wb, count, {env.water.id: "-1", env.tea.id: "1.5", env.fruit.id: ""})
    assert set(e.value.errors) == {f"qty-{env.water.id}", f"qty-{env.tea.id}", f"qty-{env.fruit.id}"}
    assert "negative" in e.value.errors[f"qty-{env.water.id}"]
    assert "whole" in e.value.errors[f"qty-{env.tea.id}"]
    assert "Count" in e.value.errors[f"qty-{env.fruit.id}"]
    assert count_rows(CountLine) == 0 and count_rows(Discrepancy) == 0
    assert db.session.get(StockCount, count.id).status == "open"
    with pytest.raises(services.CountErrors) as e:
        services.submit_count(env.site, env.wb, count, None)
    assert len(e.value.errors) == 3


def test_only_security_confirms(env):
    """The attendant or the manager cannot confirm; the guard can, once."""
    disc = _discrepancy(env, {env.water.id: "18", env.tea.id: "10", env.fruit.id: "4.5"})
    for user in (env.wb, env.boss):
        with pytest.raises(StockError):
            services.confirm_discrepancy(env.site, user, disc, None)
    assert db.session.get(Discrepancy, disc.id).status == "open"
    done = services.confirm_discrepancy(env.site, env.guard, disc, " 一起数过 ")
    assert done.status == "confirmed" and done.confirmed_by_id == env.guard.id and done.confirm_note == "一起数过"
    with pytest.raises(StockError, match="already been confirmed"):
        services.confirm_discrepancy(env.site, env.guard, disc, None)
    assert count_rows(AuditLog, AuditLog.entity == "discrepancy", AuditLog.action == "confirm") == 1


def test_only_the_manager_closes_and_only_after_confirmation(env):
    """Closing before security confirmed, by a non-manager, or without reason/note is refused."""
    disc = _discrepancy(env, {env.water.id: "18", env.tea.id: "10", env.fruit.id: "4.5"})
    with pytest.raises(StockError, match="not confirmed"):
        services.close_discrepancy(env.site, env.boss, disc, "lost", "丢了")
    services.confirm_discrepancy(env.site, env.guard, disc, None)
    for user in (env.wb, env.guard):
        with pytest.raises(StockError):
            services.close_discrepancy(env.site, user, disc, "lost", "丢了")
    with pytest.raises(StockError) as e:
        services.close_discrepancy(env.site, env.boss, disc, "stolen", "x")
    assert e.value.field == "reason"
    with pytest.raises(StockError) as e:
        services.close_discrepancy(env.site, env.boss, disc, "lost", "  ")
    assert e.value.field == "note"
    assert db.session.get(Discrepancy, disc.id).status == "confirmed"
    assert count_rows(StockMove, StockMove.ref_type == "discrepancy") == 0


def test_closing_corrects_the_book_to_the_count(env):
    """Closing posts correcting rows so on hand equals the count plus the moves made since."""
    disc = _discrepancy(env, {env.water.id: "17", env.tea.id: "11", env.fruit.id: "4.5"})
    services.confirm_discrepancy(env.site, env.guard, disc, None)
    post(env.water, env.wb.id, -2, "served")  # served between the count and the close
    closed = services.close_discrepancy(env.site, env.boss, disc, "lost", " 客人带走 ")
    assert closed.status == "closed" and closed.closed_by_id == env.boss.id and closed.close_reason == "lost"
    assert closed.close_note == "客人带走" and closed.closed_at is not None
    assert on_hand(env.water.id) == 17 - 2 and on_hand(env.tea.id) == 11 and on_hand(env.fruit.id) == Decimal("4.5")
    fixes = db.session.scalars(select(StockMove).where(StockMove.ref_type == "discrepancy",
                                                       StockMove.ref_id == disc.id)).all()
    assert {(m.item_id, m.qty, m.reason) for m in fixes} == {(env.water.id, Decimal(-3), "lost"),
                                                             (env.tea.id, Decimal(1), "adjusted")}
    assert all(m.user_id == env.boss.id for m in fixes)
    for item in (env.water, env.tea):
        assert_chain(item.id)
    assert count_rows(AuditLog, AuditLog.entity == "discrepancy", AuditLog.action == "close") == 1
    assert disc.id not in [d.id for d in reads.open_discrepancies(env.site.id)]
    with pytest.raises(StockError, match="already closed"):
        services.close_discrepancy(env.site, env.boss, disc, "lost", "再关")
    assert count_rows(StockMove, StockMove.ref_type == "discrepancy") == 2


def test_found_reason_posts_found_rows(env):
    """Closing as 'found' books a surplus as found and a shortfall as adjusted."""
    disc = _discrepancy(env, {env.water.id: "22", env.tea.id: "9", env.fruit.id: "4.5"})
    services.confirm_discrepancy(env.site, env.guard, disc, None)
    services.close_discrepancy(env.site, env.boss, disc, "found", "找到了")
    fixes = db.session.scalars(select(StockMove).where(StockMove.ref_type == "discrepancy")).all()
    assert {(m.item_id, m.qty, m.reason) for m in fixes} == {(env.water.id, Decimal(2), "found"),
                                                             (env.tea.id, Decimal(-1), "adjusted")}
    assert on_hand(env.water.id) == 22 and on_hand(env.tea.id) == 9


def test_closing_a_shortfall_after_stock_ran_out_still_posts(env):
    """A correction may take the book below zero when the stock was served meanwhile (allow_negative)."""
    disc = _discrepancy(env, {env.water.id: "15", env.tea.id: "10", env.fruit.id: "4.5"})
    services.confirm_discrepancy(env.site, env.guard, disc, None)
    post(env.water, env.wb.id, -20, "served")
    services.close_discrepancy(env.site, env.boss, disc, "adjusted", "记账错误")
    assert on_hand(env.water.id) == -5
    assert_chain(env.water.id)


def test_model_room_fixture_count(env):
    """A model room's fixtures are counted the same way (一客一盘点)."""
    mr = make_user(env.site.id, "model_room")
    vase = make_item(env.site.id, "model_room", name="花瓶", expected=2)
    assert on_hand(vase.id) == 2  # a fixture's expected quantity is its opening stock
    room = location(env.site.id, "model_room")
    count = services.start_count(env.site, mr, room, "visit")
    count = services.submit_count(env.site, mr, count, {vase.id: "1"})
    assert count.status == "discrepancy"
    assert _lines(count.id)[vase.id].difference == -1
