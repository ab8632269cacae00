#!/usr/bin/env python3
"""Phones polling the live element: `.venv/bin/python scripts/bench_poll.py` (or `scripts/bench.py --poll`).

Every post's screen keeps the site's visits live with a 5-second htmx poll of
GET /visits/live?v=<version>&d=<refill due>, which answers 204 while nothing changed. This measures what
that costs the server: PHONES phones of the demo site (its staff, lead and manager; several phones per
login where there are fewer people), each with its own login session, poll every INTERVAL s for the
window, each from its own random phase, with htmx's headers. Security records an arrival about every
ARRIVAL_EVERY s through the arrival form (and its phone loads the group's page); that changes the version,
so every phone fetches the fragment (200) once and then goes back to 204s. Before the window each phone
loads the element once (its page load).

Measured: the gunicorn workers' CPU seconds over the window (/proc, as bench.py does) divided by the
window = the share of one core; latency of the polls (p50/p95/max, 204s and 200s apart). PASS if the
share is below CPU_BUDGET_PCT (the issue's budget: 100 phones cost less than 10 % of one core) and no
poll or arrival failed.

The phones log in through the app's own login view, in this process, with login rate limiting and CSRF
switched off for that (the server allows 10 logins a minute per address, and every phone here is
127.0.0.1); the session cookies then go to the gunicorn server, which shares the secret key.

Standalone it builds a throw-away database and server as bench.py does (--no-year for a quick run).
It is a report: the exit code is 0 unless --strict is given and the budget is missed.
"""
import argparse
import gzip
import http.client
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 5.0  # hx-trigger="every 5s" (templates/visits/_live.html)
ARRIVAL_EVERY = 10.0
CPU_BUDGET_PCT = 10.0
IDLE_SECONDS = 5.0
PHONE_POSTS = ("water_bar", "concierge", "model_room", "security", "lead", "manager")
BENCH_PASSWORD = "bench-password"  # the extra staff that bench.seed_extra adds
# A phone's browser; the same one logs in and polls (Flask-Login ties the session to address + agent).
USER_AGENT = "Mozilla/5.0 (Linux; Android 14; bench) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
LIVE_URL = re.compile(r'hx-get="(/visits/live\?[^"]*)"')


def request(port: int, method: str, path: str, headers: dict, body: str | None = None):
    """One request on a new connection (gunicorn's sync workers close it anyway): (response, body as sent)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def text(resp, data: bytes) -> str:
    enc = resp.headers.get("Content-Encoding", "")
    if enc == "br":
        import brotli
        data = brotli.decompress(data)
    elif enc == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def phone_sessions(url: str, secret_key: str, phones: int) -> list[tuple[str, str, str]]:
    """Log `phones` phones in as the demo site's people, round robin: [(session cookie, username, post)]."""
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from hospitality import create_app
    from hospitality.extensions import db
    from hospitality.models import Site, User
    from hospitality.seed import DEMO_PASSWORD, DEMO_USERS

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    demo_names = {u[0] for u in DEMO_USERS}
    with app.app_context():
        demo = db.session.scalar(select(Site.id).where(Site.code == "DEMO"))
        people = [(u.username, u.post) for u in db.session.scalars(
            select(User).where(User.site_id == demo, User.active.is_(True), User.post.in_(PHONE_POSTS))
            .order_by(User.id))]
    # Posts interleaved (water bar, concierge, model room, security, lead, manager, water bar, ...).
    by_post = {post: [p for p in people if p[1] == post] for post in PHONE_POSTS}
    order = [by_post[post][k] for k in range(max(map(len, by_post.values())))
             for post in PHONE_POSTS if k < len(by_post[post])]
    out = []
    for k in range(phones):
        username, post = order[k % len(order)]
        client = app.test_client()
        password = DEMO_PASSWORD if username in demo_names else BENCH_PASSWORD
        resp = client.post("/login", data={"username": username, "password": password},
                           headers={"User-Agent": USER_AGENT})
        cookie = client.get_cookie("session")
        if resp.status_code != 302 or cookie is None:
            raise SystemExit(f"bench_poll: login as {username} failed (HTTP {resp.status_code})")
        out.append((cookie.value, username, post))
    return out


class Phone:
    """One phone: its session and the poll URL its live element carries."""

    def __init__(self, port: int, cookie: str, post: str):
        self.port, self.cookie, self.post = port, cookie, post
        self.url = "/visits/live"
        self.results: list[tuple[float, int, int, bool]] = []  # (seconds, status, body bytes, set a cookie)
        self.errors: list[str] = []

    def get(self, path: str, record: bool = True) -> None:
        headers = {"Cookie": f"session={self.cookie}", "HX-Request": "true", "HX-Target": "visits-live",
                   "HX-Trigger": "visits-live", "Accept-Encoding": "gzip, br"}
        t0 = time.perf_counter()
        try:
            resp, body = request(self.port, "GET", path, headers)
        except OSError as e:
            self.errors.append(f"{type(e).__name__}: {e}")
            return
        took = time.perf_counter() - t0
        if resp.status == 200:
            m = LIVE_URL.search(text(resp, body))
            if m is None:
                self.errors.append("200 without the live element")
                return
            self.url = m.group(1).replace("&amp;", "&")
        elif resp.status != 204:
            self.errors.append(f"HTTP {resp.status}")
        if record:
            self.results.append((took, resp.status, len(body), resp.headers.get("Set-Cookie") is not None))

    def run(self, start: float, end: float, interval: float) -> None:
        # htmx's "every 5s" fires 5 s after the element was put in place, so each phone has its phase.
        due = start + random.uniform(0, interval)
        while due < end:
            time.sleep(max(due - time.monotonic(), 0))
            self.get(self.url)
            due = max(due + interval, time.monotonic())


def arrivals(port: int, cookie: str, start: float, end: float, every: float, out: dict) -> None:
    """Security records a group through the arrival form about every `every` seconds (and sees its page)."""
    jar = {"Cookie": f"session={cookie}", "Accept-Encoding": "gzip"}
    resp, data = request(port, "GET", "/visits/new", jar)
    m = re.search(r'name="csrf_token" value="([^"]+)"', text(resp, data))
    if resp.status != 200 or not m:
        out["errors"].append(f"no arrival form (HTTP {resp.status})")
        return
    token = m.group(1)
    for value in resp.headers.get_all("Set-Cookie") or []:  # the session now holds the CSRF secret
        if value.startswith("session="):
            jar["Cookie"] = value.split(";", 1)[0]
    due = start + random.uniform(1, every)
    while due < end:
        time.sleep(max(due - time.monotonic(), 0))
        due += random.uniform(0.7 * every, 1.3 * every)
        body = urlencode({"csrf_token": token, "party_size": random.choice("12234"), "by_car": "1",
                          "plate": f"粤B{random.randint(10000, 99999)}", "idem": uuid.uuid4().hex})
        try:
            resp, _ = request(port, "POST", "/visits/new", {**jar, "Content-Type": "application/x-www-form-urlencoded"},
                              body)
        except OSError as e:
            out["errors"].append(f"arrival: {type(e).__name__}: {e}")
            continue
        if resp.status == 302:  # the guard's phone then shows the group's page
            out["ok"] += 1
            try:
                request(port, "GET", resp.headers["Location"], jar)
            except OSError as e:
                out["errors"].append(f"arrival page: {type(e).__name__}: {e}")
        else:
            out["errors"].append(f"arrival: HTTP {resp.status}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def run_poll(port: int, url: str, secret_key: str, phones: int = 100, duration: float = 60,
             interval: float = INTERVAL, arrival_every: float = ARRIVAL_EVERY, cpu=None) -> dict:
    """Log the phones in, load each one's live element, then poll for `duration` s; returns the figures."""
    t0 = time.monotonic()
    sessions = phone_sessions(url, secret_key, phones)
    login_s = time.monotonic() - t0
    fleet = [Phone(port, cookie, post) for cookie, _user, post in sessions]
    for phone in fleet:  # the page load: each element starts at the current version
        phone.get(phone.url, record=False)
    guard = next(cookie for cookie, _user, post in sessions if post == "security")
    arrived = {"ok": 0, "errors": []}
    idle = None
    if cpu:  # what the idle workers cost by themselves (heartbeat), for comparison
        c0, w0 = cpu(), time.monotonic()
        time.sleep(IDLE_SECONDS)
        c1 = cpu()
        idle = (c1 - c0) / (time.monotonic() - w0) * 100 if c0 is not None and c1 is not None else None
    start = time.monotonic() + 1.0
    end = start + duration
    threads = [threading.Thread(target=p.run, args=(start, end, interval), daemon=True) for p in fleet]
    threads.append(threading.Thread(target=arrivals, args=(port, guard, start, end, arrival_every, arrived),
                                    daemon=True))
    time.sleep(max(start - time.monotonic() - 0.5, 0))
    cpu_before, wall_before = (cpu() if cpu else None), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu_after, wall = (cpu() if cpu else None), time.monotonic() - wall_before
    results = [r for p in fleet for r in p.results]
    lat = {k: [r[0] * 1000 for r in results if k is None or r[1] == k] for k in (None, 204, 200)}
    fragment = [r[2] for r in results if r[1] == 200]
    cpu_s = (cpu_after - cpu_before) if cpu_before is not None and cpu_after is not None else None
    return {"phones": phones, "interval": interval, "duration": duration, "wall": wall, "login_s": login_s,
            "polls": len(results), "s204": len(lat[204]), "s200": len(lat[200]),
            "errors": [e for p in fleet for e in p.errors] + arrived["errors"], "arrivals": arrived["ok"],
            "set_cookie": sum(r[3] for r in results),
            "p50": pct(lat[None], 50), "p95": pct(lat[None], 95), "max": max(lat[None], default=0.0),
            "p95_204": pct(lat[204], 95), "p95_200": pct(lat[200], 95),
            "bytes_200": sum(fragment) / len(fragment) if fragment else 0.0,
            "cpu_s": cpu_s, "core_pct": cpu_s / wall * 100 if cpu_s is not None else None, "idle_pct": idle}


def report(r: dict, workers: int) -> bool:
    """Print the figures; True if within budget."""
    rate = r["polls"] / r["wall"] if r["wall"] else 0
    print()
    print(f"Polling: {r['phones']} phones x every {r['interval']:.0f} s for {r['duration']:.0f} s on {workers} "
          f"gunicorn workers (logins took {r['login_s']:.1f} s, before the window)")
    print("| polls | 204 | 200 | arrivals | polls/s | p50 ms | p95 ms | p95 204 ms | p95 200 ms | max ms "
          "| 200 bytes (compressed) | worker CPU s | % of one core | CPU ms/poll |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cpu = f"{r['cpu_s']:.2f}" if r["cpu_s"] is not None else "?"
    core = f"{r['core_pct']:.1f}" if r["core_pct"] is not None else "?"
    per = f"{r['cpu_s'] * 1000 / r['polls']:.2f}" if r["cpu_s"] is not None and r["polls"] else "?"
    print(f"| {r['polls']:,} | {r['s204']:,} | {r['s200']:,} | {r['arrivals']} | {rate:.1f} | {r['p50']:.1f} "
          f"| {r['p95']:.1f} | {r['p95_204']:.1f} | {r['p95_200']:.1f} | {r['max']:.1f} | {r['bytes_200']:.0f} "
          f"| {cpu} | {core} | {per} |")
    idle = f"; idle, the workers cost {r['idle_pct']:.2f} % of one core" if r.get("idle_pct") is not None else ""
    print(f"(worker CPU includes the arrivals being recorded; % of one core = worker CPU s / window s{idle}.)")
    if r["set_cookie"]:
        print(f"note: {r['set_cookie']} poll responses carried a Set-Cookie header")
    ok = r["core_pct"] is not None and r["core_pct"] < CPU_BUDGET_PCT and not r["errors"]
    detail = f"{core} % of one core"
    if r["errors"]:
        detail += f"; {len(r['errors'])} errors, e.g. {r['errors'][0]}"
    print(f"  {'PASS' if ok else 'FAIL'}  {r['phones']} phones polling every {r['interval']:.0f} s cost {detail} "
          f"(budget < {CPU_BUDGET_PCT:.0f} %)")
    return ok


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phones", type=int, default=100)
    ap.add_argument("--duration", type=int, default=60, help="seconds of polling measured")
    ap.add_argument("--interval", type=float, default=INTERVAL, help="seconds between a phone's polls")
    ap.add_argument("--arrival-every", type=float, default=ARRIVAL_EVERY, help="seconds between arrivals, about")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (as bench.py)")
    ap.add_argument("--year", action=argparse.BooleanOptionalAction, default=True,
                    help="seed a year of stock and visits first (default; --no-year: the small data set)")
    ap.add_argument("--schema", choices=("migrations", "models"), default="migrations",
                    help="build the database with the migrations (default) or from the models (db.create_all)")
    ap.add_argument("--year-days", type=int, default=365, help="days of history with --year")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the budget is missed")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hospitality-poll-"))
    proc = None
    try:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": bench.SECRET_KEY, "PYTHONDONTWRITEBYTECODE": "1"}
        print(f"bench_poll: database {url.split('://')[0]}, seeding ...", flush=True)
        bench.init_schema(url, env, args.schema)
        bench.run_flask("seed-demo", env)
        bench.seed_extra(url, year=args.year, days=args.year_days)
        port = bench.free_port()
        proc = bench.start_gunicorn(port, args.workers, env, tmp / "gunicorn.log")
        print(f"bench_poll: {args.phones} phones, every {args.interval:.0f} s for {args.duration} s, "
              f"{args.workers} workers, load average {os.getloadavg()[0]:.2f}", flush=True)
        r = run_poll(port, url, bench.SECRET_KEY, phones=args.phones, duration=args.duration,
                     interval=args.interval, arrival_every=args.arrival_every,
                     cpu=lambda: bench.worker_cpu_seconds(proc.pid))
        ok = report(r, args.workers)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return 1 if (args.strict and not ok) else 0
    finally:
        bench.stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
