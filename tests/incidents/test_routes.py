"""Incident pages: the report form (422 under the field, photos), the incident's page and its actions, other sites'
ids (404, nothing written), the list with filters and its Excel export, the monthly counts, the drills."""
import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.i18n import ptext
from hospitality.incidents import services
from hospitality.models import Location, User
from hospitality.models.incidents import Incident, IncidentPhoto
from tests.factories import Upload, location, make_incident, png, site_of, visit_env, who
from tests.harness import HX, count_rows, counting, login, snapshot, text


@pytest.fixture
def env(app):
    return visit_env(app)


def report(env, **over) -> dict:
    with_gate = {"kind": "suspicious", "level": "note", "description": "门口有推销人员", "idem": "form00000001"}
    return with_gate | over


def incident_text(app, msgid: str) -> str:
    """A word of an incident's state or timeline (message context "incident") as the page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return str(escape(ptext("incident", msgid)))


def gate(app, env) -> int:
    with app.app_context():
        return location(env.site, "gate").id


def test_report_form_offers_kinds_places_and_the_posts_own_place(app, env):
    """The bar's form has the eight kinds, the site's places (the bar ticked), note/urgent and the camera."""
    bar = login(app, env.names["water_bar"])
    html = bar.get("/incidents/new").text
    for word in ("Suspicious person or hawker", "Leak or power failure", "Urgent"):
        assert text(app, word) in html
    with app.app_context():
        bar_id = location(env.site).id
    assert f'value="{bar_id}" checked' in html
    assert 'capture="environment"' in html and 'enctype="multipart/form-data"' in html


def test_reporting_goes_to_the_incident_page(app, env):
    """Posting the form records the incident once (a double tap too) and shows its page with the timeline."""
    desk = login(app, env.names["concierge"])
    data = report(env, location_id=str(gate(app, env)), level="urgent", photos=(png(), "p.png"))
    r = desk.post("/incidents/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    r2 = desk.post("/incidents/new", data=report(env, location_id=str(gate(app, env)), level="urgent"))
    assert r2.headers["Location"] == r.headers["Location"]
    page = desk.get(r.headers["Location"]).text
    assert text(app, "Incident reported. The lead, the manager and security see it now.") in page
    assert "门口有推销人员" in page and text(app, "Reported") in page and 'class="thumb"' in page
    assert count_rows(Incident, app=app) == 1 and count_rows(IncidentPhoto, app=app) == 1


@pytest.mark.parametrize("over, field, message", [
    ({"kind": ""}, "kind", "Choose from the list."),
    ({"location_id": ""}, "location_id", "Choose where it happened."),
    ({"description": ""}, "description", "Say what happened."),
])
def test_a_bad_report_is_422_under_its_field(app, env, over, field, message):
    """A missing kind, place or text: 422, the message under that field, nothing saved."""
    guard = login(app, env.names["security"])
    r = guard.post("/incidents/new", data=report(env, location_id=str(gate(app, env))) | over)
    assert r.status_code == 422
    assert f'<small class="error" id="{field}-err">{text(app, message)}</small>' in r.text
    assert count_rows(Incident, app=app) == 0


def test_a_file_that_is_not_a_photo_is_422_with_its_message(app, env):
    """A PDF in the photo field is refused under it; the text typed stays in the form."""
    guard = login(app, env.names["security"])
    data = report(env, location_id=str(gate(app, env)), photos=(io.BytesIO(b"%PDF-1.4"), "x.pdf"))
    r = guard.post("/incidents/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 422
    assert text(app, "This is not a photo (JPEG, PNG or WebP).") in r.text and "门口有推销人员" in r.text
    assert count_rows(Incident, app=app) == 0


def test_the_visit_page_offers_a_report_tied_to_the_group(app, env):
    """From a visit's page the form names the group and the incident is tied to it."""
    from hospitality.visits import services as visits
    with app.test_request_context():
        v = visits.record_arrival(site_of(env), who(env, "security"), 3, True, "粤B12345", None).id
    desk = login(app, env.names["concierge"])
    assert f"/incidents/new?visit_id={v}" in desk.get(f"/visits/{v}").text
    assert "粤B12345" in desk.get(f"/incidents/new?visit_id={v}").text
    r = desk.post("/incidents/new", data=report(env, kind="quarrel", location_id=str(gate(app, env)),
                                                visit_id=str(v)))
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Incident.visit_id)) == v


def test_acknowledge_hand_over_and_close_on_the_page(app, env):
    """Security acknowledges and hands it to the police, the lead closes it: each shows on the timeline."""
    with app.test_request_context():
        i = make_incident(env.site, env.users["water_bar"], level="urgent").id
    guard, lead = login(app, env.names["security"]), login(app, env.names["lead"])
    assert guard.post(f"/incidents/{i}/acknowledge").status_code == 302
    assert guard.post(f"/incidents/{i}/hand", data={"to": "police", "hand_note": "110", "idem": "hand0000001"}
                      ).status_code == 302
    r = lead.post(f"/incidents/{i}/close", data={"outcome": ""})
    assert r.status_code == 422 and text(app, "Say how it ended.") in r.text
    assert lead.post(f"/incidents/{i}/close", data={"outcome": "已劝离"}).status_code == 302
    page = lead.get(f"/incidents/{i}").text
    for word in ("Acknowledged", "Police"):
        assert text(app, word) in page
    for word in ("Handed over", "Closed"):
        assert incident_text(app, word) in page
    assert "已劝离" in page
    with counting(app) as seen:
        again = lead.get(f"/incidents/{i}").text
    assert "已劝离" in again and incident_text(app, "Handed over") in again
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(seen) == 2, seen  # the session; the incident, its steps and their photos (database.read_panels)


def test_the_water_bar_sees_no_forms_of_others(app, env):
    """The water bar reads a guard's incident, without acknowledge, hand-over, close or action forms."""
    with app.test_request_context():
        i = make_incident(env.site, env.users["security"], level="urgent").id
    html = login(app, env.names["water_bar"]).get(f"/incidents/{i}").text
    assert "门口有推销人员" in html
    for button in ("ack-btn", "hand-btn", "close-btn", "action-btn"):
        assert button not in html
    assert "ack-btn" in login(app, env.names["lead"]).get(f"/incidents/{i}").text


def test_a_served_photo_and_another_incidents_photo(app, env):
    """A photo is served to the site's staff; asked under another incident of the site it is 404."""
    with app.test_request_context():
        i = make_incident(env.site, env.users["security"], files=[Upload(png(), "p.png")]).id
        other = make_incident(env.site, env.users["security"]).id
        pid = db.session.scalar(select(IncidentPhoto.id))
    bar = login(app, env.names["water_bar"])
    r = bar.get(f"/incidents/{i}/photos/{pid}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert bar.get(f"/incidents/{other}/photos/{pid}").status_code == 404


@pytest.mark.parametrize("method, path", [
    ("GET", "/incidents/{i}"), ("POST", "/incidents/{i}/acknowledge"), ("POST", "/incidents/{i}/hand"),
    ("POST", "/incidents/{i}/close"), ("POST", "/incidents/{i}/actions"), ("GET", "/incidents/{i}/photos/{p}"),
])
def test_another_sites_incident_is_404_and_nothing_is_recorded(app, env, method, path):
    """A manager of site A asking for site B's incident gets 404, and nothing is written."""
    from tests.factories import make_user
    with app.test_request_context():
        i = make_incident(env.other, env.other_guard, level="urgent", files=[Upload(png(), "p.png")]).id
        p = db.session.scalar(select(IncidentPhoto.id))
        make_user(env.site, "manager", username="boss-a")
        before = snapshot()
    boss = login(app, "boss-a")
    r = boss.open(path.format(i=i, p=p), method=method,
                  data={"to": "police", "outcome": "x", "note": "x", "idem": "other0000001"})
    assert r.status_code == 404
    with app.app_context():
        now = snapshot()
    assert {k: v for k, v in now.items() if k not in ("login_sessions", "audit_log")} == \
        {k: v for k, v in before.items() if k not in ("login_sessions", "audit_log")}


def test_another_sites_place_is_refused_in_the_form(app, env):
    """A place of another site in the report form: 422 under the field, nothing saved."""
    with app.app_context():
        theirs = db.session.scalar(select(Location.id).where(Location.site_id == env.other))
    r = login(app, env.names["security"]).post("/incidents/new", data=report(env, location_id=str(theirs)))
    assert r.status_code == 422 and text(app, "Choose where it happened.") in r.text
    assert count_rows(Incident, app=app) == 0


def test_the_list_filters_and_exports(app, env):
    """The manager filters by kind, place and state; the export holds the same rows with who acknowledged."""
    with app.test_request_context():
        fire = make_incident(env.site, env.users["security"], kind="fire", level="urgent", where="water_bar")
        make_incident(env.site, env.users["security"], kind="theft")
        make_incident(env.other, env.other_guard, kind="fire")
        services.acknowledge(site_of(env), who(env, "lead"), fire)
        bar = location(env.site).id
    boss = login(app, env.names["manager"])
    html = boss.get(f"/incidents/?kind=fire&place={bar}&state=open").text
    assert html.count('class="inc-row"') == 1 and f"/incidents/{fire.id}" in html
    assert boss.get("/incidents/?kind=ghost").status_code == 422
    r = boss.get("/incidents/?state=open&format=xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3  # the head and site A's two
    assert who_acknowledged(app, env) in [c for row in rows for c in row]


def who_acknowledged(app, env) -> str:
    with app.app_context():
        return who(env, "lead").name


def test_the_list_pages_with_show_more(app, env):
    """More than a page: a "show more" row loads the next page in its place."""
    with app.test_request_context():
        for _ in range(27):
            make_incident(env.site, env.users["security"])
    boss = login(app, env.names["manager"])
    html = boss.get("/incidents/").text
    assert html.count('class="inc-row"') == 25 and 'id="more-rows"' in html
    more = boss.get("/incidents/?page=2", headers=HX | {"HX-Target": "more-rows"}).text
    assert more.count('class="inc-row"') == 2 and "<html" not in more


def test_monthly_counts_and_their_export(app, env):
    """The counts page has a row per month so far and a column per kind; the export a row per kind."""
    with app.test_request_context():
        make_incident(env.site, env.users["security"], kind="fire")
        month = site_of(env).today().month
    boss = login(app, env.names["manager"])
    html = boss.get("/incidents/counts").text
    assert html.count('class="inc-month"') == month and text(app, "Fire hazard") in html
    assert re.search(r'class="inc-year">.*?<strong>1</strong>', html, re.S)
    ws = load_workbook(io.BytesIO(boss.get("/incidents/counts?format=xlsx").data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 10 and rows[-1][-1] == 1


def test_drills_are_recorded_and_listed(app, env):
    """The lead records a fire drill with two people; a day in the future is 422 under the field."""
    lead = login(app, env.names["lead"])
    with app.app_context():
        today = site_of(env).today()
    r = lead.post("/incidents/drills", data={"day": today.isoformat(), "kind": "fire",
                                             "people": [str(env.users["security"]), str(env.users["water_bar"])],
                                             "notes": "灭火器演示", "idem": "drill0000001"})
    assert r.status_code == 302
    html = lead.get("/incidents/drills").text
    assert text(app, "Fire drill") in html and "灭火器演示" in html
    r = lead.post("/incidents/drills", data={"day": (today + timedelta(days=1)).isoformat(), "kind": "fire",
                                             "others": "x"})
    assert r.status_code == 422 and text(app, "A drill is recorded once it has been held.") in r.text


def test_security_and_overseers_see_the_open_incidents(app, env):
    """Security's today screen lists what is open; the lead's loads it after the page; the bar has neither."""
    with app.test_request_context():
        make_incident(env.site, env.users["water_bar"], kind="utility", where="water_bar")
    assert 'id="incidents-open"' in login(app, env.names["security"]).get("/").text
    lead = login(app, env.names["lead"])
    assert 'hx-get="/incidents/open"' in lead.get("/").text
    fragment = lead.get("/incidents/open", headers=HX).text
    assert fragment.startswith('<section id="incidents-open"') and text(app, "Leak or power failure") in fragment
    bar = login(app, env.names["water_bar"]).get("/").text
    assert 'id="incidents-open"' not in bar and "/incidents/new" in bar
    assert count_rows(Incident, app=app) == 1


def test_securitys_screen_shows_the_most_pressing_open_incidents_and_a_link_to_all(app, env):
    """Seven open: security's today screen shows five, the urgent one nobody has acknowledged first although it is
    the oldest, then the newest, and "All 7 open incidents" to the list of all of them; with five open, no link."""
    with app.test_request_context():
        urgent = make_incident(env.site, env.users["concierge"], kind="utility", level="urgent").id
        notes = [make_incident(env.site, env.users["water_bar"], description=f"第{n}件").id for n in range(6)]
    guard = login(app, env.names["security"])
    html = guard.get("/").text
    section = html[html.index('id="incidents-open"'):]
    section = section[:section.index("</section>")]
    shown = [int(i) for i in re.findall(r'href="/incidents/(\d+)"', section)]
    assert shown == [urgent, *notes[::-1][:4]]
    with app.test_request_context():
        words = text(app, "All %(count)s open incidents") % {"count": 7}
    assert words in section and 'href="/incidents/open"' in section
    listed = guard.get("/incidents/open").text
    assert all(f'href="/incidents/{i}"' in listed for i in [urgent, *notes])

    with app.test_request_context():
        lead = db.session.get(User, env.users["lead"])
        for incident_id in notes[:2]:
            services.close(lead.site, lead, db.session.get(Incident, incident_id), "已处理")
    section = guard.get("/").text
    assert len(re.findall(r'class="card inc-card', section)) == 5 and "more-open" not in section


def test_typed_text_that_looks_like_a_formula_is_exported_as_text(app, env):
    """What happened, typed as "=HYPERLINK(...)", is a text cell in the manager's Excel, never a formula."""
    typed = '=HYPERLINK("http://example.com","点我")'
    with app.test_request_context():
        make_incident(env.site, env.users["security"], description=typed)
    r = login(app, env.names["manager"]).get("/incidents/?format=xlsx")
    cells = [c for row in load_workbook(io.BytesIO(r.data)).active.iter_rows() for c in row if c.value == typed]
    assert len(cells) == 1 and cells[0].data_type == "s"


def _phone_photo(seed: int) -> io.BytesIO:
    """A JPEG the size a phone camera sends (over 2 MB: noise does not compress)."""
    import random

    from PIL import Image
    rnd = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (1400, 1400), rnd.randbytes(1400 * 1400 * 3)).save(out, "JPEG", quality=95)
    assert out.tell() > 2 * 1024 * 1024
    out.seek(0)
    return out


def test_three_phone_photos_fit_in_one_report(app, env):
    """Three full-size camera photos in one report are accepted (the request limit leaves room for four)."""
    data = report(env, location_id=str(gate(app, env)),
                  photos=[(_phone_photo(n), f"IMG_{n}.jpg") for n in range(3)])
    r = login(app, env.names["security"]).post("/incidents/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    assert count_rows(IncidentPhoto, app=app) == 3
