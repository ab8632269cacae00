#!/usr/bin/env python3
"""Two versions of the app side by side on one database, pages alternated: what a change did to them, measured
on this shared machine whose speed swings by 2x within minutes (a full `make bench` run before and one after a
change compare two different machines).

    DATABASE_URL=postgresql://…/hospitality_bench .venv/bin/python scripts/bench_ab.py --base f72641f \\
        --page manager:/manager/ --page waterbar:/stock/consumption --rounds 6

The database must already hold the bench's data (`scripts/bench.py --keep`, or the kept /dev/shm/bench.sqlite)
and both versions must share its schema. The base commit is checked out in a temporary git worktree (sharing this
tree's .venv); each version runs its own gunicorn (2 workers); each round measures every page on both, the first
one alternating from round to round, for --seconds at 10 clients (wrk). Prints the median over the rounds of p95
latency and of the workers' CPU per request.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402 - the bench's own gunicorn, login and wrk helpers

CLOCK = "2026-12-06T23:10:00+08:00"  # the bench data's evening, as `make bench` serves it


def serve(root: Path, env: dict, log: Path) -> tuple:
    bench.ROOT = root  # start_gunicorn runs the app of this tree
    port = bench.free_port()
    return port, bench.start_gunicorn(port, 2, env, log)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="the commit to compare this tree with")
    ap.add_argument("--page", action="append", required=True, metavar="USER:PATH", help="a demo login and a page")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--clock", default=CLOCK, help="the app's clock (DEMO_CLOCK)")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("bench_ab: set DATABASE_URL to a database holding the bench's data")
    pages = [tuple(p.split(":", 1)) for p in args.page]
    env = {**os.environ, "SECRET_KEY": bench.SECRET_KEY, "PYTHONDONTWRITEBYTECODE": "1", "HOSPITALITY_DEMO": "1",
           "DEMO_CLOCK": args.clock, "DEMO_CLOCK_SET_AT": str(time.time())}
    here = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    base_tree = work / "base"
    subprocess.run(["git", "-C", str(here), "worktree", "add", "--detach", str(base_tree), args.base], check=True,
                   capture_output=True)
    (base_tree / ".venv").symlink_to(here / ".venv")
    servers, results = {}, {}
    try:
        for name, root in (("base", base_tree), ("this", here)):
            port, proc = serve(root, env, work / f"{name}.log")
            sessions = {user: bench.login(port, user) for user in dict.fromkeys(u for u, _path in pages)}  # once each
            servers[name] = (port, proc, sessions, bench.styles_cookie(port))
        for n in range(args.rounds):
            for user, path in pages:
                for name in ("base", "this") if n % 2 == 0 else ("this", "base"):
                    port, proc, sessions, styles = servers[name]
                    headers = {"Cookie": f"session={sessions[user]}; {styles}", "Accept-Encoding": "br"}
                    before = bench.worker_cpu_seconds(proc.pid)
                    got = bench.wrk(f"http://127.0.0.1:{port}{path}", headers, 10, args.seconds)
                    cpu = (bench.worker_cpu_seconds(proc.pid) - before) * 1000 / max(got["requests"], 1)
                    results.setdefault((user, path), {}).setdefault(name, []).append((got["p95"] / 1000, cpu))
    finally:
        for _port, proc, *_rest in servers.values():
            bench.stop(proc)
        subprocess.run(["git", "-C", str(here), "worktree", "remove", "--force", str(base_tree)], check=False,
                       capture_output=True)
    print(f"| page | p95 ms {args.base} → this tree | worker CPU ms/req |")
    print("|---|---|---|")
    for (user, path), got in results.items():
        p95 = [statistics.median(x[0] for x in got[name]) for name in ("base", "this")]
        cpu = [statistics.median(x[1] for x in got[name]) for name in ("base", "this")]
        print(f"| `{path}` ({user}) | {p95[0]:.1f} → {p95[1]:.1f} | {cpu[0]:.2f} → {cpu[1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
