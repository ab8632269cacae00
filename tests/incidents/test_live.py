"""The urgent alert on the live element: at the top for the lead, the manager and security until one of them
acknowledges; the version moves when an incident is reported or acknowledged; the element keeps its budget."""
import re

import pytest

from hospitality.extensions import db
from hospitality.incidents import services
from hospitality.models.incidents import Incident
from hospitality.visits import services as visits
from tests.factories import make_incident, site_of, visit_env, who
from tests.harness import HX, counting, login
from tests.visits.test_live import queries, version_of


@pytest.fixture
def env(app):
    return visit_env(app)


def urgent(app, env, reporter="water_bar", **kw) -> int:
    with app.test_request_context():
        return make_incident(env.site, env.users[reporter], level="urgent", **kw).id


def rows(html: str) -> list[str]:
    return re.findall(r'<li class="unseen incident">(.*?)</li>', html, re.S)


def test_an_urgent_incident_reaches_the_lead_the_manager_and_security(app, env):
    """Their elements, polled with the version they hold, change at once and show it highlighted with a button;
    the other posts' do not show it."""
    phones = {p: login(app, env.names[p]) for p in ("lead", "manager", "security", "water_bar", "concierge")}
    held = {p: version_of(c.get("/visits/live", headers=HX).text) for p, c in phones.items()}
    i = urgent(app, env, kind="fire", where="water_bar")
    for post in ("lead", "manager", "security"):
        r = phones[post].get(f"/visits/live?{held[post]}", headers=HX)
        assert r.status_code == 200 and r.text.startswith('<ul id="visits-live"')
        [row] = rows(r.text)
        assert f'href="/incidents/{i}"' in row and f'hx-post="/incidents/{i}/acknowledge"' in row
    for post in ("water_bar", "concierge"):
        r = phones[post].get(f"/visits/live?{held[post]}", headers=HX)
        assert r.status_code == 204


def test_a_note_is_not_an_alert(app, env):
    """An incident for the record does not put a row on anyone's element."""
    with app.test_request_context():
        make_incident(env.site, env.users["water_bar"])
    assert rows(login(app, env.names["lead"]).get("/visits/live", headers=HX).text) == []


def test_acknowledging_from_the_element_stops_the_alert_everywhere(app, env):
    """The guard taps the row's button: the list comes back without it, swapped over itself; the manager's next
    poll changes too and the row is gone; who acknowledged is kept."""
    i = urgent(app, env)
    guard, boss = login(app, env.names["security"]), login(app, env.names["manager"])
    held = version_of(boss.get("/visits/live", headers=HX).text)
    r = guard.post(f"/incidents/{i}/acknowledge", headers=HX)
    assert r.status_code == 200 and rows(r.text) == []
    assert r.headers["HX-Retarget"] == "#visits-live" and r.headers["HX-Reswap"] == "outerHTML"
    r = boss.get(f"/visits/live?{held}", headers=HX)
    assert r.status_code == 200 and rows(r.text) == []
    assert boss.get(f"/visits/live?{version_of(r.text)}", headers=HX).status_code == 204
    with app.app_context():
        assert db.session.get(Incident, i).acknowledged_by_id == env.users["security"]


def test_the_reporter_gets_no_button_and_a_stale_tap_is_a_toast(app, env):
    """The guard who reported it sees the row without a button; a tap after it was closed is refused (409), the
    list stays as it was."""
    i = urgent(app, env, reporter="security")
    guard = login(app, env.names["security"])
    [row] = rows(guard.get("/visits/live", headers=HX).text)
    assert "<button" not in row
    with app.test_request_context():
        services.close(site_of(env), who(env, "lead"), db.session.get(Incident, i), "误报")
    r = login(app, env.names["lead"]).post(f"/incidents/{i}/acknowledge", headers=HX)
    assert r.status_code == 409 and 'class="toast-msg"' in r.text


def test_more_than_three_alerts_show_as_a_count(app, env):
    """Four urgent incidents: the newest three as rows, the fourth as a link to what is open."""
    ids = [urgent(app, env) for _ in range(4)]
    html = login(app, env.names["lead"]).get("/visits/live", headers=HX).text
    found = rows(html)
    assert len(found) == 4 and all(f"/incidents/{i}\"" in html for i in ids[1:])
    assert "/incidents/open" in found[-1] and "另有 1 件紧急事件" in found[-1]


@pytest.mark.parametrize("post", ["security", "lead", "manager"])
def test_the_element_keeps_its_budget_with_incidents(app, env, post):
    """Twelve groups on site and three urgent incidents: at most 2 KB and 3 statements (login included); unchanged,
    204 in 2."""
    with app.test_request_context():
        for n in range(15):
            visits.record_arrival(site_of(env), who(env, "security"), 3, True, f"粤B{10000 + n}", None)
    for _ in range(4):
        urgent(app, env, where="water_bar")
    phone = login(app, env.names[post])
    with counting(app) as seen:
        r = phone.get("/visits/live", headers=HX)
    assert r.status_code == 200 and len(rows(r.text)) == 4
    assert len(r.data) <= 2048, len(r.data)
    assert len(queries(seen)) <= 3, seen
    query = version_of(r.text)
    with counting(app) as seen:
        assert phone.get(f"/visits/live?{query}", headers=HX).status_code == 204
    assert len(queries(seen)) <= 2, seen
    print(f"live fragment ({post}) with incidents: {len(r.data)} bytes")
