"""The worker's side of alerts out: send the outbox's due rows to their robots.

Each robot's format and signature: WeCom {"msgtype": "text", "text": {"content": …}}; DingTalk the same, the URL
signed with &timestamp=<ms>&sign=base64(HMAC-SHA256(key=secret, msg=f"{ts}\n{secret}")); Feishu
{"msg_type": "text", "content": {"text": …}} with "timestamp" (seconds) and "sign" = base64(HMAC-SHA256(
key=f"{ts}\n{secret}", msg=b"")) in the body. An HTTP error, a time-out or the robot's error code (errcode/code not 0)
is tried again after 1, 2, 4, 8… minutes, and after MAX_ATTEMPTS tries the row is failed; a 4xx other than 408/429
(the address is wrong) fails at once. DingTalk blocks a robot for 10 minutes when it is sent more than ~20 a minute:
each robot gets at most RATE_PER_MINUTE messages a minute; when more are due than it has left, they go together as one
message. Redirects are not followed (the address was checked, where it sends us was not).

Sending holds no database transaction open: rows are read, posted, then their outcome written in one transaction.
Run by one worker (`flask alerts-worker`); two would send the same rows twice.
"""
import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from sqlalchemy import update

from ..database import write_tx
from ..extensions import db
from ..models.alerts import EVENTS, AlertOutbox
from . import reads

TIMEOUT = 5.0  # seconds per post: a slow robot holds up only the worker, briefly
MAX_ATTEMPTS = 6
RATE_PER_MINUTE = 20
BLOCKED = timedelta(minutes=10)  # DingTalk's block after too many (errcode 130101)
MAX_MESSAGE = 4000  # characters of one (coalesced) message


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
    return Outcome(False, f"code {code} {message}".strip(), wait=BLOCKED if code == 130101 else None)


def backoff(attempts: int) -> timedelta:
    """The wait after the attempts-th failed try: 1, 2, 4, 8… minutes."""
    return timedelta(minutes=2 ** (attempts - 1))


def _text(rows) -> str:
    if len(rows) == 1:
        return rows[0].text
    lines = [f"[{EVENTS[r.kind] if r.kind in EVENTS else r.kind}] {r.text}" for r in rows]
    text = "\n".join(lines)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def send_due(now: datetime, timeout: float = TIMEOUT) -> dict[str, int]:
    """Send what is due at `now`, per robot within its rate limit; returns counts of rows sent, retried, failed,
    waiting (for the rate limit)."""
    due = reads.due(now)
    recent = reads.sent_since(now - timedelta(minutes=1))
    db.session.rollback()  # end the read transaction: no lock is held while posting
    by_robot: dict[int, list] = {}
    for row in due:
        by_robot.setdefault(row.robot_id, []).append(row)
    counts = {"sent": 0, "retried": 0, "failed": 0, "waiting": 0}
    for robot_id, rows in by_robot.items():
        left = RATE_PER_MINUTE - recent.get(robot_id, 0)
        if left <= 0:
            counts["waiting"] += len(rows)
            continue
        batches = [[r] for r in rows] if len(rows) <= left else [rows]  # a burst beyond the limit: one message
        for batch in batches:
            first = batch[0]
            url, body = request_for(first.robot_kind, first.url, first.secret, _text(batch), now)
            outcome = post(url, body, timeout)
            _record(batch, outcome, now, counts)
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
                values = {"attempts": r.attempts + 1, "next_try_at": now + wait, "last_error": outcome.error[:200]}
                counts["retried"] += 1
            db.session.execute(update(AlertOutbox).where(ids, AlertOutbox.state == "queued").values(**values))
