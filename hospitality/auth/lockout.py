"""Wrong passwords per account: a run of them locks the account for a while, for every worker and server alike.

The count lives on the users row and moves by atomic UPDATEs (never read-modify-write), so wrong passwords sent
at the same moment to different workers all count. Flask-Limiter's per-address limit stays as a second line.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..audit import record
from ..extensions import db
from ..models import User

_users = User.__table__


def lock_length(earlier_locks: int) -> timedelta:
    """How long the next lock lasts: the first LOGIN_LOCK_MINUTES, each further one twice the last, capped."""
    cfg = current_app.config
    minutes = cfg["LOGIN_LOCK_MINUTES"] * 2 ** min(earlier_locks, 16)
    return timedelta(minutes=min(minutes, cfg["LOGIN_LOCK_MAX_MINUTES"]))


def _not_locked(now: datetime):
    return or_(_users.c.locked_until.is_(None), _users.c.locked_until <= now)


def clear(user_id: int, now: datetime) -> bool:
    """A right password: forget the wrong ones and earlier locks, unless a lock began meanwhile (then False).
    Caller's transaction."""
    done = db.session.execute(
        _users.update().where(_users.c.id == user_id, _not_locked(now))
        .values(failed_logins=0, lockouts=0, locked_until=None))
    return done.rowcount == 1


def count_failure(user: User, address: str | None, now: datetime) -> datetime | None:
    """One wrong password against an account that is not locked: count it and audit it, and lock the account
    when the run reaches LOGIN_LOCK_AFTER. Returns when the lock ends, the current lock's end when the account
    was locked meanwhile (the attempt is then not counted), or None. Caller's transaction."""
    row = db.session.execute(
        _users.update().where(_users.c.id == user.id, _not_locked(now))
        .values(failed_logins=_users.c.failed_logins + 1, last_failed_login_at=now)
        .returning(_users.c.failed_logins, _users.c.lockouts)).first()
    if row is None:
        until = locked_until(user.id, now)
        refused_while_locked(user, address, until)
        return until
    # The UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit: these values stay current.
    failures, locks = row.failed_logins, row.lockouts
    record("login_failed", "user", user.id, site_id=user.site_id, username=user.username, address=address,
           failures=failures)
    if failures < current_app.config["LOGIN_LOCK_AFTER"]:
        return None
    until = now + lock_length(locks)
    db.session.execute(_users.update().where(_users.c.id == user.id)
                       .values(locked_until=until, lockouts=locks + 1, failed_logins=0))
    record("login_locked", "user", user.id, site_id=user.site_id, username=user.username, address=address,
           until=until, minutes=int((until - now).total_seconds() // 60), lock=locks + 1)
    return until


def locked_until(user_id: int, now: datetime) -> datetime | None:
    """When the account's current lock ends, or None when it is not locked."""
    until = db.session.scalar(select(_users.c.locked_until).where(_users.c.id == user_id))
    return until if until is not None and until > now else None


def refused_while_locked(user: User, address: str | None, until: datetime | None) -> None:
    """Audit an attempt on a locked account (not counted: the lock already holds). Caller's transaction."""
    record("login_failed", "user", user.id, site_id=user.site_id, username=user.username, address=address,
           locked_until=until)


def unlock(user_id: int) -> None:
    """The manager lifts a lock and forgets the run of wrong passwords. Caller's transaction."""
    db.session.execute(_users.update().where(_users.c.id == user_id)
                       .values(failed_logins=0, lockouts=0, locked_until=None))
