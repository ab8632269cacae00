"""The installable app on a phone: after logging in, the service worker takes over under the CSP, the manifest is
linked and read without error; without signal a page tapped in the menu comes back as the offline page, its look
and scripts from the worker's cache, and Try again brings the today screen back once the signal returns."""
import pytest
from playwright.sync_api import expect

from hospitality.pwa import assets
from tests import factories
from tests.browser.walk import TODAY, follow, landed, login

pytestmark = pytest.mark.browser
# Taken over by the worker (clients.claim): now, or at the controllerchange event. Evaluated, not polled: the CSP
# forbids the eval that page.wait_for_function's polling uses.
CONTROLLED = """navigator.serviceWorker.controller ? true : new Promise(function (done) {
  navigator.serviceWorker.addEventListener("controllerchange", function () { done(true); }); })"""
# Ask for /sw.js again, as the browser does on a navigation, and wait for the worker it installs to be active.
UPDATED = """navigator.serviceWorker.getRegistration().then(function (reg) {
  return reg.update().then(function () {
    const next = reg.installing || reg.waiting;
    if (!next) { return reg.active && reg.active.state; }  // already through: the cache check below tells
    return new Promise(function (done) {
      next.addEventListener("statechange", function () { if (next.state === "activated") { done(next.state); } });
    });
  });
})"""
# Every page's error console, and the CSP's own report: a refused script, style or fetch shows in one or the other.
WATCH_CSP = """document.addEventListener("securitypolicyviolation", function (e) {
  (window.__csp = window.__csp || []).push(e.violatedDirective + " " + e.blockedURI); });"""


def _water_bar_phone(app, phone, service_workers: str):
    """A water bar person of a new site, and a phone that keeps the CSP's reports (WATCH_CSP)."""
    with app.app_context():
        site = factories.make_site()
        username = factories.make_user(site.id, "water_bar").username
    page = phone(service_workers=service_workers)
    page.context.add_init_script(WATCH_CSP)
    return page, username


def test_service_worker_installs_and_serves_the_offline_page(app, live_server, phone, say):
    """Logged in, the worker is active and controls the page; offline, a menu page shows the offline page from
    the cache, without a CSP violation; back online, Try again lands on the today screen."""
    page, username = _water_bar_phone(app, phone, "allow")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    login(page, live_server.url, username)
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
    assert state == f"{live_server.url}/sw.js"
    assert page.evaluate(CONTROLLED)  # clients.claim(): this very page
    # The static files' cache (the person's kept pages have their own, tests/browser/test_kept_pages.py).
    cached = page.evaluate("""caches.keys().then(names => Promise.all(names
        .filter(n => n.indexOf("hospitality-pages-") !== 0).map(n => caches.open(n)
        .then(c => c.keys()).then(rs => [n, rs.map(r => new URL(r.url).pathname + new URL(r.url).search)]))))""")
    assert len(cached) == 1 and cached[0][0].startswith("hospitality-")
    kept = cached[0][1]
    assert "/offline?lang=zh_Hans" in kept and any(url.startswith("/static/app.js?v=") for url in kept)

    manifest = page.context.new_cdp_session(page).send("Page.getAppManifest")
    assert manifest["url"] == f"{live_server.url}/manifest.webmanifest"
    assert manifest["errors"] == [], manifest["errors"]
    assert '"display":"standalone"' in manifest["data"].replace(" ", "")

    page.context.set_offline(True)
    page.locator("header.bar details.menu > summary").tap()
    page.locator("header.bar details.menu ul").get_by_role("link", name=say("Stock"), exact=True).tap()
    page.wait_for_url(f"{live_server.url}/stock/")
    expect(page.locator("main h1")).to_have_text(say("No signal"))
    expect(page.locator("main a[role=button]")).to_have_text(say("Try again"))

    # A whole page load without signal (the phone reopens the app): the page and its files come from the worker.
    from_worker = []
    page.on("response", lambda r: from_worker.append((r.url, r.from_service_worker)))
    page.reload()
    expect(page.locator("main h1")).to_have_text(say("No signal"))
    statics = [(url, by_worker) for url, by_worker in from_worker if "/static/" in url]
    assert len(statics) >= 4 and all(by_worker for _url, by_worker in statics), statics
    primary = page.evaluate("getComputedStyle(document.querySelector('main a[role=button]')).backgroundColor")
    assert primary == "rgb(1, 114, 173)"  # pico's stylesheet, from the cache

    page.context.set_offline(False)
    follow(page, page.locator("main a[role=button]"), None)
    landed(page, TODAY)
    assert page.evaluate("window.__csp || []") == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_a_new_deploy_replaces_the_worker_and_its_cache(app, live_server, phone, monkeypatch):
    """When /sw.js changes (a deploy), the browser's update check installs the new worker, which takes over the
    open page at once and drops the old version's cache."""
    page = phone(service_workers="allow")
    page.goto(f"{live_server.url}/login")
    assert page.evaluate(CONTROLLED)
    old = page.evaluate("caches.keys()")
    assert len(old) == 1
    monkeypatch.setitem(assets._versions, app.static_folder, "feedfeedfeed")  # the live server's process
    assert page.evaluate(UPDATED) == "activated"
    assert page.evaluate("caches.keys()") == ["hospitality-feedfeedfeed"]
    assert page.evaluate("navigator.serviceWorker.controller.state") == "activated"


def test_the_first_page_brings_its_look_and_later_pages_link_it(app, live_server, phone):
    """A phone that never had the stylesheets gets them inside the login page (one round trip less on a weak
    signal), allowed by the CSP; the today screen it lands on links them and looks the same; Chinese text is set
    in a named Chinese font, not left to the browser's fallback."""
    page, username = _water_bar_phone(app, phone, "block")
    stylesheets = []
    page.on("request", lambda r: stylesheets.append(r.url) if r.resource_type == "stylesheet" else None)

    page.goto(f"{live_server.url}/login")
    assert page.locator("head style").count() == 1 and page.locator("link[rel=stylesheet]").count() == 0
    assert stylesheets == []
    button = "getComputedStyle(document.querySelector('form button[type=submit]')).backgroundColor"
    look = page.evaluate(button)
    assert look == "rgb(1, 114, 173)"  # pico's primary
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font.startswith('"PingFang SC", "Microsoft YaHei"'), font

    login(page, live_server.url, username)  # the form's post and its redirect: a whole page load, linking now
    assert page.locator("head style").count() == 0 and page.locator("link[rel=stylesheet]").count() == 2
    assert len(stylesheets) == 2 and all("/static/" in url for url in stylesheets), stylesheets
    assert page.evaluate("getComputedStyle(document.querySelector('header.bar details.menu > summary')).fontFamily") \
        == font
    assert page.evaluate("window.__csp || []") == []
