"""make_* helpers that build rows through the same code paths the app uses, and each capability's cast: a site with
one person per post and the rows its tests start from (`*_env`), with small accessors to reload them by id."""
import io
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import count
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select

from hospitality.attendance import services as attendance
from hospitality.clock import local_start
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.handover import services as handover
from hospitality.handover.reads import count_locations
from hospitality.incidents import services as incidents
from hospitality.inspections.seed import seed_templates
from hospitality.inventory import ledger, rollup
from hospitality.inventory import services as inventory
from hospitality.inventory.reads.stock import location_items
from hospitality.models import (
    ChecklistTemplate,
    CountLine,
    Discrepancy,
    Item,
    Location,
    SalesRep,
    Site,
    StockCount,
    StockMove,
    User,
)
from hospitality.models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from hospitality.models.handover import Handover
from hospitality.models.incidents import Incident
from hospitality.models.patrol import Checkpoint
from hospitality.models.workers import WorkerEntry
from hospitality.purchasing import services as purchasing
from hospitality.seed import add_default_content
from hospitality.workers import services as workers

PASSWORD = "secret-pass-1"
_seq = count(1)


def make_site(code: str | None = None, name: str | None = None, model_rooms: int = 2,
              company_id: int | None = None) -> Site:
    """A site with the default locations and routines, of the given company (None: the first one, made if none)."""
    n = next(_seq)
    with write_tx():
        site = Site(name=name or f"测试售楼处{n}", code=code or f"S{n}", timezone="Asia/Shanghai",
                    **({"company_id": company_id} if company_id else {}))
        db.session.add(site)
        db.session.flush()
        add_default_content(site, model_rooms)
    return site


def make_user(site_id: int, post: str, username: str | None = None, active: bool = True,
              password: str = PASSWORD, locale: str | None = None) -> User:
    """A person of the site (a manager also manages it); the password is hashed cheaply (tests/conftest.py)."""
    n = next(_seq)
    with write_tx():
        user = User(site_id=site_id, username=username or f"{post}{n}", name=f"员工{n}",
                    badge_no=f"B{n}", phone="", post=post, active=active, locale=locale)
        user.set_password(password)
        if post == "manager":
            user.managed_sites.append(db.session.get(Site, site_id))
        db.session.add(user)
    return user


def make_rep(site_id: int, name: str | None = None) -> SalesRep:
    with write_tx():
        rep = SalesRep(site_id=site_id, name=name or f"顾问{next(_seq)}")
        db.session.add(rep)
    return rep


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def routine(site_id: int, post: str, kind: str = "opening") -> ChecklistTemplate:
    """The seeded routine of a post (opening or closing)."""
    return db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.site_id == site_id, ChecklistTemplate.post == post,
        ChecklistTemplate.kind == kind))


def location(site_id: int, kind: str = "water_bar", n: int = 0) -> Location:
    """The n-th location of a kind at a site (the default content has one water bar, two model rooms)."""
    return db.session.scalars(select(Location).where(Location.site_id == site_id, Location.kind == kind)
                              .order_by(Location.position)).all()[n]


def local_utc(site: Site, day, at: time = time(12)) -> datetime:
    """The naive UTC time of a site-local wall-clock moment (noon unless told)."""
    return local_start(site, day, at)


# Stock: items, ledger rows and the ledger's checks.

def _stocker(site_id: int) -> User:
    """A manager of the site to own item creation (made once per site)."""
    user = db.session.scalar(select(User).where(User.site_id == site_id, User.username == f"stocker{site_id}"))
    return user or make_user(site_id, "manager", username=f"stocker{site_id}")


def make_item(site_id: int, where: str = "water_bar", *, name: str | None = None, stock=0, whole: bool = True,
              pack_size: int = 1, par=0, price="0", discard: bool = False, kind: str | None = None,
              expected=None, unit: str = "个", user: User | None = None, n: int = 0) -> Item:
    """An item created by services.save_item; `stock` becomes its 'opening' ledger row."""
    site = db.session.get(Site, site_id)
    loc = location(site_id, where, n)
    kind = kind or ("fixture" if where == "model_room" else "consumable")
    item = inventory.save_item(
        site, user or _stocker(site_id), None, location_id=loc.id, kind=kind,
        name=name or f"物品{next(_seq)}", name_en=None, unit=unit, whole=whole, pack_size=pack_size,
        par_level=Decimal(str(par)), unit_price=Decimal(str(price)), discard_at_close=discard,
        expected_qty=None if expected is None else Decimal(str(expected)),
        initial_qty=Decimal(str(stock)) if stock else None)
    return db.session.get(Item, item.id)


def post(item: Item, user_id: int, qty, reason: str, **kw) -> list[StockMove]:
    """ledger.post for one item in its own write transaction."""
    with write_tx():
        return ledger.post(item.site_id, user_id, [(item, Decimal(str(qty)), reason)], **kw)


def insert_move(item: Item, user_id: int, qty, reason: str, at: datetime) -> StockMove:
    """A ledger row dated `at` (naive UTC), chained on the item's current balance: for history."""
    with write_tx():
        qty = Decimal(str(qty))
        bal = ledger.on_hand([item.id])[item.id] + qty
        row = StockMove(site_id=item.site_id, item_id=item.id, qty=qty, balance_after=bal, reason=reason,
                        user_id=user_id, at=at, ref_type="test")
        db.session.add(row)
        db.session.flush()
        rollup.add(item.site_id, [row])
    return row


def on_hand(item_id: int) -> Decimal:
    return ledger.on_hand([item_id])[item_id]


def ledger_sum(item_id: int) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(StockMove.qty), 0)).where(StockMove.item_id == item_id))


def rows(item_id: int) -> list[StockMove]:
    """An item's ledger rows, oldest first."""
    return list(db.session.scalars(select(StockMove).where(StockMove.item_id == item_id).order_by(StockMove.id)))


def assert_chain(item_id: int) -> None:
    """Each row's balance_after is the previous row's plus its qty; the last one equals SUM(qty)."""
    balance = Decimal(0)
    for row in rows(item_id):
        balance += row.qty
        assert row.balance_after == balance, (row.id, row.balance_after, balance)
    assert on_hand(item_id) == balance == ledger_sum(item_id)


def make_past_count(env, kind, day, at, counted) -> StockCount:
    """A submitted count of an earlier day at env.bar by env.wb, with its lines (services only count 'now')."""
    with write_tx():
        c = StockCount(site_id=env.site.id, location_id=env.bar.id, kind=kind, status="matched",
                       started_by_id=env.wb.id, started_at=local_utc(env.site, day, at),
                       submitted_at=local_utc(env.site, day, at))
        db.session.add(c)
        db.session.flush()
        for item_id, qty in counted.items():
            db.session.add(CountLine(count_id=c.id, item_id=item_id, expected=Decimal(qty), counted=Decimal(qty)))
    return c


def route_env(app):
    """A site with one login per stock post and bar items, plus another site's rows of every kind (by id)."""
    with app.app_context():
        site = make_site()
        for post_ in ("water_bar", "model_room", "security", "manager", "lead", "concierge"):
            make_user(site.id, post_, username=f"{post_}{site.id}")
        make_user(site.id, "manager", username=f"manager2_{site.id}")
        water = make_item(site.id, name="矿泉水", stock=30, pack_size=24, par=48, price="2.00", unit="瓶")
        tea = make_item(site.id, name="铁观音", stock=14, pack_size=10, par=10, price="8.00", unit="包")
        vase = make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")

        other = make_site()
        s = db.session.get(Site, other.id)
        o_wb = make_user(other.id, "water_bar")
        o_boss = make_user(other.id, "manager")
        o_mr = make_user(other.id, "model_room")
        o_item = make_item(other.id, name="外站矿泉水", stock=10)
        o_vase = make_item(other.id, "model_room", name="外站花瓶", expected=1)
        o_bar = location(other.id)
        [o_move] = inventory.record_moves(s, o_wb, o_bar, "served", {o_item.id: "1"}, None, None)
        o_count = inventory.start_count(s, o_wb, o_bar, "spot")
        inventory.submit_count(s, o_wb, o_count, {o_item.id: "1"})
        o_disc = db.session.scalar(select(Discrepancy.id).where(Discrepancy.count_id == o_count.id))
        o_req = purchasing.create_request(s, o_wb, {o_item.id: "5"}, None, s.today(), None)
        o_req = purchasing.decide(s, o_boss, o_req, o_req.version, "approve")
        o_receipt = purchasing.receive(s, o_wb, o_req, {o_req.lines[0].id: "5"}, None, None)
        o_rel = purchasing.request_release(s, o_mr, o_vase, "1", "送修", None)
        return SimpleNamespace(
            site=site.id, bar=location(site.id).id, room=location(site.id, "model_room").id,
            water=water.id, tea=tea.id, vase=vase.id,
            wb=f"water_bar{site.id}", mr=f"model_room{site.id}", guard=f"security{site.id}",
            boss=f"manager{site.id}", boss2=f"manager2_{site.id}", lead=f"lead{site.id}",
            concierge=f"concierge{site.id}",
            other=SimpleNamespace(site=other.id, bar=o_bar.id, item=o_item.id, vase=o_vase.id, move=o_move.id,
                                  count=o_count.id, disc=o_disc, req=o_req.id, receipt=o_receipt.id,
                                  rel=o_rel.id, line=o_req.lines[0].id))


# The casts below keep their people's ids in env.users (by post, or by role) and the site's id in env.site.

def who(env, key: str) -> User:
    """A person of a cast, by post (or role name where a cast has two of a post)."""
    return db.session.get(User, env.users[key])


def site_of(env) -> Site:
    """A cast's site."""
    return db.session.get(Site, env.site)


def visit_env(app):
    """A site with one person per post, a rep and bar items: the cast of a visit; another site with a guard."""
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id
                 for p in ("security", "concierge", "water_bar", "model_room", "lead", "manager")}
        rep = make_rep(s.id, "王顾问")
        water = make_item(s.id, name="矿泉水", stock=30, price="2.00", unit="瓶")
        tea = make_item(s.id, name="铁观音", stock=10, price="8.00", unit="包")
        vase = make_item(s.id, "model_room", name="花瓶", expected=2, unit="件")
        other = make_site()
        other_guard = make_user(other.id, "security", username=f"security{other.id}").id
        return SimpleNamespace(site=s.id, users=users, rep=rep.id, water=water.id, tea=tea.id, vase=vase.id,
                               room=location(s.id, "model_room").id, room2=location(s.id, "model_room", 1).id,
                               other=other.id, other_guard=other_guard,
                               names={p: f"{p}{s.id}" for p in users})


# Attendance: the site's clock is set by the test.

SHANGHAI = ZoneInfo("Asia/Shanghai")
ATTENDANCE_POSTS = ("water_bar", "model_room", "concierge", "security", "lead", "manager")


def at(y, m, d, hh=0, mm=0) -> datetime:
    """A wall-clock moment at a Shanghai site."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def att_env(app, grace: int = 5):
    """A site with the default shifts, a grace period and one login per post; another site with its own."""
    with app.app_context():
        s = make_site()
        with write_tx():
            row = db.session.get(Site, s.id)
            row.grace_minutes = grace
            attendance.default_shifts(row)
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in ATTENDANCE_POSTS}
        users["water_bar2"] = make_user(s.id, "water_bar", username=f"water_bar2_{s.id}").id
        other = make_site()
        with write_tx():
            attendance.default_shifts(db.session.get(Site, other.id))
        other_users = {p: make_user(other.id, p, username=f"{p}{other.id}").id for p in ("water_bar", "lead")}
        shifts = {sh.code: sh.id for sh in attendance.shifts(s.id)}
        other_shifts = {sh.code: sh.id for sh in attendance.shifts(other.id)}
        names = {p: f"{p}{s.id}" for p in ATTENDANCE_POSTS} | {"water_bar2": f"water_bar2_{s.id}"}
        return SimpleNamespace(site=s.id, users=users, names=names,
                               shifts=shifts, other=other.id, other_users=other_users, other_shifts=other_shifts)


def shift(env, code: str = "day") -> Shift:
    return db.session.get(Shift, env.shifts[code])


def freeze(monkeypatch, moment: datetime) -> None:
    """Set the site's clock for the attendance rules (services, pages and the live server alike)."""
    monkeypatch.setattr(attendance, "site_now", lambda _site: moment)


# Handover: two people on each handover post, the lead and the manager.

HANDOVER_PEOPLE = {"wb_out": "water_bar", "wb_in": "water_bar", "mr_out": "model_room", "mr_in": "model_room",
                   "sec_out": "security", "sec_in": "security", "lead": "lead", "boss": "manager",
                   "desk": "concierge"}


def handover_env(app):
    """A site with two people on each handover post, the lead and the manager, bar items and room fixtures."""
    with app.app_context():
        s = make_site()
        users = {key: make_user(s.id, p, username=f"{key}{s.id}").id for key, p in HANDOVER_PEOPLE.items()}
        water = make_item(s.id, name="矿泉水", stock=30, price="2.00", unit="瓶")
        tea = make_item(s.id, name="铁观音", stock=10, price="8.00", unit="包")
        vase = make_item(s.id, "model_room", name="花瓶", expected=2, unit="件")
        lamp = make_item(s.id, "model_room", name="台灯", expected=1, unit="件")
        other = make_site()
        o_users = {key: make_user(other.id, p, username=f"o_{key}{other.id}").id
                   for key, p in (("wb_out", "water_bar"), ("wb_in", "water_bar"), ("boss", "manager"))}
        make_item(other.id, name="外站矿泉水", stock=5)
        return SimpleNamespace(site=s.id, users=users, water=water.id, tea=tea.id, vase=vase.id, lamp=lamp.id,
                               bar=location(s.id).id, room=location(s.id, "model_room").id,
                               room2=location(s.id, "model_room", 1).id, other=other.id, o_users=o_users,
                               names={k: f"{k}{s.id}" for k in users},
                               o_names={k: f"o_{k}{other.id}" for k in o_users})


def fresh(handover_id: int) -> Handover:
    return db.session.get(Handover, handover_id, populate_existing=True)


def count_all_match(env, ho: Handover, user: User) -> list[StockCount]:
    """Count every location of the handover's post with "all match"."""
    counts = []
    for loc in count_locations(env.site, ho.post):
        c = handover.start_count(site_of(env), user, ho, loc)
        counts.append(inventory.submit_count(site_of(env), user, c, None, all_match=True))
    return counts


def ready_water_bar(env, idem=None) -> Handover:
    """A water-bar handover from wb_out to wb_in, counted and ready to submit."""
    out = who(env, "wb_out")
    ho = handover.start(site_of(env), out, env.users["wb_in"], idem)
    count_all_match(env, ho, out)
    return fresh(ho.id)


def submitted_water_bar(env, lines=("储物柜钥匙在领班处",), notes="一切正常") -> Handover:
    out = who(env, "wb_out")
    ho = ready_water_bar(env)
    for text in lines:
        handover.add_line(site_of(env), out, ho, "key", text, None)
    handover.submit(site_of(env), out, fresh(ho.id), env.users["wb_in"], notes, True)
    return fresh(ho.id)


# Construction workers: fixtures in both model rooms.

WORKER_POSTS = ("model_room", "security", "lead", "manager", "water_bar", "concierge")


def worker_env(app):
    """A site with a person per post, fixtures in both model rooms, and another site: the cast of the register."""
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in WORKER_POSTS}
        room, room2 = location(s.id, "model_room"), location(s.id, "model_room", 1)
        vase = make_item(s.id, "model_room", name="花瓶", expected=2, unit="件")
        lamp = make_item(s.id, "model_room", name="台灯", expected=1, unit="件")
        make_item(s.id, "model_room", name="抱枕", expected=4, unit="件", n=1)
        other = make_site()
        other_keeper = make_user(other.id, "model_room", username=f"model_room{other.id}").id
        return SimpleNamespace(site=s.id, users=users, room=room.id, room2=room2.id, vase=vase.id,
                               lamp=lamp.id, other=other.id, other_keeper=other_keeper,
                               names={p: f"{p}{s.id}" for p in users})


def register(env, post="security", people=(("张三", "13800138000"),), room=None, company="鑫达装修",
             purpose="repair", note=None, supervisor_id=None, supervisor_name=None, idem_key=None) -> WorkerEntry:
    """A crew registered through the service (supervised by the model-room attendant unless told)."""
    if supervisor_id is None and supervisor_name is None:
        supervisor_id = env.users["model_room"]
    return workers.register(
        site_of(env), who(env, post), location_id=room or env.room, company=company,
        names=[n for n, _p in people], phones=[p for _n, p in people], purpose=purpose, purpose_note=note,
        supervisor_id=supervisor_id, supervisor_name=supervisor_name, idem_key=idem_key)


def submit(env, stock_count: StockCount, counted: dict | None = None, post="model_room", user=None) -> StockCount:
    """Submit a count: all match, or the given numbers (item id → qty) for the room's items."""
    stock_count = db.session.get(StockCount, stock_count.id)
    user = user or who(env, post)
    if counted is None:
        return inventory.submit_count(site_of(env), user, stock_count, None, all_match=True)
    items = location_items(stock_count.location_id)
    book = {i.id: str(int(ledger.on_hand([i.id])[i.id])) for i in items}
    return inventory.submit_count(site_of(env), user, stock_count, book | counted)


def inside_crew(env, **kw) -> WorkerEntry:
    """A crew registered, counted before (all present) and let in."""
    entry = register(env, **kw)
    submit(env, workers.count_before(site_of(env), who(env, "model_room"), entry))
    workers.go_in(site_of(env), who(env, "security"), entry)
    return db.session.get(WorkerEntry, entry.id)


# Grooming and inspections: a seeded site, a roster for today, clock-ins (rows written directly: attendance is
# another capability).

def seeded_site(site_id: int) -> Site:
    """Add the grooming and inspection templates to a site (idempotent)."""
    with write_tx():
        seed_templates(db.session.get(Site, site_id))
    return db.session.get(Site, site_id)


def _day_shift(site_id: int) -> Shift:
    found = db.session.scalar(select(Shift).where(Shift.site_id == site_id, Shift.code == "day"))
    if found is None:
        with write_tx():
            found = Shift(site_id=site_id, code="day", name="白班", starts=time(8, 30), ends=time(17, 30))
            db.session.add(found)
    return found


def roster(site_id: int, user_id: int, day, by_id: int | None = None) -> RosterEntry:
    """Put a person on the day shift of `day`."""
    day_shift = _day_shift(site_id)
    user = db.session.get(User, user_id)
    with write_tx():
        entry = RosterEntry(site_id=site_id, user_id=user_id, day=day, shift_id=day_shift.id, post=user.post,
                            created_by_id=by_id or user_id)
        db.session.add(entry)
    return entry


def leave(site_id: int, user_id: int, day, status: str = "approved") -> None:
    with write_tx():
        db.session.add(LeaveRequest(site_id=site_id, user_id=user_id, starts=day, ends=day, reason="病假",
                                    status=status))


def clock_in(site_id: int, user_id: int, day, at: datetime, late: int = 0) -> None:
    with write_tx():
        db.session.add(Attendance(site_id=site_id, user_id=user_id, day=day, clock_in_at=at, late_minutes=late))


def template(site_id: int, key: str) -> ChecklistTemplate:
    """A seeded template by its seed key (grooming, grooming_security, insp_water_bar, lounge_rounds…)."""
    return db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.site_id == site_id,
                                                             ChecklistTemplate.seed_key == key))


def team(site_id: int, rostered=("water_bar", "model_room", "security", "concierge")) -> SimpleNamespace:
    """A lead and a manager, and one person per post in `rostered` on today's roster; one more off duty."""
    s = seeded_site(site_id)
    day = s.today()
    lead = make_user(site_id, "lead", username=f"lead{site_id}")
    boss = make_user(site_id, "manager", username=f"boss{site_id}")
    staff = {}
    for p in rostered:
        staff[p] = make_user(site_id, p, username=f"{p}{site_id}").id
        roster(site_id, staff[p], day, lead.id)
    roster(site_id, lead.id, day, lead.id)
    off = make_user(site_id, "water_bar", username=f"off{site_id}").id
    return SimpleNamespace(site=site_id, day=day, lead=lead.id, boss=boss.id, staff=staff, off=off,
                           lead_name=lead.username, boss_name=boss.username)


def yesterday(day):
    return day - timedelta(days=1)


def png(size=(40, 30)) -> io.BytesIO:
    """A small PNG image to upload."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    return buf


class Upload:
    """A file-like upload for photos.store outside a request."""

    def __init__(self, data: io.BytesIO, filename: str = "p.png"):
        self.data, self.filename = data, filename

    def read(self, n=-1):
        return self.data.read(n)


# Incidents: reported through the service, at one of the site's default places.

def make_incident(site_id: int, user_id: int, *, kind: str = "suspicious", level: str = "note", where: str = "gate",
                  description: str = "门口有推销人员徘徊", visit_id: int | None = None, files=(),
                  idem_key: str | None = None) -> Incident:
    """An incident reported by a person of the site (at the first location of kind `where`)."""
    return incidents.report(db.session.get(Site, site_id), db.session.get(User, user_id), kind=kind,
                            location_id=location(site_id, where).id, level=level, description=description,
                            visit_id=visit_id, files=files, idem_key=idem_key)


# Night patrol: a site with its seeded patrol (hourly rounds through the 17:30–08:30 night shift) and checkpoints,
# two guards on the night roster of NIGHT, a guard off duty, the lead and the manager.

PATROL_PEOPLE = {"guard": "security", "guard2": "security", "off": "security", "lead": "lead", "boss": "manager",
                 "bar": "water_bar"}


def patrol_env(app, night=None):
    """`night` (a date) defaults to the site's today; env.at(hh, mm) is that night's wall clock (hh < 12: the next
    morning) as an aware moment for clock.travel_to."""
    site = make_site()
    night = night or site.today()
    people = {key: make_user(site.id, post, username=f"{key}{site.id}").id for key, post in PATROL_PEOPLE.items()}
    night_shift = db.session.scalar(select(Shift).where(Shift.site_id == site.id, Shift.code == "night"))
    with write_tx():
        for key in ("guard", "guard2"):
            db.session.add(RosterEntry(site_id=site.id, user_id=people[key], day=night, shift_id=night_shift.id,
                                       post="security", created_by_id=people["lead"]))
    points = db.session.scalars(select(Checkpoint).where(Checkpoint.site_id == site.id)
                                .order_by(Checkpoint.position)).all()

    def at(hh: int, mm: int = 0) -> datetime:
        day = night + timedelta(days=1) if hh < 12 else night
        return datetime.combine(day, time(hh, mm), site.tz)

    return SimpleNamespace(site=site.id, night=night, people=people, users=people, points=[p.id for p in points],
                           tokens=[p.token for p in points], names=[p.name for p in points], at=at,
                           shift=night_shift.id)
