"""Stock pages on the phone: moves, counts, discrepancies, consumption and its exports, and access."""
import csv
import io
import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import AuditLog, CountLine, Discrepancy, Item, Site, StockCount, StockMove, User
from tests.factories import assert_chain, insert_move, local_utc, make_user, on_hand, route_env, user_id
from tests.harness import count_rows, login


@pytest.fixture
def env(app):
    return route_env(app)


def _q(app, fn):
    with app.app_context():
        return fn()


def test_water_bar_records_served_items(app, env):
    """POST moves serves two items: 302 back to the location, ledger rows by the attendant."""
    c = login(app, env.wb)
    r = c.post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.water}": "3",
                                                    f"qty-{env.tea}": "1", "note": "3号桌", "idem": "a1b2c3d4e5"})
    assert r.status_code == 302 and r.location.endswith(f"/stock/loc/{env.bar}")
    with app.app_context():
        rows = db.session.scalars(select(StockMove).where(StockMove.idem_key == "a1b2c3d4e5")).all()
        assert sorted((m.item_id, m.qty) for m in rows) == [(env.water, Decimal(-3)), (env.tea, Decimal(-1))]
        assert {m.user_id for m in rows} == {user_id(env.wb)} and {m.note for m in rows} == {"3号桌"}
        assert on_hand(env.water) == 27
    # a double tap (same form, same idem key) posts once
    again = c.post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.water}": "3",
                                                        f"qty-{env.tea}": "1", "idem": "a1b2c3d4e5"})
    assert again.status_code == 302
    assert _q(app, lambda: on_hand(env.water)) == 27


def test_location_page_lists_items_and_stock(app, env):
    """The bar's page shows each item with its stock and a fresh idempotency key."""
    r = login(app, env.wb).get(f"/stock/loc/{env.bar}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "矿泉水" in body and "30 瓶" in body and "14 包" in body
    assert re.search(r'name="idem" value="[0-9a-f]{32}"', body)


@pytest.mark.parametrize("raw,message", [("-1", "数量不能为负数。"), ("1.5", "矿泉水 只能按整瓶计数。"),
                                         ("abc", "请输入数字。")])
def test_bad_quantity_shows_the_error_next_to_the_field(app, env, raw, message):
    """A bad quantity: 422, the Chinese message under that item's input, nothing written."""
    before = _q(app, lambda: count_rows(StockMove))
    r = login(app, env.wb).post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.water}": raw})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(rf'name="qty-{env.water}"[^>]*value="{re.escape(raw)}"[^>]*aria-invalid="true">\s*'
                     rf'<small class="error">{re.escape(message)}</small>', body), body
    assert _q(app, lambda: count_rows(StockMove)) == before


def test_serving_more_than_stock_is_422_in_chinese(app, env):
    """Serving beyond stock answers 422 with how much is left."""
    r = login(app, env.wb).post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.water}": "31"})
    assert r.status_code == 422
    assert "矿泉水 库存只有 30 瓶。" in r.get_data(as_text=True)
    assert _q(app, lambda: on_hand(env.water)) == 30


def test_model_room_attendant_cannot_use_the_bar(app, env):
    """The bar's page and moves are 403 for a model-room attendant; their own room is fine."""
    c = login(app, env.mr)
    assert c.get(f"/stock/loc/{env.bar}").status_code == 403
    assert c.post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.water}": "1"}).status_code == 403
    assert c.get(f"/stock/loc/{env.room}").status_code == 200


def _start(c, env, kind="opening"):
    r = c.post(f"/stock/loc/{env.bar}/count", data={"kind": kind})
    assert r.status_code == 302
    m = re.search(r"/stock/counts/(\d+)$", r.location)
    assert m, r.location
    return int(m.group(1))


def test_count_all_match(app, env):
    """Start a count, tap 'all match': 302 to the location, a matched count with a line per item."""
    c = login(app, env.wb)
    count_id = _start(c, env)
    page = c.get(f"/stock/counts/{count_id}")
    assert page.status_code == 200 and "矿泉水" in page.get_data(as_text=True)
    r = c.post(f"/stock/counts/{count_id}", data={"all_match": "1"})
    assert r.status_code == 302 and r.location.endswith(f"/stock/loc/{env.bar}")
    with app.app_context():
        count = db.session.get(StockCount, count_id)
        assert count.status == "matched" and count.all_matched_tap
        assert count_rows(CountLine, CountLine.count_id == count_id) == 2  # the bar's two items
        assert count_rows(Discrepancy, Discrepancy.site_id == env.site) == 0


def test_second_person_starting_a_count_is_told_who_counts(app, env):
    """A second attendant starting a count is redirected to the location with the counter's name."""
    with app.app_context():
        make_user(env.site, "water_bar", username="wb_second")
    _start(login(app, env.wb), env)
    c2 = login(app, "wb_second")
    r = c2.post(f"/stock/loc/{env.bar}/count", data={"kind": "spot"})
    assert r.status_code == 302 and r.location.endswith(f"/stock/loc/{env.bar}")
    name = _q(app, lambda: db.session.get(User, user_id(env.wb)).name)
    assert name in c2.get(f"/stock/loc/{env.bar}").get_data(as_text=True)
    assert _q(app, lambda: count_rows(StockCount, StockCount.site_id == env.site)) == 1


def test_count_with_missing_values_is_422_per_field(app, env):
    """Submitting typed counts with one missing: 422 with an error under that field, nothing saved."""
    c = login(app, env.wb)
    count_id = _start(c, env)
    r = c.post(f"/stock/counts/{count_id}", data={"all_match": "0", f"qty-{env.water}": "30"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    # the error sits in the same cell, after the field's "+" stepper, before the next field
    assert re.search(rf'name="qty-{env.tea}"[^>]*aria-invalid="true">(?:(?!<input).)*?<small class="error">',
                     body, re.S)
    assert not re.search(rf'name="qty-{env.water}"[^>]*aria-invalid', body)
    assert _q(app, lambda: count_rows(CountLine, CountLine.count_id == count_id)) == 0


def test_differing_count_to_discrepancy_confirm_and_close(app, env):
    """Differing counts → discrepancy page; security confirms (the bar cannot); the manager closes."""
    c = login(app, env.wb)
    count_id = _start(c, env, "closing")
    r = c.post(f"/stock/counts/{count_id}", data={"all_match": "0", f"qty-{env.water}": "28",
                                                  f"qty-{env.tea}": "14"})
    assert r.status_code == 302
    disc_id = _q(app, lambda: db.session.scalar(select(Discrepancy.id).where(Discrepancy.count_id == count_id)))
    assert r.location.endswith(f"/stock/discrepancies/{disc_id}")
    page = c.get(r.location).get_data(as_text=True)
    assert "矿泉水" in page and "-2 瓶" in page and "铁观音" not in page
    assert c.post(f"/stock/discrepancies/{disc_id}/confirm").status_code == 403
    boss = login(app, env.boss)
    r = boss.post(f"/stock/discrepancies/{disc_id}/close", data={"reason": "lost", "note": "丢失"})
    assert r.status_code == 422  # not confirmed yet
    guard = login(app, env.guard)
    assert guard.get(f"/stock/discrepancies/{disc_id}").status_code == 200
    r = guard.post(f"/stock/discrepancies/{disc_id}/confirm", data={"note": "已核对"})
    assert r.status_code == 302
    assert _q(app, lambda: db.session.get(Discrepancy, disc_id).status) == "confirmed"
    assert login(app, env.lead).post(f"/stock/discrepancies/{disc_id}/close",
                                     data={"reason": "lost", "note": "x"}).status_code == 403
    r = boss.post(f"/stock/discrepancies/{disc_id}/close", data={"reason": "lost", "note": ""})
    assert r.status_code == 422
    r = boss.post(f"/stock/discrepancies/{disc_id}/close", data={"reason": "lost", "note": "客人带走两瓶"})
    assert r.status_code == 302
    with app.app_context():
        disc = db.session.get(Discrepancy, disc_id)
        assert disc.status == "closed" and disc.closed_by_id == user_id(env.boss)
        assert on_hand(env.water) == 28 and on_hand(env.tea) == 14
        assert_chain(env.water)
        assert count_rows(AuditLog, AuditLog.entity == "discrepancy", AuditLog.entity_id == disc_id) == 2


def test_cancel_count_route(app, env):
    """The counter cancels their count; the location is free again."""
    c = login(app, env.wb)
    count_id = _start(c, env)
    r = c.post(f"/stock/counts/{count_id}/cancel")
    assert r.status_code == 302
    assert _q(app, lambda: db.session.get(StockCount, count_id).status) == "cancelled"
    assert _start(c, env) != count_id


def test_manager_reverses_a_move(app, env):
    """The manager reverses a served row from the item ledger; a second reversal changes nothing."""
    c = login(app, env.wb)
    c.post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.water}": "4"})
    move_id = _q(app, lambda: db.session.scalar(select(StockMove.id).where(StockMove.reason == "served",
                                                                          StockMove.item_id == env.water)))
    boss = login(app, env.boss)
    assert boss.get(f"/stock/items/{env.water}").status_code == 200
    assert c.post(f"/stock/moves/{move_id}/reverse", data={"note": "错"}).status_code == 403
    for _ in range(2):
        r = boss.post(f"/stock/moves/{move_id}/reverse", data={"note": "记错"})
        assert r.status_code == 302 and r.location.endswith(f"/stock/items/{env.water}")
    with app.app_context():
        assert on_hand(env.water) == 30
        assert count_rows(StockMove, StockMove.reverses_id == move_id) == 1


def _history(app, env):
    """Served water 5 on a day three days ago; returns that day."""
    with app.app_context():
        site = db.session.get(Site, env.site)
        day = site.today() - timedelta(days=3)
        insert_move(db.session.get(Item, env.water), user_id(env.wb), -5, "served", local_utc(site, day, time(11)))
        return day, site.today()


def test_consumption_water_bar_sees_today_only(app, env):
    """The bar's consumption page ignores the range and shows today's moves."""
    day, today = _history(app, env)
    c = login(app, env.wb)
    c.post(f"/stock/loc/{env.bar}/moves", data={"reason": "served", f"qty-{env.tea}": "2"})
    r = c.get(f"/stock/consumption?from={day.isoformat()}&to={day.isoformat()}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f"from={today.isoformat()}" in body and f"from={day.isoformat()}" not in body
    assert "铁观音" in body and "矿泉水" not in body
    assert 'type="date"' not in body


def test_consumption_manager_range_and_exports(app, env):
    """The manager picks a range; CSV has a BOM and a header row; the xlsx opens with openpyxl."""
    day, today = _history(app, env)
    boss = login(app, env.boss)
    rng = f"from={day.isoformat()}&to={today.isoformat()}"
    body = boss.get(f"/stock/consumption?{rng}").get_data(as_text=True)
    assert "矿泉水" in body and 'type="date"' in body
    r = boss.get(f"/stock/consumption?{rng}&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["日期", "物品", "单位"] and len(rows[0]) == 16
    # The sheet names the counts as the page does (开岗库存, not 开岗盘点), and has the preparation columns.
    assert rows[0][3] == "开岗库存" and rows[0][11] == "收岗库存" and rows[0][6] == "招待消耗"
    assert rows[1][:3] == [day.isoformat(), "矿泉水", "瓶"] and float(rows[1][6]) == 5
    r = boss.get(f"/stock/consumption?{rng}&format=xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    table = list(ws.iter_rows(values_only=True))
    assert list(table[0]) == rows[0]
    assert table[1][:3] == (day.isoformat(), "矿泉水", "瓶") and table[1][6] == 5


def test_consumption_bad_range_falls_back_to_today(app, env):
    """Garbage dates are ignored (today) rather than a 500."""
    r = login(app, env.boss).get("/stock/consumption?from=yesterday&to=2024-13-45")
    assert r.status_code == 200


@pytest.mark.parametrize("who,url", [("concierge", "/stock/"), ("concierge", "/stock/consumption"),
                                     ("guard", "/stock/consumption"), ("mr", "/stock/consumption"),
                                     ("wb", "/stock/items"), ("lead", "/stock/items/new")])
def test_posts_without_access_get_403(app, env, who, url):
    """Posts that do not work with stock (or not with this page) get 403."""
    assert login(app, getattr(env, who)).get(url).status_code == 403


@pytest.mark.parametrize("who,method,url", [
    ("wb", "get", "/stock/loc/{o.bar}"),
    ("wb", "post", "/stock/loc/{o.bar}/moves"),
    ("wb", "post", "/stock/loc/{o.bar}/count"),
    ("wb", "get", "/stock/counts/{o.count}"),
    ("wb", "post", "/stock/counts/{o.count}/cancel"),
    ("guard", "get", "/stock/discrepancies/{o.disc}"),
    ("guard", "post", "/stock/discrepancies/{o.disc}/confirm"),
    ("boss", "post", "/stock/discrepancies/{o.disc}/close"),
    ("boss", "get", "/stock/items/{o.item}"),
    ("boss", "get", "/stock/items/{o.item}/edit"),
    ("boss", "post", "/stock/moves/{o.move}/reverse"),
])
def test_other_sites_ids_are_404(app, env, who, method, url):
    """Another site's locations, counts, discrepancies, items and moves do not exist here."""
    c = login(app, getattr(env, who))
    r = getattr(c, method)(url.format(o=env.other), data={"reason": "served", "note": "x", "kind": "spot",
                                                          f"qty-{env.other.item}": "1"})
    assert r.status_code == 404
    with app.app_context():
        assert on_hand(env.other.item) == 9 + 5  # served 1, received 5: untouched
        assert db.session.get(Discrepancy, env.other.disc).status == "open"
