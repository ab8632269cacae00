"""The append-only stock ledger and quantity parsing."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import ledger, services
from hospitality.inventory.ledger import StockError
from hospitality.models import AuditLog, Site, StockMove
from tests.factories import assert_chain, ledger_sum, make_item, make_site, make_user, on_hand, post, rows
from tests.harness import count_rows


@pytest.fixture
def env(ctx):
    site = make_site()
    wb = make_user(site.id, "water_bar")
    boss = make_user(site.id, "manager")
    water = make_item(site.id, name="矿泉水", stock=20, unit="瓶")
    fruit = make_item(site.id, name="水果", stock="5.5", whole=False, unit="斤")
    with force_locale("en"):  # messages asserted in English
        yield SimpleNamespace(site=db.session.get(Site, site.id), wb=wb, boss=boss, water=water, fruit=fruit)


def test_on_hand_is_the_sum_of_mixed_moves(env):
    """After received, served, discarded, damaged and found rows, on hand equals SUM(qty)."""
    for qty, reason in ((24, "received"), (-7, "served"), (-2, "discarded"), (-1, "damaged"), (3, "found"),
                        (-4, "adjusted"), (2, "adjusted")):
        post(env.water, env.wb.id, qty, reason)
    assert on_hand(env.water.id) == Decimal(35) == ledger_sum(env.water.id)
    assert_chain(env.water.id)
    assert on_hand(env.fruit.id) == Decimal("5.5")


def test_on_hand_of_item_without_rows_is_zero(env):
    """An item that never moved has zero on hand, and on_hand([]) is empty."""
    empty = make_item(env.site.id, name="空")
    assert ledger.on_hand([empty.id]) == {empty.id: Decimal(0)}
    assert ledger.on_hand([]) == {}


def test_serving_beyond_stock_is_refused_and_nothing_written(env):
    """Serving more than is on hand names the stock left and writes no row."""
    before = count_rows(StockMove)
    with pytest.raises(StockError) as e:
        post(env.water, env.wb.id, -21, "served")
    assert e.value.field == "qty" and "20" in e.value.message and "矿泉水" in e.value.message
    assert count_rows(StockMove) == before and on_hand(env.water.id) == 20


def test_multi_item_post_is_all_or_nothing(env):
    """One bad entry in a multi-item post rolls back the good ones too."""
    before = count_rows(StockMove)
    with pytest.raises(StockError):
        with write_tx():
            ledger.post(env.site.id, env.wb.id, [(env.water, -1, "served"), (env.fruit, -9, "served")])
    assert count_rows(StockMove) == before and on_hand(env.water.id) == 20


@pytest.mark.parametrize("qty,reason", [(5, "served"), (-5, "received"), (3, "discarded"), (-1, "found"),
                                        (2, "moved_out"), (-2, "opening"), (-1, "prepared"), (1, "prep_used")])
def test_wrong_sign_is_refused(env, qty, reason):
    """A positive 'out' move or a negative 'in' move is refused and nothing is written."""
    before = count_rows(StockMove)
    with pytest.raises(StockError) as e:
        post(env.water, env.wb.id, qty, reason)
    assert e.value.field == "qty"
    assert count_rows(StockMove) == before


def test_other_sites_item_is_refused(env):
    """Posting another site's item under this site is refused."""
    other = make_site()
    foreign = make_item(other.id, stock=4)
    with pytest.raises(StockError):
        with write_tx():
            ledger.post(env.site.id, env.wb.id, [(foreign, -1, "served")])
    assert on_hand(foreign.id) == 4


def test_zero_entries_write_nothing(env):
    """Zero quantities are skipped; an all-zero post returns no rows."""
    assert post(env.water, env.wb.id, 0, "served") == []
    assert len(rows(env.water.id)) == 1


def test_repeated_idem_key_writes_once_and_returns_first_rows(env):
    """A double tap with the same idempotency key writes once and returns the first rows."""
    first = post(env.water, env.wb.id, -2, "served", idem_key="tap-1")
    first_ids = [r.id for r in first]
    again = post(env.water, env.wb.id, -2, "served", idem_key="tap-1")
    assert [r.id for r in again] == first_ids
    assert count_rows(StockMove, StockMove.idem_key == "tap-1") == 1
    assert on_hand(env.water.id) == 18
    post(env.water, env.wb.id, -2, "served", idem_key="tap-2")
    assert on_hand(env.water.id) == 16


def test_reverse_appends_a_row_and_leaves_the_original(env):
    """reverse() adds an opposite row linked to the original, which keeps its values."""
    [served] = post(env.water, env.wb.id, -5, "served", note="多记了")
    original = (served.id, served.qty, served.balance_after, served.reason, served.note)
    row = services.reverse_move(env.site, env.boss, served, "记错了")
    assert row.qty == 5 and row.reason == "reversal" and row.reverses_id == served.id
    assert row.ref_type == "reversal" and row.ref_id == served.id
    db.session.expire_all()
    again = db.session.get(StockMove, served.id)
    assert (again.id, again.qty, again.balance_after, again.reason, again.note) == original
    assert on_hand(env.water.id) == 20
    assert_chain(env.water.id)
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity == "stock_move", AuditLog.action == "reverse"))


def test_second_reversal_and_reversing_a_reversal_are_refused(env):
    """A move can be reversed once; a reversal itself cannot be reversed."""
    [served] = post(env.water, env.wb.id, -5, "served")
    rev = services.reverse_move(env.site, env.boss, served, "记错了")
    n = count_rows(StockMove)
    with pytest.raises(StockError, match="already been reversed"):
        services.reverse_move(env.site, env.boss, served, "再来一次")
    with pytest.raises(StockError, match="cannot itself be reversed"):
        services.reverse_move(env.site, env.boss, rev, "撤销撤销")
    assert count_rows(StockMove) == n and on_hand(env.water.id) == 20


def test_reverse_needs_a_note(env):
    """Reversing without saying why is refused with the note field."""
    [served] = post(env.water, env.wb.id, -1, "served")
    with pytest.raises(StockError) as e:
        services.reverse_move(env.site, env.boss, served, "  ")
    assert e.value.field == "note"
    assert count_rows(StockMove, StockMove.reason == "reversal") == 0


def test_rows_are_never_updated(env):
    """After many moves and a reversal every earlier row is unchanged and the balance chain holds."""
    snapshot = {}
    for n in range(6):
        for r in post(env.water, env.wb.id, -1 if n % 2 else 4, "served" if n % 2 else "received"):
            snapshot[r.id] = (r.qty, r.balance_after, r.reason)
    services.reverse_move(env.site, env.boss, db.session.get(StockMove, min(snapshot)), "错")
    db.session.expire_all()
    for move_id, values in snapshot.items():
        m = db.session.get(StockMove, move_id)
        assert (m.qty, m.balance_after, m.reason) == values
    assert_chain(env.water.id)


def test_record_moves_posts_several_items_with_audit(env):
    """record_moves serves several items at once, negative rows, one audit row."""
    loc = env.water.location
    got = services.record_moves(env.site, env.wb, loc, "served", {env.water.id: "3", env.fruit.id: "0.5"},
                                "  3号桌 ", "k" * 16)
    assert sorted(r.qty for r in got) == [Decimal(-3), Decimal("-0.5")]
    assert {r.note for r in got} == {"3号桌"}
    assert on_hand(env.water.id) == 17 and on_hand(env.fruit.id) == 5
    assert count_rows(AuditLog, AuditLog.entity == "stock", AuditLog.action == "served") == 1


def test_record_moves_refusals(env):
    """Unknown reason, lost/found by staff, unknown items and empty forms are refused, nothing written."""
    loc = env.water.location
    n = count_rows(StockMove)
    with pytest.raises(StockError) as e:
        services.record_moves(env.site, env.wb, loc, "stolen", {env.water.id: "1"}, None, None)
    assert e.value.field == "reason"
    with pytest.raises(StockError) as e:
        services.record_moves(env.site, env.wb, loc, "lost", {env.water.id: "1"}, None, None)
    assert e.value.field == "reason"
    with pytest.raises(StockError):
        services.record_moves(env.site, env.wb, loc, "served", {999999: "1"}, None, None)
    with pytest.raises(StockError) as e:
        services.record_moves(env.site, env.wb, loc, "served", {env.water.id: "", env.fruit.id: "0"}, None, None)
    assert e.value.field == "qty"
    with pytest.raises(StockError) as e:
        services.record_moves(env.site, env.wb, loc, "served", {env.water.id: "1", env.fruit.id: "-1"}, None, None)
    assert e.value.field == f"qty-{env.fruit.id}"
    assert count_rows(StockMove) == n


@pytest.mark.parametrize("raw,message", [
    ("-1", "negative"), ("NaN", "number"), ("nan", "number"), ("Infinity", "number"), ("abc", "number"),
    ("", "number"), ("1e9", "more than"), ("100001", "more than"), ("1.5", "whole"), ("2.0001", "whole"),
])
def test_parse_qty_refuses_bad_input_on_whole_items(env, raw, message):
    """Negative, NaN, text, absurd and fractional quantities on a whole item are refused with the field."""
    with pytest.raises(StockError) as e:
        services.parse_qty(env.water, raw, "qty-7")
    assert e.value.field == "qty-7"
    assert message in e.value.message


@pytest.mark.parametrize("raw,expected", [("0.5", "0.5"), (" 2.125 ", "2.125"), ("3", "3"), ("1e2", "100")])
def test_parse_qty_accepts_fractions_on_non_whole_items(env, raw, expected):
    """A non-whole item (fruit by the jin) takes up to three decimals."""
    assert services.parse_qty(env.fruit, raw) == Decimal(expected)


def test_parse_qty_refuses_more_than_three_decimals(env):
    """Four decimals on a non-whole item are refused."""
    with pytest.raises(StockError) as e:
        services.parse_qty(env.fruit, "0.1234", "qty-1")
    assert e.value.field == "qty-1" and "three decimal" in e.value.message


def test_parse_qty_zero(env):
    """Zero is accepted unless allow_zero is off."""
    assert services.parse_qty(env.water, "0") == 0
    with pytest.raises(StockError, match="above zero"):
        services.parse_qty(env.water, "0", allow_zero=False)
