"""Fixtures: one app and schema per run (per xdist worker), every table emptied after each test.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL (or DATABASE_URL)
names a PostgreSQL server: `.ci/run` runs the suite once on each.
"""
import functools
import os
from contextlib import nullcontext

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

import hospitality.models.core as core_models
from hospitality import create_app, static_files
from hospitality.extensions import db as _db
from tests import factories
from tests.harness import Auth, empty_tables

# Passwords in tests are hashed with a cheap PBKDF2 (check_password_hash reads the method off each hash): the
# app's default, scrypt, costs a tenth of a second per hash and per login, most of a test's set-up time.
core_models.generate_password_hash = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")


def _database_url(tmp_path_factory) -> str:
    """SQLite in this run's (or xdist worker's) own temporary folder, or the PostgreSQL database named by
    TEST_DATABASE_URL: a database of the worker's own beside it when the suite runs in xdist workers."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker and url.startswith("postgres") else url


def _worker_database(url: str, worker: str) -> str:
    """<database>_<worker> (hospitality_ci_gw0…), made afresh on the same server: the role needs CREATEDB."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def pytest_addoption(parser):
    parser.addoption("--database-tests-only", action="store_true",
                     help="run only the tests that use the suite's database (the `database_url` fixture, through "
                          "`app`, `client`, `ctx`…): a second engine's pass; the others run the same on any engine")


def pytest_collection_modifyitems(config, items):
    """--database-tests-only leaves out the tests that never reach the suite's database. With xdist (`make test`:
    -n auto --dist loadgroup) the browser tests run on one worker, one after the other, while the other workers run
    the rest: one Chromium and one live server at a time on a 2-core machine."""
    if config.getoption("--database-tests-only"):
        independent = [item for item in items if "database_url" not in getattr(item, "fixturenames", ())]
        if independent:
            config.hook.pytest_deselected(items=independent)
            items[:] = [item for item in items if item not in independent]
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


class PhoneClient(FlaskClient):
    """A test client as an everyday phone: it has the stylesheets, so a page links them instead of carrying them
    (hospitality/static_files.py); the tests of a phone's first page delete the cookie."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_cookie(static_files.STYLES_COOKIE, static_files.styles_version(self.application))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "DEMO_CLOCK": None,  # a DEMO_CLOCK left in the shell does not move the suite's clock
    })
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    app.test_client_class = PhoneClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after each test that used the database (a module's `world` empties them itself, when the
    module is done with it: its tests put back what they wrote)."""
    yield
    if "app" not in request.fixturenames or "world" in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        empty_tables()


@pytest.fixture
def ctx(app, request):
    """An app context for service tests; in English for a test marked `english` (it matches the rules' English
    messages)."""
    english = request.node.get_closest_marker("english")
    with app.test_request_context(), force_locale("en") if english else nullcontext():
        yield
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def site(app):
    with app.app_context():
        s = factories.make_site()
        return s.id


@pytest.fixture
def auth(client):
    return Auth(client)
