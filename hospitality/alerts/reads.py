"""What alerts out reads, as prebuilt statements of named rows: a site's robots, a robot's last deliveries, the
outbox rows due to be sent, and how many a robot sent in the last minute (its rate limit)."""
from datetime import datetime

from sqlalchemy import Row, and_, bindparam, func, or_, select

from ..database import select_rows
from ..models.alerts import AlertOutbox, AlertRobot

LAST_SHOWN = 10  # deliveries shown per robot
DUE_BATCH = 500  # rows the worker takes in one pass

_ROBOTS = (select(AlertRobot.id, AlertRobot.kind, AlertRobot.url, AlertRobot.secret, AlertRobot.events,
                  AlertRobot.wait_hours)
           .where(AlertRobot.site_id == bindparam("site_id")).order_by(AlertRobot.id))
_LAST = (select(AlertOutbox.id, AlertOutbox.robot_id, AlertOutbox.kind, AlertOutbox.text, AlertOutbox.created_at,
                AlertOutbox.state, AlertOutbox.attempts, AlertOutbox.next_try_at, AlertOutbox.sent_at,
                AlertOutbox.last_error)
         .where(AlertOutbox.robot_id == bindparam("robot_id"))
         .order_by(AlertOutbox.id.desc()).limit(LAST_SHOWN))
_DUE = (select(AlertOutbox.id, AlertOutbox.robot_id, AlertOutbox.kind, AlertOutbox.text, AlertOutbox.attempts,
               AlertRobot.kind.label("robot_kind"), AlertRobot.url, AlertRobot.secret)
        .join(AlertRobot, AlertRobot.id == AlertOutbox.robot_id)
        .where(or_(and_(AlertOutbox.state == "queued", AlertOutbox.next_try_at <= bindparam("now")),
                   and_(AlertOutbox.state == "sending", AlertOutbox.lease_until <= bindparam("now"))))
        .order_by(AlertOutbox.id).limit(DUE_BATCH)
        .with_for_update(of=AlertOutbox, skip_locked=True))  # PostgreSQL: another worker's claim is skipped
_SENT_SINCE = (select(AlertOutbox.robot_id, func.count().label("n"))
               .where(AlertOutbox.state == "sent", AlertOutbox.sent_at > bindparam("since"))
               .group_by(AlertOutbox.robot_id))


def robots(site_id: int) -> list[Row]:
    """The site's robots (id, kind, url, secret, events), oldest first."""
    return select_rows(_ROBOTS, {"site_id": site_id}).all()


def last_deliveries(robot_id: int) -> list[Row]:
    """A robot's last outbox rows, newest first."""
    return select_rows(_LAST, {"robot_id": robot_id}).all()


def due(now: datetime) -> list[Row]:
    """Queued rows whose time to (re)try has come (or whose claim expired), oldest first, with their robot; on
    PostgreSQL locked for the caller's transaction, rows locked by another skipped."""
    return select_rows(_DUE, {"now": now}).all()


def sent_since(since: datetime) -> dict[int, int]:
    """Rows sent per robot since a moment (the rate limit's window)."""
    return {r.robot_id: r.n for r in select_rows(_SENT_SINCE, {"since": since})}


_DEPTH = (select(AlertOutbox.state, func.count().label("n"))
          .where(AlertOutbox.state.in_(("queued", "sending"))).group_by(AlertOutbox.state))


def outbox_depth() -> dict[str, int]:
    """Messages not delivered yet, by state (queued, sending): the operations metric (hospitality/ops)."""
    out = {"queued": 0, "sending": 0}
    out.update({r.state: r.n for r in select_rows(_DEPTH, {})})
    return out
