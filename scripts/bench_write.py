#!/usr/bin/env python3
"""Concurrent-write benchmark: many phones posting "served 1" to the same item at once.

`.venv/bin/python scripts/bench_write.py --clients 50 --duration 10` builds a throw-away database
(SQLite in a temp dir, or DATABASE_URL: an empty database), seeds the demo, serves it with gunicorn
and runs the writers; `scripts/bench.py --writes` runs the same against its own (bigger) data.

Each client is a thread with its own connections that POSTs the water bar's move form
(reason=served, qty 1 of one item, a fresh idempotency key, the CSRF token of its session) for the
whole duration. A few logged-in sessions are shared by the clients (the login is rate limited).
Afterwards it counts the new ledger rows in the database and reports writes/s, errors (any
response but 302), lost rows (successful responses - new rows), whether on hand fell by exactly the
number of rows, whether the item's balance_after chain is consistent, and a double-tap check (the
same idempotency key sent twice at once posts once).
Budget: 0 errors, 0 lost rows, >= 300 writes/s.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402 - the helpers of scripts/bench.py
from bench_data import check_chain  # noqa: E402

WRITES_BUDGET = 300.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def session_with_token(port: int, cookie: str, location_id: int) -> tuple[dict, str]:
    """The cookies of a logged-in session after loading the location page, and the CSRF token on it."""
    client = bench.Client(port)
    client.cookies["session"] = cookie
    resp, data = client.request("GET", f"/stock/loc/{location_id}", headers={"Accept-Encoding": "identity"})
    html = bench.decode(resp, data)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if resp.status != 200 or not m:
        raise SystemExit(f"bench_write: no form on /stock/loc/{location_id} (HTTP {resp.status})")
    return dict(client.cookies), m.group(1)


def post_move(port: int, cookies: dict, token: str, location_id: int, item_id: int, reason: str, qty,
              key: str | None = None) -> int:
    body = urlencode({"csrf_token": token, "idem": key or uuid.uuid4().hex, "reason": reason,
                      f"qty-{item_id}": str(qty), "note": ""})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", f"/stock/loc/{location_id}/moves", body=body,
                     headers={**FORM, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def db_engine(url: str):
    from sqlalchemy import create_engine
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url)


def ledger_state(engine, item_id: int) -> tuple[int, int, Decimal]:
    """(max id of the item's rows, number of rows, newest balance_after)."""
    with engine.connect() as conn:
        top, n = conn.exec_driver_sql(
            f"SELECT max(id), count(*) FROM stock_moves WHERE item_id = {int(item_id)}").one()
        bal = conn.exec_driver_sql(
            f"SELECT balance_after FROM stock_moves WHERE item_id = {int(item_id)} ORDER BY id DESC LIMIT 1").scalar()
    return top or 0, n, Decimal(str(bal or 0))


def run_writes(port: int, db_url: str, cookies: list[str], location_id: int, item_id: int, clients: int = 50,
               duration: float = 10.0, cpu=None) -> dict:
    """The measurement itself against a running server; returns the figures."""
    sessions = [session_with_token(port, c, location_id) for c in cookies]
    engine = db_engine(db_url)
    # Enough stock for the run: one big delivery first.
    status = post_move(port, *sessions[0], location_id, item_id, "received", 100000)
    if status != 302:
        raise SystemExit(f"bench_write: the 'received' move failed (HTTP {status})")
    top_before, _n, bal_before = ledger_state(engine, item_id)

    lock = threading.Lock()
    ok, errors, statuses, latencies = [0], [0], {}, []
    stop_at = time.monotonic() + duration

    def client(k: int) -> None:
        cookies_k, token = sessions[k % len(sessions)]
        mine_ok = mine_err = 0
        mine_lat = []
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            try:
                st = post_move(port, cookies_k, token, location_id, item_id, "served", 1)
            except OSError as e:
                st = f"{type(e).__name__}"
            mine_lat.append(time.perf_counter() - t)
            if st == 302:
                mine_ok += 1
            else:
                mine_err += 1
                with lock:
                    statuses[st] = statuses.get(st, 0) + 1
        with lock:
            ok[0] += mine_ok
            errors[0] += mine_err
            latencies.extend(mine_lat)

    cpu_before = cpu() if cpu else None
    client_before = time.process_time()
    t0 = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.monotonic() - t0
    cpu_after = cpu() if cpu else None
    client_ms = (time.process_time() - client_before) * 1000 / max(ok[0] + errors[0], 1)
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and ok[0] + errors[0]:
        cpu_ms = (cpu_after - cpu_before) * 1000 / (ok[0] + errors[0])

    with engine.connect() as conn:
        new_rows = conn.exec_driver_sql(
            f"SELECT count(*) FROM stock_moves WHERE item_id = {int(item_id)} AND id > {int(top_before)}").scalar()
        chain_rows, broken = check_chain(conn, item_id)
    _top, _n, bal_after = ledger_state(engine, item_id)

    # Double taps: the same key sent twice at once, 20 times; exactly 20 rows may appear.
    top_mid = ledger_state(engine, item_id)[0]
    keys = [uuid.uuid4().hex for _ in range(20)]
    with ThreadPoolExecutor(8) as pool:
        taps = list(pool.map(lambda k: post_move(port, *sessions[0], location_id, item_id, "served", 1, key=k),
                             keys + keys))
    with engine.connect() as conn:
        tap_rows = conn.exec_driver_sql(
            f"SELECT count(*) FROM stock_moves WHERE item_id = {int(item_id)} AND id > {int(top_mid)}").scalar()
    engine.dispose()

    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0
    return {"clients": clients, "sessions": len(sessions), "seconds": elapsed, "ok": ok[0], "errors": errors[0],
            "statuses": statuses, "writes_per_s": ok[0] / elapsed, "new_rows": new_rows,
            "lost": ok[0] - new_rows, "on_hand_before": bal_before, "on_hand_after": bal_after,
            "on_hand_ok": bal_before - bal_after == new_rows, "chain_rows": chain_rows, "chain_broken": broken,
            "p50": pct(50), "p95": pct(95), "p99": pct(99), "taps": len(taps),
            "tap_ok": sum(s == 302 for s in taps), "tap_rows": tap_rows, "cpu_ms": cpu_ms,
            "client_ms": client_ms}


def report(r: dict, backend: str) -> bool:
    passed = r["errors"] == 0 and r["lost"] == 0 and r["on_hand_ok"] and r["chain_broken"] == 0 \
        and r["writes_per_s"] >= WRITES_BUDGET and r["tap_rows"] == 20
    print()
    print(f"Concurrent writes ({backend}): {r['clients']} clients on {r['sessions']} sessions, "
          f"POST served 1 to one item for {r['seconds']:.1f} s")
    print()
    print("| writes/s | ok (302) | errors | new ledger rows | lost rows | on hand before → after | "
          "balance chain | latency p50 / p95 / p99 ms | double taps (20 keys × 2) |")
    print("|---:|---:|---:|---:|---:|---|---|---|---|")
    chain = f"{r['chain_rows']:,} rows, {r['chain_broken']} broken"
    taps = f"{r['tap_ok']}/{r['taps']} 302, {r['tap_rows']} rows"
    err = f"{r['errors']}" + (f" {r['statuses']}" if r["statuses"] else "")
    onhand = (f"{bench_fmt(r['on_hand_before'])} → {bench_fmt(r['on_hand_after'])} "
              f"({'= rows' if r['on_hand_ok'] else 'MISMATCH'})")
    print(f"| {r['writes_per_s']:.0f} | {r['ok']:,} | {err} | {r['new_rows']:,} | {r['lost']} | {onhand} | {chain} | "
          f"{r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} | {taps} |")
    if r.get("cpu_ms"):
        print()
        n_cpu = os.cpu_count() or 1
        print(f"CPU per write: {r['cpu_ms']:.1f} ms in the gunicorn workers + {r['client_ms']:.1f} ms in this "
              f"process's client threads; {n_cpu} CPUs doing nothing else would top out near "
              f"{n_cpu * 1000 / (r['cpu_ms'] + r['client_ms']):.0f} writes/s "
              f"(workers alone: {min(n_cpu, 2) * 1000 / r['cpu_ms']:.0f}/s). "
              f"Load average now {os.getloadavg()[0]:.2f}.")
    print()
    print(f"Budget: 0 errors, 0 lost rows, >= {WRITES_BUDGET:.0f} writes/s: {'PASS' if passed else 'FAIL'} "
          f"({r['errors']} errors, {r['lost']} lost, {r['writes_per_s']:.0f} writes/s)")
    return passed


def bench_fmt(q: Decimal) -> str:
    text = f"{q:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the budget is missed")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hospitality-bench-write-"))
    proc = None
    try:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": bench.SECRET_KEY, "PYTHONDONTWRITEBYTECODE": "1"}
        bench.run_flask("init-db", env)
        bench.run_flask("seed-demo", env)
        with db_engine(url).connect() as conn:
            bar, item = conn.exec_driver_sql(
                "SELECT l.id, i.id FROM locations l JOIN items i ON i.location_id = l.id JOIN sites s "
                "ON s.id = l.site_id WHERE s.code = 'DEMO' AND l.kind = 'water_bar' ORDER BY i.position, i.id "
                "LIMIT 1").one()
        port = bench.free_port()
        proc = bench.start_gunicorn(port, args.workers, env, tmp / "gunicorn.log")
        cookies = [bench.login(port, u) for u in ("waterbar", "lead", "manager")]
        print(f"bench_write: {url.split('://')[0]}, {args.workers} gunicorn workers, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        r = run_writes(port, url, cookies, bar, item, args.clients, args.duration,
                       cpu=lambda: bench.worker_cpu_seconds(proc.pid))
        passed = report(r, url.split("://")[0].split("+")[0])
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return 1 if (args.strict and not passed) else 0
    finally:
        bench.stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
