"""The worker's side of alerts out: send the outbox's due rows to their robots.

Each robot's format and signature: WeCom {"msgtype": "text", "text": {"content": …}}; DingTalk the same, the URL
signed with &timestamp=<ms>&sign=base64(HMAC-SHA256(key=secret, msg=f"{ts}\n{secret}")); Feishu
{"msg_type": "text", "content": {"text": …}} with "timestamp" (seconds) and "sign" = base64(HMAC-SHA256(
key=f"{ts}\n{secret}", msg=b"")) in the body. An HTTP error, a time-out or the robot's error code (errcode/code not 0)
is tried again after 1, 2, 4, 8… minutes, and after MAX_ATTEMPTS tries the row is failed. The robots' own codes:
rate limited (WeCom 45009, DingTalk 130101, Feishu 9499/11232) waits and retries (DingTalk's block: 10 minutes); a
wrong key, token or signature (GIVE_UP_CODES) fails at once, as does a 4xx other than 408/429 (the address is
wrong); a 5xx retries. DingTalk blocks a robot for 10 minutes when it is sent more than ~20 a minute: each robot gets
at most RATE_PER_MINUTE messages a minute; when more are due than it has left, they go together as one message.
Redirects are not followed (the address was checked, where it sends us was not).

At send time the robot's host is resolved again: if any of its addresses is not global (private, loopback,
link-local…: a name re-pointed inside since it was saved), the row fails with that reason, never retried. (The
resolution and urllib's own are two look-ups; a name that changes between them within milliseconds is not caught.)

Several workers may run at once: each claims its rows first, in a short transaction (PostgreSQL: SELECT … FOR
UPDATE SKIP LOCKED; SQLite: the write lock), marking them "sending" with a lease; only the claimer posts them. A
crashed worker's lease expires (LEASE) and the rows are claimed again. Sending holds no transaction open: rows are
claimed, posted, then their outcome written in one transaction.
"""
import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote_plus, urlsplit

from flask import current_app
from sqlalchemy import bindparam, update

from ..database import write_tx
from ..extensions import db
from ..models.alerts import EVENTS, AlertOutbox
from . import reads

TIMEOUT = 5.0  # seconds per post: a slow robot holds up only the worker, briefly
MAX_ATTEMPTS = 6
RATE_PER_MINUTE = 20
BLOCKED = timedelta(minutes=10)  # DingTalk's block after too many (errcode 130101)
MAX_MESSAGE = 4000  # characters of one (coalesced) message
LEASE = timedelta(minutes=2)  # a claim's life: well beyond one pass's posts (TIMEOUT each)
RATE_LIMITED = {45009: timedelta(minutes=1), 130101: BLOCKED, 9499: timedelta(minutes=1),
                11232: timedelta(minutes=1)}  # WeCom, DingTalk, Feishu (twice)
# A wrong key, token, signature or keyword: no retry will change it. WeCom 93000 (invalid webhook key), 40001/40014
# (invalid credential/token); DingTalk 300001/300005 (token invalid/unknown), 310000 (sign, keyword or IP refused);
# Feishu 19021 (sign match fail), 19022 (IP not allowed), 19024 (keyword not found).
GIVE_UP_CODES = {93000, 40001, 40014, 300001, 300005, 310000, 19021, 19022, 19024}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _hmac64(key: str, msg: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), msg.encode(), hashlib.sha256).digest()).decode()


def dingtalk_sign(ts_ms: int, secret: str) -> str:
    return _hmac64(secret, f"{ts_ms}\n{secret}")


def feishu_sign(ts: int, secret: str) -> str:
    return _hmac64(f"{ts}\n{secret}", "")


def request_for(kind: str, url: str, secret: str | None, text: str, now: datetime) -> tuple[str, dict]:
    """The URL to post to and the JSON body, as the robot's kind requires (signed when it has a secret)."""
    epoch = int((now - datetime(1970, 1, 1)).total_seconds())
    if kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if secret:
            body |= {"timestamp": str(epoch), "sign": feishu_sign(epoch, secret)}
        return url, body
    body = {"msgtype": "text", "text": {"content": text}}
    if kind == "dingtalk" and secret:
        ts = epoch * 1000
        url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={quote_plus(dingtalk_sign(ts, secret))}"
    return url, body


@dataclass
class Outcome:
    ok: bool
    error: str = ""
    give_up: bool = False
    wait: timedelta | None = None  # the robot asked us to wait this long


def post(url: str, body: dict, timeout: float = TIMEOUT) -> Outcome:
    """Post once; the robot's answer as an Outcome (never raises for network trouble)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            raw = r.read(64 * 1024)
    except urllib.error.HTTPError as e:
        return Outcome(False, f"HTTP {e.code}", give_up=400 <= e.code < 500 and e.code not in (408, 429))
    except (OSError, ValueError) as e:  # refused, time-out, bad address
        return Outcome(False, type(e).__name__ + (f": {e}"[:120] if str(e) else ""))
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return Outcome(False, "not JSON")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
    if code in (0, None):
        return Outcome(True)
    message = str(answer.get("errmsg") or answer.get("msg") or "")[:120]
    return Outcome(False, f"code {code} {message}".strip(), give_up=code in GIVE_UP_CODES,
                   wait=RATE_LIMITED.get(code))


def check_host(url: str) -> Outcome | None:
    """None when every address the URL's host resolves to now is global; else the failed Outcome (give up when an
    address is internal, retry when the name does not resolve). Tests' fake server: http://127.0.0.1 passes only
    under the test switch (ALERTS_ALLOW_LOCAL with TESTING)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http" and host == "127.0.0.1" and current_app.testing \
            and current_app.config.get("ALERTS_ALLOW_LOCAL"):
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as e:
        return Outcome(False, f"DNS: {type(e).__name__}")
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if getattr(ip, "ipv4_mapped", None) is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            return Outcome(False, f"{host} resolves to an internal address ({ip}): not sent", give_up=True)
    return None


def backoff(attempts: int) -> timedelta:
    """The wait after the attempts-th failed try: 1, 2, 4, 8… minutes."""
    return timedelta(minutes=2 ** (attempts - 1))


def _text(rows) -> str:
    if len(rows) == 1:
        return rows[0].text
    lines = [f"[{EVENTS[r.kind] if r.kind in EVENTS else r.kind}] {r.text}" for r in rows]
    text = "\n".join(lines)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def claim(now: datetime) -> list:
    """Take the due rows (queued and due, or "sending" with an expired lease) for this worker, marking them "sending"
    until now + LEASE, in one short transaction; another worker skips them (SKIP LOCKED) or waits for the lock
    (SQLite) and then no longer sees them due."""
    with write_tx():
        rows = reads.due(now)
        if rows:
            db.session.execute(_CLAIM, {"ids": [r.id for r in rows], "lease": now + LEASE})
    return rows


_CLAIM = (update(AlertOutbox).where(AlertOutbox.id.in_(bindparam("ids", expanding=True)))
          .values(state="sending", lease_until=bindparam("lease")).execution_options(synchronize_session=False))
_RELEASE = (update(AlertOutbox).where(AlertOutbox.id.in_(bindparam("ids", expanding=True)),
                                      AlertOutbox.state == "sending")
            .values(state="queued", lease_until=None).execution_options(synchronize_session=False))


def send_due(now: datetime, timeout: float = TIMEOUT) -> dict[str, int]:
    """Send what is due at `now`, per robot within its rate limit; returns counts of rows sent, retried, failed,
    waiting (for the rate limit)."""
    due = claim(now)
    counts = {"sent": 0, "retried": 0, "failed": 0, "waiting": 0}
    if not due:
        db.session.rollback()
        return counts
    recent = reads.sent_since(now - timedelta(minutes=1))
    db.session.rollback()  # end the read transaction: no lock is held while posting
    by_robot: dict[int, list] = {}
    for row in due:
        by_robot.setdefault(row.robot_id, []).append(row)
    waiting: list[int] = []
    for robot_id, rows in by_robot.items():
        left = RATE_PER_MINUTE - recent.get(robot_id, 0)
        if left <= 0:
            waiting += [r.id for r in rows]
            continue
        bad_host = check_host(rows[0].url)
        if bad_host is not None:
            _record(rows, bad_host, now, counts)
            continue
        batches = [[r] for r in rows] if len(rows) <= left else [rows]  # a burst beyond the limit: one message
        for batch in batches:
            first = batch[0]
            url, body = request_for(first.robot_kind, first.url, first.secret, _text(batch), now)
            outcome = post(url, body, timeout)
            _record(batch, outcome, now, counts)
    if waiting:
        with write_tx():
            db.session.execute(_RELEASE, {"ids": waiting})
        counts["waiting"] = len(waiting)
    return counts


def _record(batch, outcome: Outcome, now: datetime, counts: dict) -> None:
    with write_tx():
        for r in batch:
            ids = AlertOutbox.id == r.id
            if outcome.ok:
                values = {"state": "sent", "sent_at": now, "attempts": r.attempts + 1, "last_error": None}
                counts["sent"] += 1
            elif outcome.give_up or r.attempts + 1 >= MAX_ATTEMPTS:
                values = {"state": "failed", "attempts": r.attempts + 1, "last_error": outcome.error[:200]}
                counts["failed"] += 1
            else:
                wait = max(backoff(r.attempts + 1), outcome.wait or timedelta(0))
                values = {"state": "queued", "attempts": r.attempts + 1, "next_try_at": now + wait,
                          "last_error": outcome.error[:200]}
                counts["retried"] += 1
            # Only this worker's claim: a row whose lease expired and was claimed by another is no longer ours.
            db.session.execute(update(AlertOutbox).where(ids, AlertOutbox.state == "sending")
                               .values(lease_until=None, **values))
