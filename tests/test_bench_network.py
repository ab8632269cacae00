"""The weak-network script's pure parts (scripts/bench_network.py): its settings, figures, table and verdicts."""
import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import bench_network as bn  # noqa: E402 - a script beside bench.py, not a package


def measure(key: str, **figures: list[float]) -> "bn.Measure":
    m = bn.Measure(key, bn.LABELS[key])
    for kind, values in figures.items():
        for v in values:
            m.add(kind, v)
    return m


def test_throttling_is_the_issues_weak_network():
    """150 ms round trip, 1.6 Mbps down, 750 kbps up, 4x CPU slowdown, a 390x844 touch phone."""
    assert bn.THROTTLE == {"offline": False, "latency": 150, "downloadThroughput": 200_000,
                           "uploadThroughput": 93_750}
    assert bn.THROTTLE["downloadThroughput"] * 8 == 1_600_000 and bn.THROTTLE["uploadThroughput"] * 8 == 750_000
    assert bn.CPU_SLOWDOWN == 4
    assert bn.PHONE["viewport"] == {"width": 390, "height": 844} and bn.PHONE["has_touch"]
    assert bn.CHROMIUM == "/usr/bin/chromium"


def test_budgets_are_the_issues():
    """First load LCP <= 600 ms; repeat LCP <= 300 ms and <= 5 KB (and its fresh page in within the first load's
    600 ms); a tap <= 350 ms; an offline count <= 5 s."""
    assert bn.BUDGETS == {bn.FIRST: [("lcp", 600.0)],
                          bn.REPEAT: [("lcp", 300.0), ("bytes", 5120.0), ("ms", 600.0)],
                          bn.TAP: [("ms", 350.0)], bn.OFFLINE: [("ms", 5000.0)]}
    assert bn.budget_text(bn.REPEAT) == "LCP ≤ 300 ms, ≤ 5 KB, fresh ≤ 600 ms"
    assert bn.budget_text(bn.OFFLINE) == "≤ 5 s"
    assert bn.budget_text(bn.TAP) == "≤ 350 ms"


def test_span_is_min_to_max():
    """A row shows min–max over the runs, one figure when they agree, a dash without figures."""
    assert bn.span([556.2, 524.4, 530], "ms") == "524–556 ms"
    assert bn.span([300.2, 299.9], "ms") == "300 ms"
    assert bn.span([32460, 33000], "KB") == "31.7–32.2 KB"
    assert bn.span([5, 5]) == "5"
    assert bn.span([], "ms") == "–"
    assert bn.seconds([107, 136]) == "0.11–0.14 s"
    assert bn.seconds([]) == "–"


def test_verdict_pass_fail_and_not_measured():
    """Every run must keep every budget of its row; a row without figures is not measured."""
    assert bn.verdict(measure(bn.FIRST, lcp=[524, 556])) == "PASS"
    assert bn.verdict(measure(bn.FIRST, lcp=[524, 601])) == "FAIL"
    assert bn.verdict(measure(bn.REPEAT, lcp=[250], bytes=[6000], ms=[400])) == "FAIL"  # fast but too heavy
    assert bn.verdict(measure(bn.REPEAT, lcp=[250], bytes=[3800], ms=[400])) == "PASS"
    assert bn.verdict(measure(bn.REPEAT, lcp=[250], bytes=[3800], ms=[650])) == "FAIL"  # the fresh page too late
    assert bn.verdict(measure(bn.REPEAT, lcp=[250], bytes=[3800])) == "not measured"  # never shown kept
    assert bn.verdict(measure(bn.REPEAT, lcp=[250])) == "not measured"
    assert bn.verdict(measure(bn.OFFLINE)) == "not measured"


def test_exit_code_only_with_strict():
    """A report: 0 whatever the figures, unless --strict and a row missed or was not measured."""
    good = [measure(bn.FIRST, lcp=[500]), measure(bn.TAP, ms=[300])]
    slow = good + [measure(bn.TAP, ms=[400])]
    unmeasured = good + [measure(bn.OFFLINE)]
    assert bn.exit_code(good, strict=True) == 0
    assert bn.exit_code(slow, strict=False) == 0
    assert bn.exit_code(slow, strict=True) == 1
    assert bn.exit_code(unmeasured, strict=True) == 1
    assert bn.missed(slow) == [bn.LABELS[bn.TAP]]


def test_table_rows():
    """The markdown table: LCP, time, bytes and requests (all, then the page's own), runs, budget and result."""
    first = measure(bn.FIRST, lcp=[524, 556], bytes=[57000, 58000], page_bytes=[32460], requests=[9, 10],
                    page_requests=[5])
    offline = measure(bn.OFFLINE)
    offline.notes += ["outbox not available: the count form has no data-outbox"] * 2
    sent = measure(bn.OFFLINE, ms=[1200, 1400])
    lines = bn.table([first, offline, sent], runs=2).splitlines()
    assert lines[0].startswith("| measure | LCP | time |") and set(lines[1]) <= set("|-:")
    assert lines[2] == ("| staff today `/` (water bar), first load, cold cache | 524–556 ms | – | 55.7–56.6 KB "
                        "(31.7 KB) | 9–10 (5) | 2/2 | LCP ≤ 600 ms | PASS |")
    assert lines[3].endswith("| 0/2 | ≤ 5 s | not measured (outbox not available: the count form has no "
                             "data-outbox) |")  # the note once, however many runs gave it
    assert "| 1.20–1.40 s |" in lines[4] and lines[4].endswith("| PASS |")


def test_args():
    """Five runs after one warm-up by default; at least one run."""
    args = bn.parse_args([])
    assert (args.runs, args.warmup, args.strict, args.clock) == (5, 1, False, bn.CLOCK)
    assert bn.parse_args(["--runs", "2", "--strict"]).strict
    with pytest.raises(SystemExit):
        bn.parse_args(["--runs", "0"])


def test_relay_counts_bytes_and_requests():
    """The relay forwards to the server and counts every byte it answered and every request sent to it."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's name
            body = b"x" * 1000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    relay = bn.Relay(server.server_address[1])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=5)
        received = 0
        for path in ("/a", "/b?x=1"):  # two requests on one kept-alive connection
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.read() == b"x" * 1000
            received += 1000 + sum(len(f"{k}: {v}\r\n") for k, v in resp.getheaders())
        conn.close()
        assert relay.requests == 2
        assert received < relay.down < received + 200  # the bodies and headers, plus the status lines
        relay.reset()
        assert (relay.down, relay.up, relay.requests) == (0, 0, 0)
    finally:
        relay.close()
        server.shutdown()
        server.server_close()
