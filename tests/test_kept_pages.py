"""Which pages the service worker may keep on a phone (hospitality/pwa/kept.py): a person's full pages carry a stamp
of who, where and in what language; fragments, the login page, error pages, writes and shared devices carry none;
and the worker is told where writes end the kept pages (logging out or in, the lock, a language or site switch)."""
import json
import re
from datetime import timedelta

from flask_login import login_user

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.pwa import kept
from tests.factories import make_site, make_user
from tests.harness import login

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def _people(app):
    with app.app_context():
        site = make_site()
        other = make_site()
        bar = make_user(site.id, "water_bar")
        guard = make_user(site.id, "security")
        boss = make_user(site.id, "manager")
        with write_tx():
            db.session.get(User, boss.id).managed_sites.append(db.session.get(Site, other.id))
        return bar.username, guard.username, boss.username, other.id


def test_a_persons_pages_carry_one_stamp_and_fragments_none(app):
    """Every full page of one person (opened, or reached by a boosted tap) carries the same stamp; a fragment swapped
    into a page does not: the worker keeps whole pages only."""
    bar, _guard, _boss, _other = _people(app)
    client = login(app, bar)
    today = client.get("/")
    assert today.status_code == 200
    stamp = today.headers[kept.HEADER]
    assert re.fullmatch(r"[0-9a-f]{20}", stamp)
    assert client.get("/stock/").headers[kept.HEADER] == stamp
    assert client.get("/", headers=BOOSTED).headers[kept.HEADER] == stamp
    assert kept.HEADER not in client.get("/", headers={"HX-Request": "true"}).headers


def test_no_stamp_without_a_person_or_on_an_error_or_a_write(app, client):
    """The login page, a missing page and the answer to a form post are never kept."""
    bar, _guard, _boss, _other = _people(app)
    assert kept.HEADER not in client.get("/login").headers
    person = login(app, bar)
    missing = person.get("/no-such-page")
    assert missing.status_code == 404 and kept.HEADER not in missing.headers
    out = person.post("/logout")
    assert out.status_code == 302 and kept.HEADER not in out.headers
    assert kept.HEADER not in person.get("/login").headers


def test_only_a_get_is_stamped(app):
    """A write's answer is never kept, whatever it renders (the stamp asks the method first)."""
    bar, _guard, _boss, _other = _people(app)
    with app.test_request_context("/", method="GET"):
        login_user(db.session.execute(db.select(User).filter_by(username=bar)).scalar_one())
        assert kept.stamp()
    with app.test_request_context("/", method="POST"):
        login_user(db.session.execute(db.select(User).filter_by(username=bar)).scalar_one())
        assert kept.stamp() is None


def test_the_stamp_changes_with_the_person_the_site_and_the_language(app):
    """Another person, a manager's other site, the same person in English: another stamp, so the worker drops
    what it kept before."""
    bar, guard, boss, other_site = _people(app)
    stamps = {login(app, bar).get("/").headers[kept.HEADER], login(app, guard).get("/").headers[kept.HEADER]}
    manager = login(app, boss)
    here = manager.get("/").headers[kept.HEADER]
    assert manager.post("/site", data={"site_id": other_site}).status_code == 302
    there = manager.get("/").headers[kept.HEADER]
    assert manager.post("/language/en").status_code == 302
    english = manager.get("/").headers[kept.HEADER]
    stamps |= {here, there, english}
    assert len(stamps) == 5
    assert manager.get("/").headers[kept.HEADER] == english  # the same again: a stamp, not a random token


def test_a_shared_device_keeps_nothing(app):
    """A browser with a shared device's cookie never gets a stamp: the next person must not see the last one's
    screen, not even for a moment (the worker drops every kept page when a page comes without one)."""
    bar, _guard, _boss, _other = _people(app)
    client = login(app, bar)
    assert kept.HEADER in client.get("/").headers
    client.set_cookie("device", "the-bar-tablet")
    resp = client.get("/")
    assert resp.status_code == 200 and kept.HEADER not in resp.headers


def test_the_worker_knows_the_stamp_and_where_writes_end_the_kept_pages(client):
    """/sw.js names the stamp's header, keeps pages in a cache of its version, and drops them before a write to
    log out, log in, lock the device, or switch the language or the site goes out."""
    body = client.get("/sw.js").get_data(as_text=True)
    assert f"const KEEP = {json.dumps(kept.HEADER)};" in body
    assert 'const PAGES = "hospitality-pages-" + VERSION;' in body
    forget = json.loads(re.search(r"^const FORGET = (.*);  //", body, re.M).group(1))
    assert forget == ["/logout", "/login", "/devices/lock", "/site", "/language/"]
    max_age = json.loads(re.search(r"^const MAX_AGE = (.*);  //", body, re.M).group(1))
    assert max_age == 14 * 3600 * 1000  # a session's lifetime


def test_the_oldest_copy_shown_can_be_set_apart_from_the_session(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "KEPT_PAGES_MAX_AGE", timedelta(minutes=30))
    body = client.get("/sw.js").get_data(as_text=True)
    assert "const MAX_AGE = 1800000;" in body
