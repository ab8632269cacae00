"""Which pages the service worker may keep on the phone: reopening the app then shows the last screen at once,
read-only, while the fresh one comes over the weak signal (the worker's kept pages, templates/pwa/sw.js).

A full page a person gets on their own phone carries a stamp: who they are, their post, the site they work on and
the page's language, hashed. The worker keeps such a page under its URL and drops every kept page when a page comes
with another stamp or with none (someone else, another site or language, logged out, the login screen, a registered
shared device). It also drops them itself on logging out, logging in, the device lock, a language or site switch
(the paths it is given in `forget_paths`), before the answer comes. A copy older than a session's lifetime is never
shown.

A shared device keeps nothing: the next person must never see the last one's screen, not even for a moment.
"""
import hashlib

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from ..devices.reads import COOKIE as DEVICE_COOKIE
from ..htmx import wants_fragment
from ..i18n import request_locale

HEADER = "X-Keep-Page"


def stamp() -> str | None:
    """The stamp for this request's page, or None when the page must not be kept."""
    if (request.method != "GET" or not current_user.is_authenticated or wants_fragment()
            or request.cookies.get(DEVICE_COOKIE)):
        return None
    who = (f"{current_user.id}|{current_user.post}|{current_user.current_site_id}|{request_locale()}|"
           f"{current_app.secret_key}")
    return hashlib.sha256(who.encode()).hexdigest()[:20]


def max_age_ms() -> int:
    """The oldest copy the worker shows: a session's lifetime. Past it the person may have been logged out
    (sessions end on the server too: expiry, a deactivated account), and a copy must not outlive that."""
    age = current_app.config.get("KEPT_PAGES_MAX_AGE") or current_app.config["PERMANENT_SESSION_LIFETIME"]
    return int(age.total_seconds() * 1000)


def forget_paths() -> list[str]:
    """Where a write ends or changes whose pages these are: the worker drops the kept pages as it goes out."""
    language = url_for("auth.language", lang="x")[:-1]
    return [url_for("auth.logout"), url_for("auth.login"), url_for("devices.lock"), url_for("auth.switch_site"),
            language]


def init_app(app: Flask) -> None:
    @app.after_request
    def _stamp(response):
        if response.status_code == 200 and response.mimetype == "text/html" and request.endpoint != "static":
            found = stamp()
            if found:
                response.headers[HEADER] = found
        return response
