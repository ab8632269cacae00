"""When the next refill is due: computed from the last serve or refill and the site's round, shown as a time."""
from datetime import UTC, datetime, timedelta

import pytest

from hospitality.extensions import db
from hospitality.models import Visit
from hospitality.visits import services
from hospitality.visits.reads import live as live_reads
from tests.factories import site_of, visit_env, who
from tests.harness import login

HX = {"HX-Request": "true"}


@pytest.fixture
def env(app):
    return visit_env(app)


def served_minutes_ago(env, minutes: int, round_minutes: int = 10) -> Visit:
    """A group served `minutes` ago at a site whose refill round is `round_minutes`."""
    s = site_of(env)
    s.refill_minutes = round_minutes
    db.session.commit()
    v = services.record_arrival(site_of(env), who(env, "security"), 2, False, None, None)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "1"}, None)
    v = db.session.get(Visit, v.id)
    v.last_refill_at -= timedelta(minutes=minutes)
    db.session.commit()
    return v


def local_hm(env, when: datetime) -> str:
    return when.replace(tzinfo=UTC).astimezone(site_of(env).tz).strftime("%H:%M")


def test_next_refill_is_last_serve_plus_the_sites_round(ctx, env):
    """Not served: no time; served at T with a 15-minute round: due at T+15; a refill moves it on."""
    s = site_of(env)
    assert live_reads.next_refill_at(None, s) is None
    v = served_minutes_ago(env, 4, round_minutes=15)
    assert live_reads.next_refill_at(v.last_refill_at, s) == v.last_refill_at + timedelta(minutes=15)
    services.refill(site_of(env), who(env, "water_bar"), v)
    v = db.session.get(Visit, v.id)
    assert live_reads.next_refill_at(v.last_refill_at, s) - services.utcnow() > timedelta(minutes=14)


def test_live_panel_gives_the_bar_each_groups_due_time(ctx, env):
    """The bar's panel carries the due time of each group not yet due; a due group is marked instead."""
    soon = served_minutes_ago(env, 3)
    late = served_minutes_ago(env, 12)
    panel = live_reads.live_panel(site_of(env), "water_bar")
    assert panel["live_refill_at"] == {soon.id: soon.last_refill_at + timedelta(minutes=10)}
    assert panel["live_due"] == {late.id}
    assert panel["live_next"] == int((soon.last_refill_at + timedelta(minutes=10)).replace(tzinfo=UTC).timestamp())
    assert live_reads.live_panel(site_of(env), "concierge")["live_refill_at"] == {}


def test_visit_page_and_bar_row_show_the_due_time(app, env):
    """The visit page says 下次续水 HH:MM and the bar's live row 续水 HH:MM (site time); once due, 该续水."""
    with app.test_request_context():
        v = served_minutes_ago(env, 3)
        vid, due = v.id, local_hm(env, v.last_refill_at + timedelta(minutes=10))
    bar = login(app, env.names["water_bar"])
    assert f'<span class="next-refill">下次续水 {due}</span>' in bar.get(f"/visits/{vid}").text
    live = bar.get("/visits/live", headers=HX).text
    assert f'<small class="next-refill">续水 {due}</small>' in live and " due" not in live
    # The concierge's list does not carry the bar's times.
    assert "next-refill" not in login(app, env.names["concierge"]).get("/visits/live", headers=HX).text
    with app.app_context():
        v = db.session.get(Visit, vid)
        v.last_refill_at -= timedelta(minutes=10)
        db.session.commit()
    page = bar.get(f"/visits/{vid}").text
    assert "该续水了" in page and "下次续水" not in page
    live = bar.get("/visits/live", headers=HX).text
    assert "该续水" in live and "next-refill" not in live


def test_a_group_that_left_shows_no_refill_time(app, env):
    """After the group leaves there is nothing to refill: no time on its page."""
    with app.test_request_context():
        v = served_minutes_ago(env, 3)
        services.depart(site_of(env), who(env, "security"), v)
        vid = v.id
    assert "下次续水" not in login(app, env.names["water_bar"]).get(f"/visits/{vid}").text
