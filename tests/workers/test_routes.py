"""Worker register pages: the form, the crew card's taps, 422 with the message under the field, other sites 404."""
import re

import pytest
from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.models import StockCount
from hospitality.models.workers import WorkerEntry
from hospitality.workers import services
from tests.factories import inside_crew, location, register, site_of, submit, who, worker_env
from tests.harness import count_rows, login, text

HX = {"HX-Request": "true", "HX-Target": "crew"}


@pytest.fixture
def env(app):
    return worker_env(app)


def form(env, **over) -> dict:
    data = {"location_id": str(env.room), "company": "鑫达装修", "name-0": "张三", "phone-0": "13800138000",
            "name-1": "李四", "phone-1": "139 0000 0001", "purpose": "repair", "purpose_note": "修水龙头",
            "supervisor_id": str(env.users["model_room"]), "idem": "formkey00001"}
    return {k: v for k, v in (data | over).items() if v is not None}


def test_security_registers_a_crew_once(app, env):
    """The form registers two workers and shows their page; the same form posted twice registers once."""
    c = login(app, env.names["security"])
    page = c.get(f"/workers/new?room={env.room2}")
    assert page.status_code == 200 and 'name="phone-9"' in page.text
    assert re.search(rf'value="{env.room2}" checked', page.text)
    r = c.post("/workers/new", data=form(env))
    assert r.status_code == 302 and re.search(r"/workers/\d+$", r.headers["Location"])
    assert c.post("/workers/new", data=form(env)).status_code == 302
    assert count_rows(WorkerEntry, app=app) == 2
    show = c.get(r.headers["Location"])
    assert "张三" in show.text and "13900000001" in show.text and "修水龙头" in show.text
    assert text(app, "Waiting for the model room attendant to count the room before they go in.") in show.text


@pytest.mark.parametrize("over, field, message", [
    ({"phone-0": "12345"}, "phone-0", "Not a valid phone number: a mobile of 11 digits starting 13–19, or a "
                                      "landline such as 0755-12345678."),
    ({"name-0": ""}, "name-0", "Enter the worker's name."),
    ({"name-0": "", "phone-0": "", "name-1": "", "phone-1": ""}, "name-0", "Enter at least one worker."),
    ({"company": ""}, "company", "Enter their company."),
    ({"location_id": "999999"}, "location_id", "Choose the model room."),
    ({"purpose": "party"}, "purpose", "Choose what they come to do."),
    ({"supervisor_id": ""}, "supervisor", "Choose who supervises them, or type a name."),
])
def test_bad_registration_is_422_under_the_field(app, env, over, field, message):
    """Each mistake re-renders the form (422) with the message under its field; nothing is saved."""
    c = login(app, env.names["model_room"])
    r = c.post("/workers/new", data=form(env, **over))
    assert r.status_code == 422
    assert f'<small class="error" id="{field}-err">{text(app, message)}</small>' in r.text
    assert 'value="formkey00001"' in r.text  # the same key, so a retry after fixing still saves once
    assert count_rows(WorkerEntry, app=app) == 0


def test_an_error_in_a_folded_row_opens_the_row(app, env):
    """A bad phone in the fifth row shows that row unfolded, with what was typed kept."""
    c = login(app, env.names["model_room"])
    r = c.post("/workers/new", data=form(env, **{"name-4": "赵六", "phone-4": "110"}))
    assert r.status_code == 422
    head = r.text.split('class="wk-more"')[0]
    assert 'name="phone-4" value="110"' in head and 'id="phone-4-err"' in head


def test_count_before_goes_to_the_count_page_then_back(app, env):
    """The attendant's count before opens the count page; 'all match' returns to the crew's page."""
    with app.test_request_context():
        entry_id = register(env).id
    c = login(app, env.names["model_room"])
    r = c.post(f"/workers/{entry_id}/count-in")
    assert r.status_code == 302 and "/stock/counts/" in r.headers["Location"]
    back = c.post(r.headers["Location"], data={"all_match": "1"})
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/workers/{entry_id}")
    page = c.get(f"/workers/{entry_id}").text
    assert text(app, "They go in") in page and text(app, "All present") in page


def test_htmx_count_tap_navigates_to_the_count(app, env):
    """From htmx the count tap answers with HX-Location, not a card full of count page."""
    with app.test_request_context():
        entry_id = register(env).id
    c = login(app, env.names["model_room"])
    r = c.post(f"/workers/{entry_id}/count-in", headers=HX)
    assert r.status_code == 204 and "/stock/counts/" in r.headers["HX-Location"]


def test_in_before_the_count_is_422_fragment(app, env):
    """Letting them in before the room is counted is refused on the card, with nothing written."""
    with app.test_request_context():
        entry_id = register(env).id
    c = login(app, env.names["security"])
    r = c.post(f"/workers/{entry_id}/in", headers=HX)
    assert r.status_code == 422
    assert r.text.lstrip().startswith('<article id="crew"') and "<html" not in r.text
    assert text(app, "Count the room before they go in.") in r.text
    with app.app_context():
        assert db.session.get(WorkerEntry, entry_id).status == "registered"


def test_in_with_htmx_swaps_the_card(app, env):
    """After the count, security's 'they go in' swaps just the card, now offering 'they leave'."""
    with app.test_request_context():
        entry = register(env)
        submit(env, services.count_before(site_of(env), who(env, "model_room"), entry))
        entry_id = entry.id
    c = login(app, env.names["security"])
    r = c.post(f"/workers/{entry_id}/in", headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<article id="crew"')
    assert text(app, "Who is leaving") in r.text


def test_attendant_out_goes_straight_to_the_count_after(app, env):
    """The attendant taps 'they leave': out is recorded and the count after opens."""
    with app.test_request_context():
        entry_id = inside_crew(env).id
    c = login(app, env.names["model_room"])
    r = c.post(f"/workers/{entry_id}/out", data={"who": [str(entry_id)]})
    assert r.status_code == 302 and "/stock/counts/" in r.headers["Location"]
    with app.app_context():
        count = db.session.scalar(select(StockCount).where(StockCount.kind == "worker_out"))
        assert (count.ref_type, count.ref_id, count.status) == ("worker", entry_id, "open")
    back = c.post(r.headers["Location"], data={"all_match": "1"})
    assert back.headers["Location"].endswith(f"/workers/{entry_id}")
    assert text(app, "Closed: counted after") in c.get(f"/workers/{entry_id}").text


def test_nobody_ticked_is_422(app, env):
    """Unticking everyone on the card is a mistake, not 'everyone leaves'."""
    with app.test_request_context():
        entry_id = inside_crew(env).id
    c = login(app, env.names["security"])
    r = c.post(f"/workers/{entry_id}/out", data={"who_sent": "1"})
    assert r.status_code == 422 and text(app, "Tick who is leaving.") in r.text
    with app.app_context():
        assert db.session.get(WorkerEntry, entry_id).status == "in"


def test_leaving_twice_is_422_with_the_message(app, env):
    """Security records them out, then taps again: told they already left, nothing more written."""
    with app.test_request_context():
        entry_id = inside_crew(env).id
    c = login(app, env.names["security"])
    r = c.post(f"/workers/{entry_id}/out")
    assert r.status_code == 302
    page = c.get(r.headers["Location"]).text
    assert text(app, "They have left. The model room attendant counts the room now.") in page
    again = c.post(f"/workers/{entry_id}/out")
    assert again.status_code == 422 and text(app, "They have already left.") in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StockCount)
                                 .where(StockCount.kind == "worker_out")) == 0


def test_count_while_someone_else_counts_is_422(app, env):
    """The lead is counting the room: the attendant's count before is refused, saying who counts."""
    with app.test_request_context():
        entry_id = register(env).id
    lead = login(app, env.names["lead"])
    lead.post(f"/stock/loc/{env.room}/count", data={"kind": "spot"})
    c = login(app, env.names["model_room"])
    r = c.post(f"/workers/{entry_id}/count-in")
    assert r.status_code == 422
    with app.app_context():
        assert who(env, "lead").name in r.text
        assert db.session.get(WorkerEntry, entry_id).count_in_id is None


def test_discrepancy_after_shows_on_the_page_and_the_list(app, env):
    """A lamp missing after the workers: the entry page and the lead's list link the discrepancy."""
    with app.test_request_context():
        entry = inside_crew(env)
        services.leave(site_of(env), who(env, "security"), entry)
        submit(env, services.count_after(site_of(env), who(env, "model_room"), entry), {env.lamp: "0"})
        entry_id = entry.id
    c = login(app, env.names["lead"])
    page = c.get(f"/workers/{entry_id}").text
    assert text(app, "Differs from the book") in page and "/stock/discrepancies/" in page
    listing = c.get("/workers/").text
    assert "鑫达装修" in listing and "/stock/discrepancies/" in listing


def test_lead_filters_the_list_with_htmx(app, env):
    """The filter answers htmx with the list fragment only; a plain GET of the same URL is the page."""
    with app.test_request_context():
        register(env, company="鑫达装修")
        register(env, company="Acme Electric", room=env.room2)
    c = login(app, env.names["lead"])
    r = c.get(f"/workers/?room={env.room2}", headers={"HX-Request": "true", "HX-Target": "worker-list"})
    assert r.text.lstrip().startswith('<div id="worker-list"') and "Acme Electric" in r.text
    assert "鑫达装修" not in r.text
    hx = {"HX-Request": "true", "HX-Target": "worker-list"}
    assert "鑫达装修" in c.get("/workers/?company=鑫达", headers=hx).text
    full = c.get(f"/workers/?room={env.room2}")
    assert "<html" in full.text and "Acme Electric" in full.text
    assert "Acme" not in c.get("/workers/?date=2020-01-01", headers=hx).text


def test_staff_see_only_today(app, env):
    """The attendant's list ignores another date: staff see today's register."""
    with app.test_request_context():
        register(env, company="今日装修")
    c = login(app, env.names["model_room"])
    assert "今日装修" in c.get("/workers/?date=2020-01-01").text


def test_inside_panel_polls_with_204_while_unchanged(app, env):
    """The panel answers 204 for its own version, and the new fragment once a crew changes."""
    with app.test_request_context():
        entry_id = register(env, company="轮询装修").id
    c = login(app, env.names["model_room"])
    frag = c.get("/workers/inside", headers={"HX-Request": "true"})
    assert frag.text.lstrip().startswith('<section id="workers-inside"') and "轮询装修" in frag.text
    v = re.search(r"/workers/inside\?v=(\w+)", frag.text).group(1)
    assert c.get(f"/workers/inside?v={v}", headers={"HX-Request": "true"}).status_code == 204
    assert "<html" in c.get(f"/workers/inside?v={v}").text  # a plain GET is always a page
    c.post(f"/workers/{entry_id}/count-in")
    assert c.get(f"/workers/inside?v={v}", headers={"HX-Request": "true"}).status_code == 200


def test_cancel_with_htmx(app, env):
    """Security cancels a registration that never went in; the card says so."""
    with app.test_request_context():
        entry_id = register(env).id
    c = login(app, env.names["security"])
    r = c.post(f"/workers/{entry_id}/cancel", headers=HX)
    assert r.status_code == 200 and text(app, "Cancelled") in r.text
    with app.app_context():
        assert db.session.get(WorkerEntry, entry_id).status == "cancelled"


@pytest.mark.parametrize("method, path", [
    ("GET", "/workers/{id}"), ("POST", "/workers/{id}/count-in"), ("POST", "/workers/{id}/in"),
    ("POST", "/workers/{id}/out"), ("POST", "/workers/{id}/count-out"), ("POST", "/workers/{id}/cancel"),
])
def test_another_sites_entry_is_404(app, env, method, path):
    """A crew of another site does not exist for this site's staff, and nothing is written."""
    with app.test_request_context():
        other_site = db.session.get(type(site_of(env)), env.other)
        keeper = db.session.get(type(who(env, "model_room")), env.other_keeper)
        entry_id = services.register(other_site, keeper, location_id=location(env.other, "model_room").id,
                                     company="外站", names=["外人"], phones=["13800138000"], purpose="repair",
                                     purpose_note=None, supervisor_id=keeper.id, supervisor_name=None,
                                     idem_key=None).id
    for post in ("model_room", "manager") if method == "GET" else ("model_room",):  # allowed everywhere
        c = login(app, env.names[post])
        r = c.open(path.format(id=entry_id), method=method)
        assert r.status_code == 404
    with app.app_context():
        entry = db.session.get(WorkerEntry, entry_id)
        assert entry.status == "registered" and entry.count_in_id is None
        assert db.session.scalar(select(func.count()).select_from(StockCount)) == 0
