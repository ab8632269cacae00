"""The hospitality app: create_app and the register_* helpers it calls."""
import os
import secrets
from pathlib import Path

from flask import Flask, g
from sqlalchemy import event

from . import clock, htmx, i18n, internals, static_files, templating
from .config import Config
from .extensions import compress, csrf, db, limiter, login_manager, migrate, talisman
from .pwa import kept

# Every PostgreSQL connection the app opens (a startup option: no round trip; behind PgBouncer, which refuses unknown
# startup options, set it on the role instead: ALTER ROLE … SET plan_cache_mode = force_generic_plan).
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.jinja_environment = i18n.TranslatedEnvironment  # before app.jinja_env is first made (below)
    register_input_guards(app)
    app.config.from_object(Config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    clock.init_app(app)  # before anything is written: a refused DEMO_CLOCK stops here
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
    templating.register(app)
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
        # (database._track_writes), and connections it no longer needs stay idle at the back of the pool.
        # Generic plans: a statement psycopg has prepared (its fifth run on a connection) is planned once, not on
        # every run when PostgreSQL judges a custom plan cheaper (the staff screen's routines, the busiest read,
        # were planned afresh each time: 0.4 ms of the server's CPU). The values that pick an index are in the
        # statements' text already (database._constants_inline).
        # No pool_pre_ping: a connection idle for a while is pinged at checkout instead (database._track_writes).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 10, "pool_use_lifo": True,
                                                   "connect_args": {"options": GENERIC_PLANS},
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
    i18n.init_app(app)
    limiter.init_app(app)
    # The only limit is the login form's, checked by its own decorator when that view runs; the extension's
    # check before every request (for application-wide limits, of which there are none) costs each request.
    internals.drop_limiter_check_before_requests(app, limiter)
    compress.init_app(app)
    static_files.init_app(app)  # after Compress: its hook runs first and marks static files as compressed
    kept.init_app(app)
    csp = {
        "default-src": "'self'",
        "img-src": "'self' data: blob:",
        "style-src": "'self' " + static_files.style_hash(app),  # a phone's first page carries the stylesheets
        "script-src": "'self'",
        "connect-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
    }
    if app.config.get("S3_BUCKET") and app.config.get("PHOTO_URLS") == "signed":
        with app.app_context():
            from . import photo_store
            csp["img-src"] += " " + photo_store.current().origin()  # photos come from the store's signed URLs
    talisman.init_app(app, content_security_policy=csp, force_https=app.config["FORCE_HTTPS"],
                      session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
                      strict_transport_security=app.config["FORCE_HTTPS"],
                      referrer_policy="same-origin",
                      permissions_policy={"geolocation": "(self)", "camera": "(self)"})
    htmx.init_app(app)
    from . import ops
    ops.init_app(app)  # request ids, one log line per request, the request metrics
    with app.app_context():
        from .database import configure_engine
        configure_engine(db.engine)
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
    from .incidents import bp as incidents_bp
    app.register_blueprint(incidents_bp, url_prefix="/incidents")
    from .complaints import bp as complaints_bp
    app.register_blueprint(complaints_bp, url_prefix="/complaints")
    from .desk import bp as desk_bp
    app.register_blueprint(desk_bp, url_prefix="/desk")
    from .guests import bp as guests_bp
    from .guests import public_bp as guests_public_bp
    app.register_blueprint(guests_bp, url_prefix="/guests")
    app.register_blueprint(guests_public_bp)
    from .patrol import bp as patrol_bp
    app.register_blueprint(patrol_bp)  # /patrol…, and /c/<token>: the short URL a checkpoint's code prints
    from .repairs import bp as repairs_bp
    from .routines import bp as routines_bp
    from .tasks import bp as tasks_bp
    app.register_blueprint(tasks_bp, url_prefix="/tasks")
    app.register_blueprint(repairs_bp, url_prefix="/repairs")
    app.register_blueprint(routines_bp, url_prefix="/routines")
    from .alerts import bp as alerts_bp
    from .cockpit import bp as cockpit_bp
    app.register_blueprint(cockpit_bp, url_prefix="/manager")
    app.register_blueprint(alerts_bp, url_prefix="/alerts")
    from .evaluation import bp as evaluation_bp
    from .hq import bp as hq_bp
    app.register_blueprint(hq_bp, url_prefix="/hq")
    app.register_blueprint(evaluation_bp, url_prefix="/evaluation")
    from .devices import bp as devices_bp
    from .pwa import bp as pwa_bp
    app.register_blueprint(devices_bp, url_prefix="/devices")
    app.register_blueprint(pwa_bp)  # /manifest.webmanifest and /sw.js at the root: a worker's scope is its folder
    from .ops import bp as ops_bp
    app.register_blueprint(ops_bp)  # /healthz, /readyz, /metrics
