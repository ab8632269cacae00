#!/usr/bin/env python3
"""Weak-network figures in real Chromium: `make bench-network` (or `.venv/bin/python scripts/bench_network.py`).

Options: --runs N (default 5), --warmup N (unmeasured runs first, default 1), --strict (exit 1 on a missed budget),
--clock HH:MM (the app's clock, default 10:00), --keep (keep the temp dir). About a minute on an idle machine.

Builds a throw-away database the way `make bench` does (scripts/bench.py: SQLite in a temp dir, or DATABASE_URL if set:
it must point at an empty database; the demo plus the small extra data set, --no-year), starts gunicorn, logs the
water bar in and drives Debian's Chromium (/usr/bin/chromium, never a Playwright download) at 390x844 with touch,
throttled through the DevTools protocol as a phone on a weak signal: 150 ms round trip, 1.6 Mbps down, 750 kbps up
(Network.emulateNetworkConditions) and a 4x slower CPU (Emulation.setCPUThrottlingRate). Each run, in a new browser
context (cold cache):
- the water bar's today screen `/`, first load: LCP (largest-contentful-paint, buffered), bytes over the network
  and requests -- budget LCP <= 600 ms;
- the same page again as a new load in the same context (HTTP cache and service worker warm): LCP and bytes --
  budget LCP <= 300 ms and <= 5 KB;
- a checklist tap: "OK" on the first unanswered item of the water bar's routines (opening first), from the tap
  (pointerdown) to the answered item swapped in (a MutationObserver in the page) -- budget <= 350 ms;
- a stock count made offline ("All match" on a count page while DevTools says offline), then the signal back: the
  time from going online until the database has the count -- budget <= 5 s. The page keeps it in its outbox only if
  the count form carries data-outbox (issue 18); without it the row says "outbox not available".

Bytes and requests over the network are counted on the wire by a small TCP relay between Chromium and gunicorn
(every byte the server sent, headers included, whoever asked: the page or its service worker, whose install fetches
the static files a second time on a first visit); the page's own (its requests the network answered, not its HTTP
cache nor its service worker: Network.loadingFinished encodedDataLength) follow in brackets. DevTools throttles one
target at a time: the page's service worker, once active, gets the same conditions through the browser's DevTools
session (Target.attachToTarget), or its fetches of the page would skip the weak signal.

Prints a markdown table with min-max over --runs (default 5). It is a report: the exit code is 0 unless --strict is
given and a budget is missed (a row that could not be measured counts as missed).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402 - the sibling script: its database, gunicorn and login helpers

CHROMIUM = "/usr/bin/chromium"  # as tests/browser/conftest.py
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
# DevTools throttling: bytes per second (1.6 Mbps down, 750 kbps up) and the round trip in ms.
THROTTLE = {"offline": False, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 93_750}
CPU_SLOWDOWN = 4
USER = "waterbar"
CLOCK = "10:00"  # the app's clock (Asia/Shanghai): mid-morning, the water bar's opening routine under way
SEND_TIMEOUT_S = 15.0  # how long the offline count may take to land before the run says "not sent"

FIRST, REPEAT, TAP, OFFLINE = "first", "repeat", "tap", "offline"


@dataclass
class Measure:
    """One row of the report: figures per run, by kind ("lcp" ms, "bytes", "requests", "ms")."""
    key: str
    label: str
    figures: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, value: float) -> None:
        self.figures.setdefault(kind, []).append(value)


# Each row's budgets: (figure kind, the most it may be).
BUDGETS = {
    FIRST: [("lcp", 600.0)],
    # A repeat visit paints the page's kept copy (the service worker's, read-only) at its LCP; "ms" is when the
    # fresh page has replaced it: within the first load's budget.
    REPEAT: [("lcp", 300.0), ("bytes", 5 * 1024.0), ("ms", 600.0)],
    TAP: [("ms", 350.0)],
    OFFLINE: [("ms", 5000.0)],
}
LABELS = {
    FIRST: "staff today `/` (water bar), first load, cold cache",
    REPEAT: "the same page again (HTTP cache and service worker warm): its kept copy's LCP, the fresh page in",
    TAP: "checklist tap: \"OK\" to the answered item swapped in",
    OFFLINE: "a count made offline: reconnect to the count on the server",
}


def span(values: list[float], unit: str = "") -> str:
    """min-max of a run's figures ("524–556 ms"), one figure when they agree, "–" when there are none."""
    if not values:
        return "–"
    if unit == "KB":
        lo, hi = min(values) / 1024, max(values) / 1024
        fmt = "{:.1f}"
    else:
        lo, hi = min(values), max(values)
        fmt = "{:.0f}"
    a, b = fmt.format(lo), fmt.format(hi)
    text = a if a == b else f"{a}–{b}"
    return f"{text} {unit}".rstrip()


def budget_text(key: str) -> str:
    parts = []
    for kind, limit in BUDGETS.get(key, []):
        if kind == "lcp":
            parts.append(f"LCP ≤ {limit:.0f} ms")
        elif kind == "bytes":
            parts.append(f"≤ {limit / 1024:.0f} KB")
        elif kind == "ms" and "lcp" in dict(BUDGETS.get(key, [])):
            parts.append(f"fresh ≤ {limit:.0f} ms")
        elif kind == "ms" and limit >= 1000:
            parts.append(f"≤ {limit / 1000:.0f} s")
        else:
            parts.append(f"≤ {limit:.0f} ms")
    return ", ".join(parts)


def verdict(m: Measure) -> str:
    """PASS when every run kept every budget of the row; FAIL when one did not; "not measured" without figures."""
    budgets = BUDGETS.get(m.key, [])
    if any(not m.figures.get(kind) for kind, _ in budgets):
        return "not measured"
    return "PASS" if all(max(m.figures[kind]) <= limit for kind, limit in budgets) else "FAIL"


def missed(measures: list[Measure]) -> list[str]:
    """The labels of the rows that missed a budget or could not be measured."""
    return [m.label for m in measures if verdict(m) != "PASS"]


def exit_code(measures: list[Measure], strict: bool) -> int:
    """A report: 0, unless --strict and a row missed its budget or could not be measured."""
    return 1 if strict and missed(measures) else 0


def seconds(values: list[float]) -> str:
    """ms figures as seconds ("0.11–0.14 s")."""
    if not values:
        return "–"
    lo, hi = f"{min(values) / 1000:.2f}", f"{max(values) / 1000:.2f}"
    return f"{lo} s" if lo == hi else f"{lo}–{hi} s"


def table(measures: list[Measure], runs: int) -> str:
    """The markdown report: one row per measure, min–max over the runs. Bytes and requests: all on the wire (the
    page's and its service worker's), then the page's own in brackets."""
    lines = ["| measure | LCP | time | over the network (the page's own) | requests (the page's own) | runs | budget "
             "| result |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for m in measures:
        f = m.figures
        took = f.get("ms", [])
        took = seconds(took) if took and min(took) >= 1000 else span(took, "ms")
        over = span(f.get("bytes", []), "KB")
        if f.get("page_bytes"):
            over += f" ({span(f['page_bytes'], 'KB')})"
        reqs = span(f.get("requests", []))
        if f.get("page_requests"):
            reqs += f" ({span(f['page_requests'])})"
        result = verdict(m)
        if m.notes:
            result += " (" + "; ".join(dict.fromkeys(m.notes)) + ")"
        n = max((len(v) for v in f.values()), default=0)
        lines.append(f"| {m.label} | {span(f.get('lcp', []), 'ms')} | {took} | {over} | {reqs} | {n}/{runs} | "
                     f"{budget_text(m.key)} | {result} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the wire


REQUEST_LINE = re.compile(rb"(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /\S* HTTP/1\.[01]\r\n")


class Relay:
    """A TCP relay on a free loopback port in front of gunicorn, counting the bytes each way."""

    def __init__(self, upstream_port: int):
        self.upstream = upstream_port
        self.down = self.up = self.requests = 0
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.down = self.up = self.requests = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, server, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, "down"), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    setattr(self, way, getattr(self, way) + len(data))
                    if way == "up":
                        self.requests += len(REQUEST_LINE.findall(data))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------- the browser

LCP_JS = """() => new Promise(resolve => {
  let last = null;
  new PerformanceObserver(list => { const e = list.getEntries(); if (e.length) last = e[e.length - 1]; })
    .observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => resolve(last ? last.startTime : null), 300);
})"""

# A page shown from its kept copy (app.js, templates/pwa/sw.js): when the fresh page replaced it (the page's
# "kept-fresh" mark), None for a page that came from the network, "stale" when it is still the copy after 10 s.
FRESH_JS = """() => new Promise(resolve => {
  const began = Date.now();
  const look = () => {
    const mark = performance.getEntriesByName('kept-fresh')[0];
    if (mark) return resolve(mark.startTime);
    if (!document.body.dataset.kept) return resolve(null);
    if (Date.now() - began > 10000) return resolve('stale');
    setTimeout(look, 20);
  };
  look();
})"""

# The tap's moment (the finger down) and the moment the answered item is in the page, on the page's clock.
TAP_WATCH_JS = """id => {
  window.__tapAt = null;
  let done;
  window.__swapped = new Promise(resolve => { done = resolve; });
  const down = e => { if (window.__tapAt === null) window.__tapAt = e.timeStamp; };
  document.addEventListener('pointerdown', down, {capture: true, once: true});
  document.addEventListener('touchstart', down, {capture: true, once: true});
  const seen = () => {
    const li = document.getElementById(id);
    if (li && li.classList.contains('answered')) { mo.disconnect(); done(performance.now()); }
  };
  const mo = new MutationObserver(seen);
  mo.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
}"""


class Phone:
    """A throttled phone: one context (its own cache and service worker), one page and its DevTools session, and
    the page's service worker throttled alike; counts the page's requests the network answered and their bytes."""

    def __init__(self, browser, base: str, cookie: str):
        self.base = base
        self.browser_cdp = browser.new_browser_cdp_session()
        self.workers: dict[str, str] = {}  # service worker target id -> its DevTools session id
        self._ids = 0
        self.conditions = THROTTLE
        self.context = browser.new_context(**PHONE)
        self.context.set_default_timeout(30_000)
        self.context.add_cookies([{"name": "session", "value": cookie, "url": base}])
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        self.online()
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        self.page_bytes = self.page_requests = 0
        self._network: set[str] = set()  # ids of the page's requests answered by the network
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict) -> None:
        r = event.get("response", {})
        if r.get("url", "").startswith("data:"):
            return
        if not (r.get("fromDiskCache") or r.get("fromServiceWorker") or r.get("fromPrefetchCache")):
            self._network.add(event["requestId"])
            self.page_requests += 1

    def _finished(self, event: dict) -> None:
        if event["requestId"] in self._network:
            self.page_bytes += int(event.get("encodedDataLength", 0))

    def _emulate(self, conditions: dict) -> None:
        self.conditions = conditions
        self.cdp.send("Network.emulateNetworkConditions", conditions)
        for session in self.workers.values():
            self._to_worker(session, "Network.emulateNetworkConditions", conditions)

    def online(self) -> None:
        self._emulate(THROTTLE)

    def offline(self) -> None:
        self._emulate({**THROTTLE, "offline": True})

    def _to_worker(self, session: str, method: str, params: dict | None = None) -> None:
        # Playwright's CDP sessions reach pages only: the worker gets its commands through the browser's session.
        self._ids += 1
        message = {"id": self._ids, "method": method, "params": params or {}}
        self.browser_cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(message)})

    def throttle_workers(self) -> int:
        """Wait for the page's service worker (if it has one) and throttle it too: DevTools throttles a page's own
        requests only, and a worker fetching the page from the network would otherwise skip the weak signal."""
        self.page.evaluate("""() => !navigator.serviceWorker ? null : Promise.race([
            navigator.serviceWorker.ready, new Promise(resolve => setTimeout(resolve, 5000))])""")
        for target in self.browser_cdp.send("Target.getTargets")["targetInfos"]:
            if target["type"] != "service_worker" or not target["url"].startswith(self.base):
                continue
            if target["targetId"] in self.workers:
                continue
            try:
                session = self.browser_cdp.send("Target.attachToTarget",
                                                {"targetId": target["targetId"], "flatten": False})["sessionId"]
                self._to_worker(session, "Network.enable")
                self._to_worker(session, "Network.emulateNetworkConditions", self.conditions)
            except Exception as exc:  # noqa: BLE001 - a report: say so and measure on
                print(f"bench-network: WARNING: the service worker is not throttled ({exc})", file=sys.stderr)
                continue
            self.workers[target["targetId"]] = session
        return len(self.workers)

    def load(self, url: str, relay: Relay) -> dict:
        """Open the url as a new load: its LCP (ms), the bytes and requests on the wire (the page's and its service
        worker's) and the page's own (its requests the network answered)."""
        self.page_bytes = self.page_requests = 0
        self._network.clear()
        relay.reset()
        self.page.goto(url, wait_until="load")
        lcp = self.page.evaluate(LCP_JS)
        fresh = self.page.evaluate(FRESH_JS)
        time.sleep(0.3)  # the last bytes of late requests (a service worker's install) reach the relay
        return {"lcp": lcp, "fresh": fresh, "bytes": relay.down, "requests": relay.requests,
                "page_bytes": self.page_bytes, "page_requests": self.page_requests}

    def close(self) -> None:
        self.context.close()
        self.browser_cdp.detach()


def tap_ms(phone: Phone, base: str, routines: list[int]) -> float | None:
    """Open the first of the routines with an unanswered item and tap "OK" on that item; ms from the tap to the
    answered item swapped in. None when every item is answered already."""
    page = phone.page
    for routine_id in routines:
        page.goto(f"{base}/checklists/{routine_id}", wait_until="load")
        item = page.locator("li.ck-item:not(.answered):has(button.ok)").first
        if item.count():
            break
    else:
        return None
    item_id = item.get_attribute("id")
    page.evaluate(TAP_WATCH_JS, item_id)
    item.locator("button.ok").tap()
    # Awaited in the page: the CSP (no 'unsafe-eval') refuses wait_for_function's string predicates.
    return page.evaluate("() => window.__swapped.then(at => at - window.__tapAt)")


def water_bar_routines(url: str) -> list[int]:
    """The demo water bar's routines, opening first (the bench's extra data leaves it half answered today)."""
    from sqlalchemy import text
    with engine(url).connect() as conn:
        return list(conn.execute(text(
            "SELECT t.id FROM checklist_templates t JOIN sites s ON s.id = t.site_id WHERE s.code = 'DEMO' "
            "AND t.post = 'water_bar' AND t.kind IN ('opening', 'closing') ORDER BY t.kind DESC, t.id")).scalars())


def engine(url: str):
    from sqlalchemy import create_engine
    return _engines.get(url) or _engines.setdefault(url, create_engine(url))


def count_status(url: str, count_id: int) -> str | None:
    from sqlalchemy import text
    with engine(url).connect() as conn:
        return conn.execute(text("SELECT status FROM stock_counts WHERE id = :id"), {"id": count_id}).scalar()


_engines: dict = {}


def offline_count(phone: Phone, base: str, port: int, cookie: str, location_id: int, db_url: str
                  ) -> tuple[float | None, str | None]:
    """A count made offline and sent on reconnecting: (ms from going online to the count on the server, None) or
    (None, why it was not measured)."""
    path = bench.start_count(port, cookie, location_id)
    count_id = int(re.search(r"/stock/counts/(\d+)", path).group(1))
    page = phone.page
    page.goto(base + path, wait_until="load")
    form = page.locator("form[data-outbox]:has(button.all-match)")
    if not form.count():
        return None, "outbox not available: the count form has no data-outbox"
    phone.offline()
    try:
        form.locator("button.all-match").tap(timeout=5_000)
    except Exception as exc:  # noqa: BLE001 - a report: say why and go on
        phone.online()
        return None, f"the tap failed offline ({type(exc).__name__})"
    time.sleep(1.0)  # the page keeps it in its outbox (IndexedDB)
    if count_status(db_url, count_id) != "open":
        phone.online()
        return None, "the count reached the server while offline"
    phone.online()
    start = time.monotonic()
    while time.monotonic() - start < SEND_TIMEOUT_S:
        if count_status(db_url, count_id) != "open":
            return (time.monotonic() - start) * 1000, None
        time.sleep(0.02)
    return None, f"not sent within {SEND_TIMEOUT_S:.0f} s of reconnecting"


def one_run(browser, relay: Relay, base: str, cookie: str, port: int, url: str, location_id: int, routines: list[int],
            measures: dict[str, Measure]) -> None:
    """One phone (a new context: cold cache, no service worker yet) through the four measures."""
    phone = Phone(browser, base, cookie)
    try:
        for key in (FIRST, REPEAT):
            if key == REPEAT:
                phone.throttle_workers()  # installed and active (and throttled too), as between two visits
            figures = phone.load(base + "/", relay)
            m = measures[key]
            for kind in ("bytes", "requests", "page_bytes", "page_requests"):
                m.add(kind, figures[kind])
            if figures["lcp"] is None:
                m.notes.append("no LCP entry")
            else:
                m.add("lcp", figures["lcp"])
            if key == REPEAT:
                if figures["fresh"] is None:
                    m.notes.append("not shown from its kept copy")
                elif figures["fresh"] == "stale":
                    m.notes.append("the fresh page never came")
                else:
                    m.add("ms", figures["fresh"])
        ms = tap_ms(phone, base, routines)
        if ms is None:
            measures[TAP].notes.append("every item answered")
        else:
            measures[TAP].add("ms", ms)
        ms, why = offline_count(phone, base, port, cookie, location_id, url)
        if ms is None:
            measures[OFFLINE].notes.append(why)
        else:
            measures[OFFLINE].add("ms", ms)
    finally:
        phone.close()


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs, each in a new browser context (default 5)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a budget is missed or a row not measured")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (default 1)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--schema", choices=("migrations", "models"), default="migrations",
                    help="build the database with the migrations (default) or from the models")
    ap.add_argument("--clock", default=CLOCK, metavar="HH:MM|ISO|real",
                    help=f"the app's clock (demo mode), as `make bench` takes it (default {CLOCK})")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (the SQLite database) and print it")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be at least 1 and --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"bench-network: {CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="hospitality-bench-network-"))
    proc = relay = None
    try:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": bench.SECRET_KEY, "PYTHONDONTWRITEBYTECODE": "1"}
        moment = bench.bench_clock(args.clock)
        if moment:  # one clock for seeding (this process) and the workers, as in bench.py
            clock_env = {"HOSPITALITY_DEMO": "1", "DEMO_CLOCK": moment, "DEMO_CLOCK_SET_AT": str(time.time())}
            env.update(clock_env)
            os.environ.update(clock_env)
        print(f"bench-network: database {url.split('://')[0]}, seeding ...", flush=True)
        t0 = time.monotonic()
        bench.init_schema(url, env, args.schema)
        bench.run_flask("seed-demo", env)
        fixture = bench.seed_extra(url, year=False)
        print(f"bench-network: seeded in {time.monotonic() - t0:.1f} s", flush=True)

        port = bench.free_port()
        proc = bench.start_gunicorn(port, args.workers, env, tmp / "gunicorn.log")
        relay = Relay(port)
        base = f"http://127.0.0.1:{relay.port}"
        cookie = bench.login(port, USER)
        routines = water_bar_routines(url)
        measures = {k: Measure(k, LABELS[k]) for k in (FIRST, REPEAT, TAP, OFFLINE)}
        load_before = os.getloadavg()[0]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for run in range(1 - args.warmup, args.runs + 1):
                    # Runs before the first are warm-ups (Chromium's first context, the workers' first templates):
                    # measured into a scratch table and dropped.
                    target = measures if run >= 1 else {k: Measure(k, LABELS[k]) for k in measures}
                    one_run(browser, relay, base, cookie, port, url, fixture["bar"], routines, target)
                    done = f"run {run}/{args.runs}" if run >= 1 else "warm-up"
                    print(f"bench-network: {done} done", file=sys.stderr, flush=True)
            finally:
                browser.close()

        rows = list(measures.values())
        print()
        print(f"Chromium at {PHONE['viewport']['width']}x{PHONE['viewport']['height']}, DevTools throttling: "
              f"{THROTTLE['latency']} ms round trip, {THROTTLE['downloadThroughput'] * 8 / 1e6:.1f} Mbps down, "
              f"{THROTTLE['uploadThroughput'] * 8 / 1e3:.0f} kbps up, {CPU_SLOWDOWN}x CPU slowdown; "
              f"{args.runs} runs after {args.warmup} warm-up; {os.cpu_count()} CPUs, 1-minute load average "
              f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} at the end")
        if load_before > 0.5 * (os.cpu_count() or 1):
            print("bench-network: WARNING: the machine was busy; other processes inflate the figures (the CPU "
                  "slowdown multiplies what they take)")
        print()
        print(table(rows, args.runs))
        return exit_code(rows, args.strict)
    finally:
        if relay:
            relay.close()
        bench.stop(proc)
        for opened in _engines.values():
            opened.dispose()
        if args.keep:
            print(f"bench-network: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up in main's finally
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
