"""Two app servers (gunicorn, two workers each) on one database, one Redis and one S3-compatible store, as a
company runs them behind a load balancer: a person logs in on one and goes on on the other, a photo kept through
one is served by the other, an arrival recorded on one shows in the live list polled from the other, the login
rate limit counts across both, and a server killed with kill -9 in the middle of a write load loses no committed
write (every balance still equals the sum of its ledger)."""
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Item, Location, StockMove
from hospitality.seed import DEMO_PASSWORD, seed_demo
from tests.factories import ledger_sum, on_hand, png
from tests.servers import BIN, S3_KEYS, free_port, make_bucket, redis_server, s3_server, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Server:
    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "2",
                 "--no-control-socket", "app:app"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.log = log
        wait_for_port(self.port, self.proc, "gunicorn", timeout=60)
        # The port opens before the workers have imported the app: ready when both answer.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if all(requests.get(f"{self.url}/readyz", timeout=20).status_code == 200 for _ in range(4)):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn on {self.port} is not ready: {log.read_text()[-2000:]}")

    def kill(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)  # its own session: the master and its workers
            self.proc.wait(20)


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("services")
    with redis_server(tmp) as (redis_url, _r), s3_server(tmp) as (s3_url, _s):
        make_bucket(s3_url, "shared")
        yield {"REDIS_URL": redis_url, "S3_ENDPOINT_URL": s3_url, "S3_BUCKET": "shared"}


@pytest.fixture
def pair(app, database_url, services, tmp_path):
    """The demo seeded into the suite's database, and two servers on it sharing Redis (emptied: the limits
    counted by the module's earlier tests start again) and the store."""
    import redis
    redis.Redis.from_url(services["REDIS_URL"]).flushall()
    with app.app_context():
        with write_tx():
            seed_demo()
    env = {**os.environ, **services, **S3_KEYS, "DATABASE_URL": database_url, "SECRET_KEY": "shared-secret",
           "LOGIN_RATE_LIMIT": "4 per minute", "HOSPITALITY_DEMO": "0", "LOG_JSON": "0"}
    for key in ("DEMO_CLOCK", "DEMO_CLOCK_SET_AT", "RATELIMIT_STORAGE_URI", "HOSPITALITY_PROXY_COUNT"):
        env.pop(key, None)
    servers = []
    for n in (1, 2):
        metrics = tmp_path / f"metrics{n}"  # each server's workers add up their counters here (prometheus)
        metrics.mkdir()
        servers.append(Server({**env, "METRICS_TOKEN": "scrape-token", "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
                              tmp_path / f"gunicorn{n}.log"))
    yield servers
    for server in servers:
        server.kill()


def token(session: requests.Session, url: str) -> str:
    resp = session.get(url, timeout=10)
    assert resp.status_code == 200, (url, resp.status_code)
    return TOKEN.search(resp.text).group(1)


def login(session: requests.Session, server: Server, username: str, password: str = DEMO_PASSWORD):
    return session.post(f"{server.url}/login", data={"username": username, "password": password,
                                                     "csrf_token": token(session, f"{server.url}/login")},
                        allow_redirects=False, timeout=10)


def test_both_servers_are_ready_with_redis_and_the_store(pair):
    for server in pair:
        ready = requests.get(f"{server.url}/readyz", timeout=10).json()
        assert ready == {"status": "ok", "database": "ok", "redis": "ok", "storage": "ok"}


def test_metrics_add_up_every_worker_of_a_server(pair):
    a, _b = pair
    for _ in range(12):
        assert requests.get(f"{a.url}/healthz", timeout=10).status_code == 200
    scrape = requests.get(f"{a.url}/metrics", headers={"Authorization": "Bearer scrape-token"}, timeout=10)
    assert scrape.status_code == 200
    served = re.search(r'hospitality_requests_total\{endpoint="ops.healthz",method="GET",status="2xx"\} (\S+)',
                       scrape.text)
    assert served and float(served.group(1)) >= 12  # both workers' requests, whichever answered the scrape
    assert 'hospitality_outbox_depth{state="queued"}' in scrape.text
    assert requests.get(f"{a.url}/metrics", timeout=10).status_code == 401


def test_a_session_a_photo_and_an_arrival_made_on_one_server_are_seen_on_the_other(pair):
    a, b = pair
    guard = requests.Session()
    assert login(guard, a, "security").status_code == 302
    today = guard.get(f"{b.url}/", timeout=10)  # the same cookie, the other server
    assert today.status_code == 200 and "赵安防" in today.text

    # An incident with a photo reported through A; its photo is served by B (it is in the store, not on A).
    form = guard.get(f"{a.url}/incidents/new", timeout=10).text
    kind = re.search(r'name="kind" value="([^"]+)"', form).group(1)
    place = re.search(r'name="location_id" value="(\d+)"', form).group(1)
    data = {"csrf_token": TOKEN.search(form).group(1), "idem": uuid.uuid4().hex, "kind": kind, "level": "note",
            "description": "大门口有可疑人员徘徊", "location_id": place}
    made = guard.post(f"{a.url}/incidents/new", data=data, files={"photos": ("p.png", png(), "image/png")},
                      timeout=20)
    assert made.status_code == 200, re.findall(r"class=\"(?:error|flash error)\"[^>]*>([^<]+)", made.text)
    photo = re.search(r'src="(/incidents/\d+/photos/\d+)"', made.text) or \
        re.search(r'href="(/incidents/\d+/photos/\d+)"', made.text)
    assert photo, "the incident's page shows its photo"
    got = guard.get(b.url + photo.group(1), timeout=10)
    assert got.status_code == 200 and got.content[:3] == b"\xff\xd8\xff"

    # The concierge watches the live list on B; the guard registers a group at the gate on A.
    desk = requests.Session()
    assert login(desk, b, "concierge").status_code == 302
    first = desk.get(f"{b.url}/visits/live", headers={"HX-Request": "true"}, timeout=10)
    version = re.search(r'[?&]v=(\d+)', first.text).group(1)
    arrival = {"csrf_token": token(guard, f"{a.url}/visits/new"), "idem": uuid.uuid4().hex, "party_size": "3",
               "by_car": "1", "plate": "沪A12345"}
    assert guard.post(f"{a.url}/visits/new", data=arrival, timeout=10).status_code == 200
    polled = desk.get(f"{b.url}/visits/live?v={version}", headers={"HX-Request": "true"}, timeout=10)
    assert polled.status_code == 200 and "沪A12345" in polled.text


def test_the_login_rate_limit_counts_across_both_servers(pair):
    """4 per minute per address: two wrong tries on each server, and the fifth anywhere is refused."""
    a, b = pair
    s = requests.Session()
    for server in (a, a, b, b):
        assert login(s, server, "security", "wrong-password").status_code == 422
    refused = login(s, b, "security")
    assert refused.status_code == 429
    assert login(s, a, "security").status_code == 429  # and on the other server too


def test_a_server_killed_mid_write_loses_no_committed_write(app, pair):
    """Writers post "served 1" to the water bar's items on A, which is killed with SIGKILL in the middle; the
    writers go on on B. Every write answered as done is in the ledger, and every item's balance equals the sum
    of its ledger rows."""
    a, b = pair
    with app.app_context():
        bar = db.session.scalar(db.select(Location).where(Location.kind == "water_bar"))
        items = db.session.scalars(db.select(Item.id).where(Item.location_id == bar.id).limit(3)).all()
        moves_before = db.session.scalar(db.select(db.func.count()).select_from(StockMove))
    s = requests.Session()
    assert login(s, a, "waterbar").status_code == 302
    form_token = token(s, f"{a.url}/stock/loc/{bar.id}")
    done, failed, stop = [], [], threading.Event()

    def writer(n: int) -> None:
        session = requests.Session()
        session.cookies.update(s.cookies)
        k = 0
        while not stop.is_set():
            server = a if a.proc.poll() is None else b
            body = {"csrf_token": form_token, "idem": uuid.uuid4().hex, "reason": "served",
                    f"qty-{items[k % len(items)]}": "1"}
            try:
                resp = session.post(f"{server.url}/stock/loc/{bar.id}/moves", data=body, allow_redirects=False,
                                    timeout=10)
                (done if resp.status_code in (200, 302) else failed).append(resp.status_code)
            except requests.RequestException:
                failed.append("lost")  # A died under this request: maybe written, maybe not
            k += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    a.kill(signal.SIGKILL)
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(30)
    assert len(done) > 10, (len(done), failed[:5])
    with app.app_context():
        written = db.session.scalar(db.select(db.func.count()).select_from(StockMove)) - moves_before
        assert written >= len(done)  # nothing answered as done is missing
        assert written <= len(done) + failed.count("lost")  # and nothing was written twice
        for item in items:
            assert on_hand(item) == ledger_sum(item)
    assert requests.get(f"{b.url}/healthz", timeout=5).status_code == 200
