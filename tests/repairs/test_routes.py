"""Repair pages: the report form (two taps from the today screen, 422 under the field, a double tap once), the page
and the lead's steps, access per post and other sites' ids (404, nothing written), the lists, the Excel export,
the crew registered from a repair, and the handover line."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.repairs import Repair, RepairCrew, RepairEvent, RepairPhoto
from hospitality.models.workers import WorkerEntry
from hospitality.repairs import services
from tests.factories import png
from tests.harness import HX, count_rows, login, snapshot, text
from tests.repairs.cast import fixed, make_repair, to_contractor

FORM = {"kind": "fitting", "spot": "主卫", "description": "卫生间水龙头漏水", "idem": "form00000001"}


def repair_id(app, env, post="model_room", **kw) -> int:
    with app.test_request_context():
        return make_repair(env.site, env.users[post], **kw).id


def test_two_taps_from_the_today_screen_to_the_form_with_the_posts_room(app, env):
    """The model room's today screen has "Report a repair" and the form offers the kinds and the places; the water
    bar's form has its bar ticked (its only place)."""
    keeper = login(app, env.names["model_room"])
    assert 'href="/repairs/new"' in keeper.get("/").text
    html = keeper.get("/repairs/new").text
    for word in ("Broken fitting", "Lift", "Fit-out defect"):
        assert text(app, word) in html
    assert f'value="{env.room}"' in html and 'capture="environment"' in html
    assert f'value="{env.bar}" checked' in login(app, env.names["water_bar"]).get("/repairs/new").text


def test_reporting_goes_to_the_repair_page_once(app, env):
    """The form records the repair with its photo and shows its page; the same form again is the same repair."""
    keeper = login(app, env.names["model_room"])
    data = FORM | {"location_id": str(env.room), "urgent": "1", "photos": (png(), "p.png")}
    r = keeper.post("/repairs/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    again = keeper.post("/repairs/new", data=FORM | {"location_id": str(env.room)})
    assert again.headers["Location"] == r.headers["Location"]
    page = keeper.get(r.headers["Location"]).text
    assert text(app, "Repair reported. The lead and the manager see it now.") in page
    assert "卫生间水龙头漏水" in page and "主卫" in page and 'class="thumb"' in page
    assert count_rows(Repair, app=app) == 1 and count_rows(RepairPhoto, app=app) == 1


@pytest.mark.parametrize("over, field, message", [
    ({"location_id": ""}, "location_id", "Choose where it is."),
    ({"kind": ""}, "kind", "Choose from the list."),
    ({"description": " "}, "description", "Say what is wrong."),
])
def test_a_bad_report_is_422_under_its_field(app, env, over, field, message):
    """No place, no kind, no text: 422 with the message under that field, what was typed kept, nothing saved."""
    guard = login(app, env.names["security"])
    r = guard.post("/repairs/new", data=FORM | {"location_id": str(env.gate)} | over)
    assert r.status_code == 422
    assert f'<small class="error" id="{field}-err">{text(app, message)}</small>' in r.text
    assert count_rows(Repair, app=app) == 0


def test_a_place_of_another_site_is_422(app, env):
    """Another site's room id in the form: refused under the place, nothing saved."""
    r = login(app, env.names["model_room"]).post("/repairs/new", data=FORM | {"location_id": str(env.other_room)})
    assert r.status_code == 422 and text(app, "Choose where it is.") in r.text
    assert count_rows(Repair, app=app) == 0


def test_the_lead_assigns_records_fixed_and_checks_on_the_page(app, env):
    """A contractor without a name is 422 under the company; then assigned, fixed, checked: each on the timeline."""
    rid = repair_id(app, env)
    lead = login(app, env.names["lead"])
    page = lead.get(f"/repairs/{rid}").text
    assert "assign-btn" in page and "fixed-btn" not in page
    r = lead.post(f"/repairs/{rid}/assign", data={"to": "contractor", "company": "", "idem": "assign000001"})
    assert r.status_code == 422
    name_it = text(app, "Enter the contractor's name.")
    assert f'<small class="error" id="company-err">{name_it}</small>' in r.text
    contractor = {"to": "contractor", "company": "鑫达维修", "contact": "李师傅", "phone": "138 0013 8000",
                  "idem": "assign000002"}
    assert lead.post(f"/repairs/{rid}/assign", data=contractor).status_code == 302
    r = lead.post(f"/repairs/{rid}/check", data={"outcome": "ok", "idem": "check0000001"})
    assert r.status_code == 422 and text(app, "Only a repair recorded fixed is checked.") in r.text
    assert lead.post(f"/repairs/{rid}/fixed", data={"fix_note": "已更换阀芯", "idem": "fixed0000001",
                                                    "photos": (png(), "f.png")},
                     content_type="multipart/form-data").status_code == 302
    assert lead.post(f"/repairs/{rid}/check", data={"outcome": "ok", "idem": "check0000002"}).status_code == 302
    page = lead.get(f"/repairs/{rid}").text
    assert "鑫达维修 · 李师傅 · 13800138000" in page and "已更换阀芯" in page and 'href="tel:13800138000"' in page
    assert page.count('class="thumb"') == 1 and "assign-btn" not in page and "check-btn" not in page
    with app.app_context():
        assert db.session.get(Repair, rid).status == "checked"


def test_a_double_tap_on_assign_assigns_once(app, env):
    """The assign form sent twice with its key: one "assigned" step."""
    rid = repair_id(app, env)
    lead = login(app, env.names["lead"])
    for _ in range(2):
        assert lead.post(f"/repairs/{rid}/assign", data={"to": "cleaners", "idem": "assign000009"}).status_code == 302
    assert count_rows(RepairEvent, RepairEvent.kind == "assigned", app=app) == 1


@pytest.mark.parametrize("post", ["water_bar", "model_room", "security", "concierge"])
def test_floor_posts_read_the_page_without_the_leads_forms(app, env, post):
    """Staff open a repair of the site without assign, fixed or check forms, and their POSTs are 403."""
    rid = repair_id(app, env, "water_bar", where="water_bar")
    client = login(app, env.names[post])
    html = client.get(f"/repairs/{rid}").text
    assert "卫生间水龙头漏水" in html
    for button in ("assign-btn", "fixed-btn", "check-btn"):
        assert button not in html
    assert client.post(f"/repairs/{rid}/assign", data={"to": "cleaners"}).status_code == 403


def test_another_sites_repair_is_404_and_nothing_is_written(app, env):
    """A manager of another site asking for this site's repair and its steps: 404, the database unchanged."""
    rid = repair_id(app, env)
    boss = login(app, f"manager{env.other}")
    with app.app_context():
        before = snapshot()
    assert boss.get(f"/repairs/{rid}").status_code == 404
    assert boss.post(f"/repairs/{rid}/assign", data={"to": "cleaners", "idem": "other0000001"}).status_code == 404
    assert boss.post(f"/repairs/{rid}/check", data={"outcome": "ok"}).status_code == 404
    with app.app_context():
        assert snapshot() == before


def test_a_served_photo_and_another_repairs_photo(app, env):
    """A repair's photo is served to the site's staff; asked under another repair it is 404."""
    keeper = login(app, env.names["model_room"])
    keeper.post("/repairs/new", data=FORM | {"location_id": str(env.room), "photos": (png(), "p.png")},
                content_type="multipart/form-data")
    other = repair_id(app, env, "water_bar", where="water_bar")
    with app.app_context():
        photo = db.session.scalar(select(RepairPhoto))
    assert keeper.get(f"/repairs/{photo.repair_id}/photos/{photo.id}").status_code == 200
    assert keeper.get(f"/repairs/{other}/photos/{photo.id}").status_code == 404


def test_staff_list_their_own_and_their_places(app, env):
    """The water bar's /repairs lists the bar's repair and its own, not the model room's."""
    bar = repair_id(app, env, "concierge", where="water_bar", description="制冰机不制冰")
    repair_id(app, env, "model_room", description="窗帘轨道脱落")
    html = login(app, env.names["water_bar"]).get("/repairs/").text
    assert "制冰机不制冰" in html and "窗帘轨道脱落" not in html and f"/repairs/{bar}" in html


def test_the_leads_list_shows_age_counts_and_filters(app, env):
    """Every open repair, the oldest first and marked as waiting long; counts by place and kind; a place filter."""
    old = repair_id(app, env, description="电梯按钮失灵", kind="lift", where="gate")
    repair_id(app, env, description="地板起翘", kind="fitout")
    with app.app_context(), write_tx():
        five_days = db.session.get(Repair, old).reported_at - timedelta(days=5)
        db.session.execute(update(Repair).where(Repair.id == old).values(reported_at=five_days))
    lead = login(app, env.names["lead"])
    html = lead.get("/repairs/").text
    assert html.index("电梯按钮失灵") < html.index("地板起翘")
    assert html.count("rp-overdue") == 1 and text(app, "Waiting long") in html
    assert text(app, "Open: %(n)s", n=2) in html
    only_room = lead.get(f"/repairs/?place={env.room}").text
    assert "地板起翘" in only_room and "电梯按钮失灵" not in only_room
    r = lead.get("/repairs/?kind=ghost")
    assert r.status_code == 422 and text(app, "Choose from the list.") in r.text


def test_the_leads_glance_is_a_fragment(app, env):
    """The lead's today screen loads the open repairs as a section (htmx: the fragment alone)."""
    repair_id(app, env, description="地板起翘", kind="fitout")
    lead = login(app, env.names["lead"])
    assert 'hx-get="/repairs/open"' in lead.get("/").text
    frag = lead.get("/repairs/open", headers=HX).text
    assert "<html" not in frag and "地板起翘" in frag


def test_any_range_and_its_excel(app, env):
    """The range lists what was reported in it, any state; the export has a row per repair with its steps."""
    rid = repair_id(app, env)
    with app.test_request_context():
        from tests.repairs.cast import site as site_of
        r = fixed(env, to_contractor(env, db.session.get(Repair, rid)))
        services.check(site_of(env), db.session.get(User, env.users["lead"]), r, outcome="ok")
    lead = login(app, env.names["lead"])
    html = lead.get("/repairs/range?state=checked").text
    assert "卫生间水龙头漏水" in html
    r = lead.get("/repairs/range?format=xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 2 and "鑫达维修" in [c.value for c in ws[2]]
    bad = lead.get("/repairs/range?from=2026-02-30")
    assert bad.status_code == 422


def test_register_the_crew_from_the_repair_and_see_it_both_ways(app, env):
    """The model room taps "Register the crew" on its room's repair: the form is for that room and repair; once
    registered the crew's page names the repair, and the repair's page lists the crew with its counts."""
    rid = repair_id(app, env)
    with app.test_request_context():
        to_contractor(env, db.session.get(Repair, rid))
    keeper = login(app, env.names["model_room"])
    assert f'href="/workers/new?repair_id={rid}"' in keeper.get(f"/repairs/{rid}").text
    form = keeper.get(f"/workers/new?repair_id={rid}").text
    assert f'name="repair_id" value="{rid}"' in form and "鑫达维修" in form and f'value="{env.room}" checked' in form
    r = keeper.post("/workers/new", data={
        "location_id": str(env.room), "company": "鑫达维修", "name-0": "李师傅", "phone-0": "13800138000",
        "purpose": "repair", "supervisor_id": str(env.users["model_room"]), "repair_id": str(rid),
        "idem": "crew00000001"})
    assert r.status_code == 302
    assert f'href="/repairs/{rid}"' in keeper.get(r.headers["Location"]).text
    page = keeper.get(f"/repairs/{rid}").text
    assert "李师傅" in page and text(app, "Count before") in page
    with app.app_context():
        assert db.session.scalar(select(RepairCrew.repair_id)) == rid


def test_a_crew_for_another_sites_repair_is_422(app, env):
    """A repair id of another site in the register's form: 422, nobody registered."""
    with app.test_request_context():
        other = services.report(db.session.get(Site, env.other), db.session.get(User, env.other_boss), kind="lift",
                                location_id=env.other_room, description="电梯异响")
    keeper = login(app, env.names["model_room"])
    r = keeper.post("/workers/new", data={
        "location_id": str(env.room), "company": "鑫达维修", "name-0": "李师傅", "phone-0": "13800138000",
        "purpose": "repair", "supervisor_id": str(env.users["model_room"]), "repair_id": str(other.id),
        "idem": "crew00000002"})
    assert r.status_code == 422 and text(app, "This repair is not one of this site's.") in r.text
    assert count_rows(WorkerEntry, app=app) == 0


def test_the_handover_lists_and_links_the_rooms_open_repair(app, env):
    """The model room's handover draft shows its room's open repair with a link to it."""
    from hospitality.handover import services as handover
    rid = repair_id(app, env)
    with app.test_request_context():
        colleague = User(site_id=env.site, username="keeper2", name="接班人", badge_no="K2", post="model_room",
                         password_hash="x")
        with write_tx():
            db.session.add(colleague)
        ho = handover.start(db.session.get(Site, env.site), db.session.get(User, env.users["model_room"]),
                            colleague.id, None)
    page = login(app, env.names["model_room"]).get(f"/handover/{ho.id}").text
    assert text(app, "Open repair") in page and f'href="/repairs/{rid}"' in page


def test_an_incident_handed_to_a_repair_becomes_one(app, env):
    """An incident handed over to "repair" offers "Report it as a repair": the form comes filled in (the place,
    a broken fitting, the text) and the repair links back to the incident; another site's incident is refused."""
    from hospitality.incidents import services as incidents
    from hospitality.models.incidents import Incident
    from tests.factories import make_incident
    with app.test_request_context():
        i = make_incident(env.site, env.users["model_room"], kind="damage", where="model_room",
                          description="样板间1吊灯松动").id
        incidents.hand_over(db.session.get(Site, env.site), db.session.get(User, env.users["lead"]),
                            db.session.get(Incident, i), "repair", None)
        elsewhere = make_incident(env.other, env.other_boss, kind="damage", where="model_room").id
    lead = login(app, env.names["lead"])
    assert f'href="/repairs/new?incident_id={i}"' in lead.get(f"/incidents/{i}").text
    form = lead.get(f"/repairs/new?incident_id={i}").text
    assert "样板间1吊灯松动" in form and f'value="{env.room}" checked' in form and 'value="fitting" checked' in form
    r = lead.post("/repairs/new", data={"kind": "fitting", "location_id": str(env.room), "description": "吊灯松动",
                                        "incident_id": str(i), "idem": "fromincident1"})
    assert r.status_code == 302 and f'href="/incidents/{i}"' in lead.get(r.headers["Location"]).text
    bad = lead.post("/repairs/new", data={"kind": "fitting", "location_id": str(env.room), "description": "吊灯",
                                          "incident_id": str(elsewhere), "idem": "fromincident2"})
    assert bad.status_code == 422 and text(app, "This incident is not one of this site's.") in bad.text
    assert count_rows(Repair, app=app) == 1
