"""Visit pages: forms, htmx fragments, Chinese errors with 422, other sites' visits are 404."""
import pytest
from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.models import StockCount, Visit
from hospitality.visits import services
from tests.factories import site_of, visit_env, who
from tests.harness import login

HX = {"HX-Request": "true", "HX-Target": "visit"}


@pytest.fixture
def env(app):
    return visit_env(app)


def new_visit(app, env, plate="粤B12345", post="security"):
    with app.test_request_context():
        return services.record_arrival(site_of(env), who(env, post), 3, bool(plate), plate, None).id


def test_arrival_form_records_and_redirects(app, env):
    """Security taps 3, by car, a plate: the visit is recorded and its page shown."""
    c = login(app, env.names["security"])
    assert "粤B12345" in c.get("/visits/new").text
    r = c.post("/visits/new", data={"party_size": "3", "by_car": "1", "plate": "粤b12345", "idem": "abcdefgh1234"})
    assert r.status_code == 302
    c.post("/visits/new", data={"party_size": "3", "by_car": "1", "plate": "粤b12345", "idem": "abcdefgh1234"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
        assert db.session.scalar(select(Visit.plate)) == "粤B12345"


def test_typed_party_size_wins_over_buttons(app, env):
    """A party bigger than the buttons is typed in the number field."""
    c = login(app, env.names["security"])
    c.post("/visits/new", data={"party_size": "2", "party_size_n": "12", "by_car": "0", "idem": "abcdefgh9999"})
    with app.app_context():
        assert db.session.scalar(select(Visit.party_size)) == 12


@pytest.mark.parametrize("data, message", [
    ({"party_size": "0", "by_car": "0"}, "人数为 1 到 50 人。"),
    ({"party_size": "500", "by_car": "0"}, "人数为 1 到 50 人。"),
    ({"party_size": "2", "by_car": "1", "plate": "粤I12345"}, "车牌号不正确"),
])
def test_bad_arrival_is_422_in_chinese(app, env, data, message):
    """A party of 0 or 500 or a wrong plate re-renders the form with a Chinese error and 422."""
    c = login(app, env.names["security"])
    r = c.post("/visits/new", data=data)
    assert r.status_code == 422
    assert message in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_plate_lookup_shows_last_visit(app, env):
    """Typing a known plate shows when it was last here and with which rep."""
    vid = new_visit(app, env)
    with app.test_request_context():
        services.greet(site_of(env), who(env, "concierge"), db.session.get(Visit, vid), "first", env.rep)
    c = login(app, env.names["security"])
    r = c.get("/visits/plate?plate=粤B12345", headers={"HX-Request": "true"})
    assert "王顾问" in r.text and "<html" not in r.text
    assert c.get("/visits/plate?plate=粤B00000", headers={"HX-Request": "true"}).text.strip() == ""
    assert c.get("/visits/plate?plate=粤B12345").status_code == 302  # a plain GET: the form


def test_greet_with_htmx_returns_the_card(app, env):
    """The concierge's tap swaps just the visit card, which now names the rep."""
    vid = new_visit(app, env)
    c = login(app, env.names["concierge"])
    r = c.post(f"/visits/{vid}/greet", data={"purpose": "first", "rep_id": env.rep}, headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<article id="visit"') and "王顾问" in r.text


def test_greet_without_rep_is_422_fragment(app, env):
    """A greeting without a rep comes back as the card with the Chinese error, 422."""
    vid = new_visit(app, env)
    c = login(app, env.names["concierge"])
    r = c.post(f"/visits/{vid}/greet", data={"purpose": "first"}, headers=HX)
    assert r.status_code == 422 and "<html" not in r.text
    assert "请选择置业顾问。" in r.text


def test_serving_a_left_visit_is_422(app, env):
    """The bar serving a group that left gets a clear message, not a 500."""
    vid = new_visit(app, env)
    with app.test_request_context():
        services.depart(site_of(env), who(env, "security"), db.session.get(Visit, vid))
    c = login(app, env.names["water_bar"])
    r = c.post(f"/visits/{vid}/serve", data={f"qty-{env.water}": "1", "idem": "abcdefgh5555"}, headers=HX)
    assert r.status_code == 422 and "这组客人已经离开。" in r.text


def test_detail_shows_served_cost_and_timeline(app, env):
    """The visit page lists what was served, its cost and the timeline."""
    vid = new_visit(app, env)
    c = login(app, env.names["water_bar"])
    c.post(f"/visits/{vid}/serve", data={f"qty-{env.water}": "2", f"qty-{env.tea}": "1", "idem": "abcdefgh7777"})
    r = c.get(f"/visits/{vid}")
    assert r.status_code == 200 and "¥12" in r.text and "矿泉水" in r.text
    lead = login(app, env.names["lead"])
    assert "¥12" in lead.get(f"/visits/{vid}").text


def test_leaving_a_room_goes_to_the_count(app, env):
    """The model-room attendant admits, the group leaves: the visit count page opens."""
    vid = new_visit(app, env)
    c = login(app, env.names["model_room"])
    assert c.post(f"/visits/{vid}/rooms", data={"location_id": env.room, "rep_id": env.rep}).status_code == 302
    with app.app_context():
        from hospitality.models import RoomVisit
        rv = db.session.scalar(select(RoomVisit.id))
    r = c.post(f"/visits/rooms/{rv}/leave")
    assert r.status_code == 302 and "/stock/counts/" in r.headers["Location"]
    with app.app_context():
        count = db.session.scalar(select(StockCount))
        assert (count.kind, count.ref_type, count.ref_id) == ("visit", "visit", vid)


def test_index_lists_today_and_lead_picks_a_day(app, env):
    """Today's visits for staff; the lead can look at another day."""
    new_visit(app, env)
    c = login(app, env.names["concierge"])
    assert "粤B12345" in c.get("/visits/").text
    lead = login(app, env.names["lead"])
    assert "粤B12345" not in lead.get("/visits/?date=2020-01-01").text


def test_correct_by_lead(app, env):
    """The lead corrects the party size; a bad number is 422."""
    vid = new_visit(app, env)
    c = login(app, env.names["lead"])
    assert c.post(f"/visits/{vid}/correct", data={"party_size": "0"}, headers=HX).status_code == 422
    assert c.post(f"/visits/{vid}/correct", data={"party_size": "5", "purpose": "event"}).status_code == 302
    with app.app_context():
        assert db.session.get(Visit, vid).party_size == 5


def test_other_sites_visit_is_404(app, env):
    """A visit of another site does not exist for this site's staff."""
    with app.test_request_context():
        from hospitality.models import Site, User
        other = services.record_arrival(db.session.get(Site, env.other), db.session.get(User, env.other_guard),
                                        2, False, None, None).id
    c = login(app, env.names["security"])
    assert c.get(f"/visits/{other}").status_code == 404
    assert c.post(f"/visits/{other}/depart").status_code == 404
    with app.app_context():
        assert db.session.get(Visit, other).status == "active"


def test_serving_per_guest_swaps_the_card_with_their_choices(app, env):
    """The bar picks a drink per guest on the card; the swapped card lists guest by guest."""
    vid = new_visit(app, env)
    bar = login(app, env.names["water_bar"])
    card = bar.get(f"/visits/{vid}").text
    assert card.count('name="guest"') == 3  # one picker per guest of the party of 3
    r = bar.post(f"/visits/{vid}/serve", headers=HX, data={"guest": [str(env.tea), str(env.water), ""],
                                                            "idem": "guestserve0001"})
    assert r.status_code == 200 and r.text.startswith('<article id="visit"')
    assert "铁观音" in r.text and "矿泉水" in r.text
    r = bar.post(f"/visits/{vid}/serve", headers=HX, data={"guest": ["12345"], "idem": "guestserve0002"})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text


def test_refused_serving_keeps_each_guests_choice(app, env):
    """A wrong pick for guest 2 is refused under it; guest 1's tea stays chosen."""
    vid = new_visit(app, env)
    bar = login(app, env.names["water_bar"])
    r = bar.post(f"/visits/{vid}/serve", headers=HX, data={"guest": [str(env.tea), "999999"], "idem": "keep00000001"})
    assert r.status_code == 422
    assert f'value="{env.tea}" selected' in r.text and r.text.count(" selected") == 1
