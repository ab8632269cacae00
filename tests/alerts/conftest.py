"""Alerts' cast: a site with a manager, a lead and security, another site with its manager; a fake webhook server
on 127.0.0.1 (a thread of this process) that answers as told: ok, HTTP 500, an error code, or too slowly."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models.alerts import AlertRobot
from tests.factories import make_site, make_user


class Fake:
    def __init__(self):
        self.received: list[dict] = []
        self.mode = "ok"
        self.answer: dict | None = None  # answer this JSON instead (with HTTP status `status`)
        self.status = 200

    def reset(self):
        self.received.clear()
        self.mode, self.answer, self.status = "ok", None, 200


def _handler(fake: Fake):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.received.append({"path": self.path, "json": json.loads(body)})
            if fake.mode == "slow":
                time.sleep(1.5)
            if fake.mode == "500":
                self.send_response(500)
                self.end_headers()
                return
            # errcode/code: the robots' "too many" answers (retried); fake.answer for any other
            answer = fake.answer if fake.answer is not None else \
                {"errcode": 45009, "errmsg": "api freq out of limit"} if fake.mode == "errcode" else \
                {"code": 11232, "msg": "frequency limited"} if fake.mode == "code" else {"errcode": 0, "errmsg": "ok"}
            data = json.dumps(answer).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except OSError:  # the client gave up (time-out)
                pass

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture(scope="module")
def server():
    fake = Fake()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def local(app, monkeypatch):
    """Robots at http://127.0.0.1 allowed (the test-only switch)."""
    monkeypatch.setitem(app.config, "ALERTS_ALLOW_LOCAL", True)


def alerts_env(app) -> SimpleNamespace:
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in ("manager", "lead", "security", "water_bar")}
        other = make_site()
        other_boss = make_user(other.id, "manager", username=f"manager{other.id}").id
        return SimpleNamespace(site=s.id, users=users, names={p: f"{p}{s.id}" for p in users}, other=other.id,
                               other_boss=other_boss, other_name=f"manager{other.id}")


@pytest.fixture
def env(app):
    return alerts_env(app)


def add_robot(site_id: int, url: str, kind: str = "wecom", secret: str | None = None,
              events: str = "incident_urgent,discrepancy") -> int:
    with write_tx():
        r = AlertRobot(site_id=site_id, kind=kind, url=url, secret=secret, events=events)
        db.session.add(r)
        db.session.flush()
        return r.id
