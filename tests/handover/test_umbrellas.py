"""The handover's pending umbrellas follow returns made in part: what is still out, no more, no less."""
import pytest

from hospitality.handover import reads, services
from hospitality.visits import services as visits
from tests.factories import handover_env, site_of, submitted_water_bar, who
from tests.harness import login

pytestmark = pytest.mark.english  # the rules' English messages are matched


@pytest.fixture
def env(app):
    return handover_env(app)


def umbrella_lines(lines):
    return [ln["detail"] for ln in lines if ln["kind"] == "umbrellas"]


def test_pending_umbrellas_after_a_partial_return(ctx, env):
    """Lent 2 and 3, 1 and then 2 returned: pending says 2 out; the submitted handover keeps 2; all back: none."""
    desk = who(env, "desk")
    first = visits.record_arrival(site_of(env), who(env, "sec_out"), 2, False, None, None)
    second = visits.record_arrival(site_of(env), who(env, "sec_out"), 4, False, None, None)
    visits.lend_umbrellas(site_of(env), desk, first, 2)
    visits.lend_umbrellas(site_of(env), desk, second, 3)
    visits.return_umbrellas(site_of(env), desk, first, 1)
    visits.return_umbrellas(site_of(env), desk, second, 2)
    assert umbrella_lines(reads.pending_now(site_of(env), "water_bar")) == [{"qty": 2}]
    h = submitted_water_bar(env)
    assert [ln.detail for ln in h.lines if ln.kind == "umbrellas"] == [{"qty": 2}]
    visits.return_umbrellas(site_of(env), desk, first, 1)
    visits.return_umbrellas(site_of(env), desk, second, 1)
    assert umbrella_lines(reads.pending_now(site_of(env), "security")) == []


def test_handover_page_shows_what_is_still_out(app, env):
    """The outgoing attendant's draft lists 1 umbrella not returned after 1 of 2 came back."""
    with app.test_request_context():
        v = visits.record_arrival(site_of(env), who(env, "sec_out"), 2, False, None, None)
        visits.lend_umbrellas(site_of(env), who(env, "desk"), v, 2)
        visits.return_umbrellas(site_of(env), who(env, "desk"), v, 1)
        h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    page = login(app, env.names["wb_out"]).get(f"/handover/{h.id}").text
    assert "1 把雨伞未归还" in page and "2 把雨伞未归还" not in page
