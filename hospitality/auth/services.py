"""Logging in (each refusal audited, wrong passwords counted per account: lockout.py) and server-side login
sessions: the cookie carries a token that logout revokes."""
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, g, redirect, render_template, request, url_for
from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from werkzeug.security import check_password_hash

from ..audit import record
from ..database import Reads, select_tuples, write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import LoginSession, Site, User, core, utcnow
from . import lockout


class LoginError(RuleError):
    """A login was refused; the message says why as far as it may (never which usernames exist)."""


@dataclass
class SessionRef:
    """What a request needs of its login session (the cookie's token, the site it works on, the row's id):
    three columns rather than a mapped object built on every request."""
    id: int
    token: str
    site_id: int


_USER_KEYS = [a.key for a in sa_inspect(User).column_attrs]
_SITE_KEYS = [a.key for a in sa_inspect(Site).column_attrs]
# The session's columns, then the user's and the site's, as plain columns: the Session's ORM execution and loading
# cost a request more than the statement itself (0.3 ms on PostgreSQL against 0.1 as a prepared read).
_LIVE_SESSION = (select(LoginSession.id, LoginSession.token, LoginSession.site_id,
                        *[getattr(User, k) for k in _USER_KEYS], *[getattr(Site, k) for k in _SITE_KEYS])
                 .join(User, LoginSession.user_id == User.id)
                 .join(Site, LoginSession.site_id == Site.id)
                 .where(LoginSession.token == bindparam("token"), LoginSession.revoked_at.is_(None),
                        LoginSession.expires_at > bindparam("now"), User.active.is_(True)))


def load_user(token: str):
    """Flask-Login loader: the user behind a live, unrevoked session token, and the session's
    site, in one query."""
    rows = select_tuples(_LIVE_SESSION, {"token": token, "now": utcnow()})
    if not rows:
        return None
    row, users = rows[0], len(_USER_KEYS)
    user = _persistent(User, _USER_KEYS, row[3:3 + users])
    user.login_session = SessionRef(row[0], row[1], row[2])
    g.site = _persistent(Site, _SITE_KEYS, row[3 + users:])  # current_site() needs no query of its own
    return user


def _persistent(model, keys: list[str], values) -> object:
    """The row as the model's object in the session, as a query would give it: the one already there, else made
    from the values and added as loaded from the database (nothing to write, its relations loaded when asked)."""
    session = db.session()
    found = session.identity_map.get(identity_key(model, values[keys.index("id")]))
    if found is not None:
        return found
    obj = model(**dict(zip(keys, values, strict=True)))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def unauthorized():
    """Not logged in (or the session ended): the login page, also for an htmx request. A tap the phone kept offline
    and now sends (X-Outbox) gets a plain 401: the browser keeps it until its person has logged in again."""
    if request.headers.get("X-Outbox") == "1":
        return render_template("errors/_toast.html", code=401, message=_("Please log in.")), 401
    back = request.full_path if request.method == "GET" else None
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true":
        # A fragment (a poll, a lazy section, a tap's answer): after logging in, back to the page it was part of.
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = (page.path + (f"?{page.query}" if page.query else "")) if page.path.startswith("/") else None
    login = url_for("auth.login", next=back)
    if request.headers.get("HX-Request") == "true":
        return "", 401, {"HX-Redirect": login}
    return redirect(login)


def _wrong() -> LoginError:
    return LoginError(_("Wrong username or password."))


def _dummy_hash() -> str:
    """A hash made the way real ones are, to check a password against when the username is unknown."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = core.generate_password_hash(secrets.token_urlsafe(16))
    return _DUMMY


_DUMMY: str | None = None


def _locked_error(until: datetime, tz: ZoneInfo) -> LoginError:
    """The lock's end on the wall clock of the user's site (the login page knows no site of its own)."""
    at = until.replace(tzinfo=UTC).astimezone(tz).strftime("%H:%M")
    return LoginError(_("Too many wrong passwords: this account is locked until %(time)s. Try again then, "
                        "or ask your manager to unlock it.", time=at))


def log_in(username: str, password: str, address: str | None = None) -> User:
    """Check the credentials and open a session on the user's home site.

    Every refusal is audited, and a wrong password counts towards the account's lock (lockout.py). The password
    is hashed whatever the answer (against a dummy hash for an unknown username), and an unknown username gets
    the message and the write a wrong password gets, so neither words nor timing tell which usernames exist.
    A locked account never tells whether the password was right."""
    name = username.strip()
    user = db.session.execute(select(User).where(User.username == name)).scalar()
    if user is None:
        check_password_hash(_dummy_hash(), password)
        right = False
    else:
        right = user.check_password(password)
    now = utcnow()
    if right and user.active and not _locked(user, now):
        with write_tx():
            if lockout.clear(user.id, now):
                _open_session(user)
                return user
    with write_tx():
        error = _refuse(user, name, right, address, now)
    raise error


def _locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _refuse(user: User | None, name: str, right: bool, address: str | None, now: datetime) -> LoginError:
    """Audit (and count) a refused login and say why; caller's transaction."""
    if user is None:
        record("login_failed", "user", None, site_id=None, username=name[:40], address=address)
        return _wrong()
    if not right and not _locked(user, now):
        until = lockout.count_failure(user, address, now)
        return _wrong() if until is None else _locked_error(until, user.site.tz)
    until = lockout.locked_until(user.id, now)
    if until is not None:
        lockout.refused_while_locked(user, address, until)
        return _locked_error(until, user.site.tz)
    # The right password of a deactivated account (or a lock that ended a moment ago).
    record("login_failed", "user", user.id, site_id=user.site_id, username=user.username, address=address,
           deactivated=not user.active)
    return LoginError(_("This account has been deactivated. Ask your manager.")) if not user.active else _wrong()


def start_session(user: User) -> LoginSession:
    """Open a server-side session for the user, on their home site."""
    with write_tx():
        return _open_session(user)


def _open_session(user: User) -> LoginSession:
    """start_session in the caller's transaction."""
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    row = LoginSession(token=secrets.token_urlsafe(32), user_id=user.id, site_id=user.site_id,
                       expires_at=utcnow() + lifetime)
    db.session.add(row)
    record("login", "user", user.id, site_id=user.site_id, user_id=user.id)
    user.login_session = row
    return row


def end_session(user: User) -> None:
    with write_tx():
        row = db.session.get(LoginSession, user.login_session.id)
        row.revoked_at = utcnow()
        record("logout", "user", user.id, site_id=row.site_id, user_id=user.id)


def end_all_sessions(user_id: int) -> None:
    """Revoke every live session of a user (deactivation, password reset); caller's transaction."""
    db.session.execute(
        LoginSession.__table__.update()
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()))


def set_locale(user: User | None, locale: str) -> None:
    if user is not None:
        with write_tx():
            db.session.get(User, user.id).locale = locale
        user.locale = locale


# The sites a manager manages, by name: the manager's today screen offers them to switch to.
_MANAGED_SITES = (select(Site.id, Site.name).join(core.manager_sites, core.manager_sites.c.site_id == Site.id)
                  .where(core.manager_sites.c.user_id == bindparam("user_id")).order_by(Site.name))


def managed_sites_reads(user: User) -> Reads:
    """The sites the user manages (id, name), for a screen that reads its panels at once: `managed_sites`."""
    return Reads({"sites": _MANAGED_SITES}, {"user_id": user.id}, lambda got: {"managed_sites": got["sites"]})


def switch_site(user: User, site_id: int) -> bool:
    """A manager moves their session to another site they manage."""
    if site_id not in {s.id for s in user.managed_sites} | {user.site_id}:
        return False
    with write_tx():
        db.session.get(LoginSession, user.login_session.id).site_id = site_id
        record("switch_site", "site", site_id, site_id=site_id)
    user.login_session.site_id = site_id
    return True

