"""What hospitality/internals.py relies on in Flask, Flask-Babel, Flask-Limiter and Flask-WTF still holds: a
failure here after an upgrade means a shortcut there went slow or stale, and must be rewritten or dropped."""
from flask import Flask, g, session
from flask.globals import _cv_app
from flask_babel import force_locale, get_locale, refresh
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import URLSafeTimedSerializer

from hospitality import internals
from hospitality.extensions import limiter


def test_flask_keeps_the_app_context_in_its_context_variable(app):
    """_cv_app holds the active app context, whose g is the object behind the g proxy; None outside one."""
    assert _cv_app.get(None) is None
    with app.test_request_context("/"):
        assert _cv_app.get(None).g is g._get_current_object()


def test_babel_locale_is_flask_babels_selected_locale(app):
    """babel_locale() is the locale get_locale() selected, follows force_locale() in and out, forgets it on
    refresh(), and is None before a selection and outside a request."""
    assert internals.babel_locale() is None
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert internals.babel_locale() is None  # not selected yet
        english = get_locale()
        assert str(english) == "en" and internals.babel_locale() is english
        with force_locale("zh_Hans"):
            chinese = get_locale()
            assert str(chinese) == "zh_Hans" and internals.babel_locale() is chinese
        assert internals.babel_locale() is english
        refresh()
        assert internals.babel_locale() is None
        again = get_locale()
        assert str(again) == "en" and internals.babel_locale() is again


def test_limiter_registers_the_check_internals_drops():
    """Flask-Limiter's init_app adds _check_request_limit before every request, and drop_..._before_requests
    removes it (the login form's decorated limit still answers 429: tests/test_auth.py)."""
    bare, own = Flask(__name__), Limiter(key_func=get_remote_address, storage_uri="memory://")
    own.init_app(bare)
    assert own._check_request_limit in bare.before_request_funcs[None]
    internals.drop_limiter_check_before_requests(bare, own)
    assert not [f for f in bare.before_request_funcs.get(None, []) if getattr(f, "__self__", None) is own]


def test_the_app_runs_no_limiter_check_before_requests(app):
    """The app's own limiter has no hook left before requests."""
    assert not [f for f in app.before_request_funcs.get(None, []) if getattr(f, "__self__", None) is limiter]


def test_flask_wtf_keeps_the_requests_signed_token_on_g(app):
    """generate_csrf() signs the session's raw token (kept in the session under the field name) once per request
    and keeps it on g under that name; a token put there is what it returns, and it validates."""
    with app.test_request_context("/"):
        assert internals.signed_csrf_token() is None
        token = generate_csrf()
        assert internals.signed_csrf_token() == token
        raw = session[internals.CSRF_FIELD]
        assert URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads(token) == raw
    with app.test_request_context("/"):
        session[internals.CSRF_FIELD] = raw
        internals.give_signed_csrf_token(token)
        assert generate_csrf() == token
        validate_csrf(token)  # raises when it does not validate
