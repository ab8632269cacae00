"""Open incidents on the security post's handover: listed on each one until closed (the next shift sees them)."""
import pytest

from hospitality.extensions import db
from hospitality.handover import reads as handover_reads
from hospitality.handover import services as handover
from hospitality.incidents import services
from hospitality.models.incidents import Incident
from tests.factories import fresh, handover_env, make_incident, site_of, who
from tests.harness import login, text


@pytest.fixture
def env(app):
    return handover_env(app)


def hand_over(env, out: str, incoming: str):
    """A security handover from `out` to `incoming`, submitted and accepted; its lines."""
    site = site_of(env)
    ho = handover.start(site, who(env, out), env.users[incoming], None)
    handover.submit(site, who(env, out), fresh(ho.id), env.users[incoming], None, True)
    handover.accept(site, who(env, incoming), fresh(ho.id))
    return ho.id, handover_reads.lines_of(fresh(ho.id))


def test_open_incidents_are_carried_until_closed(ctx, env):
    """Two open incidents go on the night's handover; one closed by the morning is not on the next one."""
    theft = make_incident(env.site, env.users["sec_out"], kind="theft", level="urgent")
    leak = make_incident(env.site, env.users["wb_out"], kind="utility", where="water_bar")
    _id, lines = hand_over(env, "sec_out", "sec_in")
    listed = [ln for ln in lines if ln.kind == "incident"]
    assert [ln.detail["incident_id"] for ln in listed] == [leak.id, theft.id]
    assert listed[1].detail["level"] == "urgent" and listed[1].state == "info"
    services.close(site_of(env), who(env, "lead"), db.session.get(Incident, theft.id), "已报警处理")
    _id, lines = hand_over(env, "sec_in", "sec_out")
    assert [ln.detail["incident_id"] for ln in lines if ln.kind == "incident"] == [leak.id]


def test_other_posts_handovers_do_not_list_incidents(ctx, env):
    """The water bar's pending lines have no incidents (security's handover carries them)."""
    make_incident(env.site, env.users["wb_out"], kind="utility", where="water_bar")
    assert not [p for p in handover_reads.pending_now(site_of(env), "water_bar") if p["kind"] == "incident"]
    assert [p["kind"] for p in handover_reads.pending_now(site_of(env), "security")].count("incident") == 1


def test_the_handover_page_shows_and_links_them(app, env):
    """The outgoing guard's draft lists the open incident; the incoming guard's page links to it."""
    with app.test_request_context():
        i = make_incident(env.site, env.users["wb_out"], kind="fire", where="water_bar").id
        ho = handover.start(site_of(env), who(env, "sec_out"), env.users["sec_in"], None)
    page = login(app, env.names["sec_out"]).get(f"/handover/{ho.id}").text
    assert text(app, "Fire hazard") in page
    with app.test_request_context():
        handover.submit(site_of(env), who(env, "sec_out"), fresh(ho.id), env.users["sec_in"], None, True)
    page = login(app, env.names["sec_in"]).get(f"/handover/{ho.id}").text
    assert text(app, "Open incident") in page and f'href="/incidents/{i}"' in page
