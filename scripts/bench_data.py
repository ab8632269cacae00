"""A year of stock data and visits for the benchmark (`scripts/bench.py --year`); not part of the app.

For the demo site and every BENCHnn site: about 60 items (the demo items from
`hospitality.seed.add_demo_items` plus more consumables at the water bar and more fixtures per model
room), a year of ledger rows (a few hundred moves per site per day) with consistent running balances
(every row's balance_after = the item's previous balance_after + qty), daily opening and closing
counts of the water bar for the last COUNT_DAYS days (a few of them discrepancies), and a few hundred
purchase requests, some pending for the manager's queue.

Visits: 20-45 groups a day (30-60 at weekends) per site, each with its timeline (arrived, seen by each
post, greeted with a purpose and a sales rep, served and refilled, model rooms, umbrellas on rainy days,
departed, car left), the water bar's servings as the ledger's "served" rows (ref_type "visit"), room
visits with the count after each group (一客一盘点; count lines for the last COUNT_DAYS days only, to keep
seeding fast) and umbrella loans. Today's groups that have not left are still on site; the demo site
always has at least ACTIVE_DEMO_GROUPS of them, one with everything (served, a room and its count, umbrellas).
An on-site group's last serving is at least REFILL_QUIET minutes old, so the live element's refill
timer (its `d`) does not fire while the benchmark runs and an unchanged poll stays a 204.

Shifts (`seed_shift_year`, issue 5): per site the day and night shifts, grooming and inspection templates
and staff where missing (the app's own seed functions); a roster a week ahead (a fixed weekday off each,
security on nights and days), clock-ins for the past (~8 % late, ~3 % leaving early, ~2 % absent; today some
clocked in, nobody out), leave requests (approved ones have no roster entry; refused with a reason; a few
pending for the coming weeks), one accepted handover per handover post and day with 2-4 lines (a few disputed
and resolved by the lead), a grooming check of everyone who came and every inspection round, and tasks from
failed items (the last days' still open).

Complaints, guests and the desk (`seed_guest_year`, issue 15): about one complaint a day per site with its whole
timeline (judged; founded: notes, remedies, one chosen; carried out; reviewed), follow-up calls (a few not reached, a
few not satisfied: reopened and worked through again), the last two weeks' partly open and some past a deadline; the
satisfaction of ~60 % of the groups that left (tapped by staff or answered through the visit's QR link, ~5 %
unsatisfied: most handled, some made complaints, the demo's latest still waiting), VIP notices (on the demo site one
for a group on site now), ~10 desk messages a day per site, and one QR link of the demo's that still answers.

Rows are generated in Python, one item at a time in time order, and bulk inserted without the ORM and
without audit rows, a week at a time: SQLAlchemy Core or the driver's executemany on SQLite, COPY on
PostgreSQL.
"""
import json
import math
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

HISTORY_DAYS = 365
COUNT_DAYS = 60
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

# Visits: groups per site and day, party sizes, purposes, how often it rains (umbrellas).
GROUPS_WEEKDAY, GROUPS_WEEKEND = (20, 45), (30, 60)
PARTY_SIZES = ([1, 2, 3, 4, 5, 6, 8], [14, 34, 24, 15, 7, 4, 2])
PURPOSE_MIX = (["first", "return", "signing", "event", "other"], [55, 28, 9, 5, 3])
RAIN_DAYS = 0.18
ACTIVE_DEMO_GROUPS = 5  # on site on the demo site now, whatever the time of day
REFILL_QUIET = 11  # minutes: an on-site group's last serving is older than the 10-minute refill timer
PROVINCES = "粤" * 14 + "湘赣桂闽川鄂豫琼京沪浙"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_CHARS = "0123456789" * 3 + PLATE_LETTERS
VISIT_COLUMNS = ("id", "site_id", "arrived_at", "by_car", "plate", "party_size", "recorded_by_id", "purpose",
                 "rep_id", "greeted_by_id", "greeted_at", "last_refill_at", "left_at", "left_by_id", "car_left_at",
                 "idem_key", "status")
EVENT_COLUMNS = ("visit_id", "site_id", "kind", "user_id", "at", "detail")
SEEN_COLUMNS = ("visit_id", "post", "user_id", "at")
ROOM_COLUMNS = ("visit_id", "site_id", "location_id", "rep_id", "escorted", "refused", "recorded_by_id",
                "admitted_at", "left_at", "count_id")
LOAN_COLUMNS = ("visit_id", "site_id", "qty", "lent_by_id", "lent_at", "returned_at")
VISIT_TABLES = (("visits", VISIT_COLUMNS), ("visit_events", EVENT_COLUMNS), ("visit_seen", SEEN_COLUMNS),
                ("room_visits", ROOM_COLUMNS), ("umbrella_loans", LOAN_COLUMNS))


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

    def tuples(self, table: str, columns: tuple, rows: list) -> None:
        """Plain rows in `columns` order (datetimes already as the dialect stores them, see `ts`)."""
        if not rows:
            return
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            for k in range(0, len(rows), 20000):
                self.conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                          rows[k:k + 20000])

    def ts(self, value: datetime | None):
        """A naive UTC datetime as the driver takes it: itself for psycopg, SQLAlchemy's text form on SQLite."""
        if value is None or self.pg:
            return value
        return value.isoformat(" ", "microseconds")

    def day(self, value):
        """A date as the driver takes it: itself for psycopg, SQLAlchemy's text form on SQLite."""
        if value is None or self.pg:
            return value
        return value.isoformat()

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


def _check_columns(db, tables=VISIT_TABLES, name: str = "VISIT_TABLES", raw: bool = False) -> None:
    """Refuse early if a table gained a required column this generator does not fill, or lost one it fills.

    With `raw` (rows written by plain INSERT/COPY, `_Writer.tuples`) a model's Python-side default does not
    apply either: only a server default excuses a column."""
    for table, columns in tables:
        t = db.metadata.tables[table]
        gone = [c for c in columns if c not in t.columns]
        if gone:
            raise SystemExit(f"bench_data: {table} has no column {', '.join(gone)}: update {name}")
        missing = [c.name for c in t.columns if c.name not in columns and not c.primary_key and not c.nullable
                   and (raw or c.default is None) and c.server_default is None]
        if missing:
            raise SystemExit(f"bench_data: {table}.{', '.join(missing)} is required: fill it in {name}")


class _Visits:
    """Generates a site's visitor groups day by day: visits, timelines, rooms, umbrellas, and the
    servings and room counts that the ledger and count rows of the same day take over."""

    def __init__(self, rng: random.Random, ts, first_id: int):
        self.rng, self.ts, self.next_id = rng, ts, first_id
        self.plates: dict[int, list[str]] = defaultdict(list)
        self.clear()
        self.totals = defaultdict(int)

    def clear(self) -> None:
        self.rows = {table: [] for table, _cols in VISIT_TABLES}

    def _plate(self, sid: int) -> str:
        rng, seen = self.rng, self.plates[sid]
        if seen and rng.random() < 0.2:  # a returning car: "seen before" on the arrival form
            return rng.choice(seen)
        plate = rng.choice(PROVINCES) + rng.choice(PLATE_LETTERS)
        if rng.random() < 0.25:  # green new-energy plate: six characters
            plate += rng.choice("DF") + "".join(rng.choices("0123456789", k=5))
        else:
            plate += "".join(rng.choices(PLATE_CHARS, k=5))
        seen.append(plate)
        return plate

    def day(self, sid: int, p: dict, day0: datetime, now_sec: float, weekend: bool, demo: bool = False):
        """One day of a site (`day0`: local midnight as naive UTC; `now_sec`: seconds since then, or inf).
        Returns (servings [(seconds, item, qty, visit id)], room counts [(room row, location, seconds, visit)])."""
        rng = self.rng
        lo, hi = GROUPS_WEEKEND if weekend else GROUPS_WEEKDAY
        rainy = rng.random() < RAIN_DAYS
        servings, room_counts, active = [], [], 0
        for a in sorted(rng.uniform(9.5, 17.8) * 3600 for _ in range(rng.randint(lo, hi))):
            if a > now_sec:
                break
            active += self._visit(sid, p, day0, a, rng.triangular(15, 110, 40) * 60, rainy, now_sec, servings,
                                  room_counts)
        if demo and now_sec != float("inf"):
            # Groups on site now on the demo site, whatever the time of day; the first one has everything.
            for k, minutes in enumerate((48, 35, 22, 12, 4)[:max(ACTIVE_DEMO_GROUPS - active, 1)]):
                a = max(now_sec - minutes * 60, min(60.0 * (k + 1), now_sec))
                self._visit(sid, p, day0, a, now_sec - a + 3600, rainy, now_sec, servings, room_counts,
                            rich=k == 0)
        return servings, room_counts

    def _visit(self, sid, p, day0, a, stay, rainy, now_sec, servings, room_counts, rich=False) -> int:
        rng, users = self.rng, p["by_post"]

        def when(sec):
            return self.ts(day0 + timedelta(seconds=sec)) if sec is not None else None

        vid = self.next_id
        self.next_id += 1
        left = a + stay
        on_site = left > now_sec
        events = []  # (seconds, kind, user id, detail)
        by_car = rich or rng.random() < 0.7
        plate = self._plate(sid) if by_car else None
        size = rng.choices(*PARTY_SIZES)[0]
        recorder = "security" if by_car or rng.random() < 0.5 else "concierge"
        events.append((a, "arrived", users[recorder], {"party_size": size, "plate": plate or ""}))
        seen = [(recorder, a)]
        for post, lo, hi in (("concierge", 10, 60), ("water_bar", 20, 120), ("model_room", 30, 300)):
            if post != recorder and (not on_site or rich or rng.random() < 0.6):
                seen.append((post, a + rng.uniform(lo, hi)))
        for post, at in seen[1:]:
            events.append((at, "seen", users[post], {"post": post}))
        purpose = rep = greeted = None
        if rich or rng.random() < 0.95:
            greeted = a + rng.uniform(60, 180)
            purpose = rng.choices(*PURPOSE_MIX)[0]
            rep = rng.choice(p["reps"]) if p["reps"] else None
            events.append((greeted, "greeted", users["concierge"], {"purpose": purpose, "rep": rep[1] if rep else ""}))
        # The water bar serves a few minutes after arrival, then every 10-14 minutes while they sit.
        times, t = [], a + rng.uniform(180, 420)
        while t < left - 300 and len(times) < 6:
            times.append(t)
            t += rng.uniform(600, 840)
        if on_site:
            times = [t for t in times if t <= now_sec - REFILL_QUIET * 60]
        bar, weights = p["bar_items"], p["weights"]
        for k, t in enumerate(times):
            if k and rng.random() < 0.5:
                events.append((t, "refilled", users["water_bar"], {}))
                continue
            served = {}
            for item in rng.choices(bar, weights=weights, k=rng.randint(3, 4) if k == 0 else rng.randint(1, 3)):
                qty = Decimal("0.5") if not item.whole else Decimal(1 if rng.random() < 0.8 else 2)
                servings.append((t, item, -qty, vid))
                served[item.name] = str(Decimal(served.get(item.name, 0)) + qty)
            events.append((t, "served", users["water_bar"], {"items": served}))
        if rainy or rich:
            lent = a + rng.uniform(60, 200)
            if rich or rng.random() < 0.5:
                qty = rng.randint(1, min(size, 4))
                back = left - 60 if left - 60 <= now_sec else None
                self.rows["umbrella_loans"].append((vid, sid, qty, users["concierge"], when(lent),
                                                    when(back)))
                events.append((lent, "umbrella_lent", users["concierge"], {"qty": qty}))
                if back:
                    events.append((back, "umbrella_returned", users["concierge"], {"qty": qty}))
        if rep and p["rooms"] and (rich or rng.random() < 0.45):
            t = a + (20 * 60 if rich else stay * rng.uniform(0.25, 0.45))
            rooms = rng.sample(p["rooms"], 2 if len(p["rooms"]) > 1 and rng.random() < 0.2 else 1)
            for room_id, room_name in rooms:
                if t > now_sec:
                    break
                admitted = when(t)
                if not rich and rng.random() < 0.04:  # no sales rep with them: refused, on record
                    self.rows["room_visits"].append([vid, sid, room_id, None, False, True, users["model_room"],
                                                     admitted, None, None])
                    events.append((t, "room_refused", users["model_room"], {"room": room_name}))
                    continue
                out = min(t + (12 if rich else rng.uniform(8, 20)) * 60, left - 60)
                row = [vid, sid, room_id, rep[0], True, False, users["model_room"], admitted, None, None]
                self.rows["room_visits"].append(row)
                events.append((t, "room_admitted", users["model_room"], {"room": room_name, "rep": rep[1]}))
                if out <= now_sec:
                    row[8] = when(out)
                    events.append((out, "room_left", users["model_room"], {"room": room_name}))
                    if out + 240 <= now_sec:  # the count after the group (一客一盘点), done
                        room_counts.append((row, room_id, out, vid))
                t = out + rng.uniform(60, 180)
        left_by = car_left = None
        if not on_site:
            left_by = users["concierge" if rng.random() < 0.7 else "security"]
            events.append((left, "departed", left_by, {}))
            if by_car and left + 400 <= now_sec:
                car_left = left + rng.uniform(120, 400)
                events.append((car_left, "car_left", users["security"], {"plate": plate}))
        self.rows["visits"].append((
            vid, sid, when(a), by_car, plate, size, users[recorder], purpose,
            rep[0] if rep else None, users["concierge"] if greeted else None,
            when(greeted),
            when(times[-1]) if times else None,
            None if on_site else when(left), left_by,
            when(car_left), None, "active" if on_site else "left"))
        self.rows["visit_seen"].extend((vid, post, users[post], when(at)) for post, at in seen
                                       if at <= now_sec)
        self.rows["visit_events"].extend(
            (vid, sid, kind, user, when(at), json.dumps(detail, ensure_ascii=False))
            for at, kind, user, detail in sorted(events, key=lambda e: e[0]) if at <= now_sec)
        self.totals["on_site"] += on_site
        return int(on_site)

    def flush(self, writer: _Writer) -> None:
        for table, columns in VISIT_TABLES:
            rows = self.rows[table]
            writer.tuples(table, columns, [tuple(r) for r in rows])
            self.totals[table] += len(rows)
        self.clear()


def seed_year(app, days: int = HISTORY_DAYS, seed: int = 7, analyze: bool = False) -> dict:
    """Add the year of stock data and visits to every site that has no stock history yet; returns figures."""
    from sqlalchemy import event, func, select, update

    from hospitality.clock import utcnow
    from hospitality.extensions import db
    from hospitality.inventory import ledger, rollup
    from hospitality.models import (
        CountLine,
        Discrepancy,
        Item,
        Location,
        PurchaseLine,
        PurchaseRequest,
        SalesRep,
        Site,
        StockCount,
        StockMove,
        User,
        Visit,
    )
    from hospitality.seed import add_demo_items

    rng = random.Random(seed)
    t0 = time.monotonic()
    with app.app_context():
        _check_columns(db)
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
        now = utcnow()  # the app's clock (the bench's --clock), not the machine's
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
            active = [u for u in users if u.active]
            reps = list(db.session.execute(select(SalesRep.id, SalesRep.name).where(
                SalesRep.site_id == site.id, SalesRep.active.is_(True)).order_by(SalesRep.id)))
            plan[site.id] = {"bar": bar.id, "staff": staff.id, "manager": manager.id, "items": items,
                             "users": [u.id for u in users if u.post in ("water_bar", "lead", "manager")],
                             "by_post": {post: next(u.id for u in active if u.post == post)
                                         for post in ("security", "concierge", "water_bar", "model_room")},
                             "reps": [tuple(r) for r in reps],
                             "rooms": [(loc.id, loc.name) for loc in site.locations
                                       if loc.kind == "model_room" and loc.active]}
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
        n_counts = n_lines = 0
        visits = _Visits(random.Random(seed + 1), writer.ts, _next_id(db, Visit))
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
            p["weights"] = weights_of[sid]
            p["fixtures_of"] = defaultdict(list)
            for i in p["fixtures"]:
                p["fixtures_of"][i.location_id].append(i)

        for back in range(days, -1, -1):
            day = first_day + timedelta(days=days - back)
            weekend = day.weekday() >= 5
            with_counts = back <= COUNT_DAYS
            for sid, p in plan.items():
                bar_items = p["bar_items"]
                per_item: dict[int, list] = defaultdict(list)  # item id -> [(seconds after 00:00, qty, reason, ref)]
                day0 = _utc(tz, day, dtime(0))
                now_sec = (now - day0).total_seconds() if back == 0 else float("inf")
                servings, room_counts = visits.day(sid, p, day0, now_sec, weekend, demo=sid == demo_site)
                for sec, item, qty, visit_id in servings:  # what the bar served each group
                    per_item[item.id].append((sec, qty, "served", visit_id))
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
                    for sec, qty, reason, ref in events:
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
                        site_rows.append((at, sid, item.id, qty, bal, reason, p["staff"], None,
                                          "visit" if ref else None, ref))
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
                                       "all_matched_tap": not off, "ref_type": None, "ref_id": None})
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
                # The count of a model room after each group that left it (一客一盘点), all matching.
                for row, room_id, sec, visit_id in room_counts:
                    at = day0 + timedelta(seconds=sec)
                    counts.append({"id": count_id, "site_id": sid, "location_id": room_id, "kind": "visit",
                                   "status": "matched", "started_by_id": p["by_post"]["model_room"],
                                   "started_at": at + timedelta(minutes=1), "submitted_at": at + timedelta(minutes=4),
                                   "all_matched_tap": True, "ref_type": "visit", "ref_id": visit_id})
                    row[9] = count_id
                    if with_counts:
                        lines.extend({"count_id": count_id, "item_id": i.id, "expected": closing_bal[i.id],
                                      "counted": closing_bal[i.id]} for i in p["fixtures_of"][room_id])
                    count_id += 1
                pending.extend(site_rows)
            if back % BATCH_DAYS == 0 or back == 0:
                # Parents first (foreign keys): counts, their lines, visits and their rows, then the ledger.
                writer.rows(StockCount.__table__, counts)
                writer.rows(CountLine.__table__, lines)
                n_counts, n_lines, counts, lines = n_counts + len(counts), n_lines + len(lines), [], []
                visits.flush(writer)
                pending.sort(key=lambda r: r[0])  # stable: an item's rows stay in their order
                writer.moves([(r[1], r[2], r[3], r[4], r[5], r[6], r[0], r[7], r[8], r[9]) for r in pending])
                total_moves += len(pending)
                pending = []
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
        writer.fix_sequences(["stock_counts", "discrepancies", "purchase_requests", "visits"])
        # Each visit's kept cost (the app writes it with the serving; bulk rows skip the app).
        db.session.execute(db.text(
            "UPDATE visits SET served_cost = c.cost FROM (SELECT m.ref_id AS vid, -SUM(m.qty * i.unit_price) AS cost"
            " FROM stock_moves m JOIN items i ON i.id = m.item_id WHERE m.ref_type = 'visit' AND m.reason = 'served'"
            " GROUP BY m.ref_id) AS c WHERE c.vid = visits.id"))
        # The ledger's daily totals (the app writes them with each ledger row; bulk rows skip the app).
        rollup.rebuild(db.session.connection(), list(plan))
        db.session.commit()
        if writer.pg or analyze:  # PostgreSQL's autovacuum would do it; SQLite never does by itself
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        figures = {"sites": len(plan), "items": sum(len(p["items"]) for p in plan.values()),
                   "moves": total_moves, "counts": n_counts, "count_lines": n_lines,
                   "discrepancies": len(discs), "requests": len(reqs),
                   "pending": sum(r["status"] == "pending" for r in reqs), "seconds": time.monotonic() - t0,
                   "visits": dict(visits.totals)}
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


# ==================================================================== shifts: roster, attendance, leave,
# handovers, grooming checks and area inspections (issue 5: the lead's board, the handover and the roster)

SHIFT_AHEAD = 7  # the roster is made a week ahead
# People a BENCHnn site should have per post (the seed gives two of each staff post, a lead and a manager).
# Security: two on nights (days off apart, so every night has a guard on the roster for the patrol) and one by day.
STAFF_WANTED = {"water_bar": 2, "model_room": 2, "concierge": 1, "security": 3, "lead": 1}
# Fixed weekday off of a post's first person (as the demo's attendance seed); the next ones a day later each.
SHIFT_DAYS_OFF = {"water_bar": 1, "model_room": 2, "concierge": 3, "security": 0, "lead": 4}
LATE, EARLY, MISSING = 0.08, 0.03, 0.02  # clock-ins: late, left early, no clock-in at all
TODAY_CLOCKED = 0.8  # of today's shifts already started, clocked in
LEAVES_PER_YEAR = 4
LEAVE_LENGTHS = ([1, 2, 3], [60, 25, 15])
LEAVE_MIX = (["approved", "refused", "cancelled"], [76, 20, 4])
PENDING_LEAVE = 0.25  # share of people with a request for the coming weeks waiting for the lead
LEAVE_REASONS = ["家里有事", "身体不适,去医院", "孩子开家长会", "回老家办事", "亲戚结婚", "搬家"]
REFUSALS = ["当天有开盘活动,人手不足", "同岗位已有人请假", "请提前一周申请"]
HANDOVER_DISPUTED = 0.03  # a line the incoming person disputes (the lead resolves it)
MANUAL_LINES = {"key": ["样板间钥匙在前台抽屉", "吧台柜钥匙交接", "仓库钥匙已归还"],
                "watch": ["咖啡机出水慢,留意", "3号样板间空调噪音", "北门闸机偶尔不抬杆", "洽谈区灯管闪烁"],
                "damage": ["一只玻璃杯有裂口,已放一边", "样板间抱枕有污渍", "雨伞架松动"]}
DISPUTES = ["实物与记录不符", "交接时未见该物品", "数量不对"]
GROOM_FAIL, AREA_FAIL = 0.015, 0.03  # per item
AREA_MISSED = 0.03  # an inspection round nobody did
TASK_SHARE = 0.6  # failed items that raise a task
OPEN_TASK_DAYS = 3  # tasks older than this are done

ROSTER_COLUMNS = ("id", "site_id", "user_id", "day", "shift_id", "post", "created_by_id", "created_at")
ATTENDANCE_COLUMNS = ("site_id", "user_id", "day", "roster_id", "clock_in_at", "clock_out_at", "late_minutes",
                      "early_minutes", "in_idem", "out_idem")
LEAVE_COLUMNS = ("site_id", "user_id", "starts", "ends", "reason", "status", "created_at", "decided_by_id",
                 "decided_at", "decision_note", "warning_overridden", "idem_key")
HANDOVER_COLUMNS = ("id", "site_id", "post", "day", "from_user_id", "to_user_id", "status", "notes",
                    "property_checked", "started_at", "submitted_at", "accepted_at", "cancelled_at",
                    "cancelled_by_id", "idem_key")
LINE_COLUMNS = ("handover_id", "site_id", "position", "kind", "text", "item_id", "condition", "note", "detail",
                "state", "carried_from_id", "origin_id", "disputed", "dispute_reason", "disputed_at", "resolved_at",
                "resolved_by_id", "resolution", "idem_key")
RUN_COLUMNS = ("id", "site_id", "template_id", "shift_date", "slot", "started_by_id", "started_at",
               "completed_by_id", "completed_at", "failed_count", "subject_user_id", "score")
ANSWER_COLUMNS = ("id", "run_id", "item_id", "ok", "number", "note", "answered_by_id", "answered_at", "photo")
TASK_COLUMNS = ("site_id", "run_id", "answer_id", "assignee", "text", "status", "created_by_id", "created_at",
                "done_by_id", "done_at", "idem", "kind")
# In insert order (parents first).
SHIFT_TABLES = (("roster_entries", ROSTER_COLUMNS), ("attendance", ATTENDANCE_COLUMNS),
                ("handovers", HANDOVER_COLUMNS), ("handover_lines", LINE_COLUMNS),
                ("checklist_runs", RUN_COLUMNS), ("checklist_answers", ANSWER_COLUMNS), ("tasks", TASK_COLUMNS),
                ("leave_requests", LEAVE_COLUMNS))


def _shift_plan(db, site, password_hash: str | None) -> dict | None:
    """What the generator needs of a site (adding its shifts, grooming and inspection templates and staff
    where missing), or None when it has a roster history already (a reused DATABASE_URL)."""
    from sqlalchemy import func, select

    from hospitality.attendance.services import default_shifts
    from hospitality.handover.reads import HANDOVER_POSTS
    from hospitality.inspections.seed import seed_templates
    from hospitality.inventory.services import POST_LOCATIONS
    from hospitality.models import ChecklistRun, ChecklistTemplate, Item, Location, User
    from hospitality.models.attendance import LeaveRequest, RosterEntry, Shift
    from hospitality.permissions import post_can

    today = site.today()
    old = today - timedelta(days=15)  # the demo's own attendance seed covers two weeks back
    if db.session.scalar(select(func.count()).select_from(RosterEntry).where(
            RosterEntry.site_id == site.id, RosterEntry.day < old)):
        return None
    added = {"shifts": 0, "templates": 0, "staff": 0}
    n_shifts = db.session.scalar(select(func.count(Shift.id)).where(Shift.site_id == site.id))
    shifts = {s.code: s for s in default_shifts(site)}  # the app's own rows where the site lacks them
    added["shifts"] = len(shifts) - n_shifts
    added["templates"] = seed_templates(site)  # every site gets the grooming and inspection templates
    users = list(db.session.scalars(select(User).where(User.site_id == site.id, User.active.is_(True))
                                    .order_by(User.id)))
    new = []
    for post, want in STAFF_WANTED.items():
        for k in range(sum(u.post == post for u in users), want):
            new.append({"site_id": site.id, "username": f"shift{site.id:03d}_{post}_{k + 1}",
                        "name": f"{site.code[-2:]}{post[:2]}{k + 1}", "badge_no": f"S{k + 1:03d}", "phone": "",
                        "post": post, "active": True, "password_hash": password_hash or "!"})
    if new:
        db.session.execute(User.__table__.insert(), new)
        added["staff"] = len(new)
        users = list(db.session.scalars(select(User).where(User.site_id == site.id, User.active.is_(True))
                                        .order_by(User.id)))
    lead = next((u.id for u in users if u.post == "lead"), None)
    manager = next((u.id for u in users if u.post == "manager"), None) or lead
    lead = lead or manager
    # People on the roster: a fixed weekday off each; security alternates night and day (the first on nights).
    people, seen = [], defaultdict(int)
    for u in users:
        if not post_can(u.post, "attendance.own"):
            continue
        k = seen[u.post]
        seen[u.post] += 1
        code = ("night" if k % 2 == 0 else "day") if u.post == "security" else "day"
        people.append({"id": u.id, "post": u.post, "off": (SHIFT_DAYS_OFF.get(u.post, 4) + k) % 5,
                       "shift": shifts[code]})
    # Days the demo's own attendance seed already has: this generator only goes back from its first day.
    first_existing = dict(db.session.execute(select(RosterEntry.user_id, func.min(RosterEntry.day)).where(
        RosterEntry.site_id == site.id).group_by(RosterEntry.user_id)).all())
    leaves = defaultdict(list)  # user id -> [(starts, ends, status)] already there
    for uid, starts, ends, status in db.session.execute(select(
            LeaveRequest.user_id, LeaveRequest.starts, LeaveRequest.ends, LeaveRequest.status).where(
            LeaveRequest.site_id == site.id)):
        leaves[uid].append((starts, ends, status))
    grooming, areas = [], []
    for t in db.session.scalars(select(ChecklistTemplate).where(
            ChecklistTemplate.site_id == site.id, ChecklistTemplate.active.is_(True),
            ChecklistTemplate.kind.in_(("grooming", "inspection"))).order_by(ChecklistTemplate.position,
                                                                             ChecklistTemplate.id)):
        items = [(i.id, i.text) for i in t.active_items]
        if not items:
            continue
        if t.kind == "grooming":
            grooming.append((t.id, t.post_list, items))
        else:
            kind = t.location.kind if t.location is not None else None
            assignee = kind if kind in ("water_bar", "model_room") else "cleaner"
            slots = [(tm.strftime("%H:%M"), tm) for tm in t.time_list] or [("", t.due_time or dtime(9, 30))]
            areas.append((t.id, slots, items, assignee))
    tids = [g[0] for g in grooming] + [a[0] for a in areas]
    runs = set(db.session.execute(select(ChecklistRun.template_id, ChecklistRun.shift_date, ChecklistRun.slot)
                                  .where(ChecklistRun.site_id == site.id, ChecklistRun.template_id.in_(tids))).all())
    fixtures = {}
    for post in HANDOVER_POSTS:
        kinds = POST_LOCATIONS.get(post, ())
        fixtures[post] = list(db.session.execute(select(Item.id, Item.name).join(
            Location, Location.id == Item.location_id).where(
            Item.site_id == site.id, Item.kind == "fixture", Item.active.is_(True), Location.active.is_(True),
            Location.kind.in_(kinds)).order_by(Item.id)).all()) if kinds else []
    return {"id": site.id, "tz": site.tz, "today": today, "grace": site.grace_minutes or 0, "lead": lead,
            "manager": manager, "people": people, "first_existing": first_existing, "leaves": leaves,
            "grooming": grooming, "areas": areas, "runs": runs, "fixtures": fixtures, "added": added,
            "by_post": {post: [p for p in people if p["post"] == post] for post in HANDOVER_POSTS}}


class _Shifts:
    """Generates a site's days: roster, clock-ins, the handovers, grooming checks and inspection rounds."""

    def __init__(self, rng: random.Random, writer: _Writer, now: datetime, ids: dict):
        self.rng, self.w, self.now, self.ids = rng, writer, now, ids
        self.totals = defaultdict(int)
        self.clear()

    def clear(self) -> None:
        self.rows = {table: [] for table, _cols in SHIFT_TABLES}

    def _id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table] - 1

    def flush(self) -> None:
        for table, columns in SHIFT_TABLES:
            rows = self.rows[table]
            self.w.tuples(table, columns, rows)
            self.totals[table] += len(rows)
        self.clear()

    # ------------------------------------------------------------------ leave (before the roster)
    def leave(self, p: dict, days: int) -> None:
        """Each person's requests over the year: approved (no roster on those days), refused with a reason,
        a few cancelled; some people have one pending for the coming weeks."""
        rng, w, tz, today = self.rng, self.w, p["tz"], p["today"]
        first_day = today - timedelta(days=days)
        p["off_days"] = defaultdict(set)
        n = max(1, round(days * LEAVES_PER_YEAR / 365))
        for person in p["people"]:
            uid = person["id"]
            taken = p["leaves"][uid]
            for s, e, status in taken:
                if status == "approved":
                    p["off_days"][uid].update(s + timedelta(days=k) for k in range((e - s).days + 1))
            limit = p["first_existing"].get(uid, today)
            decider = p["manager"] if uid == p["lead"] else p["lead"]
            for k in range(n + (1 if rng.random() < PENDING_LEAVE else 0)):
                pending = k == n
                length = rng.choices(*LEAVE_LENGTHS)[0]
                if pending:
                    starts = today + timedelta(days=rng.randint(SHIFT_AHEAD + 1, SHIFT_AHEAD + 14))
                else:
                    starts = first_day + timedelta(days=rng.randint(0, max(days - length - 1, 0)))
                ends = starts + timedelta(days=length - 1)
                if (not pending and ends >= limit) or any(s <= ends and starts <= e for s, e, _st in taken):
                    continue
                status = "pending" if pending else rng.choices(*LEAVE_MIX)[0]
                sick = not pending and rng.random() < 0.2  # asked for afterwards
                asked = (self.now - timedelta(hours=rng.randint(2, 60)) if pending else
                         _utc(tz, starts + timedelta(days=1 if sick else -rng.randint(2, 10)), dtime(9, 0),
                              rng.uniform(0, 9 * 3600)))
                decided = asked + timedelta(minutes=rng.randint(20, 300)) if status in ("approved", "refused") \
                    else None
                self.rows["leave_requests"].append((
                    p["id"], uid, w.day(starts), w.day(ends), "身体不适" if sick else rng.choice(LEAVE_REASONS), status,
                    w.ts(asked), decider if decided else None, w.ts(decided),
                    rng.choice(REFUSALS) if status == "refused" else ("已安排顶班" if status == "approved" else None),
                    False, None))
                taken.append((starts, ends, status))
                if status == "approved":
                    p["off_days"][uid].update(starts + timedelta(days=d) for d in range(length))

    # ------------------------------------------------------------------ a day
    def day(self, p: dict, day: date) -> None:
        rng, w, tz, now, today = self.rng, self.w, p["tz"], self.now, p["today"]
        made = w.ts(_utc(tz, day - timedelta(days=day.weekday() + 3), dtime(16, 0)))  # the Friday before
        present = []  # (person, clock-in)
        rostered = defaultdict(list)  # post -> people
        for person in p["people"]:
            uid = person["id"]
            if (day.weekday() == person["off"] or day in p["off_days"][uid]
                    or day >= p["first_existing"].get(uid, date.max)):
                continue
            rid = self._id("roster_entries")
            shift = person["shift"]
            self.rows["roster_entries"].append((rid, p["id"], uid, w.day(day), shift.id, person["post"], p["lead"],
                                                made))
            rostered[person["post"]].append(person)
            start = _utc(tz, day, shift.starts)
            end = _utc(tz, day + timedelta(days=1) if shift.overnight else day, shift.ends)
            if day > today or start > now:
                continue
            if day == today and rng.random() > TODAY_CLOCKED:
                continue  # today: some clocked in (nobody out yet), the others not yet
            roll = rng.random()
            if day < today and roll < MISSING:
                continue  # absent, no clock-in
            if roll > 1 - LATE:
                arrive = start + timedelta(minutes=p["grace"] + rng.randint(1, 35), seconds=rng.randint(0, 59))
            else:
                arrive = start - timedelta(minutes=rng.randint(2, 15), seconds=rng.randint(0, 59))
            if arrive > now:
                continue
            late = 0 if arrive <= start + timedelta(minutes=p["grace"]) else \
                max(1, int((arrive - start).total_seconds() // 60))
            out, early = None, 0
            if day != today:
                if MISSING <= roll < MISSING + EARLY:
                    out = end - timedelta(minutes=rng.randint(10, 90), seconds=rng.randint(0, 59))
                    early = max(1, int((end - out).total_seconds() // 60))
                else:
                    out = end + timedelta(minutes=rng.randint(0, 25), seconds=rng.randint(0, 59))
                if out > now:
                    out, early = None, 0
            self.rows["attendance"].append((p["id"], uid, w.day(day), rid, w.ts(arrive), w.ts(out), late, early,
                                            None, None))
            present.append((person, arrive))
        if day > today:
            return
        here = {person["id"] for person, _a in present}
        lead = p["lead"] if p["lead"] in here else p["manager"]
        self._handovers(p, day, rostered, here)
        self._grooming(p, day, present, lead)
        self._areas(p, day, lead)

    def _handovers(self, p: dict, day: date, rostered: dict, here: set) -> None:
        """One accepted handover per handover post: the post's person on duty to a colleague (security: the
        day shift to the night shift), 2-4 lines; a few lines disputed and resolved by the lead."""
        rng, w, now = self.rng, self.w, self.now
        for post, everyone in p["by_post"].items():
            on = [q for q in rostered.get(post, ()) if q["id"] in here]
            if not on:
                continue
            giver = next((q for q in on if q["shift"].code == "day"), on[0])
            others = [q for q in on if q is not giver] or [q for q in everyone if q is not giver]
            if not others:
                continue
            taker = next((q for q in others if q["shift"].code != giver["shift"].code), others[0])
            sh = giver["shift"]
            end = _utc(p["tz"], day + timedelta(days=1) if sh.overnight else day, sh.ends)
            submitted = end - timedelta(minutes=rng.uniform(3, 15))
            started = submitted - timedelta(minutes=rng.uniform(8, 25))
            accepted = submitted + timedelta(minutes=rng.uniform(2, 12))
            if accepted > now:
                continue  # not handed over yet: no handover in progress is left behind
            hid = self._id("handovers")
            self.rows["handovers"].append((hid, p["id"], post, w.day(day), giver["id"], taker["id"], "accepted",
                                           "一切正常" if rng.random() < 0.2 else None, True, w.ts(started),
                                           w.ts(submitted), w.ts(accepted), None, None, None))
            lines = []  # (kind, text, item id, condition, detail, natural state)
            fixtures = p["fixtures"].get(post) or []
            n = rng.randint(2, 4)
            for item_id, name in rng.sample(fixtures, min(len(fixtures), rng.randint(1, 2))):
                damaged = rng.random() < 0.02
                lines.append(("fixture", name, item_id, "damaged" if damaged else "intact", {},
                              "open" if damaged else "info"))
            if post != "water_bar" and len(lines) < n and rng.random() < 0.4:
                groups = rng.randint(1, 3)
                lines.append(("guests", "", None, None, {"groups": groups, "people": groups * rng.randint(2, 4)},
                              "info"))
            if post != "model_room" and len(lines) < n and rng.random() < 0.15:
                lines.append(("umbrellas", "", None, None, {"qty": rng.randint(1, 4)}, "info"))
            while len(lines) < n:
                kind = rng.choices(["key", "watch", "damage"], [4, 4, 1])[0]
                lines.append((kind, rng.choice(MANUAL_LINES[kind]), None, None, {}, "open"))
            for pos, (kind, text, item_id, condition, detail, state) in enumerate(lines[:n], start=1):
                disputed = rng.random() < HANDOVER_DISPUTED
                resolved_at = resolved_by = resolution = None
                if disputed or state == "open":  # dealt with later: by the lead if disputed, else the post
                    state = "resolved"
                    resolved_at = accepted + timedelta(minutes=rng.uniform(30, 600))
                    resolved_by = p["lead"] if disputed else taker["id"]
                    resolution = "已与双方核实,记录更正" if disputed else "已处理"
                    if resolved_at > now:
                        state, resolved_at, resolved_by, resolution = "open", None, None, None
                self.rows["handover_lines"].append((
                    hid, p["id"], pos, kind, text, item_id, condition, None, json.dumps(detail), state, None, None,
                    disputed, rng.choice(DISPUTES) if disputed else None,
                    w.ts(submitted + timedelta(minutes=1)) if disputed else None,
                    w.ts(resolved_at), resolved_by, resolution, None))

    def _run(self, p, day, template_id, slot, checker, started, items, subject, assignee, fail) -> None:
        """A completed checklist run with an answer per item; failed items raise a task now and then."""
        rng, w = self.rng, self.w
        if (template_id, day, slot) in p["runs"]:
            return
        done = started + timedelta(seconds=20 * len(items) + rng.uniform(30, 240))
        if done > self.now:
            return
        run_id = self._id("checklist_runs")
        failed = 0
        for k, (item_id, text) in enumerate(items):
            ok = rng.random() >= fail
            aid = self._id("checklist_answers")
            at = started + timedelta(seconds=20 * k + 10)
            self.rows["checklist_answers"].append((aid, run_id, item_id, ok, None, None if ok else "需整改",
                                                   checker, w.ts(at), None))
            if ok:
                continue
            failed += 1
            if assignee and rng.random() < TASK_SHARE:
                fixed = done + timedelta(minutes=rng.uniform(20, 360))
                is_done = day < p["today"] - timedelta(days=OPEN_TASK_DAYS) and fixed <= self.now
                self.rows["tasks"].append((p["id"], run_id, aid, assignee, f"{text}:请整改",
                                           "done" if is_done else "open", checker, w.ts(done),
                                           p["lead"] if is_done else None, w.ts(fixed) if is_done else None, None,
                                           "inspection"))
        self.rows["checklist_runs"].append((run_id, p["id"], template_id, w.day(day), slot, checker, w.ts(started),
                                            checker, w.ts(done), failed, subject,
                                            round(100 * (len(items) - failed) / len(items))))

    def _grooming(self, p: dict, day: date, present: list, lead: int) -> None:
        """The lead checks everyone who came (the manager checks the lead), once they are in."""
        from hospitality.models.core import STAFF_POSTS
        rng = self.rng
        for person, arrive in present:
            post = person["post"]
            template = next((g for g in p["grooming"] if post in g[1]), None) or \
                next((g for g in p["grooming"] if not g[1]), None)
            checker = p["manager"] if person["id"] == lead else lead
            if template is None or checker is None or checker == person["id"]:
                continue
            start = _utc(p["tz"], day, person["shift"].starts)
            started = max(arrive, start) + timedelta(minutes=rng.uniform(3, 40))
            assignee = post if post in STAFF_POSTS else None  # the lead's own checks raise no task
            self._run(p, day, template[0], f"u{person['id']}", checker, started, template[2], person["id"],
                      assignee, GROOM_FAIL)

    def _areas(self, p: dict, day: date, lead: int) -> None:
        """Every inspection round of the day, done by the lead before it is due (a few missed)."""
        rng = self.rng
        for template_id, slots, items, assignee in p["areas"]:
            for slot, due in slots:
                if rng.random() < AREA_MISSED:
                    continue
                started = _utc(p["tz"], day, due) - timedelta(minutes=rng.uniform(5, 30))
                self._run(p, day, template_id, slot, lead, started, items, None, assignee, AREA_FAIL)


def seed_shift_year(app, days: int = HISTORY_DAYS, seed: int = 11, analyze: bool = False) -> dict:
    """A year of the shift side for every site without a roster history: shifts, staff, the roster (a week
    ahead), clock-ins, leave, handovers, grooming checks, inspection rounds and their tasks; returns figures."""
    from sqlalchemy import select

    from hospitality.clock import utcnow
    from hospitality.extensions import db
    from hospitality.models import ChecklistAnswer, ChecklistRun, Site, User
    from hospitality.models.attendance import RosterEntry
    from hospitality.models.handover import Handover

    rng = random.Random(seed)
    t0 = time.monotonic()
    with app.app_context():
        _check_columns(db, SHIFT_TABLES, "SHIFT_TABLES", raw=True)
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        password_hash = db.session.scalar(select(User.password_hash).order_by(User.id).limit(1))
        plans = [p for p in (_shift_plan(db, s, password_hash) for s in sites) if p]
        db.session.commit()
        if not plans:
            return {"sites": 0, "seconds": time.monotonic() - t0, "skipped": True}
        writer = _Writer(db)
        now = utcnow()  # the app's clock (the bench's --clock), not the machine's
        ids = {"roster_entries": _next_id(db, RosterEntry), "handovers": _next_id(db, Handover),
               "checklist_runs": _next_id(db, ChecklistRun), "checklist_answers": _next_id(db, ChecklistAnswer)}
        gen = _Shifts(rng, writer, now, ids)
        for p in plans:
            gen.leave(p, days)
        today = max(p["today"] for p in plans)
        for back in range(days, -SHIFT_AHEAD - 1, -1):
            day = today - timedelta(days=back)
            for p in plans:  # day by day across the sites: a post's handovers get ids in time order
                gen.day(p, day)
            if back % BATCH_DAYS == 0 or back == -SHIFT_AHEAD:
                gen.flush()
        writer.fix_sequences([t for t, _cols in SHIFT_TABLES] + ["users"])
        db.session.commit()
        if writer.pg or analyze:
            for table, _cols in SHIFT_TABLES:
                db.session.execute(db.text(f"ANALYZE {table}"))
            db.session.commit()
        added = defaultdict(int)
        for p in plans:
            for k, v in p["added"].items():
                added[k] += v
        return {"sites": len(plans), "people": sum(len(p["people"]) for p in plans), **dict(added),
                "rows": {t: gen.totals[t] for t, _cols in SHIFT_TABLES}, "seconds": time.monotonic() - t0}


# ==================================================================== night patrols and incidents (issue 14: the
# patrol screen, the checkpoint scan, the night report; the incident pages over a year)

# Of a night's rounds: nobody walked it; walked but a checkpoint or two never reached (the round stays open).
ROUND_MISSED, ROUND_PARTIAL = 0.02, 0.04
SCAN_TAP = 0.03  # tapped in the list (code damaged) instead of scanned
NO_POSITION = 0.15  # the phone gave no position
SCAN_FAR, SCAN_FAST = 0.01, 0.008  # flagged: far from the checkpoint's position; faster than walking
SCAN_PROBLEM = 0.006  # a problem found at a checkpoint (lights, AC, a door…)
PROBLEM_TO_INCIDENT, PROBLEM_TO_MORNING = 0.4, 0.45  # the rest left undecided
REFUSED_PER_NIGHT = 0.25  # refused scans per site and night (not rostered, no round open, a stray code)
INCIDENTS_PER_DAY = 0.35  # other incidents any post reports, per site and day
INCIDENT_KIND_MIX = (["suspicious", "damage", "utility", "quarrel", "injury", "theft", "fire", "other"],
                     [20, 20, 15, 8, 5, 5, 4, 23])
INCIDENT_NOTES = {"suspicious": "门口有推销人员徘徊,已劝离", "damage": "洽谈区椅子扶手松动", "utility": "水吧台下漏水",
                  "quarrel": "客户对排队等候不满,已安抚", "injury": "客户在台阶处扭伤脚踝", "theft": "样板间摆件不见了",
                  "fire": "消防通道堆放纸箱", "other": "停车场道闸故障"}
PATROL_NOTES = {"lights": "样板间灯未关", "ac": "空调未关", "power": "热水器未断电", "fire": "配电房门口堆放纸箱",
                "door": "侧门未锁", "other": "地面有积水"}
OPEN_INCIDENT_DAYS = 4  # incidents reported in the last days may still be open; older ones are closed
BENCH_GUARD = "security2"  # the demo's night guard: the bench scans as this login, on tonight's roster

RUN_TABLE = (("checklist_runs", RUN_COLUMNS),)
INCIDENT_COLUMNS = ("id", "site_id", "kind", "level", "location_id", "visit_id", "description", "reported_by_id",
                    "reported_at", "acknowledged_by_id", "acknowledged_at", "status", "handed_to", "closed_by_id",
                    "closed_at", "outcome", "idem_key")
INCIDENT_EVENT_COLUMNS = ("id", "incident_id", "site_id", "kind", "user_id", "at", "handed_to", "note", "idem_key")
SCAN_COLUMNS = ("id", "site_id", "day", "slot", "run_id", "checkpoint_id", "user_id", "at", "method", "status",
                "refusal", "lat", "lng", "accuracy", "distance_m", "flags", "problem", "note", "photo", "incident_id",
                "morning_task", "task_done_at", "task_done_by_id", "task_note", "idem_key")
# In insert order (parents first).
PATROL_TABLES = (("checklist_runs", RUN_COLUMNS), ("incidents", INCIDENT_COLUMNS),
                 ("incident_events", INCIDENT_EVENT_COLUMNS), ("patrol_scans", SCAN_COLUMNS))
METRES_PER_DEGREE = 111_320.0


def _patrol_plan(db, site, bench_guard: str | None, now_local: datetime) -> dict | None:
    """What the generator needs of a site: its patrol (rounds as offsets from the night's midnight), checkpoints
    (placed by the manager: a position each), the night roster, security and the places; None when the site has no
    patrol or has a patrol history already (a reused DATABASE_URL)."""
    from sqlalchemy import func, select, update

    from hospitality.checklists.reads import schedule
    from hospitality.models import ChecklistRun, Location, User
    from hospitality.models.attendance import RosterEntry
    from hospitality.models.patrol import Checkpoint
    from hospitality.patrol import reads

    patrol = reads.template(site.id)
    if patrol is None:
        return None
    tonight = reads.night_of(patrol, now_local)
    old = tonight - timedelta(days=7)  # the demo's own patrol seed walks the last two nights
    if db.session.scalar(select(func.count()).select_from(ChecklistRun).where(
            ChecklistRun.template_id == patrol.id, ChecklistRun.shift_date < old)):
        return None
    if bench_guard:  # the bench's night guard is on tonight's night roster, whatever the weekday
        guard = db.session.scalar(select(User).where(User.site_id == site.id, User.username == bench_guard))
        if guard is not None:
            entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == guard.id,
                                                                RosterEntry.day == tonight))
            if entry is None:
                db.session.add(RosterEntry(site_id=site.id, user_id=guard.id, day=tonight, shift_id=patrol.shift_id,
                                           post=guard.post))
            else:
                entry.shift_id = patrol.shift_id
            db.session.flush()
        bench_guard = guard.id if guard is not None else None
    # The manager placed every checkpoint: a position each, a few tens of metres apart around the site.
    rng = random.Random(site.id)
    base = (22.5 + rng.uniform(0, 0.5), 113.9 + rng.uniform(0, 0.5))
    points = []
    for cp in db.session.scalars(select(Checkpoint).where(Checkpoint.site_id == site.id, Checkpoint.active.is_(True))
                                 .order_by(Checkpoint.position, Checkpoint.id)):
        lat = base[0] + rng.uniform(-60, 60) / METRES_PER_DEGREE
        lng = base[1] + rng.uniform(-60, 60) / METRES_PER_DEGREE
        db.session.execute(update(Checkpoint).where(Checkpoint.id == cp.id).values(
            lat=lat, lng=lng, placed_at=_utc(site.tz, tonight - timedelta(days=400), dtime(15, 0))))
        points.append({"id": cp.id, "name": cp.name, "location_id": cp.location_id, "lat": lat, "lng": lng})
    midnight = datetime.combine(date(2000, 1, 1), dtime(0))
    rounds = [(r.slot, (r.opens_at - midnight).total_seconds(), (r.due_at - midnight).total_seconds())
              for r in schedule(patrol, date(2000, 1, 1))]
    night_roster = defaultdict(list)
    for day, uid in db.session.execute(select(RosterEntry.day, RosterEntry.user_id).where(
            RosterEntry.site_id == site.id, RosterEntry.shift_id == patrol.shift_id).order_by(RosterEntry.id)):
        night_roster[day].append(uid)
    if bench_guard is not None:
        night_roster[tonight] = [bench_guard] + [u for u in night_roster[tonight] if u != bench_guard]
    users = list(db.session.execute(select(User.id, User.post).where(User.site_id == site.id,
                                                                     User.active.is_(True)).order_by(User.id)))
    security = [u.id for u in users if u.post == "security"]
    lead = next((u.id for u in users if u.post == "lead"), None)
    manager = next((u.id for u in users if u.post == "manager"), None) or lead
    places = list(db.session.scalars(select(Location.id).where(Location.site_id == site.id,
                                                                Location.active.is_(True)).order_by(Location.id)))
    nights_done = set(db.session.scalars(select(ChecklistRun.shift_date).where(
        ChecklistRun.template_id == patrol.id).distinct()))
    return {"id": site.id, "tz": site.tz, "patrol": patrol.id, "rounds": rounds, "points": points,
            "roster": night_roster, "security": security or [u.id for u in users], "lead": lead or manager,
            "manager": manager or lead, "staff": [u.id for u in users if u.post != "manager"] or [manager],
            "places": places, "tonight": tonight, "done": nights_done, "bench": bench_guard is not None}


class _Patrols:
    """Generates a site's nights (rounds, scans with their flags and problems, refused scans) and its days'
    incidents with their timelines; rows in the writer's form, ids given here (a problem's incident, a scan's run)."""

    def __init__(self, rng: random.Random, writer: _Writer, now: datetime, ids: dict):
        from hospitality.models.incidents import KINDS
        from hospitality.models.patrol import INCIDENT_KIND, PROBLEMS
        from hospitality.patrol.services import FAR_METRES, metres
        self.rng, self.w, self.now, self.ids = rng, writer, now, ids
        self.kinds, self.incident_kind, self.far = KINDS, INCIDENT_KIND, FAR_METRES
        self.problems = {k: str(v) for k, v in PROBLEMS.items()}
        self.metres = metres
        self.totals = defaultdict(int)
        self.clear()

    def clear(self) -> None:
        self.rows = {table: [] for table, _cols in PATROL_TABLES}

    def _id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table] - 1

    def flush(self) -> None:
        for table, columns in PATROL_TABLES:
            self.w.tuples(table, columns, self.rows[table])
            self.totals[table] += len(self.rows[table])
        self.clear()

    def incident(self, p, kind, level, location_id, description, by, at: datetime, idem=None) -> int:
        """An incident and its timeline: reported, acknowledged (every urgent one, half the others), actions, handed
        over now and then, closed unless reported in the last few days."""
        rng, w, now = self.rng, self.w, self.now
        iid = self._id("incidents")
        events = [("reported", by, at, None, description)]
        t = at
        ack_by = ack_at = None
        if level == "urgent" or rng.random() < 0.5:
            t += timedelta(minutes=rng.uniform(1, 15))
            ack_by, ack_at = rng.choice((p["lead"], p["manager"], *p["security"][:1])), t
            events.append(("acknowledged", ack_by, t, None, None))
        for _ in range(rng.choices((0, 1, 2, 3), (25, 45, 20, 10))[0]):
            t += timedelta(minutes=rng.uniform(5, 120))
            events.append(("action", rng.choice(p["staff"]), t, None, rng.choice(("已现场处理", "已通知物业",
                                                                                  "已拍照留存", "已联系客户"))))
        handed = None
        if rng.random() < 0.15 and t + timedelta(minutes=90) <= now:
            handed = rng.choice(("police", "property", "repair"))
            t += timedelta(minutes=rng.uniform(10, 90))
            events.append(("handed", p["lead"], t, handed, "已移交处理"))
        status, closed_by, closed_at, outcome = ("handed" if handed else "open"), None, None, None
        close_at = t + timedelta(hours=rng.uniform(1, 48))
        if close_at <= now and (at < now - timedelta(days=OPEN_INCIDENT_DAYS) or rng.random() < 0.5):
            status, closed_by, closed_at, outcome = "closed", p["manager"], close_at, "已处理完毕"
            events.append(("closed", closed_by, close_at, None, outcome))
        events = [e for e in events if e[2] <= now]
        if ack_at is not None and ack_at > now:
            ack_by = ack_at = None
        self.rows["incidents"].append((iid, p["id"], kind, level, location_id, None, description, by, w.ts(at), ack_by,
                                       w.ts(ack_at), status, handed, closed_by, w.ts(closed_at), outcome, idem))
        for kind_, user, when, to, note in events:
            self.rows["incident_events"].append((self._id("incident_events"), iid, p["id"], kind_, user, w.ts(when),
                                                 to, note, None))
        return iid

    def day_incidents(self, p: dict, day: date) -> None:
        """The incidents any post reports during a day."""
        rng = self.rng
        n = (1 if rng.random() < INCIDENTS_PER_DAY else 0) + (1 if rng.random() < INCIDENTS_PER_DAY / 4 else 0)
        for _ in range(n):
            kind = rng.choices(*INCIDENT_KIND_MIX)[0]
            at = _utc(p["tz"], day, dtime(9, 0), rng.uniform(0, 12 * 3600))
            if at > self.now:
                continue
            level = "urgent" if kind in ("fire", "injury") or rng.random() < 0.08 else "note"
            by = rng.choice(p["security"] if rng.random() < 0.5 else p["staff"])
            self.incident(p, kind if kind in self.kinds else "other", level, rng.choice(p["places"]),
                          INCIDENT_NOTES.get(kind, "其他情况"), by, at)

    def night(self, p: dict, night: date) -> None:
        """A night's rounds by the guard on the night roster (a few missed or left unfinished), every scan with its
        position and flags, the problems found (passed on as incidents or left for the morning), refused scans."""
        rng, w, now = self.rng, self.w, self.now
        tz, points = p["tz"], p["points"]
        guards = p["roster"].get(night)
        if night in p["done"] or not points:
            return
        midnight = _utc(tz, night, dtime(0))
        tonight = night == p["tonight"]
        guard = guards[0] if guards else None
        previous = None  # (at, lat, lng) of the guard's last scan: "fast" is flagged against it
        for slot, opens, due in p["rounds"]:
            opens_at, due_at = midnight + timedelta(seconds=opens), midnight + timedelta(seconds=due)
            if guard is None or opens_at > now:
                break
            if not tonight and rng.random() < ROUND_MISSED:
                continue
            skip = set()
            if not tonight and rng.random() < ROUND_PARTIAL:
                skip = set(rng.sample(range(len(points)), rng.randint(1, 2)))
            current = opens_at <= now < due_at
            if current and p["bench"]:
                skip = set(range(3, len(points)))  # the bench's round under way: the first three visited
            started = opens_at + timedelta(minutes=rng.uniform(2, 15))
            run_id = self._id("checklist_runs")
            at, scans, problems = started, [], 0
            for k, cp in enumerate(points):
                gap = rng.uniform(40, 150)
                fast = rng.random() < SCAN_FAST
                at += timedelta(seconds=rng.uniform(5, 12) if fast else gap)
                if k in skip or at >= min(due_at, now):
                    continue
                scans.append(self._scan(p, night, slot, run_id, cp, guard, at, fast, previous))
                previous = (at, scans[-1][11], scans[-1][12])
                problems += scans[-1][9] == "problem"
            if not scans:
                self.ids["checklist_runs"] -= 1  # no scan, no run (the round was missed)
                continue
            complete = len(scans) == len(points)
            last = scans[-1][7]
            self.rows["checklist_runs"].append((run_id, p["id"], p["patrol"], w.day(night), slot, guard, w.ts(started),
                                                guard if complete else None, last if complete else None, problems,
                                                None, None))
            for row in scans:
                self.rows["patrol_scans"].append(row)
            for idx in range(len(self.rows["patrol_scans"]) - len(scans), len(self.rows["patrol_scans"])):
                row = self.rows["patrol_scans"][idx]
                if row[9] != "problem":
                    continue
                decide = rng.random()
                scan_at = datetime.fromisoformat(row[7]) if isinstance(row[7], str) else row[7]
                reported = scan_at + timedelta(minutes=rng.uniform(1, 5))
                if reported > now:
                    continue  # found a moment ago: not passed on yet
                if decide < PROBLEM_TO_INCIDENT:
                    cp = next(c for c in points if c["id"] == row[5])
                    iid = self.incident(p, self.incident_kind[row[16]], "urgent" if row[16] == "fire" else "note",
                                        cp["location_id"], f"巡逻 · {cp['name']}: {self.problems[row[16]]}. {row[17]}",
                                        guard, reported, idem=f"patrol{row[0]}")
                    self.rows["patrol_scans"][idx] = row[:19] + (iid,) + row[20:]
                elif decide < PROBLEM_TO_INCIDENT + PROBLEM_TO_MORNING:
                    done_at = _utc(tz, night + timedelta(days=1), dtime(9, 30), rng.uniform(0, 3 * 3600))
                    done = done_at <= now - timedelta(days=1)  # the last night's tasks are still open
                    self.rows["patrol_scans"][idx] = row[:20] + (
                        True, w.ts(done_at) if done else None, p["lead"] if done else None,
                        "已处理" if done else None) + row[24:]
        self._refused(p, night, midnight, guard)

    def _scan(self, p, night, slot, run_id, cp, guard, at, fast, previous) -> tuple:
        rng, w = self.rng, self.w
        flags, lat = [], None
        lng = accuracy = distance = None
        if rng.random() < NO_POSITION:
            flags.append("no_position")
        else:
            off = rng.uniform(100, 300) if rng.random() < SCAN_FAR else rng.uniform(0, 25)
            bearing = rng.uniform(0, 2 * math.pi)
            lat = cp["lat"] + off * math.cos(bearing) / METRES_PER_DEGREE
            lng = cp["lng"] + off * math.sin(bearing) / METRES_PER_DEGREE
            accuracy = round(rng.uniform(5, 30), 1)
            distance = round(self.metres(lat, lng, cp["lat"], cp["lng"]))
            if distance > max(self.far, accuracy):
                flags.append("far")
        if fast and previous is not None:
            flags.append("fast")
        problem = note = None
        status = "ok"
        if rng.random() < SCAN_PROBLEM:
            status = "problem"
            problem = rng.choice(("lights", "ac", "power", "fire", "door", "other"))
            note = PATROL_NOTES[problem]
        method = "tap" if rng.random() < SCAN_TAP else "scan"
        return (self._id("patrol_scans"), p["id"], w.day(night), slot, run_id, cp["id"], guard, w.ts(at), method,
                status, None, lat, lng, accuracy, distance, ",".join(flags), problem, note, None, None, False, None,
                None, None, None)

    def _refused(self, p, night, midnight, guard) -> None:
        """Now and then a scan that did not count: a day guard not on the night roster, a code scanned after the
        night shift, a code that is no checkpoint (or another site's)."""
        rng, w = self.rng, self.w
        while rng.random() < REFUSED_PER_NIGHT:
            reason = rng.choices(("not_rostered", "no_round", "unknown", "other_site"), (50, 20, 20, 10))[0]
            others = [u for u in p["security"] if u != guard] or p["security"]
            user, cp, slot, day = rng.choice(others), rng.choice(p["points"])["id"], "", night
            if reason == "no_round":
                seconds = rng.uniform(32.6, 33.5) * 3600  # 08:36-09:30 the next morning: the night's day still
                user = guard or user
            else:
                k = rng.randrange(len(p["rounds"]))
                slot, opens, _due = p["rounds"][k]
                seconds = opens + rng.uniform(60, 3000)
                if reason != "not_rostered":  # no checkpoint, no round: the app files it under the calendar day
                    cp, slot, day = None, "", night + timedelta(days=int(seconds // 86400))
            at = midnight + timedelta(seconds=seconds)
            if at > self.now:
                return
            self.rows["patrol_scans"].append((
                self._id("patrol_scans"), p["id"], w.day(day), slot, None, cp, user, w.ts(at), "scan", "refused",
                reason, None, None, None, None, "", None, None, None, None, False, None, None, None, None))


def seed_patrol_year(app, days: int = HISTORY_DAYS, seed: int = 13, analyze: bool = False,
                     bench_guard: str | None = BENCH_GUARD) -> dict:
    """A year of night patrols for every site with a patrol and no patrol history (a round every hour of each night
    on the night roster: ~8 checkpoints x 15 rounds a night, their ChecklistRun rows, flagged, problem and refused
    scans; tonight's rounds up to now), and a year of incidents with their timelines (the patrol's problems passed
    on, and what any post reports by day); returns figures. The demo site's `bench_guard` walks tonight."""
    from sqlalchemy import select

    from hospitality.clock import utcnow
    from hospitality.extensions import db
    from hospitality.models import ChecklistRun, Site
    from hospitality.models.incidents import Incident, IncidentEvent
    from hospitality.models.patrol import PatrolScan

    rng = random.Random(seed)
    t0 = time.monotonic()
    with app.app_context():
        _check_columns(db, PATROL_TABLES, "PATROL_TABLES", raw=True)
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        plans = [p for p in (_patrol_plan(db, s, bench_guard if s.code == "DEMO" else None,
                                          s.now().replace(tzinfo=None)) for s in sites) if p]
        db.session.commit()
        if not plans:
            return {"sites": 0, "seconds": time.monotonic() - t0, "skipped": True}
        writer = _Writer(db)
        ids = {"checklist_runs": _next_id(db, ChecklistRun), "incidents": _next_id(db, Incident),
               "incident_events": _next_id(db, IncidentEvent), "patrol_scans": _next_id(db, PatrolScan)}
        gen = _Patrols(rng, writer, utcnow(), ids)
        today = max(p["tonight"] for p in plans)
        for back in range(days, -1, -1):
            day = today - timedelta(days=back)
            for p in plans:
                gen.day_incidents(p, day)
                gen.night(p, day)
            if back % BATCH_DAYS == 0:
                gen.flush()
        writer.fix_sequences([t for t, _cols in PATROL_TABLES])
        db.session.commit()
        if writer.pg or analyze:
            for table, _cols in PATROL_TABLES:
                db.session.execute(db.text(f"ANALYZE {table}"))
            db.session.commit()
        rows = {t: gen.totals[t] for t, _cols in PATROL_TABLES}
        scans = db.session.execute(db.text(
            "SELECT status, count(*) AS n FROM patrol_scans GROUP BY status")).all()
        flagged = db.session.scalar(db.text("SELECT count(*) FROM patrol_scans WHERE flags <> ''"))
        return {"sites": len(plans), "rows": rows, "by_status": {s: n for s, n in scans}, "flagged": flagged,
                "checkpoints": sum(len(p["points"]) for p in plans), "seconds": time.monotonic() - t0}


# ==================================================================== complaints, guests' satisfaction, VIP notices
# and the front desk's log (issue 15: the complaint pages, follow-up calls, the monthly report, the guest pages)

COMPLAINTS_PER_DAY = ([0, 1, 2, 3], [35, 40, 18, 7])  # per site and day: about one
COMPLAINT_ON_VISIT = 0.6  # about a group of the day (else a caller: a name and a phone)
FOUNDED = 0.8
REOPENED = 0.12  # reached on the follow-up call and not satisfied: the complaint reopens (a second round)
NO_ANSWER = 0.2  # a follow-up call not reached (tried again the next day, at most three times)
STALL_DAYS, STALL = 14, 0.15  # of the last two weeks' complaints, this share stops at a step (open, some overdue)
CALL_SKIPPED = 0.3  # of the last two weeks' follow-ups, nobody called yet (due, some overdue)
FEEDBACK_SHARE = 0.6  # groups that left with an answer
GUEST_ANSWER = 0.25  # of them, answered by the guests on their visit's page (the rest tapped by staff)
LINK_UNUSED = 0.05  # groups shown the QR code who never answered (the link expired)
RATING_MIX = (["very_satisfied", "satisfied", "neutral", "unsatisfied"], [45, 40, 10, 5])
TO_COMPLAINT = 0.15  # unsatisfied answers the lead or the manager made a complaint of
ALERT_DAYS = 2  # unsatisfied answers of the last days may still be waiting; older ones were handled
VIPS_PER_SITE = (3, 5)
DESK_PER_DAY = (6, 14)  # calls, messages and visitors the front desk takes per site and day
DESK_KIND_MIX = (["call", "message", "visitor"], [60, 25, 15])
DESK_FOR_REP, DESK_CALL_BACK = 0.4, 0.4
DESK_OPEN_RECENT, DESK_FORGOTTEN = 0.2, 0.001  # open: of the last two days' messages; of older ones (a few a year)

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
COMPLAINT_SAYS = {
    "attitude": "前台接待态度冷淡,等了很久没人理", "waiting": "到店后等置业顾问等了半个多小时",
    "drinks": "茶水是凉的,点心不新鲜", "cleanliness": "洗手间地面有水,纸巾没有了",
    "model_room": "样板间空调没开,很闷热",
    "parking": "停车场没有车位引导,绕了好几圈", "security": "保安说话态度生硬", "sales": "置业顾问承诺的优惠不兑现",
    "property": "物业费标准和之前说的不一样", "other": "小孩在洽谈区摔倒,没人帮忙"}
TOPIC_MIX = (list(COMPLAINT_SAYS), [18, 20, 10, 8, 8, 10, 6, 10, 4, 6])
CHANNEL_MIX = (["onsite", "phone", "message", "rep"], [60, 25, 10, 5])
JUDGE_NOTES = ("监控核实属实", "与当班人员核实属实", "客户误解,已有明确告示", "核实后非我方原因")
INVESTIGATION_NOTES = ("调取监控,确认当时前台无人", "询问当班员工,承认疏忽", "检查现场,情况属实",
                       "与置业顾问核对聊天记录")
PEOPLE = ("当班礼宾", "水吧服务员", "值班保安", "样板间讲解员", "置业顾问")
REMEDIES = ("当面致歉并赠送伴手礼", "电话致歉,下次到访专人接待", "赠送咖啡券两张", "由经理亲自回电说明",
            "安排专人陪同参观")
GUEST_NOT_ACCEPTED = "客户表示不接受,要求经理出面"
CAUSES = ("当班人员离岗", "高峰期人手不足", "设备未按时检查", "交接不清", "客户误解")
PREVENTIVE = ("高峰期增加一名礼宾", "纳入每日开岗检查", "交接时逐项确认", "加强服务礼仪培训", "增设告示说明")
RESPONSIBLE_MIX = (["concierge", "water_bar", "model_room", "security", "lead", "none"], [30, 20, 15, 15, 5, 15])
CALL_NOTES = {"satisfied": "客户表示满意,感谢回访", "unsatisfied": "客户仍不满意,认为处理不到位", "no_answer": "未接通"}
REMARKS = {"very_satisfied": ("服务很周到", "茶点很好", "讲解很专业"), "satisfied": ("整体不错", "环境很好"),
           "neutral": ("等待时间有点长", "一般"), "unsatisfied": ("等了很久没人接待", "样板间太热", "态度不好")}
VIP_NOTES = ("老业主,喜欢铁观音,由经理亲自接待", "集团领导,到店即通知经理", "大客户,已购两套,引导至VIP室",
             "合作单位负责人,安排专人陪同", "老客户介绍的朋友,赠送伴手礼")
DESK_TEXTS = {"call": ("想预约周末看房", "询问最新优惠", "问样板间开放时间", "想了解车位价格"),
              "message": ("请回电,关于合同签约时间", "资料已放在前台,请查收", "客户想改约时间"),
              "visitor": ("送资料的快递", "来找置业顾问的客户", "物业公司来访")}

COMPLAINT_COLUMNS = ("id", "site_id", "visit_id", "guest_name", "guest_phone", "channel", "topic", "said",
                     "registered_by_id", "registered_at", "step", "respond_by", "close_by", "founded", "judged_at",
                     "guest_confirmed", "cause", "responsible_post", "preventive", "closed_at", "idem_key")
COMPLAINT_EVENT_COLUMNS = ("id", "complaint_id", "site_id", "kind", "user_id", "at", "note", "people", "incident_id",
                           "visit_id", "idem_key")
COMPLAINT_PHOTO_COLUMNS = ("complaint_id", "event_id", "name")
REMEDY_COLUMNS = ("complaint_id", "text", "proposed_by_id", "proposed_at", "chosen")
FOLLOW_UP_COLUMNS = ("site_id", "complaint_id", "due_on", "attempts", "outcome", "note", "done_at", "done_by_id",
                     "created_at")
FEEDBACK_COLUMNS = ("id", "site_id", "visit_id", "rating", "remark", "source", "recorded_by_id", "post", "at",
                    "day", "handled_at", "handled_by_id", "complaint_id")
LINK_COLUMNS = ("site_id", "visit_id", "token", "created_at", "expires_at", "used_at")
VIP_COLUMNS = ("site_id", "plate", "phone", "note", "active", "created_by_id", "created_at")
DESK_COLUMNS = ("site_id", "kind", "caller_name", "caller_phone", "for_user_id", "for_rep_id", "text", "call_back_by",
                "taken_by_id", "taken_at", "done_by_id", "done_at", "idem_key")
# In insert order (parents first); an answer's and a handling's rows of the visit's timeline last.
GUEST_TABLES = (("complaints", COMPLAINT_COLUMNS), ("complaint_events", COMPLAINT_EVENT_COLUMNS),
                ("complaint_photos", COMPLAINT_PHOTO_COLUMNS), ("complaint_remedies", REMEDY_COLUMNS),
                ("follow_ups", FOLLOW_UP_COLUMNS), ("guest_feedback", FEEDBACK_COLUMNS),
                ("feedback_links", LINK_COLUMNS), ("vip_notices", VIP_COLUMNS), ("desk_messages", DESK_COLUMNS),
                ("visit_events", EVENT_COLUMNS))


def _stored(value) -> datetime | None:
    """A datetime column as read back through the driver (SQLite gives text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _guest_plan(db, site, now: datetime, first_day: date) -> dict | None:
    """What the generator needs of a site: its people by post, sales reps, deadlines' settings, existing VIP plates and
    its groups (id, arrival, departure, who saw them off, plate) by local day; None when it has a complaint history
    already (a reused DATABASE_URL)."""
    from sqlalchemy import func, select

    from hospitality.models import SalesRep, User
    from hospitality.models.complaints import Complaint
    from hospitality.models.guests import VipNotice

    if db.session.scalar(select(func.count(Complaint.id)).where(
            Complaint.site_id == site.id, Complaint.registered_at < now - timedelta(days=7))):
        return None
    users = list(db.session.execute(select(User.id, User.post).where(
        User.site_id == site.id, User.active.is_(True)).order_by(User.id)))
    by_post = defaultdict(list)
    for u in users:
        by_post[u.post].append(u.id)
    manager = (by_post.get("manager") or by_post.get("lead") or [users[0].id])[0]
    lead = (by_post.get("lead") or [manager])[0]
    concierge = by_post.get("concierge") or [lead]
    visits = defaultdict(list)  # local day -> [(id, arrived, left, left_by, plate, status)]
    start = _utc(site.tz, first_day, dtime(0))
    sqlite = db.engine.dialect.name == "sqlite"  # the driver's own parameter style and datetime form
    for vid, arrived, left, left_by, plate, status in db.session.connection().exec_driver_sql(
            "SELECT id, arrived_at, left_at, left_by_id, plate, status FROM visits WHERE site_id = {0} AND arrived_at"
            " >= {0} ORDER BY id".format("?" if sqlite else "%s"),
            (site.id, start.isoformat(" ", "microseconds") if sqlite else start)):
        arrived = _stored(arrived)
        visits[arrived.replace(tzinfo=UTC).astimezone(site.tz).date()].append(
            (vid, arrived, _stored(left), left_by, plate, status))
    return {"id": site.id, "tz": site.tz, "today": site.today(), "lead": lead, "manager": manager,
            "concierge": concierge, "floor": (by_post.get("concierge") or []) + (by_post.get("model_room") or [])
            or [lead], "workers": concierge + [lead, manager], "people": [u.id for u in users],
            "reps": list(db.session.scalars(select(SalesRep.id).where(SalesRep.site_id == site.id,
                                                                     SalesRep.active.is_(True)).order_by(SalesRep.id))),
            "respond": timedelta(hours=site.complaint_respond_hours or 2),
            "close": timedelta(days=site.complaint_close_days or 7), "visits": visits,
            "vip_plates": set(db.session.scalars(select(VipNotice.plate).where(VipNotice.site_id == site.id)))}


class _Guests:
    """Generates a site's days of complaints (each with its whole timeline, remedies and follow-up calls, cut at now),
    the departing groups' satisfaction (with the visit's timeline rows and the QR links), the front desk's messages
    and the VIP notices; ids given here where another row points at them."""

    def __init__(self, rng: random.Random, writer: _Writer, now: datetime, ids: dict):
        self.rng, self.w, self.now, self.ids = rng, writer, now, ids
        self.totals = defaultdict(int)
        self.clear()

    def clear(self) -> None:
        self.rows = {table: [] for table, _cols in GUEST_TABLES}

    def _id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table] - 1

    def flush(self) -> None:
        for table, columns in GUEST_TABLES:
            self.w.tuples(table, columns, [tuple(r) for r in self.rows[table]])  # a follow-up is a list
            self.totals[table] += len(self.rows[table])
        self.clear()

    def _phone(self) -> str:
        return "1" + self.rng.choice("3589") + "".join(self.rng.choices("0123456789", k=9))

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(("先生", "女士", "小姐"))

    # ------------------------------------------------------------------ a complaint, its six steps and its calls
    def complaint(self, p: dict, at: datetime, by: int, *, visit_id=None, channel=None, topic=None, said=None,
                  idem=None, stall: bool = False) -> int:
        """A complaint registered at `at` and everything that happened to it up to now: judged; founded: notes, the
        investigation finished, remedies proposed and one chosen; carried out; reviewed and closed; the follow-up
        call (not reached now and then; not satisfied: reopened and worked through again). `stall`: it stops at a
        step (an open complaint, overdue once its deadline passes)."""
        rng, w, now = self.rng, self.w, self.now
        cid = self._id("complaints")
        topic = topic or rng.choices(*TOPIC_MIX)[0]
        said = said or COMPLAINT_SAYS[topic]
        name = phone = None
        if visit_id is None or rng.random() < 0.5:
            name, phone = self._name(), self._phone() if rng.random() < 0.9 else None
        c = {"step": 1, "founded": None, "judged_at": None, "confirmed": None, "cause": None, "post": None,
             "preventive": None, "closed_at": None, "close_by": at + p["close"]}
        events, remedies = [], []  # (kind, user, at, note, people, visit), [proposed_by, at, text, chosen]
        limit = rng.randint(1, 5) if stall else 6  # the last step it reaches

        def happened(t: datetime, step: int) -> bool:
            return t <= now and step <= limit

        events.append(("registered", by, at, said, None, None))
        t, rounds = at, 0
        while True:
            if rounds == 0:  # the manager judges (a reopened complaint keeps its judgement)
                t += timedelta(hours=rng.triangular(0.1, 3.5, 0.8))
                if not happened(t, 2):
                    break
                c["founded"], c["judged_at"], c["step"] = rng.random() < FOUNDED, t, 2
                events.append(("judged", p["manager"], t, rng.choice(JUDGE_NOTES[:2] if c["founded"]
                                                                     else JUDGE_NOTES[2:]), None, None))
            if c["founded"]:
                done = True
                for _ in range(rng.choices((1, 2, 3), (50, 35, 15))[0]):
                    t += timedelta(hours=rng.uniform(0.3, 20))
                    if not happened(t, 3):
                        done = False
                        break
                    events.append(("note", rng.choice(p["workers"]), t, rng.choice(INVESTIGATION_NOTES),
                                   rng.choice(PEOPLE) if rng.random() < 0.6 else None,
                                   visit_id if visit_id and rng.random() < 0.3 else None))
                t += timedelta(hours=rng.uniform(0.2, 4))
                if not done or not happened(t, 3):
                    break
                c["step"] = 3
                events.append(("investigated", rng.choice(p["workers"]), t, None, None, None))
                proposed = []  # this round's remedies: the manager picks one of them
                for text in rng.sample(REMEDIES, rng.choices((1, 2, 3), (40, 45, 15))[0]):
                    t += timedelta(hours=rng.uniform(0.2, 6))
                    if not happened(t, 3):
                        break
                    by_ = rng.choice(p["workers"])
                    proposed.append([by_, t, text, False])
                    events.append(("remedy", by_, t, text, None, None))
                remedies += proposed
                t += timedelta(hours=rng.uniform(0.5, 12))
                if not proposed or not happened(t, 4):
                    break
                pick = rng.choice(proposed)
                pick[3] = True
                c["step"] = 4
                events.append(("chosen", p["manager"], t, pick[2], None, None))
            t += timedelta(hours=rng.uniform(2, 40))
            if not happened(t, 5):
                break
            c["confirmed"] = rng.random() < 0.9
            c["step"] = 5
            done_text = next((r[2] for r in remedies if r[3]), "已向客户说明情况")
            events.append(("carried_out", rng.choice(p["workers"]), t,
                           done_text + ("" if c["confirmed"] else f"\n{GUEST_NOT_ACCEPTED}"), None, None))
            t += timedelta(hours=rng.uniform(2, 40))
            if not happened(t, 6):
                break
            post = rng.choices(*RESPONSIBLE_MIX)[0] if c["founded"] else "none"
            c.update(step=6, closed_at=t, cause=rng.choice(CAUSES if c["founded"] else CAUSES[-1:]),
                     post=None if post == "none" else post, preventive=rng.choice(PREVENTIVE))
            events.append(("reviewed", p["manager"], t, c["cause"], None, None))
            if not self._calls(p, cid, c, events, remedies, t, at, rounds):
                break
            rounds += 1  # reopened at the judgement: worked through again from the investigation
            t = events[-1][2]
        self.rows["complaints"].append((
            cid, p["id"], visit_id, name, phone, rng.choices(*CHANNEL_MIX)[0] if channel is None else channel, topic,
            said, by, w.ts(at), c["step"], w.ts(at + p["respond"]), w.ts(c["close_by"]), c["founded"],
            w.ts(c["judged_at"]), c["confirmed"], c["cause"], c["post"], c["preventive"], w.ts(c["closed_at"]), idem))
        for kind, user, when, note, people, visit in events:
            eid = self._id("complaint_events")
            self.rows["complaint_events"].append((eid, cid, p["id"], kind, user, w.ts(when), note, people, None, visit,
                                                  None))
            if kind in ("registered", "note") and rng.random() < 0.1:  # photos of what the guest showed, or found
                for k in range(rng.randint(1, 2)):
                    self.rows["complaint_photos"].append((cid, eid, f"bench-{cid}-{eid}-{k}.jpg"))
        for by_, when, text, chosen in remedies:
            self.rows["complaint_remedies"].append((cid, text, by_, w.ts(when), chosen))
        return cid

    def _calls(self, p, cid, c, events, remedies, closed: datetime, registered: datetime, rounds: int) -> bool:
        """The follow-up call due within three days of closing; True when the guest was not satisfied and the
        complaint reopened."""
        rng, w, now = self.rng, self.w, self.now
        closed_day = closed.replace(tzinfo=UTC).astimezone(p["tz"]).date()
        fu = [p["id"], cid, w.day(closed_day + timedelta(days=3)), 0, None, None, None, None, w.ts(closed)]
        self.rows["follow_ups"].append(fu)
        if registered > now - timedelta(days=STALL_DAYS) and rng.random() < CALL_SKIPPED:
            return False  # not called yet: due (overdue once its day passed)
        t = closed + timedelta(hours=rng.uniform(6, 60))
        for attempt in range(1, 4):
            if t > now:
                return False
            outcome = ("no_answer" if attempt < 3 and rng.random() < NO_ANSWER else
                       "unsatisfied" if rounds == 0 and rng.random() < REOPENED else "satisfied")
            who = rng.choice(p["concierge"])
            fu[3], fu[4], fu[5] = attempt, outcome, CALL_NOTES[outcome]
            events.append(("follow_up", who, t, f"{outcome}: {CALL_NOTES[outcome]}", None, None))
            if outcome == "no_answer":
                t += timedelta(hours=rng.uniform(20, 30))
                continue
            fu[6], fu[7] = w.ts(t), who
            if outcome == "satisfied":
                return False
            events.append(("reopened", who, t, CALL_NOTES[outcome], None, None))
            c.update(step=2, closed_at=None, cause=None, post=None, preventive=None, close_by=t + p["close"])
            for r in remedies:
                r[3] = False
            return True
        return False

    # ------------------------------------------------------------------ a day of a site
    def day(self, p: dict, day: date, force_alert: bool = False) -> None:
        """The groups' answers as they left, the complaints of the day, the front desk's messages."""
        rng, w, now = self.rng, self.w, self.now
        visits = p["visits"].get(day, ())
        recent = day >= p["today"] - timedelta(days=ALERT_DAYS)
        for vid, _arrived, left, left_by, _plate, _status in visits:
            if left is None or left > now:
                continue
            if force_alert or rng.random() < FEEDBACK_SHARE:
                self._feedback(p, vid, left, left_by, recent, alert=force_alert)
                force_alert = False
            elif rng.random() < LINK_UNUSED:  # shown the code, never answered: expired
                self.rows["feedback_links"].append((p["id"], vid, self._token(), w.ts(left - timedelta(minutes=3)),
                                                    w.ts(left + timedelta(hours=24)), None))
        stall = day >= p["today"] - timedelta(days=STALL_DAYS)
        for _ in range(rng.choices(*COMPLAINTS_PER_DAY)[0]):
            at = _utc(p["tz"], day, dtime(9, 30), rng.uniform(0, 9 * 3600))
            if at > now:
                continue
            seen = [v for v in visits if v[1] <= at]
            visit = rng.choice(seen)[0] if seen and rng.random() < COMPLAINT_ON_VISIT else None
            self.complaint(p, at, rng.choice(p["concierge"] if rng.random() < 0.7 else p["people"]), visit_id=visit,
                           stall=stall and rng.random() < STALL)
        self._desk(p, day)

    def _token(self) -> str:
        import base64
        return base64.urlsafe_b64encode(self.rng.getrandbits(128).to_bytes(16, "big")).decode().rstrip("=")

    def _feedback(self, p, vid, left: datetime, left_by, recent: bool, alert: bool = False) -> None:
        """A group's answer as it left (`alert`: unsatisfied, nobody has handled it yet), its link when the guests
        answered themselves, its rows of the visit's timeline; an unsatisfied one handled, or made a complaint."""
        rng, w, now = self.rng, self.w, self.now
        fid = self._id("guest_feedback")
        rating = "unsatisfied" if alert else rng.choices(*RATING_MIX)[0]
        remark = rng.choice(REMARKS[rating]) if rng.random() < (0.8 if rating == "unsatisfied" else 0.3) else None
        if rng.random() < GUEST_ANSWER:
            source, user, post = "guest", None, None
            at = left + timedelta(minutes=rng.uniform(1, 40))
            self.rows["feedback_links"].append((p["id"], vid, self._token(), w.ts(left - timedelta(minutes=3)),
                                                w.ts(left + timedelta(hours=24)), w.ts(at)))
        else:
            source, user = "staff", left_by if left_by in p["floor"] else rng.choice(p["floor"])
            post = "model_room" if user not in p["concierge"] else "concierge"
            at = left - timedelta(seconds=rng.uniform(10, 120))
        if at > now:
            at = now - timedelta(seconds=rng.uniform(1, 60))
        handled_at = handled_by = complaint = None
        if rating == "unsatisfied" and not alert and not (recent and rng.random() < 0.7):
            handled_at, handled_by = at + timedelta(minutes=rng.uniform(10, 180)), rng.choice((p["lead"], p["manager"]))
            if handled_at > now:
                handled_at = handled_by = None
            elif rng.random() < TO_COMPLAINT:
                complaint = self.complaint(p, handled_at, handled_by, visit_id=vid,
                                           channel="onsite" if source == "staff" else "message", topic="other",
                                           said=remark or "不满意", idem=f"feedback{fid}")
        day = at.replace(tzinfo=UTC).astimezone(p["tz"]).date()  # the site's calendar day of the answer
        self.rows["guest_feedback"].append((fid, p["id"], vid, rating, remark, source, user, post, w.ts(at), day,
                                            w.ts(handled_at), handled_by, complaint))
        self.rows["visit_events"].append((vid, p["id"], "feedback", user, w.ts(at),
                                          json.dumps({"rating": rating, "source": source})))
        if handled_at is not None:
            self.rows["visit_events"].append((vid, p["id"], "feedback_handled", handled_by, w.ts(handled_at),
                                              json.dumps({"complaint": complaint} if complaint else {})))

    def _desk(self, p: dict, day: date) -> None:
        """The front desk's log of the day: calls, messages and visitors for a person or a sales rep, most done (a
        promised call-back now and then kept late), the last days' partly open, a rare older one forgotten."""
        rng, w, now = self.rng, self.w, self.now
        recent = day >= p["today"] - timedelta(days=1)
        for _ in range(rng.randint(*DESK_PER_DAY)):
            taken = _utc(p["tz"], day, dtime(9, 0), rng.uniform(0, 9.5 * 3600))
            if taken > now:
                continue
            kind = rng.choices(*DESK_KIND_MIX)[0]
            rep = rng.choice(p["reps"]) if p["reps"] and rng.random() < DESK_FOR_REP else None
            for_user = None if rep else rng.choice(p["people"])
            call_back = taken + timedelta(minutes=rng.choice((30, 60, 120, 240))) \
                if kind != "visitor" and rng.random() < DESK_CALL_BACK else None
            done_at = taken + timedelta(minutes=rng.triangular(3, 240, 25))
            if call_back is not None and rng.random() < 0.85:
                done_at = min(done_at, call_back - timedelta(minutes=rng.uniform(1, 20)))
            if done_at > now or rng.random() < (DESK_OPEN_RECENT if recent else DESK_FORGOTTEN):
                done_at = None
            self.rows["desk_messages"].append((
                p["id"], kind, self._name() if rng.random() < 0.85 else None,
                self._phone() if kind != "visitor" or rng.random() < 0.3 else None, for_user, rep,
                rng.choice(DESK_TEXTS[kind]), w.ts(call_back), rng.choice(p["concierge"]), w.ts(taken),
                (for_user or rng.choice(p["concierge"])) if done_at else None, w.ts(done_at), None))

    def vips(self, p: dict, demo: bool) -> None:
        """A few known guests' plates (cars seen on the site), one retired; on the demo site one of the groups on
        site now is a VIP."""
        rng, w = self.rng, self.w
        plates, today_plates = [], []
        for day, visits in p["visits"].items():
            for _vid, _a, _left, _by, plate, status in visits:
                if plate and plate not in p["vip_plates"]:
                    plates.append(plate)
                    if demo and day == p["today"] and status == "active":
                        today_plates.append(plate)
        chosen = list(dict.fromkeys(rng.sample(plates, min(len(plates), rng.randint(*VIPS_PER_SITE)))))
        if today_plates and not set(today_plates) & set(chosen):
            chosen.insert(0, today_plates[0])
        for k, plate in enumerate(chosen):
            if plate in p["vip_plates"]:
                continue
            p["vip_plates"].add(plate)
            self.rows["vip_notices"].append((
                p["id"], plate, self._phone() if rng.random() < 0.3 else None, rng.choice(VIP_NOTES),
                k != len(chosen) - 1 or len(chosen) < 3, p["manager"],
                w.ts(_utc(p["tz"], p["today"] - timedelta(days=rng.randint(20, 300)), dtime(10, 0)))))

    def demo_link(self, p: dict) -> None:
        """The demo's first group on site now was shown the QR code a few minutes ago: its link answers (the bench
        opens it)."""
        w, now = self.w, self.now
        on_site = [v for v in p["visits"].get(p["today"], ()) if v[5] == "active" and v[1] <= now]
        if on_site:
            self.rows["feedback_links"].append((p["id"], on_site[0][0], self._token(),
                                                w.ts(now - timedelta(minutes=5)), w.ts(now + timedelta(hours=23)),
                                                None))


def seed_guest_year(app, days: int = HISTORY_DAYS, seed: int = 17, analyze: bool = False) -> dict:
    """A year of complaints (about one a day per site, with their timelines, remedies and follow-up calls; the last
    weeks' partly open, some past a deadline), of guests' satisfaction (~60 % of the groups that left: tapped by staff
    or answered by the guests through their QR link; ~5 % unsatisfied, most handled, some made complaints), VIP
    notices, and the front desk's calls and messages (~10 a day per site) for every site without a complaint history;
    returns figures. Run after seed_year (it reads the groups)."""
    from sqlalchemy import select

    from hospitality.clock import utcnow
    from hospitality.extensions import db
    from hospitality.models import Site
    from hospitality.models.complaints import Complaint, ComplaintEvent
    from hospitality.models.guests import GuestFeedback

    rng = random.Random(seed)
    t0 = time.monotonic()
    with app.app_context():
        _check_columns(db, GUEST_TABLES, "GUEST_TABLES", raw=True)
        now = utcnow()
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        today = max(s.today() for s in sites)
        first_day = today - timedelta(days=days)
        plans = [p for p in (_guest_plan(db, s, now, first_day) for s in sites) if p]
        if not plans:
            return {"sites": 0, "seconds": time.monotonic() - t0, "skipped": True}
        demo = sites[0].id  # the demo site is created first
        writer = _Writer(db)
        ids = {"complaints": _next_id(db, Complaint), "complaint_events": _next_id(db, ComplaintEvent),
               "guest_feedback": _next_id(db, GuestFeedback)}
        gen = _Guests(rng, writer, now, ids)
        for p in plans:
            gen.vips(p, p["id"] == demo)
        for back in range(days, -1, -1):
            day = today - timedelta(days=back)
            for p in plans:
                gen.day(p, day, force_alert=back == 0 and p["id"] == demo)  # the lead's alert on the demo site
            if back % BATCH_DAYS == 0:
                gen.flush()
        for p in plans:
            if p["id"] == demo:
                gen.demo_link(p)
        gen.flush()
        writer.fix_sequences([t for t, _cols in GUEST_TABLES])
        db.session.commit()
        if writer.pg or analyze:
            for table, _cols in GUEST_TABLES:
                db.session.execute(db.text(f"ANALYZE {table}"))
            db.session.commit()
        q = db.session.execute(db.text(
            "SELECT count(*) FILTER (WHERE closed_at IS NULL) AS open, count(*) FILTER (WHERE founded = false) AS"
            " unfounded, count(*) FILTER (WHERE closed_at IS NULL AND (close_by < :now OR (step = 1 AND"
            " respond_by < :now))) AS overdue FROM complaints"), {"now": writer.ts(now)}).one()
        calls = db.session.execute(db.text(
            "SELECT count(*) FILTER (WHERE done_at IS NULL) AS due, count(*) FILTER (WHERE done_at IS NULL AND"
            " due_on < :today) AS overdue FROM follow_ups"), {"today": writer.day(today)}).one()
        alerts = db.session.scalar(db.text("SELECT count(*) FROM guest_feedback WHERE rating = 'unsatisfied'"
                                           " AND handled_at IS NULL"))
        desk_open = db.session.scalar(db.text("SELECT count(*) FROM desk_messages WHERE done_at IS NULL"))
        return {"sites": len(plans), "rows": {t: gen.totals[t] for t, _cols in GUEST_TABLES},
                "open": q.open, "unfounded": q.unfounded, "overdue": q.overdue, "calls_due": calls.due,
                "calls_overdue": calls.overdue, "alerts": alerts, "desk_open": desk_open,
                "seconds": time.monotonic() - t0}


# ==================================================================== work one post asks of another (issue 16): tasks
# between posts and for the cleaners, and repairs with their timelines

TASKS_PER_DAY = (10, 18)  # per site and day, raised between 09:00 and 18:00
TASK_MIX = (["clear_table", "cleaner", "restock", "model_room", "other"], [50, 20, 15, 10, 5])
TASK_TEXTS = {"clear_table": "清理桌面", "cleaner": "洗手间需要清洁", "restock": "补充矿泉水和纸巾",
              "model_room": "准备样板间接待", "other": "洽谈区椅子归位"}
TASK_LATE = 0.1  # done after the target
OPEN_TASKS_TODAY = 10  # the demo water bar's today screen carries this many open tasks
REPAIRS_PER_DAY = 0.4
REPAIR_KIND_MIX = (["fitting", "equipment", "lift", "fitout", "other"], [40, 30, 5, 15, 10])
REPAIR_TEXTS = {"fitting": "门把手松动", "equipment": "咖啡机不出水", "lift": "电梯按钮失灵", "fitout": "墙面开裂掉漆",
                "other": "窗帘轨道卡住"}
REPAIR_ASSIGNEE_MIX = (["staff", "cleaners", "property", "contractor"], [15, 15, 40, 30])
REPAIR_OPEN_DAYS = 10  # of the last days' repairs some are still at a step

WORK_TASK_COLUMNS = ("site_id", "kind", "location_id", "table_label", "assignee", "text", "status", "created_by_id",
                     "created_at", "raised_post", "target_minutes", "accepted_by_id", "accepted_at", "done_by_id",
                     "done_at", "on_behalf")
REPAIR_COLUMNS = ("id", "site_id", "kind", "location_id", "spot", "description", "urgent", "status",
                  "reported_by_id", "reported_at", "assignee", "assignee_user_id", "company", "contact", "phone",
                  "assigned_at", "fixed_at", "checked_at")
REPAIR_EVENT_COLUMNS = ("repair_id", "site_id", "kind", "user_id", "at", "assignee", "who", "note")
WORK_TABLES = (("tasks", WORK_TASK_COLUMNS), ("repairs", REPAIR_COLUMNS), ("repair_events", REPAIR_EVENT_COLUMNS))


def _work_plan(db, site, now: datetime) -> dict | None:
    """A site's people by post and places by kind; None when it has a history of tasks between posts already."""
    from sqlalchemy import func, select

    from hospitality.models import Location, User
    from hospitality.models.repairs import Repair

    if db.session.scalar(select(func.count(Repair.id)).where(Repair.site_id == site.id,
                                                            Repair.reported_at < now - timedelta(days=7))):
        return None
    by_post = defaultdict(list)
    for u in db.session.execute(select(User.id, User.post).where(User.site_id == site.id, User.active.is_(True))):
        by_post[u.post].append(u.id)
    places = defaultdict(list)
    for loc in db.session.execute(select(Location.id, Location.kind).where(Location.site_id == site.id,
                                                                          Location.active.is_(True))):
        places[loc.kind].append(loc.id)
    lead = (by_post.get("lead") or by_post.get("manager"))[0]
    return {"id": site.id, "tz": site.tz, "by_post": by_post, "lead": lead, "places": places,
            "all_places": [i for ids in places.values() for i in ids],
            "clear": site.table_clear_minutes or 3, "target": site.task_target_minutes or 30}


class _Work:
    def __init__(self, rng: random.Random, writer: _Writer, now: datetime, first_repair: int):
        self.rng, self.w, self.now, self.repair_id = rng, writer, now, first_repair
        self.rows: dict[str, list] = {t: [] for t, _cols in WORK_TABLES}
        self.totals = {t: 0 for t, _cols in WORK_TABLES}

    def flush(self) -> None:
        for table, cols in WORK_TABLES:
            self.w.tuples(table, cols, self.rows[table])
            self.totals[table] += len(self.rows[table])
            self.rows[table] = []

    def _who(self, p, *posts) -> tuple[str, int]:
        for post in posts:
            if p["by_post"].get(post):
                return post, self.rng.choice(p["by_post"][post])
        return "lead", p["lead"]

    def day(self, p: dict, day: date, open_for_bar: int = 0) -> None:
        rng, w = self.rng, self.w
        for _ in range(rng.randint(*TASKS_PER_DAY)):
            kind = rng.choices(*TASK_MIX)[0]
            at = _utc(p["tz"], day, dtime(9), rng.uniform(0, 9 * 3600))
            if at > self.now:
                continue
            raiser_post, raiser = self._who(p, *{"clear_table": ("water_bar",), "restock": ("lead",),
                                                 "model_room": ("concierge",)}.get(kind, ("concierge", "lead")))
            assignee = {"clear_table": "cleaner", "cleaner": "cleaner", "restock": "water_bar",
                        "model_room": "model_room"}.get(kind, "concierge")
            target = p["clear"] if kind == "clear_table" else p["target"]
            late = rng.random() < TASK_LATE
            took = timedelta(minutes=target * (rng.uniform(1.1, 3) if late else rng.uniform(0.3, 1)))
            done = at + took
            if done > self.now:
                continue  # the last minutes' tasks: the demo's open ones are added below
            cleaner = assignee == "cleaner"
            doer = raiser if cleaner else self._who(p, assignee)[1]
            place = (p["places"].get("negotiation") or p["all_places"] or [None])[0] if kind == "clear_table" else None
            table = f"{rng.randint(1, 12)}号桌" if kind == "clear_table" else None
            self.rows["tasks"].append((p["id"], kind, place, table, assignee, TASK_TEXTS[kind], "done", raiser,
                                       w.ts(at), raiser_post, target, None if cleaner else doer,
                                       None if cleaner else w.ts(at + took / 3), doer, w.ts(done), cleaner))
        for k in range(open_for_bar):  # asked of the water bar this evening, not done yet
            at = self.now - timedelta(minutes=5 * (k + 1))
            raiser_post, raiser = self._who(p, "concierge", "lead")
            self.rows["tasks"].append((p["id"], "restock", None, None, "water_bar", f"{TASK_TEXTS['restock']} {k + 1}",
                                       "open", raiser, w.ts(at), raiser_post, p["target"], None, None, None, None,
                                       False))
        if rng.random() < REPAIRS_PER_DAY and p["all_places"]:
            self._repair(p, day)

    def _repair(self, p: dict, day: date) -> None:
        rng, w = self.rng, self.w
        at = _utc(p["tz"], day, dtime(9), rng.uniform(0, 9 * 3600))
        if at > self.now:
            return
        kind = rng.choices(*REPAIR_KIND_MIX)[0]
        reporter = self._who(p, rng.choice(["model_room", "water_bar", "concierge", "security"]))[1]
        rid, self.repair_id = self.repair_id, self.repair_id + 1
        recent = (self.now - at) < timedelta(days=REPAIR_OPEN_DAYS)
        steps = rng.choice([0, 1, 2, 3]) if recent else 3  # reached: assigned, fixed, checked
        assignee = rng.choices(*REPAIR_ASSIGNEE_MIX)[0]
        named = assignee == "contractor"
        assigned = at + timedelta(hours=rng.uniform(0.5, 6))
        fixed = assigned + timedelta(hours=rng.uniform(2, 72))
        checked = fixed + timedelta(hours=rng.uniform(1, 24))
        moments = [m for m in (assigned, fixed, checked)[:steps] if m <= self.now]
        steps = len(moments)
        status = ("reported", "assigned", "fixed", "checked")[steps]
        self.rows["repairs"].append((
            rid, p["id"], kind, rng.choice(p["all_places"]), None, REPAIR_TEXTS[kind], rng.random() < 0.1, status,
            reporter, w.ts(at), assignee if steps else None,
            (self._who(p, "lead")[1] if assignee == "staff" else None) if steps else None,
            "诚信维修公司" if named and steps else None, "李师傅" if named and steps else None,
            "13800138000" if named and steps else None, w.ts(moments[0]) if steps else None,
            w.ts(moments[1]) if steps > 1 else None, w.ts(moments[2]) if steps > 2 else None))
        events = [("reported", reporter, at, None, None, None)]
        for kind_, when in zip(("assigned", "fixed", "checked"), moments, strict=False):
            events.append((kind_, p["lead"], when, assignee if kind_ == "assigned" else None,
                           "诚信维修公司 · 李师傅 · 13800138000" if kind_ == "assigned" and named else None,
                           "已更换配件" if kind_ == "fixed" else None))
        for kind_, user, when, to, who, note in events:
            self.rows["repair_events"].append((rid, p["id"], kind_, user, w.ts(when), to, who, note))


def seed_work_year(app, days: int = HISTORY_DAYS, seed: int = 19, analyze: bool = False) -> dict:
    """A year of tasks between posts and for the cleaners (~14 a day per site, all done within or past their
    target) and of repairs (~one every few days per site with their timelines; the last days' partly open) for
    every site without a repair history, and OPEN_TASKS_TODAY open tasks for the demo's water bar; returns figures."""
    from sqlalchemy import select

    from hospitality.clock import utcnow
    from hospitality.extensions import db
    from hospitality.models import Site
    from hospitality.models.repairs import Repair

    rng = random.Random(seed)
    t0 = time.monotonic()
    with app.app_context():
        _check_columns(db, WORK_TABLES, "WORK_TABLES", raw=True)
        now = utcnow()
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        plans = [p for p in (_work_plan(db, s, now) for s in sites) if p]
        if not plans:
            return {"sites": 0, "seconds": time.monotonic() - t0, "skipped": True}
        demo = sites[0].id  # the demo site is created first
        writer = _Writer(db)
        gen = _Work(rng, writer, now, _next_id(db, Repair))
        today = max(s.today() for s in sites)
        for back in range(days, -1, -1):
            day = today - timedelta(days=back)
            for p in plans:
                gen.day(p, day, open_for_bar=OPEN_TASKS_TODAY if back == 0 and p["id"] == demo else 0)
            if back % BATCH_DAYS == 0:
                gen.flush()
        gen.flush()
        writer.fix_sequences([t for t, _cols in WORK_TABLES])
        db.session.commit()
        if writer.pg or analyze:
            for table, _cols in WORK_TABLES:
                db.session.execute(db.text(f"ANALYZE {table}"))
            db.session.commit()
        open_repairs = db.session.scalar(db.text("SELECT count(*) FROM repairs WHERE status <> 'checked'"))
        return {"sites": len(plans), "rows": dict(gen.totals), "open_repairs": open_repairs,
                "seconds": time.monotonic() - t0}
