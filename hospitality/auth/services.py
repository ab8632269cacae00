"""Server-side login sessions: the cookie carries a token that logout revokes."""
import secrets
from dataclasses import dataclass

from flask import current_app, g, redirect, request, url_for
from sqlalchemy import bindparam, select

from ..audit import record
from ..database import write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import LoginSession, Site, User, utcnow


class LoginError(Exception):
    pass


@dataclass
class SessionRef:
    """What a request needs of its login session (the cookie's token, the site it works on, the row's id):
    three columns rather than a mapped object built on every request."""
    id: int
    token: str
    site_id: int


_LIVE_SESSION = (select(LoginSession.id, LoginSession.token, LoginSession.site_id, User, Site)
                 .join(User, LoginSession.user_id == User.id)
                 .join(Site, LoginSession.site_id == Site.id)
                 .where(LoginSession.token == bindparam("token"), LoginSession.revoked_at.is_(None),
                        LoginSession.expires_at > bindparam("now"), User.active.is_(True)))


def load_user(token: str):
    """Flask-Login loader: the user behind a live, unrevoked session token, and the session's
    site, in one query."""
    row = db.session.execute(_LIVE_SESSION, {"token": token, "now": utcnow()}).first()
    if row is None:
        return None
    session_id, token, site_id, user, site = row
    user.login_session = SessionRef(session_id, token, site_id)
    g.site = site  # current_site() needs no query of its own
    return user


def unauthorized():
    """Not logged in (or the session ended): the login page, also for an htmx request."""
    login = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        return "", 401, {"HX-Redirect": login}
    return redirect(login)


def authenticate(username: str, password: str) -> User:
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar()
    if user is None or not user.check_password(password):
        raise LoginError(_("Wrong username or password."))
    if not user.active:
        raise LoginError(_("This account has been deactivated. Ask your manager."))
    return user


def start_session(user: User) -> LoginSession:
    """Open a server-side session for the user, on their home site."""
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    with write_tx():
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


def switch_site(user: User, site_id: int) -> bool:
    """A manager moves their session to another site they manage."""
    if site_id not in {s.id for s in user.managed_sites} | {user.site_id}:
        return False
    with write_tx():
        db.session.get(LoginSession, user.login_session.id).site_id = site_id
        record("switch_site", "site", site_id, site_id=site_id)
    user.login_session.site_id = site_id
    return True

