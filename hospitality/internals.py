"""The only places the app relies on a library's private internals, each kept because its public way costs every
page (measured per call on the development machine, see each function), and each checked by
tests/test_internals.py, which fails when an upgrade moves what it relies on.

- Flask-Babel's locale for the context (`g._flask_babel`), read through Flask's context variable (`_cv_app`):
  the public get_locale() costs 2.8 µs against 0.2 µs, and a page asks a hundred times or more (every _()).
- Flask-Limiter's check before every request (`Limiter._check_request_limit`): 60 µs per request for limits
  the app does not have (the login form's own limit is checked by its decorator, which stays).
- Flask-WTF's signed token for the request (on `g` under the token's field name): signing costs 65 µs a page;
  a token signed a few minutes ago for the same session is as good (hospitality/templating.py reuses it).

When a name here moves, the code degrades to the public way where it can (no locale kept: get_locale();
no hook found: the check stays), so an upgrade makes pages slower, never wrong; the tests say which.
"""
from flask import g
from flask.globals import _cv_app

# Flask-WTF's WTF_CSRF_FIELD_NAME (its default; config.py leaves it alone): the form field, the session key of the
# raw token (documented) and the name of the signed token on g (not documented).
CSRF_FIELD = "csrf_token"


def babel_locale():
    """The Locale Flask-Babel has selected for the current context, or None (not selected yet, or outside an app
    context): the attribute force_locale() and refresh() set and clear, read without going through `g`'s proxy."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    return getattr(app_ctx.g.__dict__.get("_flask_babel"), "babel_locale", None)


def drop_limiter_check_before_requests(app, limiter) -> None:
    """Remove the hook Flask-Limiter's init_app adds before every request, which checks application-wide and
    default limits (the app has none); a limit given with @limiter.limit is checked when its view runs."""
    check = getattr(limiter, "_check_request_limit", None)
    hooks = app.before_request_funcs.get(None, [])
    if check is not None and check in hooks:
        hooks.remove(check)


def signed_csrf_token() -> str | None:
    """The signed token Flask-WTF's generate_csrf() keeps for this request (None until it signs or is given one)."""
    return g.get(CSRF_FIELD)


def give_signed_csrf_token(token: str) -> None:
    """Hand generate_csrf() a token already signed for this session: it returns it instead of signing anew."""
    setattr(g, CSRF_FIELD, token)
