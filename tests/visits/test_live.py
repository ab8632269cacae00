"""The live element: 204 while nothing changed, a tiny fragment in at most 3 queries otherwise."""
import re
from datetime import timedelta

import pytest

from hospitality.extensions import db
from hospitality.models import Visit
from hospitality.visits import services
from tests.factories import site_of, visit_env, who
from tests.harness import counting, login

HX = {"HX-Request": "true"}


@pytest.fixture
def env(app):
    return visit_env(app)


def arrive(app, env, n=1):
    with app.test_request_context():
        return [services.record_arrival(site_of(env), who(env, "security"), 3, True, f"粤B{10000 + i}", None).id
                for i in range(n)]


def queries(statements: list[str]) -> list[str]:
    """The SQL that reads data: SQLite's BEGIN (sent by our begin hook) is transaction control."""
    return [s for s in statements if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def version_of(html: str) -> str:
    return re.search(r'hx-get="/visits/live\?([^"]+)"', html).group(1).replace("&amp;", "&")


def test_unchanged_is_204_and_new_arrival_shows_unseen(app, env):
    """Polling with the current version gets 204; after an arrival the bar sees it marked unseen."""
    bar = login(app, env.names["water_bar"])
    html = bar.get("/visits/live", headers=HX).text
    assert 'hx-trigger="every 5s"' in html
    query = version_of(html)
    assert bar.get(f"/visits/live?{query}", headers=HX).status_code == 204
    [vid] = arrive(app, env)
    r = bar.get(f"/visits/live?{query}", headers=HX)
    assert r.status_code == 200 and 'class="unseen"' in r.text and "粤B10000" in r.text
    # Tapping "seen" in the panel (the row's button names no target) returns the panel without the mark, swapped
    # over the whole list.
    r = bar.post(f"/visits/{vid}/seen", headers=HX)
    assert r.status_code == 200 and "unseen" not in r.text and r.text.startswith('<ul id="visits-live"')
    assert r.headers["HX-Retarget"] == "#visits-live" and r.headers["HX-Reswap"] == "outerHTML"
    # Security recorded it, so it is not unseen for security.
    guard = login(app, env.names["security"])
    assert "unseen" not in guard.get("/visits/live", headers=HX).text


def test_today_screen_carries_the_live_element(app, env):
    """Each post's today screen includes the polled element with its version."""
    arrive(app, env)
    for post in ("concierge", "lead", "manager"):
        html = login(app, env.names[post]).get("/").text
        assert 'id="visits-live"' in html and "粤B10000" in html


def test_refill_due_re_renders_without_new_events(app, env):
    """A refill falling due changes the bar's panel even when no one did anything."""
    [vid] = arrive(app, env)
    with app.test_request_context():
        services.serve(site_of(env), who(env, "water_bar"), db.session.get(Visit, vid), {env.water: "1"}, None)
    bar = login(app, env.names["water_bar"])
    html = bar.get("/visits/live", headers=HX).text
    query = version_of(html)
    assert "d=0" not in query and " due" not in html
    assert bar.get(f"/visits/live?{query}", headers=HX).status_code == 204
    with app.app_context():
        v = db.session.get(Visit, vid)
        v.last_refill_at -= timedelta(minutes=11)
        db.session.commit()
    due = re.sub(r"d=\d+", "d=1", query)  # the due time the element was built with has passed
    r = bar.get(f"/visits/live?{due}", headers=HX)
    assert r.status_code == 200 and "unseen due" in r.text


def test_fragment_is_small_and_cheap(app, env):
    """With 12 groups on site the fragment is at most 2 KB and costs at most 3 queries, login included."""
    arrive(app, env, 15)
    bar = login(app, env.names["water_bar"])
    with counting(app) as seen:
        r = bar.get("/visits/live", headers=HX)
    assert r.status_code == 200
    assert len(r.data) <= 2048, len(r.data)
    assert len(queries(seen)) <= 3, seen
    query = version_of(r.text)
    with counting(app) as seen:
        assert bar.get(f"/visits/live?{query}", headers=HX).status_code == 204
    assert len(queries(seen)) <= 2, seen
    print(f"live fragment: {len(r.data)} bytes; unchanged: 204 in {len(queries(seen))} queries")
    # A poll one event behind (what phones send), for every post: the manager's with its alerts, the concierge's
    # with the umbrellas out on a group on site and on a group gone with them: still 3 at most.
    on_site, gone = arrive(app, env, 2)
    with app.test_request_context():
        site, concierge = site_of(env), who(env, "concierge")
        for vid, n in ((on_site, 2), (gone, 1)):
            services.lend_umbrellas(site, concierge, db.session.get(Visit, vid), n)
        services.depart(site, concierge, db.session.get(Visit, gone))
    for post in ("water_bar", "model_room", "concierge", "security", "lead", "manager"):
        client = bar if post == "water_bar" else login(app, env.names[post])
        with counting(app) as seen:
            r = client.get(f"/visits/live?{query}", headers=HX)
        assert r.status_code == 200 and len(queries(seen)) <= 3, (post, seen)
        if post == "concierge":  # both halves of its one statement reach the element
            assert r.text.count('class="umb"') == 2 and r.text.count('class="gone"') == 1, r.text
