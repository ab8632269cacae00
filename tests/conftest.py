"""Fixtures: one app and schema per run, every table emptied after each test.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL (or DATABASE_URL)
names a PostgreSQL server: `.ci/run` runs the suite once on each.
"""
import functools
import os
import re

import pytest
from werkzeug.security import generate_password_hash

import hospitality.models.core as core_models
from hospitality import create_app
from hospitality.extensions import db as _db
from tests import factories

# Passwords in tests are hashed with a cheap PBKDF2 (check_password_hash reads the method off each hash): the
# app's default, scrypt, costs a tenth of a second per hash and per login, most of a test's set-up time.
core_models.generate_password_hash = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    })
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
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
    """Empty every table after each test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def ctx(app):
    """An app context for service tests."""
    with app.test_request_context():
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


class Auth:
    """Log a test client in as a user (by username)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = factories.PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


def csrf_token(html: str) -> str:
    """The CSRF token a rendered page carries."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
