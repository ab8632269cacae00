"""Delivery safety: two workers sending at once post each row once (rows claimed first), a crashed worker's claim
expires and the row is retried, a host resolving to an internal address is never posted to, and each robot's error
codes and HTTP statuses are retried or given up as they mean."""
import socket
import threading
from datetime import timedelta

import pytest

from hospitality.alerts import sender
from hospitality.alerts.services import emit
from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models.alerts import AlertOutbox
from tests.alerts.conftest import add_robot


def _rows():
    return list(db.session.scalars(db.select(AlertOutbox).order_by(AlertOutbox.id)
                                   .execution_options(populate_existing=True)))


def _queue(site_id, n=1, kind="incident_urgent"):
    with write_tx():
        for i in range(n):
            emit(site_id, kind, f"消息{i}")


def test_two_workers_at_once_send_each_row_once(app, env, fake, local):
    """Two send passes in two threads, each with its own session, against the fake robot: every message arrives
    exactly once (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write lock)."""
    with app.app_context():
        for i in range(6):  # six robots, three rows each: within the rate limit, one post per row
            add_robot(env.site, fake.url + f"/hook{i}")
        _queue(env.site, 3)
    now, start, totals = utcnow(), threading.Barrier(2), []

    def run():
        with app.app_context():
            start.wait()
            totals.append(sender.send_due(now)["sent"])
            db.session.remove()
    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(totals) == 18
    posted = [(r["path"], r["json"]["text"]["content"]) for r in fake.received]
    assert len(posted) == 18 and len(set(posted)) == 18
    with app.app_context():
        assert all(r.state == "sent" and r.attempts == 1 for r in _rows())


def test_a_claimed_row_is_not_sent_by_another_until_its_lease_expires(ctx, env, fake, local):
    """A worker that claimed and crashed: the row stays "sending" and nobody posts it; after the lease it is sent."""
    add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    now = utcnow()
    [claimed] = sender.claim(now)  # …and the worker died here
    assert _rows()[0].state == "sending"
    assert sender.send_due(now + timedelta(seconds=30))["sent"] == 0 and not fake.received
    assert sender.send_due(now + sender.LEASE + timedelta(seconds=1))["sent"] == 1
    assert len(fake.received) == 1 and _rows()[0].state == "sent"


def _resolves_to(monkeypatch, address):
    """CI has no DNS: the resolver is replaced (socket.getaddrinfo, which the send-time check calls)."""
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.8", "169.254.169.254", "192.168.1.20", "::1"])
def test_a_host_resolving_inside_is_never_posted_to(ctx, env, monkeypatch, address):
    """The name was public when saved; now it points inside: failed at once with the reason, no retry, no post."""
    add_robot(env.site, "https://hooks.example.com/robot/send?key=x")
    _queue(env.site)
    _resolves_to(monkeypatch, address)
    posted = []
    monkeypatch.setattr(sender, "post", lambda *a, **k: posted.append(a) or sender.Outcome(True))
    assert sender.send_due(utcnow())["failed"] == 1
    [row] = _rows()
    assert row.state == "failed" and "internal address" in row.last_error and not posted


def test_a_public_host_is_posted_to(ctx, env, monkeypatch):
    add_robot(env.site, "https://hooks.example.com/robot/send?key=x")
    _queue(env.site)
    _resolves_to(monkeypatch, "93.184.216.34")
    monkeypatch.setattr(sender, "post", lambda *a, **k: sender.Outcome(True))
    assert sender.send_due(utcnow())["sent"] == 1


def test_a_name_that_does_not_resolve_is_retried(ctx, env, monkeypatch):
    add_robot(env.site, "https://hooks.example.com/robot/send?key=x")
    _queue(env.site)

    def broken(*a, **k):
        raise socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", broken)
    assert sender.send_due(utcnow())["retried"] == 1 and _rows()[0].state == "queued"


@pytest.mark.parametrize("answer, wait", [
    ({"errcode": 45009, "errmsg": "api freq out of limit"}, timedelta(minutes=1)),  # WeCom
    ({"errcode": 130101, "errmsg": "send too fast"}, timedelta(minutes=10)),  # DingTalk's block
    ({"code": 9499, "msg": "too many request"}, timedelta(minutes=1)),  # Feishu
    ({"code": 11232, "msg": "frequency limited"}, timedelta(minutes=1)),  # Feishu
])
def test_rate_limited_answers_are_retried_after_the_wait(ctx, env, fake, local, answer, wait):
    add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    fake.answer = answer
    now = utcnow()
    assert sender.send_due(now)["retried"] == 1
    [row] = _rows()
    assert row.state == "queued" and row.next_try_at == now + wait


@pytest.mark.parametrize("answer", [
    {"errcode": 93000, "errmsg": "invalid webhook url"},  # WeCom: wrong key
    {"errcode": 310000, "errmsg": "sign not match"},  # DingTalk: signature
    {"errcode": 300001, "errmsg": "token is not exist"},  # DingTalk: token
    {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},  # Feishu
])
def test_a_wrong_token_or_signature_is_given_up_at_once(ctx, env, fake, local, answer):
    add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    fake.answer = answer
    assert sender.send_due(utcnow())["failed"] == 1
    [row] = _rows()
    assert row.state == "failed" and row.attempts == 1 and str(answer.get("errcode", answer.get("code"))) in \
        row.last_error


@pytest.mark.parametrize("status, state", [(500, "queued"), (502, "queued"), (503, "queued"), (404, "failed"),
                                           (400, "failed"), (403, "failed"), (429, "queued")])
def test_http_5xx_is_retried_and_4xx_given_up(ctx, env, fake, local, status, state):
    """5xx: the robot's side, retried; 4xx: the address or request is wrong, given up (429 "too many": retried)."""
    add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    fake.status, fake.answer = status, {"errcode": 0}
    sender.send_due(utcnow())
    assert _rows()[0].state == state


def test_a_burst_is_coalesced_into_one_message(ctx, env, fake, local):
    """More due than the robot has left this minute: one message, each alert a line with its event's name."""
    add_robot(env.site, fake.url + "/hook", events="incident_urgent,discrepancy")
    _queue(env.site, sender.RATE_PER_MINUTE + 5)
    _queue(env.site, 1, kind="discrepancy")
    assert sender.send_due(utcnow())["sent"] == sender.RATE_PER_MINUTE + 6
    [one] = fake.received
    lines = one["json"]["text"]["content"].split("\n")
    assert len(lines) == sender.RATE_PER_MINUTE + 6 and lines[0].endswith("消息0") and lines[0].startswith("[")
