#!/usr/bin/env python3
"""Load test over loopback: `make bench` (or `.venv/bin/python scripts/bench.py --duration 5`).

Builds a throw-away database (SQLite in a temp dir, or DATABASE_URL if set: it must point at an
empty database), seeds the demo plus realistic extra data, starts gunicorn, logs in as every demo
user and runs wrk against each screen. Prints a markdown table (p50/p95 latency, requests/s,
compressed bytes, SQL statements per request), the first-load weight of a staff page, and checks
the budgets: p95 <= 30 ms per page, first load <= 40 KB in <= 5 requests.

With --year (the default; --no-year for the small data set, --year-days N for a shorter history) it
also seeds a year of stock data and visits (scripts/bench_data.py: ~60 items and a few hundred ledger
rows per site per day for the demo site and 20 more sites, counts, discrepancies, purchase requests;
20-60 visitor groups per site per day with their timelines, servings in the ledger, model-room visits
and their counts, umbrellas, and a handful of groups on site now on the demo site; and the shift side:
roster, clock-ins, leave, handovers, grooming checks, inspection rounds and tasks) and measures the
stock pages: a count in progress, the water bar's location page, today's consumption, the manager's
30-day consumption, the approval queue and a pending request; and the visit pages: the live element
as each staff post polls it, unchanged (204) and one event behind (the htmx fragment), checked against
its own budget (<= 2 KB, <= 3 SQL statements, 2 when unchanged), the day's visit list for a staff post and the manager,
a group's page as water bar, model room, concierge and manager, and the arrival form. And (bench_data.seed_guest_year)
a year of complaints with their timelines and follow-up calls, guests' satisfaction answers and QR links, VIP notices
and the front desk's messages, measured on the complaint pages (the list, a closed one with the longest timeline, an
open one, the calls due, the month's report, the lead's section), the guest pages (unsatisfied alerts, 30 days of
satisfaction, a visit's section), the desk log, and the guests' own page /f/<token> (no login; each request from
another address in X-Forwarded-For, the bench's gunicorn believing one proxy, since the page is limited per address;
its first load <= 15 KB); the live element must show the VIP on site and the unsatisfied guests' alert. And
(bench_data.seed_work_year) a year of tasks between posts and for the cleaners and of repairs with their timelines,
ten tasks open for the demo's water bar (its today screen carries them), measured on the task list (the lead's every
open task, the water bar's, the concierge's), the raise form, the repair lists (open ones, a year's range, a model
room's places), the report form, the cleaners' rota and the linen page.
--writes then runs the concurrent-write benchmark (scripts/bench_write.py: 50 clients posting
"served 1" to one item) against the same server, and --poll the polling benchmark
(scripts/bench_poll.py: 100 phones polling the live element every 5 s for 60 s, arrivals every ~10 s;
budget < 10 % of one core).

--schema models builds the schema from the models instead of the migrations (for a working tree whose
models are ahead of its migrations).

It is a report: the exit code is 0 unless --strict is given and a budget is missed.
"""
import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin/ (not resolved: it must stay in the venv)
LUA = Path(__file__).resolve().parent / "bench_wrk.lua"
SECRET_KEY = "bench-secret-key-not-for-production"
P95_BUDGET_MS = 30.0
FIRST_LOAD_BUDGET_KB = 40.0
FIRST_LOAD_BUDGET_REQUESTS = 5
LIVE_BYTES_BUDGET = 2048  # the live element polled every 5 s by every phone: <= 2 KB ...
LIVE_QUERY_BUDGET = 3  # ... in <= 3 SQL statements (transaction control not counted) ...
LIVE_UNCHANGED_QUERY_BUDGET = 2  # ... and an unchanged poll (204) in 2
PUBLIC_FIRST_LOAD_BUDGET_KB = 15.0  # the guests' feedback page on their own phone: the HTML and its one stylesheet
HX = {"HX-Request": "true"}
STAFF_LOGINS = {"waterbar": "water_bar", "modelroom": "model_room", "concierge": "concierge",
                "security": "security"}
ALL_LOGINS = ["waterbar", "modelroom", "concierge", "security", "security2", "lead", "manager", "hq"]
NIGHT_GUARD = "security2"  # the demo's night guard: on tonight's night roster (bench_data.BENCH_GUARD)
BENCH_CLOCK = "23:10"  # the app's clock while seeding and serving: tonight at this time, a patrol round open
SITE_ZONE = "Asia/Shanghai"  # the demo's and the BENCHnn sites' time zone
HISTORY_DAYS = 30
EXTRA_SITES = 20
AUDIT_ROWS = 3000


# --------------------------------------------------------------------------- database


def run_flask(command: str, env: dict) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "app", command], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def init_schema(url: str, env: dict, schema: str = "migrations") -> None:
    """The empty schema: the migrations (as `flask init-db`), or with "models" straight from the models
    (db.create_all), for a working tree whose models are ahead of its migrations."""
    if schema == "migrations":
        run_flask("init-db", env)
        return
    sys.path.insert(0, str(ROOT))
    from hospitality import create_app
    from hospitality.extensions import db
    with create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY}).app_context():
        db.create_all()


def seed_extra(url: str, year: bool = False, analyze: bool = False, days: int = 365) -> dict:
    """Extra sites, staff, a month of finished routines and audit rows (and with `year` a year of
    stock data); returns the fixture ids."""
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from hospitality import create_app
    from hospitality.extensions import db
    from hospitality.models import AuditLog, ChecklistAnswer, ChecklistRun, ChecklistTemplate, SalesRep, Site, User
    from hospitality.models.core import STAFF_POSTS
    from hospitality.seed import add_default_content

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    rng = random.Random(42)
    with app.app_context():
        demo = db.session.scalar(select(Site).where(Site.code == "DEMO"))
        if demo is None:
            raise SystemExit("bench: the demo site is missing after seed-demo")
        users = {u.username: u for u in db.session.scalars(select(User).where(User.site_id == demo.id))}
        today = demo.today()
        templates = list(db.session.scalars(select(ChecklistTemplate).where(
            ChecklistTemplate.site_id == demo.id).order_by(ChecklistTemplate.position)))
        fixture = {"today": today.isoformat(),
                   "opening": {t.post: t.id for t in templates if t.kind == "opening"}}
        if db.session.scalar(select(Site.id).where(Site.code == "BENCH01")) is not None:
            from hospitality.seed import add_demo_hq  # a database seeded before head office existed gets its login
            add_demo_hq(demo)
            close_earlier_incidents(demo, users)
            db.session.commit()
            stock_fixture(app, fixture)
            visit_fixture(app, fixture)
            patrol_fixture(app, fixture)
            guest_fixture(app, fixture)
            if year:  # a database seeded before the tasks and repairs existed gets their year (once)
                sys.path.insert(0, str(Path(__file__).resolve().parent))
                from bench_data import seed_work_year
                fixture["work"] = seed_work_year(app, days=days, analyze=analyze)
            return fixture  # a reused DATABASE_URL: the extra data is there already

        password_hash = generate_password_hash("bench-password")  # hashing once keeps seeding fast
        by_post = {post: next(u for u in users.values() if u.post == post) for post in STAFF_POSTS}
        manager = users["manager"]

        # More people on the demo site: six per staff post.
        n = 0
        for post in STAFF_POSTS:
            for _ in range(6):
                n += 1
                db.session.add(User(site_id=demo.id, username=f"demo_staff{n:02d}", name=f"员工{n:02d}",
                                    badge_no=f"X{n:03d}", phone=f"1390000{n:04d}", post=post,
                                    password_hash=password_hash, active=n % 9 != 0))
        # Twenty more sales centres, each with default content, staff, a manager and reps.
        for i in range(1, EXTRA_SITES + 1):
            site = Site(name=f"测试项目{i:02d}售楼处", code=f"BENCH{i:02d}", timezone="Asia/Shanghai")
            db.session.add(site)
            db.session.flush()
            add_default_content(site)
            for j, post in enumerate(list(STAFF_POSTS) * 2 + ["lead", "manager"], start=1):
                db.session.add(User(site_id=site.id, username=f"bench{i:02d}_{j:02d}", name=f"员工{i:02d}{j:02d}",
                                    badge_no=f"B{j:03d}", post=post, password_hash=password_hash))
            db.session.add(SalesRep(site_id=site.id, name=f"置业顾问{i:02d}"))
            if i <= 3:
                manager.managed_sites.append(site)
        db.session.flush()

        # A month of routines on the demo site: finished runs (a few late, a few with problems).
        def utc(day, t):
            return datetime.combine(day, t).replace(tzinfo=demo.tz).astimezone(UTC).replace(tzinfo=None)

        runs = answers = 0
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - timedelta(days=back)
            for t in templates:
                if t.post not in by_post or t.kind not in ("opening", "closing"):
                    continue  # the staff posts' routines only (the lead's own lists are other capabilities')
                items = t.active_items
                due = t.due_time or datetime.min.time()
                if back == 0:
                    # Today: the water bar opening half done, the concierge opening finished.
                    if t.kind != "opening" or t.post not in ("water_bar", "concierge"):
                        continue
                    if t.post == "water_bar":
                        items = items[: len(items) // 2]
                user = by_post[t.post]
                start = utc(day, due) - timedelta(minutes=25)
                finished = back > 0 or t.post == "concierge"
                late = finished and rng.random() < 0.1
                run = ChecklistRun(site_id=demo.id, template_id=t.id, shift_date=day, slot="",
                                   started_by_id=user.id, started_at=start)
                db.session.add(run)
                failed = 0
                for k, item in enumerate(items):
                    ok = number = note = None
                    if item.answer_type == "check":
                        ok = rng.random() > 0.05
                        if not ok:
                            failed += 1
                            note = "损坏,已报修"
                    elif item.answer_type == "number":
                        number = Decimal(rng.randint(10, int(item.max_value or 100) // 2))
                    else:
                        note = "纸杯补充2箱,茶叶1罐"
                    run.answers.append(ChecklistAnswer(item_id=item.id, ok=ok, number=number, note=note,
                                                       answered_by_id=user.id,
                                                       answered_at=start + timedelta(minutes=2 * k)))
                    answers += 1
                if finished:
                    run.completed_by_id = user.id
                    run.completed_at = start + timedelta(minutes=70 if late else 20)
                    run.failed_count = failed
                runs += 1
        # A few thousand audit rows over the month.
        actors = list(users.values())
        actions = [("answer", "checklist_item"), ("start", "checklist_run"), ("complete", "checklist_run"),
                   ("login", "user"), ("logout", "user"), ("update", "user")]
        start_of_month = utc(today - timedelta(days=HISTORY_DAYS), datetime.min.time())
        for k in range(AUDIT_ROWS):
            action, entity = rng.choice(actions)
            db.session.add(AuditLog(site_id=demo.id, user_id=rng.choice(actors).id,
                                    at=start_of_month + timedelta(minutes=k * HISTORY_DAYS * 24 * 60 // AUDIT_ROWS),
                                    action=action, entity=entity, entity_id=rng.randint(1, 500),
                                    detail={"item": "吧台面、机器、器皿清洁", "ok": rng.random() > 0.05,
                                            "note": None, "before": None}))
        db.session.commit()
        fixture["counts"] = {"runs": runs, "answers": answers, "audit": AUDIT_ROWS}
    if year:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_data import seed_guest_year, seed_patrol_year, seed_shift_year, seed_work_year, seed_year
        fixture["year"] = seed_year(app, days=days, analyze=analyze)
        fixture["shifts"] = seed_shift_year(app, days=days, analyze=analyze)
        fixture["patrols"] = seed_patrol_year(app, days=days, analyze=analyze, bench_guard=NIGHT_GUARD)
        fixture["guests"] = seed_guest_year(app, days=days, analyze=analyze)
        fixture["work"] = seed_work_year(app, days=days, analyze=analyze)
    stock_fixture(app, fixture)
    visit_fixture(app, fixture)
    patrol_fixture(app, fixture)
    guest_fixture(app, fixture)
    return fixture


def stock_fixture(app, fixture: dict) -> None:
    """Ids the stock pages need: the demo water bar, its first item, a pending purchase request."""
    from sqlalchemy import select

    from hospitality.extensions import db
    from hospitality.models import Item, Location, PurchaseRequest, Site, User
    with app.app_context():
        demo = db.session.scalar(select(Site).where(Site.code == "DEMO"))
        bar = db.session.scalar(select(Location.id).where(Location.site_id == demo.id, Location.kind == "water_bar"))
        fixture["bar"] = bar
        fixture["waterbar_id"] = db.session.scalar(select(User.id).where(User.username == "waterbar"))
        fixture["demo_site"] = demo.id
        fixture["bar_item"] = db.session.scalar(select(Item.id).where(Item.location_id == bar)
                                                .order_by(Item.position, Item.id).limit(1))
        fixture["pending"] = db.session.scalar(select(PurchaseRequest.id).where(
            PurchaseRequest.site_id == demo.id, PurchaseRequest.status == "pending")
            .order_by(PurchaseRequest.id).limit(1))


def visit_fixture(app, fixture: dict) -> None:
    """The demo's busiest group still on site (for the detail pages) and how many groups today."""
    from sqlalchemy import func, select

    from hospitality.clock import day_bounds
    from hospitality.extensions import db
    from hospitality.models import Site, Visit, VisitEvent
    with app.app_context():
        demo = db.session.scalar(select(Site).where(Site.code == "DEMO"))
        fixture["visit"] = db.session.scalar(
            select(Visit.id).join(VisitEvent, VisitEvent.visit_id == Visit.id)
            .where(Visit.site_id == demo.id, Visit.status == "active").group_by(Visit.id)
            .order_by(func.count(VisitEvent.id).desc(), Visit.id).limit(1))
        start, end = day_bounds(demo, demo.today())
        today = select(func.count(Visit.id)).where(Visit.site_id == demo.id, Visit.arrived_at >= start,
                                                   Visit.arrived_at < end)
        fixture["visits_today"] = db.session.scalar(today)
        fixture["on_site"] = db.session.scalar(today.where(Visit.status == "active"))
        fixture["visits_yesterday"] = db.session.scalar(
            select(func.count(Visit.id)).where(Visit.site_id == demo.id, Visit.arrived_at >= start - timedelta(days=1),
                                               Visit.arrived_at < start))


def patrol_fixture(app, fixture: dict) -> None:
    """What the patrol and incident pages need on the demo site at the bench's clock: the round open now and the
    checkpoints still to visit in it, last night, the latest problem found, and the closed incident (older than a
    week) with the longest timeline."""
    from sqlalchemy import func, select

    from hospitality.clock import utcnow
    from hospitality.extensions import db
    from hospitality.models import Site
    from hospitality.models.incidents import Incident, IncidentEvent
    from hospitality.models.patrol import PatrolScan
    from hospitality.patrol import reads
    with app.app_context():
        demo = db.session.scalar(select(Site).where(Site.code == "DEMO"))
        patrol = reads.template(demo.id)
        if patrol is None:
            return
        t = reads.tonight(demo, patrol)
        night = reads.night_of(patrol, reads.wall_clock(demo))
        fixture["patrol"] = {
            "round": t.current.slot if t.current else None, "night": night.isoformat(),
            "last_night": (night - timedelta(days=1)).isoformat(),
            "to_visit": [(p.id, p.token, p.name) for p in t.to_visit],
            "problem": db.session.scalar(select(PatrolScan.id).where(
                PatrolScan.site_id == demo.id, PatrolScan.status == "problem").order_by(PatrolScan.id.desc()).limit(1)),
            "scans": db.session.scalar(select(func.count(PatrolScan.id)).where(PatrolScan.site_id == demo.id)),
        }
        fixture["old_incident"] = db.session.scalar(
            select(Incident.id).join(IncidentEvent, IncidentEvent.incident_id == Incident.id)
            .where(Incident.site_id == demo.id, Incident.status == "closed",
                   Incident.reported_at < utcnow() - timedelta(days=7))
            .group_by(Incident.id).order_by(func.count(IncidentEvent.id).desc(), Incident.reported_at).limit(1))


def guest_fixture(app, fixture: dict) -> None:
    """What the complaint, guest and desk pages need on the demo site: the closed complaint with the longest timeline,
    the open one furthest along, a group that left with an answer, the public page's token that still answers, and
    the VIP note of a group on site now (the live element shows it)."""
    from sqlalchemy import and_, func, select

    from hospitality.clock import day_bounds, utcnow
    from hospitality.extensions import db
    from hospitality.models import Site, Visit
    from hospitality.models.complaints import Complaint, ComplaintEvent
    from hospitality.models.guests import FeedbackLink, GuestFeedback, VipNotice
    with app.app_context():
        demo = db.session.scalar(select(Site).where(Site.code == "DEMO"))
        longest = (select(Complaint.id).join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
                   .where(Complaint.site_id == demo.id).group_by(Complaint.id)
                   .order_by(func.count(ComplaintEvent.id).desc(), Complaint.id).limit(1))
        fixture["closed_complaint"] = db.session.scalar(longest.where(Complaint.closed_at.is_not(None)))
        fixture["open_complaint"] = db.session.scalar(longest.where(Complaint.closed_at.is_(None)))
        fixture["answered_visit"] = db.session.scalar(
            select(GuestFeedback.visit_id).where(GuestFeedback.site_id == demo.id)
            .order_by(GuestFeedback.at.desc()).limit(1))
        fixture["feedback_token"] = db.session.scalar(
            select(FeedbackLink.token).where(FeedbackLink.site_id == demo.id, FeedbackLink.used_at.is_(None),
                                             FeedbackLink.expires_at > utcnow()).order_by(FeedbackLink.id.desc())
            .limit(1))
        fixture["unsatisfied"] = db.session.scalar(
            select(func.count(GuestFeedback.id)).where(GuestFeedback.site_id == demo.id,
                                                       GuestFeedback.rating == "unsatisfied",
                                                       GuestFeedback.handled_at.is_(None)))
        start, _end = day_bounds(demo, demo.today())
        fixture["vip_on_site"] = db.session.scalar(
            select(VipNotice.note).join(Visit, and_(Visit.site_id == VipNotice.site_id, Visit.plate == VipNotice.plate))
            .where(VipNotice.site_id == demo.id, VipNotice.active.is_(True), Visit.status == "active",
                   Visit.arrived_at >= start).limit(1))


def bench_clock(value: str) -> str | None:
    """The app's clock for the whole bench as DEMO_CLOCK takes it: "HH:MM" is today (the sites' calendar) at that
    time, an ISO date-time itself, "real" the machine's time (None)."""
    if value == "real":
        return None
    from zoneinfo import ZoneInfo
    zone = ZoneInfo(SITE_ZONE)
    if re.fullmatch(r"\d{1,2}:\d{2}", value):
        hh, mm = map(int, value.split(":"))
        moment = datetime.now(zone).replace(hour=hh, minute=mm, second=0, microsecond=0)
    else:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    return moment.isoformat()


# --------------------------------------------------------------------------- HTTP


class Client:
    """A tiny HTTP/1.1 client with a cookie jar; bodies come back as sent (still compressed)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp, data


def decode(resp, data: bytes) -> str:
    enc = resp.headers.get("Content-Encoding", "")
    if enc == "br":
        import brotli
        data = brotli.decompress(data)
    elif enc == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def login(port: int, username: str) -> str:
    client = Client(port)
    resp, data = client.request("GET", "/login")
    m = re.search(r'<input[^>]*name="csrf_token"[^>]*>', decode(resp, data))
    token = re.search(r'value="([^"]*)"', m.group(0)).group(1) if m else None
    if not token:
        raise SystemExit("bench: no csrf_token on the login page")
    body = urlencode({"csrf_token": token, "username": username, "password": "demo1234"})
    resp, _ = client.request("POST", "/login", body=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    if resp.status != 302 or "session" not in client.cookies:
        raise SystemExit(f"bench: login as {username} failed (HTTP {resp.status})")
    return client.cookies["session"]


def styles_cookie(port: int) -> str:
    """The cookie of a phone that has the stylesheets (hospitality/static_files.py): a phone's first page carries
    them inline, every later one links them. The measured pages are a phone's everyday ones."""
    client = Client(port)
    client.request("GET", "/login")
    version = client.cookies.get("styles")
    if not version:
        raise SystemExit("bench: the login page set no styles cookie")
    return f"styles={version}"


def start_count(port: int, cookie: str, location_id: int) -> str:
    """Start a spot count of a location the way a phone does; returns the count page's path."""
    client = Client(port)
    client.cookies["session"] = cookie
    resp, data = client.request("GET", f"/stock/loc/{location_id}")
    m = re.search(r'name="csrf_token" value="([^"]+)"', decode(resp, data))
    if resp.status != 200 or not m:
        raise SystemExit(f"bench: no form on /stock/loc/{location_id} (HTTP {resp.status})")
    body = urlencode({"csrf_token": m.group(1), "kind": "spot"})
    resp, _ = client.request("POST", f"/stock/loc/{location_id}/count", body=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    where = resp.headers.get("Location", "")
    if resp.status != 302 or "/stock/counts/" not in where:
        raise SystemExit(f"bench: starting a count failed (HTTP {resp.status} {where})")
    return "/stock/counts/" + where.rsplit("/stock/counts/", 1)[1]


BENCH_INCIDENT = "bench: 水吧台下漏水"  # what report_incident() says; a reused database keeps earlier runs' ones


def close_earlier_incidents(site, users: dict) -> None:
    """The lead closes the urgent incidents earlier runs on a reused database reported (report_incident, one a run),
    so each run measures the one it reports, as on a fresh database, not every run's piled up on security's screen."""
    from sqlalchemy import select

    from hospitality.extensions import db
    from hospitality.incidents import services as incidents
    from hospitality.models.incidents import Incident
    earlier = db.session.scalars(select(Incident).where(
        Incident.site_id == site.id, Incident.status != "closed", Incident.description == BENCH_INCIDENT)).all()
    for incident in earlier:
        incidents.close(site, users["lead"], incident, "bench: closed by the next run")


def report_incident(port: int, cookie: str) -> str:
    """Report an urgent incident at the first place the form offers, as a phone does; returns its page's path (the
    lead's, the manager's and security's live elements then carry its alert)."""
    client = Client(port)
    client.cookies["session"] = cookie
    resp, data = client.request("GET", "/incidents/new")
    html = decode(resp, data)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    place = re.search(r'name="location_id" value="(\d+)"', html)
    if resp.status != 200 or not token or not place:
        raise SystemExit(f"bench: no report form at /incidents/new (HTTP {resp.status})")
    body = urlencode({"csrf_token": token.group(1), "kind": "utility", "location_id": place.group(1),
                      "level": "urgent", "description": BENCH_INCIDENT, "idem": f"bench{os.getpid()}x"})
    resp, _ = client.request("POST", "/incidents/new", body=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    where = resp.headers.get("Location", "")
    if resp.status != 302 or "/incidents/" not in where:
        raise SystemExit(f"bench: reporting an incident failed (HTTP {resp.status} {where})")
    return "/incidents/" + where.rsplit("/incidents/", 1)[1]


def scan_form(port: int, cookie: str, token: str) -> str:
    """The body a guard's phone posts for "All normal" at a checkpoint (its form's CSRF token and idempotency key)."""
    client = Client(port)
    client.cookies["session"] = cookie
    resp, data = client.request("GET", f"/c/{token}")
    html = decode(resp, data)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    idem = re.search(r'name="idem" value="([^"]+)"', html)
    if resp.status != 200 or not csrf or not idem:
        raise SystemExit(f"bench: no scan form at /c/<token> (HTTP {resp.status}): is the bench clock at night?")
    return urlencode({"csrf_token": csrf.group(1), "idem": idem.group(1), "ok": "1"})


def post_scans(port: int, cookie: str, tokens: list[str]) -> list[float]:
    """Scan checkpoints of the open round "All normal", one after the other as a guard walks; the milliseconds of
    each POST (a new scan: the round's run, the flags, the audit row)."""
    out = []
    for token in tokens:
        body = scan_form(port, cookie, token)
        client = Client(port)
        client.cookies["session"] = cookie
        t0 = time.perf_counter()
        resp, _ = client.request("POST", f"/c/{token}", body=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        out.append((time.perf_counter() - t0) * 1000)
        if resp.status != 302:
            raise SystemExit(f"bench: scanning a checkpoint failed (HTTP {resp.status})")
    return out


def live_state(port: int, cookie: str) -> tuple[int, int]:
    """The version and refill due time the live element was built at, from its hx-get (as htmx polls it)."""
    client = Client(port)
    client.cookies["session"] = cookie
    resp, data = client.request("GET", "/visits/live", headers=HX)
    m = re.search(r'hx-get="/visits/live\?v=(-?\d+)&amp;d=(\d+)"', decode(resp, data))
    if resp.status != 200 or not m:
        raise SystemExit(f"bench: no live element at /visits/live (HTTP {resp.status})")
    return int(m.group(1)), int(m.group(2))


def live_body(port: int, cookie: str) -> str:
    """The live element as a post's phone first loads it (htmx), decoded."""
    client = Client(port)
    client.cookies["session"] = cookie
    resp, data = client.request("GET", "/visits/live", headers={**HX, "Accept-Encoding": "gzip"})
    return decode(resp, data)


def statements(queries: str, dialect: str) -> int | None:
    """Data statements from X-Query-Count (transaction control is not in it: SQLite's BEGIN goes straight to
    the driver, hospitality/database.py, and psycopg sends no statement for BEGIN)."""
    return int(queries) if queries.isdigit() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])


# --------------------------------------------------------------------------- gunicorn


def start_gunicorn(port: int, workers: int, env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the temp dir
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            resp, _ = Client(port).request("GET", "/login")
            if resp.status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
    raise SystemExit("bench: gunicorn did not start")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the master and its workers only
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------- measuring


def worker_cpu_seconds(master: int) -> float | None:
    """User + system CPU time of the gunicorn workers so far (Linux /proc), or None."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# A public page limited per client address (the guests' feedback page): each request from another address, as the
# guests' phones are, named in X-Forwarded-For (the bench's gunicorn believes one proxy, HOSPITALITY_PROXY_COUNT).
# Two wrk threads give each address twice: far below the page's limit.
WRK_MANY_ADDRESSES = """local n = 0
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256,
                                                 math.floor(n / 256) % 256, n % 256)
  return wrk.format()
end
"""


def wrk(url: str, headers: dict, clients: int, duration: int, body: str | None = None,
        many_addresses: bool = False) -> dict:
    script = LUA
    prefix = ""
    if body is not None:  # a form post: the same body every time (its idempotency key makes repeats count once)
        prefix = (f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                  'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    if many_addresses:
        prefix += WRK_MANY_ADDRESSES
    if prefix:
        script = Path(tempfile.mkstemp(prefix="bench-", suffix=".lua")[1])
        script.write_text(prefix + LUA.read_text())
    cmd = ["wrk", "-c", str(clients), "-t", str(min(2, clients)), "-d", f"{duration}s", "--latency",
           "-s", str(script)]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    try:
        out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    finally:
        if script != LUA:
            script.unlink()
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"bench: no figures from wrk:\n{out}")
    return json.loads(line.split(" ", 1)[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10, help="concurrent connections (wrk -c)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per page")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a budget is missed")
    ap.add_argument("--year", action=argparse.BooleanOptionalAction, default=True,
                    help="seed a year of stock data for 21 sites (default; --no-year: the small data set)")
    ap.add_argument("--analyze", action="store_true",
                    help="run ANALYZE after seeding on SQLite too (the app never does; PostgreSQL always is)")
    ap.add_argument("--writes", action="store_true", help="also run the concurrent-write benchmark")
    ap.add_argument("--write-clients", type=int, default=50, help="writers for --writes")
    ap.add_argument("--schema", choices=("migrations", "models"), default="migrations",
                    help="build the database with the migrations (default) or from the models (db.create_all)")
    ap.add_argument("--year-days", type=int, default=365, help="days of history with --year (fewer: faster seeding)")
    ap.add_argument("--only", metavar="REGEX", help="measure only the pages whose label matches (e.g. 'live|visit')")
    ap.add_argument("--poll", action="store_true",
                    help="also run the polling benchmark (scripts/bench_poll.py: phones polling the live element)")
    ap.add_argument("--phones", type=int, default=100, help="phones for --poll")
    ap.add_argument("--poll-seconds", type=int, default=60, help="measuring window for --poll")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (the SQLite database) and print it")
    ap.add_argument("--seed-only", action="store_true", help="seed, print the figures and stop (with --keep)")
    ap.add_argument("--clock", default=BENCH_CLOCK, metavar="HH:MM|ISO|real",
                    help=f"the app's clock while seeding and serving (DEMO_CLOCK, demo mode): today at HH:MM "
                         f"({SITE_ZONE}), an ISO date-time, or 'real' for the machine's time (default {BENCH_CLOCK}: "
                         "night, so that a patrol round is open for the scan pages)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is not installed (scripts/system-deps.sh bench)")

    tmp = Path(tempfile.mkdtemp(prefix="hospitality-bench-"))
    proc = None
    try:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SQL_COUNT_HEADER": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "HOSPITALITY_PROXY_COUNT": "1"}  # see WRK_MANY_ADDRESSES
        moment = bench_clock(args.clock)
        if moment:
            # One clock for seeding (this process too: set before the app is imported) and every gunicorn worker:
            # it stood at `moment` now (hospitality.clock, demo mode only).
            clock_env = {"HOSPITALITY_DEMO": "1", "DEMO_CLOCK": moment, "DEMO_CLOCK_SET_AT": str(time.time())}
            env.update(clock_env)
            os.environ.update(clock_env)
            print(f"bench: the app's clock starts at {moment}", flush=True)
        print(f"bench: database {url.split('://')[0]}, seeding ...", flush=True)
        t0 = time.monotonic()
        init_schema(url, env, args.schema)
        run_flask("seed-demo", env)
        fixture = seed_extra(url, year=args.year, analyze=args.analyze, days=args.year_days)
        seeded_s = time.monotonic() - t0
        print(f"bench: seeded in {seeded_s:.1f} s {fixture.get('counts', '')}", flush=True)
        year = fixture.get("year")
        if year:
            print(f"bench: a year of stock: {year['moves']:,} ledger rows for {year['sites']} sites, "
                  f"{year['items']} items, {year['counts']:,} counts ({year['count_lines']:,} lines), "
                  f"{year['discrepancies']} discrepancies, {year['requests']} purchase requests "
                  f"({year['pending']} pending), in {year['seconds']:.1f} s", flush=True)
            v = year.get("visits") or {}
            if v:
                print(f"bench: visits: {v['visits']:,} groups ({v['visit_events']:,} timeline rows, "
                      f"{v['visit_seen']:,} seen, {v['room_visits']:,} room visits, {v['umbrella_loans']:,} "
                      f"umbrella loans); demo site today: {fixture.get('visits_today')} groups, "
                      f"{fixture.get('on_site')} on site; yesterday {fixture.get('visits_yesterday')}", flush=True)
        shifts = fixture.get("shifts")
        if shifts and not shifts.get("skipped"):
            r = shifts["rows"]
            print(f"bench: a year of shifts for {shifts['sites']} sites ({shifts['people']} people on the roster; "
                  f"added {shifts['staff']} staff, {shifts['shifts']} shifts, {shifts['templates']} templates): "
                  f"{r['roster_entries']:,} roster entries, {r['attendance']:,} clock-ins, "
                  f"{r['leave_requests']:,} leave requests, {r['handovers']:,} handovers "
                  f"({r['handover_lines']:,} lines), {r['checklist_runs']:,} grooming and inspection runs "
                  f"({r['checklist_answers']:,} answers), {r['tasks']:,} tasks, in {shifts['seconds']:.1f} s",
                  flush=True)
        pt = fixture.get("patrols")
        if pt and not pt.get("skipped"):
            r = pt["rows"]
            print(f"bench: a year of patrols and incidents for {pt['sites']} sites ({pt['checkpoints']} checkpoints): "
                  f"{r['patrol_scans']:,} patrol scans ({', '.join(f'{k} {v:,}' for k, v in pt['by_status'].items())}; "
                  f"{pt['flagged']:,} flagged), {r['checklist_runs']:,} rounds, {r['incidents']:,} incidents "
                  f"({r['incident_events']:,} timeline rows), in {pt['seconds']:.1f} s", flush=True)
        gt = fixture.get("guests")
        if gt and not gt.get("skipped"):
            r = gt["rows"]
            print(f"bench: a year of complaints, guests and the desk for {gt['sites']} sites: {r['complaints']:,} "
                  f"complaints ({gt['unfounded']:,} unfounded, {gt['open']} open, {gt['overdue']} past a deadline; "
                  f"{r['complaint_events']:,} timeline rows, {r['complaint_remedies']:,} remedies, "
                  f"{r['complaint_photos']:,} photos), {r['follow_ups']:,} follow-up calls ({gt['calls_due']} due, "
                  f"{gt['calls_overdue']} overdue), {r['guest_feedback']:,} answers ({gt['alerts']} unsatisfied "
                  f"waiting), {r['feedback_links']:,} QR links, {r['vip_notices']} VIP notices, "
                  f"{r['desk_messages']:,} desk messages ({gt['desk_open']} open), in {gt['seconds']:.1f} s",
                  flush=True)
        wk = fixture.get("work")
        if wk and not wk.get("skipped"):
            r = wk["rows"]
            print(f"bench: a year of tasks and repairs for {wk['sites']} sites: {r['tasks']:,} tasks between posts and "
                  f"for the cleaners, {r['repairs']:,} repairs ({wk['open_repairs']} open; {r['repair_events']:,} "
                  f"timeline rows), in {wk['seconds']:.1f} s", flush=True)
        if args.seed_only:
            return 0

        port = free_port()
        proc = start_gunicorn(port, args.workers, env, tmp / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        sessions = {u: login(port, u) for u in ALL_LOGINS}
        styles = styles_cookie(port)
        count_path = start_count(port, sessions["waterbar"], fixture["bar"])
        incident_path = report_incident(port, sessions["waterbar"])
        pf = fixture.get("patrol") or {}
        to_visit = pf.get("to_visit") or []
        scan_ms, post_body = [], None
        if len(to_visit) >= 3:
            # The night guard walks on: two more checkpoints of the open round scanned (new scans, timed one by one);
            # the last one stays to visit for the scan page, and the first is posted again under load (counts once).
            scan_ms = post_scans(port, sessions[NIGHT_GUARD], [tok for _id, tok, _name in to_visit[:2]])
            post_body = scan_form(port, sessions[NIGHT_GUARD], to_visit[0][1])

        yesterday = (datetime.fromisoformat(fixture["today"]) - timedelta(days=1)).date().isoformat()
        pages, failures = [], []  # (label, user, path, extra headers)
        for user in STAFF_LOGINS:
            pages.append((f"staff today `/` ({user})", user, "/", {}))
        for user, post in STAFF_LOGINS.items():
            pages.append((f"fill `/checklists/{fixture['opening'][post]}` ({user})", user,
                          f"/checklists/{fixture['opening'][post]}", {}))
        pages += [
            # Issue 5: the lead's screen, then the sections it loads right after itself (htmx fragments).
            ("lead today `/`", "lead", "/", {}),
            ("lead today: attendance section `/attendance/board` htmx", "lead", "/attendance/board", HX),
            ("lead today: inspections section `/inspections/board` htmx", "lead", "/inspections/board", HX),
            ("lead today: handovers section `/handover/board` htmx", "lead", "/handover/board", HX),
            ("lead today: workers section `/workers/inside` htmx", "lead", "/workers/inside", HX),
            ("lead today: routines section `/board` htmx", "lead", "/board", HX),
            ("attendance board `/attendance/board`", "lead", "/attendance/board", {}),
            ("roster `/attendance/roster`", "lead", "/attendance/roster", {}),
            ("handovers `/handover/` (lead)", "lead", "/handover/", {}),
            ("handover `/handover/` (water bar)", "waterbar", "/handover/", {}),
            ("my attendance `/attendance/` (water bar)", "waterbar", "/attendance/", {}),
            ("inspections `/inspections/` (lead)", "lead", "/inspections/", {}),
            ("lead board `/board`", "lead", "/board", {}),
            ("manager today `/`", "manager", "/", {}),
            ("`/admin/staff`", "manager", "/admin/staff", {}),
            ("`/admin/audit`", "manager", "/admin/audit", {}),
            ("`/checklists/templates`", "manager", "/checklists/templates", {}),
            ("login page (anonymous)", None, "/login", {}),
            (f"htmx fragment `/board?date={yesterday}`", "lead", f"/board?date={yesterday}",
             {"HX-Request": "true"}),
        ]
        today = fixture["today"]
        month_ago = (datetime.fromisoformat(today) - timedelta(days=30)).date().isoformat()
        bar = fixture["bar"]
        pages += [
            (f"count in progress `{count_path}` (waterbar)", "waterbar", count_path, {}),
            (f"stock location `/stock/loc/{bar}` (waterbar)", "waterbar", f"/stock/loc/{bar}", {}),
            ("consumption today `/stock/consumption` (waterbar)", "waterbar", "/stock/consumption", {}),
            ("consumption 30 days `/stock/consumption?from=…&to=…` (manager)", "manager",
             f"/stock/consumption?from={month_ago}&to={today}", {}),
            ("approval queue `/purchases/` (manager)", "manager", "/purchases/", {}),
        ]
        if fixture.get("pending"):
            pages.append((f"pending request `/purchases/{fixture['pending']}` (manager)", "manager",
                          f"/purchases/{fixture['pending']}", {}))
        else:
            failures.append("pending request page: no pending request (run with --year)")
        # Visits: the live element as each staff post polls it (unchanged: 204; one event behind: the
        # fragment), the day's list, a group's page per post, the arrival form.
        for user in (*STAFF_LOGINS, "lead", "manager"):  # security, the lead and the manager: with the urgent alert
            v, d = live_state(port, sessions[user])
            pages.append((f"live unchanged `/visits/live?v={v}&d={d}` 204 ({user})", user,
                          f"/visits/live?v={v}&d={d}", HX, 204))
            pages.append((f"live changed `/visits/live?v={v - 1}&d={d}` htmx ({user})", user,
                          f"/visits/live?v={v - 1}&d={d}", HX))
        pages += [
            ("visit list today `/visits/` (concierge)", "concierge", "/visits/", {}),
            ("visit list today `/visits/` (manager)", "manager", "/visits/", {}),
            (f"visit list yesterday `/visits/?from={yesterday}&to={yesterday}` (manager)", "manager",
             f"/visits/?from={yesterday}&to={yesterday}", {}),
        ]
        if fixture.get("visit"):
            for user in ("waterbar", "modelroom", "concierge", "manager"):
                pages.append((f"visit `/visits/{fixture['visit']}` ({user})", user, f"/visits/{fixture['visit']}", {}))
        else:
            failures.append("visit pages: no group on site (run with --year)")
        pages.append(("arrival form `/visits/new` (security)", "security", "/visits/new", {}))
        # Incidents: the lead's and manager's list (the last 30 days), an incident's page, what is open.
        pages += [
            ("incident list `/incidents/` (manager)", "manager", "/incidents/", {}),
            (f"incident `{incident_path}` (security)", "security", incident_path, {}),
            (f"incident `{incident_path}` (manager)", "manager", incident_path, {}),
            ("lead today: open incidents section `/incidents/open` htmx", "lead", "/incidents/open", HX),
            ("incident report form `/incidents/new` (waterbar)", "waterbar", "/incidents/new", {}),
        ]
        # Issue 14: the night patrol at the bench's clock (a round open), the night report, the incidents of a year.
        year_ago = (datetime.fromisoformat(today) - timedelta(days=365)).date().isoformat()
        pages += [
            (f"incident list a year `/incidents/?from={year_ago}&to=…` (manager)", "manager",
             f"/incidents/?from={year_ago}&to={today}", {}),
            ("incident counts `/incidents/counts` (manager)", "manager", "/incidents/counts", {}),
            ("incident list `/incidents/` (lead)", "lead", "/incidents/", {}),
            ("open incidents `/incidents/open` (security)", "security", "/incidents/open", {}),
        ]
        if fixture.get("old_incident"):
            pages.append((f"closed incident, longest timeline `/incidents/{fixture['old_incident']}` (manager)",
                          "manager", f"/incidents/{fixture['old_incident']}", {}))
        else:
            failures.append("closed incident page: no closed incident older than a week (run with --year)")
        if pf:
            pages += [
                (f"staff today `/` ({NIGHT_GUARD}, night guard: tonight's round)", NIGHT_GUARD, "/", {}),
                (f"patrol `/patrol` ({NIGHT_GUARD})", NIGHT_GUARD, "/patrol", {}),
                ("patrol `/patrol` (lead)", "lead", "/patrol", {}),
                ("lead today: patrol section `/patrol/glance` htmx", "lead", "/patrol/glance", HX),
                ("manager today: patrol section `/patrol/glance` htmx", "manager", "/patrol/glance", HX),
                (f"night report last night `/patrol/night?day={pf['last_night']}` (lead)", "lead",
                 f"/patrol/night?day={pf['last_night']}", {}),
                (f"night report last night `/patrol/night?day={pf['last_night']}` (manager)", "manager",
                 f"/patrol/night?day={pf['last_night']}", {}),
                ("night report tonight `/patrol/night` (manager)", "manager", "/patrol/night", {}),
            ]
            if to_visit:
                cp_id, token, _name = to_visit[-1]
                pages += [(f"scan form `/c/<token>` ({NIGHT_GUARD})", NIGHT_GUARD, f"/c/{token}", {}),
                          (f"tap form `/patrol/checkpoints/{cp_id}/tap` ({NIGHT_GUARD})", NIGHT_GUARD,
                           f"/patrol/checkpoints/{cp_id}/tap", {})]
            else:
                failures.append(f"scan form: no round open at the bench's clock ({args.clock}) or nothing to visit")
            if post_body:
                pages.append((f"scan \"All normal\" POST `/c/<token>` again ({NIGHT_GUARD}, counts once) 302",
                              NIGHT_GUARD, f"/c/{to_visit[0][1]}", {"_body": post_body}, 302))
            if pf.get("problem"):
                pages.append((f"problem found `/patrol/scans/{pf['problem']}` ({NIGHT_GUARD})", NIGHT_GUARD,
                              f"/patrol/scans/{pf['problem']}", {}))
            else:
                failures.append("problem page: no problem found on a patrol (run with --year)")

        # Issue 15: complaints (the list, a closed one with the longest timeline, an open one, the calls due, the
        # month's report, the lead's section), the guests' satisfaction (unsatisfied alerts, a month, a visit's
        # section), the front desk's log and the guests' own page (no login; each request from another address).
        pages += [
            ("complaint list `/complaints/` (lead)", "lead", "/complaints/", {}),
            ("complaint list `/complaints/` (concierge)", "concierge", "/complaints/", {}),
            (f"complaint list a year, closed `/complaints/?from={year_ago}&state=closed` (manager)", "manager",
             f"/complaints/?from={year_ago}&to={today}&state=closed", {}),
            ("complaint follow-ups `/complaints/follow-ups` (concierge)", "concierge", "/complaints/follow-ups", {}),
            ("complaint report this month `/complaints/report` (manager)", "manager", "/complaints/report", {}),
            ("lead today: complaints section `/complaints/glance` htmx", "lead", "/complaints/glance", HX),
            ("guests alerts `/guests/alerts` (lead)", "lead", "/guests/alerts", {}),
            (f"guests satisfaction 30 days `/guests/satisfaction?from={month_ago}&to=…` (manager)", "manager",
             f"/guests/satisfaction?from={month_ago}&to={today}", {}),
            ("desk log `/desk/` (concierge)", "concierge", "/desk/", {}),
            ("desk log `/desk/` (lead)", "lead", "/desk/", {}),
        ]
        # Issue 16: tasks between posts and repairs (the water bar's today screen carries ten open tasks: measured
        # with the staff today screens above), the cleaners' rota and the linen away.
        pages += [
            ("task list `/tasks/` (lead: every open task)", "lead", "/tasks/", {}),
            ("task list `/tasks/` (waterbar: ten open)", "waterbar", "/tasks/", {}),
            ("task list `/tasks/` (concierge)", "concierge", "/tasks/", {}),
            ("raise a task `/tasks/new` (waterbar)", "waterbar", "/tasks/new", {}),
            ("repair list `/repairs/` (lead)", "lead", "/repairs/", {}),
            ("repair list `/repairs/` (manager)", "manager", "/repairs/", {}),
            (f"repairs a year `/repairs/range?from={year_ago}&to=…` (manager)", "manager",
             f"/repairs/range?from={year_ago}&to={today}", {}),
            ("repair list `/repairs/` (modelroom: its places)", "modelroom", "/repairs/", {}),
            ("report a repair `/repairs/new` (modelroom)", "modelroom", "/repairs/new", {}),
            ("cleaning rota `/routines/cleaning` (lead)", "lead", "/routines/cleaning", {}),
            ("linen `/routines/linen` (modelroom)", "modelroom", "/routines/linen", {}),
        ]
        # Issue 17: the manager's day (7 and 30 days of trends, the month's spend against its budget), the budget
        # form, head office's comparison of every site for the month and a year and one site's page, staff
        # evaluation (the team's month, a person's, one's own), the weekly meeting sheet and the alert robots.
        month_start = today[:8] + "01"
        pages += [
            ("manager's day `/manager/` (7 days)", "manager", "/manager/", {}),
            ("manager's day `/manager/?days=30`", "manager", "/manager/?days=30", {}),
            ("budget `/manager/budget` (manager)", "manager", "/manager/budget", {}),
            ("head office `/hq/` (every site, this month)", "hq", "/hq/", {}),
            (f"head office a year `/hq/?start={year_ago}&end=…`", "hq", f"/hq/?start={year_ago}&end={today}", {}),
            (f"head office one site `/hq/sites/<demo>?start={month_start}`", "hq",
             f"/hq/sites/{fixture['demo_site']}?start={month_start}&end={today}", {}),
            ("evaluation team `/evaluation/team` (manager)", "manager", "/evaluation/team", {}),
            ("evaluation person `/evaluation/person/<waterbar>` (manager)", "manager",
             f"/evaluation/person/{fixture['waterbar_id']}", {}),
            ("evaluation own `/evaluation/` (waterbar)", "waterbar", "/evaluation/", {}),
            ("weekly meeting sheet `/evaluation/week` (lead)", "lead", "/evaluation/week", {}),
            ("alert robots `/alerts/` (manager)", "manager", "/alerts/", {}),
            ("stock below par `/stock/below-par` (waterbar)", "waterbar", "/stock/below-par", {}),
        ]
        for key, what, users in (("closed_complaint", "closed, longest timeline", ("manager", "concierge")),
                                 ("open_complaint", "open, furthest along", ("manager", "concierge"))):
            if fixture.get(key):
                pages += [(f"complaint {what} `/complaints/{fixture[key]}` ({user})", user,
                           f"/complaints/{fixture[key]}", {}) for user in users]
            else:
                failures.append(f"complaint page ({what}): none on the demo site (run with --year)")
        if fixture.get("visit"):
            pages.append((f"guests section, group on site `/guests/visits/{fixture['visit']}` htmx (concierge)",
                          "concierge", f"/guests/visits/{fixture['visit']}", HX))
        if fixture.get("answered_visit"):
            pages.append((f"guests section, answered `/guests/visits/{fixture['answered_visit']}` htmx (manager)",
                          "manager", f"/guests/visits/{fixture['answered_visit']}", HX))
        else:
            failures.append("guests section: no answered group on the demo site (run with --year)")
        public_path = f"/f/{fixture['feedback_token']}" if fixture.get("feedback_token") else None
        if public_path:
            pages.append(("guests' own page `/f/<token>` (anonymous, many addresses)", None, public_path,
                          {"_many_addresses": True}))
        else:
            failures.append("guests' own page: no link that still answers on the demo site (run with --year)")
        # The live element with a VIP on site and an unsatisfied group waiting (measured above): check they show.
        for user, want, what in (("concierge", fixture.get("vip_on_site"), "the VIP note of a group on site"),
                                 ("lead", "/guests/alerts" if fixture.get("unsatisfied") else None,
                                  "the unsatisfied guests' alert")):
            if want and want not in live_body(port, sessions[user]):
                failures.append(f"live element ({user}): {what} is missing")
            elif not want:
                failures.append(f"live element ({user}): {what} is not in the data (run with --year)")

        if args.only:
            pages = [pg for pg in pages if re.search(args.only, pg[0])]
        load_before = os.getloadavg()[0]
        print(f"bench: {len(pages)} pages x {args.duration} s, {args.clients} clients, "
              f"{args.workers} gunicorn workers, {os.cpu_count()} CPUs, load average {load_before:.2f}", flush=True)
        if load_before > 0.5 * (os.cpu_count() or 1):
            print("bench: WARNING: the machine is busy; other processes will inflate the latencies", flush=True)
        rows = []
        dialect = url.split("://")[0].split("+")[0]
        live_rows = []  # (label, compressed bytes, data statements, X-Query-Count)
        for label, user, path, extra, *expect in pages:
            headers = {**extra}
            form = headers.pop("_body", None)  # a form post (wrk posts the same body)
            many = headers.pop("_many_addresses", False)  # a page limited per address: WRK_MANY_ADDRESSES
            method = "GET" if form is None else "POST"
            if form is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Cookie"] = f"session={sessions[user]}; {styles}" if user else styles
            probe = Client(port)
            resp, body = probe.request(method, path, body=form, headers={**headers, "Accept-Encoding": "gzip, br"})
            if resp.status != (expect[0] if expect else 200):
                failures.append(f"{label}: HTTP {resp.status} (not measured)")
                continue
            size = f"{len(body):,} ({resp.headers.get('Content-Encoding', 'identity')})"
            queries = resp.headers.get("X-Query-Count", "?")
            live = label.startswith("live ")
            # Warm both workers (templates compile on first use) before measuring.
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda _, m=method, p=path, b=form, h=headers:
                              Client(port).request(m, p, body=b, headers=h), range(8)))
            cpu_before = worker_cpu_seconds(proc.pid)
            r = wrk(base + path, {**headers, "Accept-Encoding": "br, gzip"}, args.clients, args.duration, body=form,
                    many_addresses=many)
            cpu_after = worker_cpu_seconds(proc.pid)
            cpu = "?"
            if cpu_before is not None and cpu_after is not None and r["requests"]:
                cpu = f"{(cpu_after - cpu_before) * 1000 / r['requests']:.1f}"
            rps = r["requests"] / (r["duration_us"] / 1e6)
            errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            rows.append((label, r["p50"] / 1000, r["p95"] / 1000, r["p99"] / 1000, rps, size, queries, cpu,
                         errors))
            if live:
                live_rows.append((label, len(body), statements(queries, dialect), queries))
            print(f"  {label}: p50 {r['p50'] / 1000:.1f} ms, p95 {r['p95'] / 1000:.1f} ms, {rps:.0f} req/s",
                  file=sys.stderr, flush=True)

        # First load of a staff page (no styles cookie: the stylesheets come inside it): the HTML and every
        # stylesheet and script it references.
        client = Client(port)
        hdr = {"Cookie": f"session={sessions['waterbar']}", "Accept-Encoding": "br, gzip"}
        resp, body = client.request("GET", "/", headers=hdr)
        parser = Assets()
        parser.feed(decode(resp, body))
        first_bytes, first_parts = len(body), [f"HTML {len(body):,}"]
        for asset in parser.urls:
            aresp, abody = Client(port).request("GET", asset, headers=hdr)
            first_bytes += len(abody)
            name = asset.split("?")[0].rsplit("/", 1)[-1]
            first_parts.append(f"{name} {len(abody):,} ({aresp.headers.get('Content-Encoding', 'identity')})")
        first_requests = 1 + len(parser.urls)
        first_kb = first_bytes / 1024
        # First load of the guests' own page on their phone (no login, no script): the HTML and its stylesheet.
        public_load = None
        if public_path:
            hdr = {"Accept-Encoding": "br, gzip"}
            resp, body = Client(port).request("GET", public_path, headers=hdr)
            parser = Assets()
            parser.feed(decode(resp, body))
            parts = [f"HTML {len(body):,} ({resp.headers.get('Content-Encoding', 'identity')})"]
            total = len(body)
            for asset in parser.urls:
                aresp, abody = Client(port).request("GET", asset, headers=hdr)
                total += len(abody)
                parts.append(f"{asset.split('?')[0].rsplit('/', 1)[-1]} {len(abody):,} "
                             f"({aresp.headers.get('Content-Encoding', 'identity')})")
            public_load = (total / 1024, 1 + len(parser.urls), parts)

        print()
        print("| page | p50 ms | p95 ms | p99 ms | req/s | bytes (compressed) | SQL queries | worker CPU ms/req |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, p50, p95, p99, rps, size, queries, cpu, _errors in rows:
            print(f"| {label} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {rps:.0f} | {size} | {queries} | {cpu} |")
        load_after = os.getloadavg()[0]
        print()
        print(f"wrk and gunicorn share this machine's {os.cpu_count()} CPUs over loopback; 1-minute load average "
              f"{load_before:.2f} before, {load_after:.2f} at the end (the benchmark alone adds about 2-3). "
              f"With {args.clients} closed-loop clients on {args.workers} sync workers, latency ~ clients / (req/s); "
              "worker CPU ms/req is the figure least disturbed by other load.")
        print()
        first_ok = first_kb <= FIRST_LOAD_BUDGET_KB and first_requests <= FIRST_LOAD_BUDGET_REQUESTS
        print(f"First load of a staff page: {first_kb:.1f} KB in {first_requests} requests "
              f"({', '.join(first_parts)}; response bodies, bytes) -- budget <= {FIRST_LOAD_BUDGET_KB:.0f} KB "
              f"in <= {FIRST_LOAD_BUDGET_REQUESTS} requests: {'PASS' if first_ok else 'FAIL'}")
        if public_load:
            kb, n, parts = public_load
            public_ok = kb <= PUBLIC_FIRST_LOAD_BUDGET_KB
            first_ok &= public_ok
            print(f"First load of the guests' own page /f/<token>: {kb:.1f} KB in {n} requests ({', '.join(parts)}; "
                  f"response bodies, bytes) -- budget <= {PUBLIC_FIRST_LOAD_BUDGET_KB:.0f} KB: "
                  f"{'PASS' if public_ok else 'FAIL'}")
        if scan_ms:
            print()
            print(f"New scans (\"All normal\" at a checkpoint of the open round, one at a time, no other load): "
                  f"{', '.join(f'{ms:.1f}' for ms in scan_ms)} ms")
        print()
        print(f"Budget: p95 <= {P95_BUDGET_MS:.0f} ms at {args.clients} clients, {args.workers} workers")
        missed = not first_ok
        for label, _p50, p95, _p99, _rps, _size, _queries, _cpu, errors in rows:
            ok = p95 <= P95_BUDGET_MS and errors == 0
            missed |= not ok
            note = f" ({errors} wrk errors)" if errors else ""
            print(f"  {'PASS' if ok else 'FAIL'}  {label}: p95 {p95:.1f} ms{note}")
        for f in failures:
            missed = True
            print(f"  FAIL  {f}")
        if live_rows:
            print()
            print(f"Live element: <= {LIVE_BYTES_BUDGET / 1024:.0f} KB and <= {LIVE_QUERY_BUDGET} SQL statements "
                  f"per poll, <= {LIVE_UNCHANGED_QUERY_BUDGET} unchanged (204) (transaction control not counted)")
            for label, nbytes, n, raw in live_rows:
                budget = LIVE_UNCHANGED_QUERY_BUDGET if label.startswith("live unchanged") else LIVE_QUERY_BUDGET
                ok = nbytes <= LIVE_BYTES_BUDGET and n is not None and n <= budget
                missed |= not ok
                print(f"  {'PASS' if ok else 'FAIL'}  {label}: {nbytes:,} bytes, {n} statements "
                      f"(X-Query-Count {raw})")
        if args.writes:
            import bench_write
            print(f"\nbench: concurrent writes, {args.write_clients} clients x {args.duration} s, "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)
            w = bench_write.run_writes(port, url, [sessions[u] for u in ("waterbar", "lead", "manager")],
                                       fixture["bar"], fixture["bar_item"], args.write_clients, args.duration,
                                       cpu=lambda: worker_cpu_seconds(proc.pid))
            missed |= not bench_write.report(w, url.split("://")[0].split("+")[0])
            print(f"load average at the end {os.getloadavg()[0]:.2f}")
        if args.poll:
            import bench_poll
            print(f"\nbench: {args.phones} phones polling the live element every {bench_poll.INTERVAL} s for "
                  f"{args.poll_seconds} s, load average {os.getloadavg()[0]:.2f}", flush=True)
            pr = bench_poll.run_poll(port, url, SECRET_KEY, phones=args.phones, duration=args.poll_seconds,
                                     cpu=lambda: worker_cpu_seconds(proc.pid))
            missed |= not bench_poll.report(pr, args.workers)
        if year:
            print()
            print(f"Seeding: {seeded_s:.0f} s in all; the year of stock: {year['moves']:,} ledger rows in "
                  f"{year['seconds']:.0f} s ({year['moves'] / max(year['seconds'], 0.001):,.0f} rows/s incl. "
                  "generation, counts and requests)")
        return 1 if (missed and args.strict) else 0
    finally:
        stop(proc)
        if args.keep:
            print(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up in main's finally
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even if started with SIGINT ignored
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
