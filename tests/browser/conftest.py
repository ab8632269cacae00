"""Real Chromium at a phone viewport against the app served on a loopback port.

One browser per run; each test opens fresh phone contexts (own cookies) from the `phone` factory.
Debian's Chromium is used as is (never `playwright install`): missing, it skips locally and fails in CI.
"""
import functools
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hospitality import create_app
from hospitality.extensions import db as _db
from tests.harness import msg

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Service workers blocked by default: a test then sees the server's answers alone, as fast and repeatable as
# before the app had one; the worker's own test (and the offline tests that want it) pass service_workers="allow".
PHONE = {"viewport": {"width": 360, "height": 800}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "service_workers": "block"}


def _no_browser(reason: str):
    # In CI the browser tests are part of the gate: a missing browser must fail, not skip.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


class LiveServer:
    """An app served by werkzeug in a background thread on 127.0.0.1 and a free port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        _no_browser(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements install it
        _no_browser("the playwright package is not installed")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser):
    """Factory: a new phone (context and page) at 360x800 with touch; closed after the test."""
    contexts = []

    def new_phone(**overrides):
        context = browser.new_context(**{**PHONE, **overrides})
        # Generous: on a loaded CI machine a tap once waited 10 s for its element to be "stable" (Chromium's
        # animation frames starved); a real failure only takes longer to report.
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield new_phone
    for context in contexts:
        context.close()


@pytest.fixture
def csrf_server(app, database_url, tmp_path):
    """A second app with CSRF protection on, on the same database, served on its own port."""
    csrf_app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-csrf",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "DEMO_CLOCK": None,
    })
    csrf_app.instance_path = str(tmp_path)
    with LiveServer(csrf_app) as server:
        server.app = csrf_app
        yield server
    with csrf_app.app_context():
        _db.session.remove()
        _db.engine.dispose()



@pytest.fixture
def say(app):
    """say(msgid, **kw): a message as the default (Chinese) page shows it, before and after its translation is
    merged: what a person reads and taps."""
    return functools.partial(msg, app)
