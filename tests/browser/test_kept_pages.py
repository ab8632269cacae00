"""The app reopened on a weak signal (issue 18): the service worker shows the phone's kept copy of the page at once,
read-only, and the fresh page replaces it as soon as it comes; without signal the copy stays, saying the time it
shows; logging out drops every kept page, so the next person on the phone never sees the last one's screen."""
import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hospitality import templating
from hospitality.auth import services as auth_services
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import User
from tests import factories
from tests.browser.test_install import CONTROLLED
from tests.browser.walk import TODAY, home, landed, login, menu

pytestmark = pytest.mark.browser
# What the page showed as it was first parsed (before the fresh page could replace it): the header's name, and
# whether it was the kept copy. Recorded by an init script, which runs outside the page's CSP.
FIRST_SEEN = """document.addEventListener("DOMContentLoaded", function () {
  var who = document.querySelector("header.bar summary"), title = document.querySelector("main h2");
  if (title) title.__first = true;
  window.__first = {who: who ? who.textContent : null, kept: !!document.body.dataset.kept,
                    inert: !!(document.querySelector("main") || {}).inert};
});"""
KEPT_PATHS = """caches.keys().then(function (names) {
  return Promise.all(names.filter(function (n) { return n.indexOf("hospitality-pages-") === 0; }).map(function (n) {
    return caches.open(n).then(function (c) { return c.keys(); });
  }));
}).then(function (lists) {
  return [].concat.apply([], lists).map(function (r) { return new URL(r.url).pathname; })
    .filter(function (p) { return p !== "/kept-stamp"; });
})"""
# Until the worker has kept this page (it does so once the fresh answer is in, after the page showed).
KEPT_NOW = "path => new Promise(function (done) { (function look() { (" + KEPT_PATHS + """).then(function (paths) {
  if (paths.indexOf(path) >= 0) { done(paths); } else { setTimeout(look, 50); } }); })(); })"""

# Until the kept pages are gone (False after 5 s).
GONE_NOW = "new Promise(function (done) { var began = Date.now(); (function look() { (" + KEPT_PATHS + """).then(
  function (paths) { if (!paths.length) { done(true); } else if (Date.now() - began > 5000) { done(false); }
  else { setTimeout(look, 50); } }); })(); })"""


def _rename(app, username: str, name: str) -> None:
    with app.app_context(), write_tx():
        db.session.execute(db.update(User).where(User.username == username).values(name=name))


def _water_bar(app) -> str:
    with app.app_context():
        return factories.make_user(factories.make_site().id, "water_bar").username


def _kept_today(page, live_server, username: str) -> None:
    """Log in on a phone with the service worker, and reopen the app once: the worker, in control by then, keeps
    the today screen's fresh answer (the login's own pages came before it took over)."""
    login(page, live_server.url, username)
    assert page.evaluate(CONTROLLED)
    page.reload()
    landed(page, TODAY)
    assert "/" in page.evaluate(KEPT_NOW, "/")


def _count_today(app, monkeypatch) -> list:
    """The live server's GETs of the today screen (it serves `app` in this process), as a growing list."""
    seen, wsgi = [], app.wsgi_app

    def counting(environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/":
            seen.append(environ.get("HTTP_X_KEPT_REFRESH", "page"))
        return wsgi(environ, start_response)
    monkeypatch.setattr(app, "wsgi_app", counting)
    return seen


def test_reopening_shows_the_kept_page_at_once_then_the_fresh_one(app, live_server, phone, say, monkeypatch):
    """Opened again, the today screen comes first from the phone (as it was), read-only, then the fresh one
    replaces it, asked for once: a change made meanwhile shows, the page carries the fresh CSRF token, and htmx
    works on it again."""
    username = _water_bar(app)
    page = phone(service_workers="allow")
    page.context.add_init_script(FIRST_SEEN)
    _kept_today(page, live_server, username)
    before = page.locator("header.bar summary").text_content()

    _rename(app, username, "换了名字")
    time.sleep(1.1)  # a CSRF token names its second: the fresh page's differs from the copy's
    templating._signed_tokens.clear()  # signed anew, not the one the server reuses for a few minutes
    today = _count_today(app, monkeypatch)
    page.reload()
    landed(page, TODAY)
    first = page.evaluate("window.__first")
    assert first == {"who": before, "kept": True, "inert": True}  # the kept copy, as it was, read-only
    expect(page.locator("header.bar summary")).to_contain_text("换了名字")  # then the fresh page
    assert page.evaluate("document.body.dataset.kept") is None
    assert page.evaluate("[document.querySelector('main').inert, document.querySelector('header.bar').inert]") == \
        [False, False]
    assert page.evaluate("performance.getEntriesByName('kept-fresh').length") == 1
    assert today == ["page"]  # the page asked for the fresh one, and the worker gave the answer already coming
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    assert token == page.locator("header.bar input[name=csrf_token]").first.get_attribute("value")
    expect(page.locator("#net")).to_be_hidden()
    # Brought up to date in place (idiomorph): the title that did not change is the very element first shown.
    assert page.evaluate("!!window.Idiomorph") is True
    assert page.evaluate("document.querySelector('main h2').__first") is True
    page.evaluate("window.__stayed = true")
    menu(page, say("Stock"))
    assert page.evaluate("window.__stayed") is True  # a boosted swap: htmx wired up the fresh page


def test_without_signal_the_kept_page_stays_and_the_signal_brings_the_fresh_one(app, live_server, phone, say):
    """Reopened without signal, the kept today screen shows read-only under "No signal: this screen is as it was at
    HH:MM" with Retry; when the signal returns, the fresh page replaces it by itself."""
    page = phone(service_workers="allow")
    _kept_today(page, live_server, _water_bar(app))

    page.context.set_offline(True)
    page.reload()
    landed(page, TODAY)
    banner = page.locator("#net")
    before, after = say("No signal: this screen is as it was at %(time)s", time="{t}").split("{t}")
    expect(banner).to_have_text(re.compile(re.escape(before) + r"\d\d:\d\d" + re.escape(after + say("Retry"))))
    expect(banner.get_by_role("button", name=say("Retry"))).to_be_visible()
    assert page.evaluate("document.querySelector('main').inert") is True

    page.context.set_offline(False)
    expect(page.locator("body[data-kept]")).to_have_count(0)
    assert page.evaluate("document.querySelector('main').inert") is False
    expect(page.locator("main h2")).to_contain_text(TODAY)


def test_logging_out_drops_the_kept_pages_and_the_next_person_never_sees_them(app, live_server, phone, say):
    """After the water bar logs out on the phone, nothing of theirs is kept; the guard who logs in next and reopens
    the app sees only their own screen, from the first paint on."""
    with app.app_context():
        site = factories.make_site()
        bar = factories.make_user(site.id, "water_bar")
        guard = factories.make_user(site.id, "security")
        bar_name, guard_name = bar.name, guard.name
    page = phone(service_workers="allow")
    page.context.add_init_script(FIRST_SEEN)
    _kept_today(page, live_server, bar.username)

    page.locator("header.bar details.menu > summary").tap()
    page.locator("header.bar details.menu").get_by_role("button", name=say("Log out")).tap()
    page.wait_for_url(f"{live_server.url}/login")
    assert page.evaluate(GONE_NOW)

    login(page, live_server.url, guard.username)
    page.reload()
    landed(page, TODAY)
    first = page.evaluate("window.__first")
    assert guard_name in first["who"] and bar_name not in first["who"]
    expect(page.locator("header.bar summary")).to_contain_text(guard_name)


def test_a_log_out_sent_by_a_script_drops_the_kept_pages_before_any_page_comes(app, live_server, phone):
    """As the shared device's lock does (a script's POST, its redirect not followed), a log-out the worker sees go
    out drops the kept pages by itself: no login page comes back to do it."""
    page = phone(service_workers="allow")
    _kept_today(page, live_server, _water_bar(app))
    status = page.evaluate("""fetch("/logout", {method: "POST", credentials: "same-origin", redirect: "manual",
        headers: {"X-CSRFToken": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]}})
        .then(function (r) { return r.type; })""")
    assert status == "opaqueredirect"
    assert page.evaluate(GONE_NOW)


def test_a_copy_older_than_its_time_is_not_shown(app, live_server, phone, say, monkeypatch):
    """Past the oldest age the worker shows (a session's lifetime; 1 s here), a reopening without signal gets the
    offline page, not the old copy."""
    monkeypatch.setitem(app.config, "KEPT_PAGES_MAX_AGE", timedelta(seconds=1))
    page = phone(service_workers="allow")
    _kept_today(page, live_server, _water_bar(app))
    time.sleep(1.2)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("main h1")).to_have_text(say("No signal"))
    assert page.evaluate("document.body.dataset.kept") is None


def test_a_session_ended_on_the_server_takes_the_reopened_app_to_the_login_and_drops_the_copies(
        app, live_server, phone):
    """The account's sessions ended elsewhere (a password reset, a deactivation): reopened, the app shows the copy
    for a moment, then the login screen, and nothing of the person stays on the phone."""
    with app.app_context():
        user = factories.make_user(factories.make_site().id, "water_bar")
        username, user_id = user.username, user.id
    page = phone(service_workers="allow")
    _kept_today(page, live_server, username)
    with app.app_context(), write_tx():
        auth_services.end_all_sessions(user_id)
    page.reload()
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/login(\?|$)"))
    expect(page.locator("#username")).to_be_visible()
    assert page.evaluate(GONE_NOW)


def test_a_page_tapped_without_signal_comes_as_its_kept_copy(app, live_server, phone, say):
    """Out of signal, a menu page the person opened before comes from the phone, read-only under the "No signal"
    banner (a page never opened gets the offline page); the signal back, the fresh one replaces it."""
    page = phone(service_workers="allow")
    _kept_today(page, live_server, _water_bar(app))
    menu(page, say("Stock"))
    page.evaluate(KEPT_NOW, "/stock/")
    home(page)

    page.context.set_offline(True)
    menu(page, say("Stock"))
    expect(page.locator("body[data-kept]")).to_have_count(1)
    before, after = say("No signal: this screen is as it was at %(time)s", time="{t}").split("{t}")
    expect(page.locator("#net")).to_contain_text(before)
    assert page.evaluate("document.querySelector('main').inert") is True

    page.context.set_offline(False)
    expect(page.locator("body[data-kept]")).to_have_count(0)
    assert page.evaluate("document.querySelector('main').inert") is False
    assert page.url == f"{live_server.url}/stock/"
