"""The hospitality app: create_app and the register_* helpers it calls."""
import hashlib
import os
import secrets
import time
import uuid
from datetime import UTC, timedelta
from pathlib import Path

from babel import Locale
from flask import Flask, g, has_request_context, request, session
from flask.globals import _cv_app
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event

from . import htmx, i18n, static_files
from .config import Config
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate, talisman

LANG_COOKIE = "lang"
CSRF_RESIGN_SECONDS = 300


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    register_input_guards(app)
    app.config.from_object(Config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    _fill_defaults(app)
    if app.config.get("PROXY_COUNT"):
        # Only when told how many proxies stand in front: otherwise a client could name its own address.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    from .errors import register_error_handlers
    register_error_handlers(app)
    from .cli import register_cli
    register_cli(app)
    return app


def _fill_defaults(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = Path(app.instance_path) / "hospitality.sqlite"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://") or uri.startswith("postgresql://"):
        # psycopg 3 is the driver we ship.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if uri.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 10},
                                                   **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    else:
        # LIFO: a worker keeps reusing its most recent connection, whose prepared statements are warm
        # (database.end_request), and connections it no longer needs stay idle at the back of the pool.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 10, "pool_use_lifo": True,
                                                   **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if not app.config.get("SECRET_KEY"):
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            os.chmod(key_file, 0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()


def register_input_guards(app: Flask) -> None:
    """Hostile input is stopped where it is parsed, for every route and form at once (hospitality/forms.py):
    path ids beyond the id columns' range do not match (404); form and query values lose control characters
    and their ids are bounded. Before the blueprints: their rules take the app's "int" converter when added."""
    from .forms import IdConverter, InputRequest
    app.url_map.converters["int"] = IdConverter
    app.request_class = InputRequest


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    i18n.init_app(app)
    limiter.init_app(app)
    # The only limit is the login form's, checked by its own decorator when that view runs; the extension's
    # check before every request (for application-wide limits, of which there are none) costs each page.
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    compress.init_app(app)
    static_files.init_app(app)  # after Compress: its hook runs first and marks static files as compressed
    csp = {
        "default-src": "'self'",
        "img-src": "'self' data: blob:",
        "style-src": "'self'",
        "script-src": "'self'",
        "connect-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
    }
    talisman.init_app(app, content_security_policy=csp, force_https=app.config["FORCE_HTTPS"],
                      session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
                      strict_transport_security=app.config["FORCE_HTTPS"],
                      referrer_policy="same-origin",
                      permissions_policy={"geolocation": "()", "camera": "(self)"})
    htmx.init_app(app)
    with app.app_context():
        from .database import configure_engine, end_request
        configure_engine(db.engine)
        if db.engine.dialect.name == "postgresql":
            app.teardown_request(end_request)
        if app.config["SQL_COUNT_HEADER"]:
            _count_queries(app)

    from .auth.services import load_user, unauthorized
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def _count_queries(app: Flask) -> None:
    """Benchmark aid: report SQL statements per request in X-Query-Count."""
    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_args):
        try:
            g.query_count = g.get("query_count", 0) + 1
        except RuntimeError:  # outside a request
            pass

    @app.after_request
    def _header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


_LOCALES: dict[str, Locale] = {}


def _locale(identifier: str) -> Locale:
    """One Locale object per language: Flask-Babel takes a Locale as it is (parsing the name on every request
    costs), and the translations kept per locale are found by identity."""
    found = _LOCALES.get(identifier)
    if found is None:
        found = _LOCALES[identifier] = Locale.parse(identifier)
    return found


def select_locale() -> Locale:
    if not has_request_context():  # CLI commands and scripts speak the default language
        return _locale("zh_Hans")
    if current_user and current_user.is_authenticated and current_user.locale:
        return _locale(current_user.locale)
    lang = request.cookies.get(LANG_COOKIE)
    if lang in Config.LANGUAGES:
        return _locale(lang)
    return _locale("zh_Hans")


def select_timezone() -> str:
    from .access import current_site
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_site().timezone
    return Config.BABEL_DEFAULT_TIMEZONE


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .checklists import bp as checklists_bp
    from .today import bp as today_bp
    app.register_blueprint(auth_bp)
    app.register_blueprint(today_bp)
    app.register_blueprint(checklists_bp, url_prefix="/checklists")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    from .inventory import bp as inventory_bp
    from .purchasing import bp as purchasing_bp
    app.register_blueprint(inventory_bp, url_prefix="/stock")
    app.register_blueprint(purchasing_bp, url_prefix="/purchases")
    from .visits import bp as visits_bp
    app.register_blueprint(visits_bp, url_prefix="/visits")
    from .attendance import bp as attendance_bp
    from .handover import bp as handover_bp
    from .inspections import bp as inspections_bp
    from .workers import bp as workers_bp
    app.register_blueprint(attendance_bp, url_prefix="/attendance")
    app.register_blueprint(handover_bp, url_prefix="/handover")
    app.register_blueprint(inspections_bp, url_prefix="/inspections")
    app.register_blueprint(workers_bp, url_prefix="/workers")


def register_template_helpers(app: Flask) -> None:
    urls: dict[str, str] = {}

    def static_url(filename: str) -> str:
        """A static URL with a content hash, so it can be cached for a year (computed once)."""
        if filename not in urls:
            from flask import url_for
            digest = hashlib.sha256((Path(app.static_folder) / filename).read_bytes()).hexdigest()[:10]
            urls[filename] = url_for("static", filename=filename, v=digest)
        return urls[filename]

    links: dict[tuple[str, str], str] = {}

    def link(endpoint: str) -> str:
        """url_for(endpoint) of a page without arguments, built once (the menu has twenty of them)."""
        key = (request.script_root, endpoint)
        if key not in links:
            from flask import url_for
            links[key] = url_for(endpoint)
        return links[key]

    shapes: dict[tuple, str] = {}

    def path_for(endpoint: str, **ids: int) -> str:
        """url_for(endpoint, **ids) for a row's link whose arguments are all <int:...> path parts: the URL's
        shape is built once per endpoint, then filled in (a list of 25 rows builds two links per row)."""
        key = (request.script_root, endpoint, *ids)
        shape = shapes.get(key)
        if shape is None:
            from flask import url_for
            marks = {name: 987654321 + n for n, name in enumerate(ids)}
            shape = url_for(endpoint, **marks)
            if "?" in shape:
                raise ValueError(f"path_for: {endpoint} takes {', '.join(ids)} as a query, not as path parts")
            for name, mark in marks.items():
                if shape.count(str(mark)) != 1:
                    raise ValueError(f"path_for: {endpoint} does not take {name} as one path part")
                shape = shape.replace(str(mark), "{" + name + "}")
            shapes[key] = shape
        return shape.format(**{name: int(value) for name, value in ids.items()})

    menus: dict[tuple, Markup] = {}

    def menu_links(post: str) -> Markup:
        """The menu's page links of a post, rendered once per post, language and mount point (every page
        carries the menu; only the user's name, the CSRF token and the path around it change)."""
        key = (request.script_root, post, str(i18n.request_locale()))
        if key not in menus:
            from flask import render_template
            menus[key] = Markup(render_template("_fragments/menu_links.html", post=post))
        return menus[key]

    from .access import current_site
    from .models.core import POSTS

    @app.template_filter("num")
    def _num(value):
        """A quantity without trailing zeros: 12, 2.5."""
        if value is None:
            return ""
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    def _local(value):
        """A stored UTC time in the site's zone (the site the request loaded, read off g without the proxy:
        a list page converts dozens of times)."""
        app_ctx = _cv_app.get(None)
        site = app_ctx.g.__dict__.get("site") if app_ctx is not None else None
        return value.replace(tzinfo=UTC).astimezone((site or current_site()).tz)

    @app.template_filter("when")
    def _when(value):
        """A stored UTC time as the site's wall clock, 2026-11-25 09:45 (cheaper than Babel's)."""
        return _local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.template_filter("hm")
    def _hm(value):
        return _local(value).strftime("%H:%M") if value else ""

    @app.template_filter("day")
    def _day(value):
        """A calendar day the way staff say it: 11月25日 周三 / Wed 25 Nov 2026 (no Babel lookup)."""
        if i18n.request_locale().language == "en":
            return value.strftime("%a %d %b %Y")
        return f"{value.year}年{value.month}月{value.day}日 周{'一二三四五六日'[value.weekday()]}"

    from .checklists.services import STATE_LABELS
    app.jinja_env.globals["STATE_LABELS"] = STATE_LABELS

    signed: dict[str, tuple[float, str]] = {}

    def _reuse_signed_token() -> None:
        """Flask-WTF's token, signed once per session every few minutes rather than once per page (signing
        costs a page more than the rest of its header; a token is valid for WTF_CSRF_TIME_LIMIT from its
        signing, so one a few minutes old is as good). Set before the view, so its forms take it too."""
        if request.endpoint == "static" or "csrf_token" in g:
            return
        raw = session.get("csrf_token")
        hit = signed.get(raw) if raw else None
        if hit is not None and time.monotonic() - hit[0] < CSRF_RESIGN_SECONDS:
            g.csrf_token = hit[1]

    app.before_request(_reuse_signed_token)

    @app.after_request
    def _keep_signed_token(response):
        """A token this request signed (templates call Flask-WTF's csrf_token()) is kept for the next pages."""
        token = g.get("csrf_token")
        if token is not None:
            raw = session.get("csrf_token")
            if raw and signed.get(raw, (0, None))[1] != token:
                if len(signed) > 10_000:
                    signed.clear()
                signed[raw] = (time.monotonic(), token)
        return response

    # Globals rather than a context processor: nothing here depends on the request when it is registered,
    # and a context processor runs on every render.
    app.jinja_env.globals.update(
        static_url=static_url, link=link, path_for=path_for, menu_links=menu_links, POSTS=POSTS,
        current_site=current_site,
        timedelta=timedelta, get_locale=i18n.request_locale, new_idem=lambda: uuid.uuid4().hex, fmt_qty=_num)
