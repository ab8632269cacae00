"""The worker's sending, against a fake robot on 127.0.0.1: each kind's JSON and signature, retries with backoff and
then failed, a time-out that does not hang, the per-robot rate limit (a burst coalesced into one message)."""
import base64
import hashlib
import hmac
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from hospitality.alerts import sender
from hospitality.alerts.services import emit
from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models.alerts import AlertOutbox
from tests.alerts.conftest import add_robot

pytestmark = pytest.mark.usefixtures("local")  # the fake robot on http://127.0.0.1 passes the send-time host check


def _rows(robot_id=None):
    q = db.select(AlertOutbox).order_by(AlertOutbox.id)
    if robot_id:
        q = q.where(AlertOutbox.robot_id == robot_id)
    return list(db.session.scalars(q.execution_options(populate_existing=True)))


def _queue(site_id, n=1, kind="incident_urgent"):
    with write_tx():
        for i in range(n):
            emit(site_id, kind, f"消息{i}")


def _hmac(key: str, msg: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), msg.encode(), hashlib.sha256).digest()).decode()


def test_wecom_gets_its_text_message(ctx, env, fake):
    """WeCom: {"msgtype": "text", "text": {"content": …}}, the row sent."""
    robot = add_robot(env.site, fake.url + "/cgi-bin/webhook/send?key=abc")
    _queue(env.site)
    now = utcnow()
    assert sender.send_due(now)["sent"] == 1
    assert fake.received[0]["json"] == {"msgtype": "text", "text": {"content": "消息0"}}
    assert fake.received[0]["path"] == "/cgi-bin/webhook/send?key=abc"
    [row] = _rows(robot)
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, now)
    assert sender.send_due(now + timedelta(minutes=5))["sent"] == 0 and len(fake.received) == 1  # sent once


def test_dingtalk_url_is_signed_with_timestamp_and_secret(ctx, env, fake):
    """DingTalk: the same body, ?timestamp=<ms>&sign=base64(HMAC-SHA256(secret, "ts\\nsecret")) on the URL."""
    add_robot(env.site, fake.url + "/robot/send?access_token=t", kind="dingtalk", secret="SECabc123")
    _queue(env.site)
    sender.send_due(utcnow())
    got = fake.received[0]
    assert got["json"] == {"msgtype": "text", "text": {"content": "消息0"}}
    q = parse_qs(urlsplit(got["path"]).query)
    ts = q["timestamp"][0]
    assert q["access_token"] == ["t"] and len(ts) == 13
    assert q["sign"][0] == _hmac("SECabc123", f"{ts}\nSECabc123")


def test_feishu_body_carries_timestamp_and_sign(ctx, env, fake):
    """Feishu: {"msg_type": "text", "content": {"text": …}, "timestamp", "sign"}; the sign is HMAC-SHA256 keyed with
    "ts\\nsecret" of an empty message."""
    add_robot(env.site, fake.url + "/open-apis/bot/v2/hook/x", kind="feishu", secret="fs-secret")
    _queue(env.site)
    sender.send_due(utcnow())
    body = fake.received[0]["json"]
    assert body["msg_type"] == "text" and body["content"] == {"text": "消息0"}
    assert body["sign"] == _hmac(f"{body['timestamp']}\nfs-secret", "")


@pytest.mark.parametrize("mode", ["500", "errcode", "code"])
def test_a_failing_robot_is_retried_with_backoff_then_failed(ctx, env, fake, mode):
    """HTTP 500 or an error code: tried again after 1, 2, 4… minutes (not before), failed after MAX_ATTEMPTS."""
    robot = add_robot(env.site, fake.url + "/hook", kind="feishu" if mode == "code" else "dingtalk", secret="s")
    _queue(env.site)
    fake.mode = mode
    now = utcnow()
    assert sender.send_due(now)["retried"] == 1
    [row] = _rows(robot)
    assert row.state == "queued" and row.attempts == 1 and row.next_try_at == now + timedelta(minutes=1)
    assert row.last_error
    assert sender.send_due(now + timedelta(seconds=30)) == {"sent": 0, "retried": 0, "failed": 0, "waiting": 0}
    prev = now
    for n in range(2, sender.MAX_ATTEMPTS + 1):
        row = _rows(robot)[0]
        assert row.next_try_at == prev + sender.backoff(n - 1)  # 1, 2, 4… minutes after the last try
        prev = row.next_try_at
        sender.send_due(prev)
    [row] = _rows(robot)
    assert row.state == "failed" and row.attempts == sender.MAX_ATTEMPTS
    assert len(fake.received) == sender.MAX_ATTEMPTS


def test_a_success_after_a_failure_is_sent(ctx, env, fake):
    robot = add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    fake.mode = "500"
    now = utcnow()
    sender.send_due(now)
    fake.mode = "ok"
    assert sender.send_due(now + timedelta(minutes=1))["sent"] == 1
    assert _rows(robot)[0].state == "sent" and _rows(robot)[0].attempts == 2


def test_a_time_out_does_not_hang(ctx, env, fake):
    """A robot that answers too slowly: the post gives up after its time-out and the row waits for a retry."""
    robot = add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    fake.mode = "slow"
    start = time.monotonic()
    counts = sender.send_due(utcnow(), timeout=0.3)
    assert time.monotonic() - start < 1.2
    assert counts["retried"] == 1 and "timeout" in _rows(robot)[0].last_error.lower()


def test_nothing_listening_is_retried(ctx, env):
    robot = add_robot(env.site, "http://127.0.0.1:9/hook")
    _queue(env.site)
    assert sender.send_due(utcnow(), timeout=0.5)["retried"] == 1
    assert _rows(robot)[0].state == "queued"


def test_the_rate_limit_holds_and_a_burst_is_one_message(ctx, env, fake):
    """Within the limit each alert is its own message; beyond what the robot has left this minute, the burst goes as
    one message; with nothing left, they wait for the next minute."""
    robot = add_robot(env.site, fake.url + "/hook")
    _queue(env.site, 5)
    now = utcnow()
    assert sender.send_due(now)["sent"] == 5 and len(fake.received) == 5
    _queue(env.site, sender.RATE_PER_MINUTE)  # 15 left this minute, 20 due: one message
    assert sender.send_due(now + timedelta(seconds=10))["sent"] == sender.RATE_PER_MINUTE
    assert len(fake.received) == 6
    text = fake.received[-1]["json"]["text"]["content"]
    assert text.count("\n") == sender.RATE_PER_MINUTE - 1 and "消息19" in text
    _queue(env.site, 3)  # nothing left this minute: they wait
    assert sender.send_due(now + timedelta(seconds=20)) == {"sent": 0, "retried": 0, "failed": 0, "waiting": 3}
    assert len(fake.received) == 6
    assert sender.send_due(now + timedelta(seconds=80))["sent"] == 3 and len(fake.received) == 9
    assert all(r.state == "sent" for r in _rows(robot))


def test_one_failing_robot_does_not_hold_up_another(ctx, env, fake):
    """Each robot's outcome is its own: the dead one retries, the live one's message is sent."""
    dead = add_robot(env.site, "http://127.0.0.1:9/hook")
    live = add_robot(env.site, fake.url + "/hook")
    _queue(env.site)
    sender.send_due(utcnow(), timeout=0.5)
    assert _rows(dead)[0].state == "queued" and _rows(live)[0].state == "sent"


def test_a_redirect_is_not_followed(ctx, env, fake):
    """A 3xx answer (somewhere else, perhaps inside) is not followed: the URL checked is the only one posted to."""
    outcome = sender.post("http://127.0.0.1:9/x", {"a": 1}, timeout=0.3)
    assert not outcome.ok
    assert sender._NoRedirect().redirect_request(None, None, 302, "", {}, "http://10.0.0.1/") is None


def test_the_worker_command_sends_what_is_due(app, env, fake):
    """`flask alerts-worker --once`: one pass of send_due."""
    with app.app_context():
        add_robot(env.site, fake.url + "/hook")
        _queue(env.site)
    result = app.test_cli_runner().invoke(args=["alerts-worker", "--once"])
    assert result.exit_code == 0 and "sent=1" in result.output
    assert fake.received[0]["json"]["text"]["content"] == "消息0"
