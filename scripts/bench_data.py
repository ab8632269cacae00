"""A year of stock data for the benchmark (`scripts/bench.py --year`); not part of the app.

For the demo site and every BENCHnn site: about 60 items (the demo items from
`hospitality.seed.add_demo_items` plus more consumables at the water bar and more fixtures per model
room), a year of ledger rows (a few hundred moves per site per day) with consistent running balances
(every row's balance_after = the item's previous balance_after + qty), daily opening and closing
counts of the water bar for the last COUNT_DAYS days (a few of them discrepancies), and a few hundred
purchase requests, some pending for the manager's queue.

Rows are generated in Python, one item at a time in time order, and bulk inserted with SQLAlchemy
Core (executemany; COPY on PostgreSQL), day by day, without the ORM and without audit rows.
"""
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

HISTORY_DAYS = 365
COUNT_DAYS = 60
MOVES_PER_SITE_DAY = 300  # approximate: served rows are drawn around this
REQUEST_DAYS = 14  # one purchase request per site per day for the last two weeks
BATCH_DAYS = 7  # insert ledger rows a week at a time

# (name, name_en, unit, whole, pack, par, price, discard_at_close, stock, weight of "served")
EXTRA_BAR_ITEMS = [
    ("红茶", "Black tea", "包", True, 10, 8, "9.00", False, 20, 4),
    ("绿茶", "Green tea", "包", True, 10, 8, "10.00", False, 20, 5),
    ("普洱茶", "Pu'er tea", "饼", True, 1, 2, "60.00", False, 4, 1),
    ("花茶", "Flower tea", "包", True, 10, 6, "7.00", False, 15, 3),
    ("速溶咖啡", "Instant coffee", "条", True, 30, 30, "1.50", False, 60, 6),
    ("咖啡豆", "Coffee beans", "袋", True, 1, 2, "80.00", False, 4, 1),
    ("牛奶", "Milk", "盒", True, 12, 12, "4.00", False, 24, 5),
    ("豆奶", "Soy milk", "盒", True, 12, 6, "3.50", False, 12, 2),
    ("可乐", "Cola", "罐", True, 24, 24, "3.00", False, 48, 8),
    ("雪碧", "Sprite", "罐", True, 24, 12, "3.00", False, 24, 4),
    ("苏打水", "Soda water", "瓶", True, 24, 12, "4.00", False, 24, 3),
    ("椰汁", "Coconut juice", "罐", True, 24, 12, "4.50", False, 24, 3),
    ("酸奶", "Yoghurt", "杯", True, 12, 12, "5.00", False, 20, 4),
    ("饼干", "Biscuits", "包", True, 20, 20, "2.50", False, 40, 6),
    ("坚果", "Nuts", "袋", True, 20, 10, "6.00", False, 20, 3),
    ("巧克力", "Chocolate", "块", True, 24, 12, "5.00", False, 24, 3),
    ("方糖", "Sugar cubes", "粒", True, 100, 50, "0.10", False, 200, 6),
    ("奶精球", "Creamer", "粒", True, 50, 30, "0.30", False, 100, 5),
    ("吸管", "Straws", "根", True, 100, 50, "0.05", False, 200, 6),
    ("纸巾", "Napkins", "包", True, 20, 20, "1.00", False, 40, 8),
    ("湿巾", "Wet wipes", "包", True, 20, 10, "1.50", False, 30, 4),
]
# Weights of "served" for the demo bar items, by name (the rest of the tuple comes from seed.py).
DEMO_WEIGHTS = {"矿泉水": 30, "铁观音茶叶": 4, "泡好的茶水": 10, "咖啡胶囊": 12, "橙汁": 6,
                "切好的果盘": 6, "水果": 3, "糖果": 5, "一次性纸杯": 40}
EXTRA_FIXTURES = [("地毯", "Rug", 1), ("落地灯", "Floor lamp", 1), ("挂钟", "Wall clock", 1),
                  ("绿植", "Plant", 4), ("书籍摆件", "Book set", 10), ("茶具套装", "Tea set", 1),
                  ("毛巾套装", "Towel set", 4), ("浴袍", "Bathrobe", 2), ("拖鞋", "Slippers", 4)]

MOVE_COLUMNS = ("site_id", "item_id", "qty", "balance_after", "reason", "user_id", "at", "note", "ref_type",
                "ref_id")


def _utc(tz, day, t: dtime, seconds: float = 0.0) -> datetime:
    local = datetime.combine(day, t).replace(tzinfo=tz) + timedelta(seconds=seconds)
    return local.astimezone(UTC).replace(tzinfo=None)


class _Writer:
    """Bulk inserts through the session's connection: executemany, or COPY on PostgreSQL."""

    def __init__(self, db):
        self.conn = db.session.connection()
        self.pg = self.conn.dialect.name == "postgresql"

    def moves(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY stock_moves ({', '.join(MOVE_COLUMNS)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        else:
            from hospitality.models import StockMove
            self.conn.execute(StockMove.__table__.insert(), [dict(zip(MOVE_COLUMNS, r, strict=True)) for r in rows])

    def rows(self, table, rows: list[dict]) -> None:
        for k in range(0, len(rows), 5000):
            self.conn.execute(table.insert(), rows[k:k + 5000])

    def fix_sequences(self, tables) -> None:
        if self.pg:
            for t in tables:
                self.conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")


def _next_id(db, model) -> int:
    from sqlalchemy import func, select
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def seed_year(app, days: int = HISTORY_DAYS, moves_per_day: int = MOVES_PER_SITE_DAY, seed: int = 7,
              analyze: bool = False) -> dict:
    """Add the year of stock data to every site that has no stock history yet; returns figures."""
    from sqlalchemy import event, func, select, update

    from hospitality.extensions import db
    from hospitality.inventory import ledger
    from hospitality.models import (
        CountLine,
        Discrepancy,
        Item,
        Location,
        PurchaseLine,
        PurchaseRequest,
        Site,
        StockCount,
        StockMove,
        User,
    )
    from hospitality.seed import add_demo_items

    rng = random.Random(seed)
    t0 = time.monotonic()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # Seeding only (a crash just means seeding again): no fsync, a big page cache. Set on
            # fresh connections, after the app's own connect hook (a pragma outside a transaction).
            def fast(dbapi_conn, _record):
                dbapi_conn.execute("PRAGMA synchronous=OFF")
                dbapi_conn.execute("PRAGMA cache_size=-200000")
            db.session.remove()
            db.engine.dispose()
            event.listen(db.engine, "connect", fast)
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        tz = sites[0].tz
        today = sites[0].today()
        first_day = today - timedelta(days=days)
        start_at = _utc(tz, first_day, dtime(8, 0))
        now = datetime.now(UTC).replace(tzinfo=None)
        demo_weights = {**DEMO_WEIGHTS, **{row[0]: row[9] for row in EXTRA_BAR_ITEMS}}

        # ---------------------------------------------------------------- items
        plan = {}  # site id -> {"bar", "staff", "manager", "items": [Item]}
        for site in sites:
            if db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.site_id == site.id)) > 50:
                continue  # already has history (a reused DATABASE_URL)
            users = list(db.session.scalars(select(User).where(User.site_id == site.id).order_by(User.id)))
            staff = next(u for u in users if u.post == "water_bar")
            manager = next(u for u in users if u.post == "manager")
            if db.session.scalar(select(Item.id).where(Item.site_id == site.id).limit(1)) is None:
                add_demo_items(site, manager.id)
            for loc in site.locations:
                have = set(db.session.scalars(select(Item.name).where(Item.location_id == loc.id)))
                if loc.kind == "water_bar":
                    extra = [r for r in EXTRA_BAR_ITEMS if r[0] not in have]
                    for pos, (name, en, unit, whole, pack, par, price, discard, stock, _w) in enumerate(extra, 20):
                        item = Item(site_id=site.id, location_id=loc.id, kind="consumable", name=name, name_en=en,
                                    unit=unit, whole=whole, pack_size=pack, par_level=Decimal(par),
                                    unit_price=Decimal(price), discard_at_close=discard, position=pos)
                        db.session.add(item)
                        db.session.flush()
                        ledger.post(site.id, manager.id, [(item, stock, "opening")], ref_type="seed")
                elif loc.kind == "model_room":
                    for pos, (name, en, qty) in enumerate([f for f in EXTRA_FIXTURES if f[0] not in have], 20):
                        item = Item(site_id=site.id, location_id=loc.id, kind="fixture", name=name, name_en=en,
                                    unit="件", expected_qty=Decimal(qty), position=pos)
                        db.session.add(item)
                        db.session.flush()
                        ledger.post(site.id, manager.id, [(item, qty, "opening")], ref_type="seed")
            bar = next(loc for loc in site.locations if loc.kind == "water_bar")
            items = list(db.session.scalars(select(Item).join(Location).where(Item.site_id == site.id)
                                            .order_by(Location.position, Item.position, Item.id)))
            plan[site.id] = {"bar": bar.id, "staff": staff.id, "manager": manager.id, "items": items,
                             "users": [u.id for u in users if u.post in ("water_bar", "lead", "manager")]}
        if not plan:
            return {"moves": 0, "seconds": 0.0, "skipped": True}
        # The opening rows just written are the start of the history, a year ago.
        db.session.execute(update(StockMove).where(StockMove.ref_type == "seed", StockMove.site_id.in_(plan))
                           .values(at=start_at))
        db.session.commit()

        # ---------------------------------------------------------------- ledger, counts, discrepancies
        balance = ledger.on_hand(i.id for p in plan.values() for i in p["items"])
        writer = _Writer(db)
        count_id, disc_id = _next_id(db, StockCount), _next_id(db, Discrepancy)
        counts, lines, discs = [], [], []
        demo_site = sites[0].id
        # A few discrepancies: on the demo site 4 (the last two still open), elsewhere one in ~40 days.
        disc_days = {(demo_site, today - timedelta(days=d)) for d in (45, 20, 3, 1)}
        for sid in plan:
            if sid != demo_site:
                disc_days |= {(sid, today - timedelta(days=rng.randint(1, COUNT_DAYS)))}
        pending, total_moves = [], 0
        weights_of = {}
        for sid, p in plan.items():
            bar_items = [i for i in p["items"] if i.location_id == p["bar"]]
            weights_of[sid] = [demo_weights.get(i.name, 2) for i in bar_items]
            p["bar_items"] = bar_items
            p["fixtures"] = [i for i in p["items"] if i.kind == "fixture"]
            p["discard"] = [i for i in bar_items if i.discard_at_close]

        for back in range(days, -1, -1):
            day = first_day + timedelta(days=days - back)
            weekend = day.weekday() >= 5
            with_counts = back <= COUNT_DAYS
            for sid, p in plan.items():
                bar_items = p["bar_items"]
                per_item: dict[int, list] = defaultdict(list)  # item id -> [(seconds after 00:00, qty, reason, ref)]
                n_served = int(moves_per_day * (1.3 if weekend else 0.9) * rng.uniform(0.85, 1.15)) - 20
                for item in rng.choices(bar_items, weights=weights_of[sid], k=max(n_served, 0)):
                    per_item[item.id].append((rng.uniform(9.5, 18.0) * 3600, None, "served", None))
                for item in p["discard"]:  # prepared in the morning, the rest poured away at close
                    per_item[item.id].append((9 * 3600 + 300, Decimal(rng.randint(12, 20)), "received", None))
                    per_item[item.id].append((18.5 * 3600, None, "discarded", None))
                for _ in range(rng.randint(0, 2)):
                    per_item[rng.choice(bar_items).id].append((rng.uniform(10, 17) * 3600, None, "damaged", None))
                if rng.random() < 0.15 and p["fixtures"]:
                    f = rng.choice(p["fixtures"])
                    per_item[f.id].append((rng.uniform(10, 17) * 3600, Decimal(-1), "damaged", None))
                    per_item[f.id].append((rng.uniform(17, 18) * 3600, Decimal(1), "found", None))
                disc_today = (sid, day) in disc_days and with_counts
                disc_item = rng.choice([i for i in bar_items if not i.discard_at_close]) if disc_today else None
                opening_bal, closing_bal = {}, {}
                site_rows = []
                for item in p["items"]:
                    bal = balance[item.id]
                    opening_bal[item.id] = bal
                    events = sorted(per_item.get(item.id, ()), key=lambda e: e[0])
                    if item.kind == "consumable" and not item.discard_at_close:
                        need = Decimal(item.par_level or 1)
                        if bal < need * Decimal("1.5"):  # the morning delivery brings it to ~3 days' need
                            pack = max(item.pack_size or 1, 1)
                            qty = Decimal(-(-int(need * 3 - bal) // pack) * pack)
                            events.insert(0, (9 * 3600 + 60, qty, "received", None))
                    for sec, qty, reason, _ref in events:
                        if reason in ("served", "damaged") and qty is None:
                            qty = -(Decimal("0.5") if not item.whole else Decimal(1 if rng.random() < 0.8 else 2))
                        elif reason == "discarded":
                            qty = -bal
                        if qty == 0 or bal + qty < 0:
                            continue
                        at = _utc(tz, day, dtime(0), sec)
                        if at > now:
                            continue
                        bal += qty
                        site_rows.append((at, sid, item.id, qty, bal, reason, p["staff"], None, None, None))
                    closing_bal[item.id] = bal
                    balance[item.id] = bal
                # Counts: opening at 08:50, closing at 18:45 (after the discard), each line = the book.
                if with_counts:
                    for kind, at_t, book in (("opening", dtime(8, 50), opening_bal),
                                             ("closing", dtime(18, 45), closing_bal)):
                        at = _utc(tz, day, at_t)
                        if at > now:
                            continue
                        off = disc_item is not None and kind == "closing" and book[disc_item.id] >= 1
                        counts.append({"id": count_id, "site_id": sid, "location_id": p["bar"], "kind": kind,
                                       "status": "discrepancy" if off else "matched", "started_by_id": p["staff"],
                                       "started_at": at - timedelta(minutes=8), "submitted_at": at,
                                       "all_matched_tap": not off})
                        for item in bar_items:
                            got = book[item.id] - (1 if off and item.id == disc_item.id else 0)
                            lines.append({"count_id": count_id, "item_id": item.id, "expected": book[item.id],
                                          "counted": got})
                        if off:
                            closed = back > 3
                            discs.append({"id": disc_id, "site_id": sid, "count_id": count_id,
                                          "location_id": p["bar"], "status": "closed" if closed else "open",
                                          "opened_at": at,
                                          "confirmed_at": at + timedelta(minutes=10) if closed else None,
                                          "closed_at": at + timedelta(minutes=40) if closed else None,
                                          "close_reason": "lost" if closed else None,
                                          "close_note": "核对后确认丢失" if closed else None})
                            if closed:  # the manager's closing posts the correcting row
                                balance[disc_item.id] -= 1
                                site_rows.append((at + timedelta(minutes=40), sid, disc_item.id, Decimal(-1),
                                                  balance[disc_item.id], "lost", p["manager"], "核对后确认丢失",
                                                  "discrepancy", disc_id))
                            disc_id += 1
                        count_id += 1
                pending.extend(site_rows)
            if back % BATCH_DAYS == 0 or back == 0:
                pending.sort(key=lambda r: r[0])  # stable: an item's rows stay in their order
                writer.moves([(r[1], r[2], r[3], r[4], r[5], r[6], r[0], r[7], r[8], r[9]) for r in pending])
                total_moves += len(pending)
                pending = []
        writer.rows(StockCount.__table__, counts)
        writer.rows(CountLine.__table__, lines)
        for d in discs:  # confirmed by security, closed by the manager
            sec = db.session.scalar(select(User.id).where(User.site_id == d["site_id"], User.post == "security"))
            closed = d["status"] == "closed"
            d["confirmed_by_id"] = sec if closed else None
            d["closed_by_id"] = plan[d["site_id"]]["manager"] if closed else None
        writer.rows(Discrepancy.__table__, discs)

        # ---------------------------------------------------------------- purchase requests
        req_id = _next_id(db, PurchaseRequest)
        reqs, plines = [], []
        for sid, p in plan.items():
            n_pending = 6 if sid == demo_site else 3
            for back in range(REQUEST_DAYS, -1, -1):
                day = today - timedelta(days=back)
                for k in range(2 if back == 0 else 1):
                    idx = len([r for r in reqs if r["site_id"] == sid])
                    total_for_site = REQUEST_DAYS + 2
                    status = ("pending" if idx >= total_for_site - n_pending else
                              "rejected" if rng.random() < 0.08 else
                              "approved" if back <= 2 else "received")
                    submitted = _utc(tz, day, dtime(18, 50 + k * 5))
                    decided = status != "pending"
                    reqs.append({"id": req_id, "site_id": sid, "status": status, "for_date": day + timedelta(days=1),
                                 "requested_by_id": p["staff"], "created_at": submitted, "submitted_at": submitted,
                                 "note": None, "decided_by_id": p["manager"] if decided else None,
                                 "decided_at": submitted + timedelta(hours=1) if decided else None,
                                 "decision_note": "预算不足" if status == "rejected" else None,
                                 "auto_approved": False, "version": 2 if decided else 1})
                    for item in rng.sample([i for i in p["bar_items"] if not i.discard_at_close], rng.randint(4, 9)):
                        qty = Decimal(max(item.pack_size or 1, 1) * rng.randint(1, 3))
                        approved = qty if status in ("approved", "received") else None
                        plines.append({"request_id": req_id, "item_id": item.id, "qty_requested": qty,
                                       "qty_approved": approved,
                                       "qty_received": qty if status == "received" else Decimal(0),
                                       "unit_price": item.unit_price, "proposed_qty": qty})
                    req_id += 1
        # Pending ones came out ordered oldest first; that is the queue order too.
        writer.rows(PurchaseRequest.__table__, reqs)
        writer.rows(PurchaseLine.__table__, plines)
        writer.fix_sequences(["stock_counts", "discrepancies", "purchase_requests"])
        db.session.commit()
        if writer.pg or analyze:  # PostgreSQL's autovacuum would do it; SQLite never does by itself
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        figures = {"sites": len(plan), "items": sum(len(p["items"]) for p in plan.values()),
                   "moves": total_moves, "counts": len(counts), "count_lines": len(lines),
                   "discrepancies": len(discs), "requests": len(reqs),
                   "pending": sum(r["status"] == "pending" for r in reqs), "seconds": time.monotonic() - t0}
    return figures


def check_chain(conn, item_id: int) -> tuple[int, int]:
    """(rows, broken links) of an item's ledger: balance_after = previous balance_after + qty, by id."""
    rows = conn.exec_driver_sql(
        f"SELECT qty, balance_after FROM stock_moves WHERE item_id = {int(item_id)} ORDER BY id")
    prev, n, broken = Decimal(0), 0, 0
    for qty, bal in rows:
        n += 1
        if Decimal(str(prev)) + Decimal(str(qty)) != Decimal(str(bal)):
            broken += 1
        prev = bal
    return n, broken
