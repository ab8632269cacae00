"""Patrol pages: tonight's round, a code's scan form (422 under its field, refusals 404/403 recorded), a problem
passed on, the night report and its workbook, the sheet of codes, the manager's checkpoints, other sites' ids (404,
nothing written), and the today screens (security's round, the lead's glance with missed rounds)."""
import io
import re
from contextlib import contextmanager

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hospitality import qr
from hospitality.clock import travel_to
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Location
from hospitality.models.incidents import Incident
from hospitality.models.patrol import Checkpoint, PatrolScan
from tests.factories import location, make_site, patrol_env, png
from tests.harness import HX, count_rows, counting, login, msg, snapshot, text

NOT_FOUND = "Not found. It may belong to another site or have been removed."


@pytest.fixture
def env(app):
    with app.app_context():
        return patrol_env(app)


@contextmanager
def at(env, hh: int, mm: int = 0):
    with travel_to(env.at(hh, mm), frozen=True):
        yield


def phone(app, env, key: str):
    """A test client logged in as one of the env's people."""
    return login(app, f"{key}{env.site}")


def err(app, field: str, msgid: str, **kw) -> str:
    return f'<small class="error" id="{field}-err">{text(app, msgid, **kw)}</small>'


def scans(app, *where) -> list[tuple]:
    with app.app_context():
        return [(s.status, s.refusal, s.user_id, s.checkpoint_id, s.method, s.problem) for s in db.session.scalars(
            select(PatrolScan).where(*where).order_by(PatrolScan.id))]


def scanned(app, env, key: str, i: int, **form) -> int:
    """The i-th checkpoint's code scanned and sent by `key` (all normal unless told); the scan's id."""
    client = phone(app, env, key)
    r = client.post(f"/c/{env.tokens[i]}", data={"ok": "1"} | form, content_type="multipart/form-data")
    assert r.status_code == 302, r.text[:400]
    with app.app_context():
        return db.session.scalar(select(PatrolScan.id).where(PatrolScan.checkpoint_id == env.points[i])
                                 .order_by(PatrolScan.id.desc()).limit(1))


# Tonight and the scan form


@pytest.mark.parametrize("key", ["guard", "lead", "boss"])
def test_tonights_round_lists_the_checkpoints_still_to_visit(app, env, key):
    """Security, the lead and the manager see the open round and a tap link for each checkpoint not yet visited."""
    with at(env, 23, 40):
        scanned(app, env, "guard", 0)
        page = phone(app, env, key).get("/patrol").text
    assert text(app, "Round %(slot)s", slot="23:30") in page
    assert text(app, "%(done)s of %(n)s checkpoints", done=1, n=len(env.points)) in page
    todo = page.split('class="patrol-todo"')[1].split("</ul>")[0]
    assert f"/patrol/checkpoints/{env.points[0]}/tap" not in todo
    for cp_id, name in zip(env.points[1:], env.names[1:], strict=True):
        assert f"/patrol/checkpoints/{cp_id}/tap" in todo and name in todo


def test_outside_the_rounds_the_page_names_the_next_one(app, env):
    """At noon no round is open: the page says so and names the next (17:30)."""
    with at(env, 11, 0):
        page = phone(app, env, "guard").get("/patrol").text
    assert text(app, "No round is open now.") in page
    assert text(app, "Next round: %(time)s.", time="17:30") in page
    assert 'class="patrol-todo"' not in page


def test_by_day_the_rounds_shown_are_said_to_be_last_nights(app, env):
    """At noon the night is over: its rounds are labelled as last night's (with its date), a link to that night's
    report for the lead; at night they are tonight's, unlabelled."""
    night = env.at(23, 0).date()
    with at(env, 11, 0):
        guard_page = phone(app, env, "guard").get("/").text
        lead_page = phone(app, env, "lead").get("/patrol").text
    section = guard_page.split('id="patrol-tonight"')[1].split("</section>")[0]
    assert 'class="patrol-last"' in section and f"{night.month}月{night.day}日" in section
    assert "/patrol/night" not in section  # the guard has no report: a label, not a link
    assert f'href="/patrol/night?day={night.isoformat()}"' in lead_page
    with at(env, 23, 40):
        page = phone(app, env, "guard").get("/").text
    assert 'class="patrol-last"' not in page.split('id="patrol-tonight"')[1].split("</section>")[0]


def test_a_code_opens_the_scan_form_and_all_normal_is_recorded(app, env):
    """The guard's code page has "All normal" and the problem picks; one tap records a scan and goes to the round."""
    with at(env, 23, 40):
        guard = phone(app, env, "guard")
        page = guard.get(f"/c/{env.tokens[2]}").text
        assert 'name="ok" value="1"' in page and 'name="ok" value="0"' in page and 'name="problem"' in page
        assert env.names[2] in page and text(app, "Round %(slot)s", slot="23:30") in page
        r = guard.post(f"/c/{env.tokens[2]}", data={"ok": "1", "idem": "scanform0001"})
        assert r.status_code == 302 and r.headers["Location"].endswith("/patrol")
        again = guard.post(f"/c/{env.tokens[2]}", data={"ok": "1", "idem": "scanform0001"})
        assert again.status_code == 302
        page = guard.get("/patrol").text
    assert text(app, "%(name)s was already checked in this round: the first check counts.", name=env.names[2]) in page
    assert scans(app) == [("ok", None, env.users["guard"], env.points[2], "scan", None)]


def test_a_tap_from_the_list_is_recorded_as_tapped(app, env):
    """The same form opened from the list (a damaged code): the scan is recorded as tapped."""
    with at(env, 23, 40):
        r = phone(app, env, "guard").post(f"/patrol/checkpoints/{env.points[1]}/tap", data={"ok": "1"})
    assert r.status_code == 302
    assert scans(app) == [("ok", None, env.users["guard"], env.points[1], "tap", None)]


@pytest.mark.parametrize("form, field, message", [
    ({"ok": "0", "problem": "lights"}, "note", "Describe the problem."),
    ({"ok": "0", "note": "灯没关"}, "problem", "Choose what is wrong."),
    ({}, "ok", "Tap All normal or Problem."),
])
def test_a_bad_scan_is_422_with_the_message_under_its_field(app, env, form, field, message):
    """A problem without its note or its kind, or no button: 422, the message under the field, nothing saved."""
    with at(env, 23, 40):
        r = phone(app, env, "guard").post(f"/c/{env.tokens[0]}", data=form)
    assert r.status_code == 422
    assert err(app, field, message) in r.text
    if form.get("note"):  # what was typed comes back in the form
        assert f">{form['note']}</textarea>" in r.text
    assert scans(app) == []


def test_a_required_photo_missing_is_422_and_sent_is_kept(app, env):
    """A checkpoint that needs a photo: without one 422 under the photo; with one the scan keeps it, served back."""
    with app.app_context(), write_tx():
        db.session.get(Checkpoint, env.points[0]).require_photo = True
    with at(env, 23, 40):
        guard = phone(app, env, "guard")
        r = guard.post(f"/c/{env.tokens[0]}", data={"ok": "1"})
        assert r.status_code == 422
        assert err(app, "photo", "This checkpoint needs a photo taken here.") in r.text
        assert scans(app) == []
        scan_id = scanned(app, env, "guard", 0, ok="0", problem="fire", note="插座发烫", photo=(png(), "p.png"))
        photo = guard.get(f"/patrol/scans/{scan_id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_a_bad_token_is_404_and_recorded(app, env):
    """A code that is no checkpoint: 404 with the message, recorded as refused once (a reload not again)."""
    with at(env, 23, 40):
        guard = phone(app, env, "guard")
        for _ in range(2):
            r = guard.get("/c/not-a-real-token")
            assert r.status_code == 404
            assert text(app, "This code is not a checkpoint of this sales centre. Nothing was recorded.") in r.text
    assert scans(app) == [("refused", "unknown", env.users["guard"], None, "scan", None)]


def test_another_sites_code_is_404_and_recorded(app, env):
    """Another sales centre's printed code: 404 with its message, recorded on this site without their checkpoint."""
    with app.app_context():
        other = make_site()
        token = db.session.scalar(select(Checkpoint.token).where(Checkpoint.site_id == other.id).limit(1))
    with at(env, 23, 40):
        r = phone(app, env, "guard").post(f"/c/{token}", data={"ok": "1"})
    assert r.status_code == 404
    assert text(app, "This checkpoint belongs to another sales centre. Nothing was recorded.") in r.text
    assert scans(app) == [("refused", "other_site", env.users["guard"], None, "scan", None)]


def test_the_water_bar_opening_a_code_is_403_and_recorded(app, env):
    """Someone not on the night-shift roster: 403 with the message, recorded with the checkpoint, no form."""
    with at(env, 23, 40):
        r = phone(app, env, "bar").get(f"/c/{env.tokens[3]}")
    assert r.status_code == 403
    assert text(app, "You are not on tonight's night-shift roster. The scan was not counted.") in r.text
    assert 'name="ok"' not in r.text
    assert scans(app) == [("refused", "not_rostered", env.users["bar"], env.points[3], "scan", None)]


def test_a_code_scanned_outside_the_rounds_is_403_and_recorded(app, env):
    """At noon: 403, "no round open", recorded."""
    with at(env, 11, 0):
        r = phone(app, env, "guard").get(f"/c/{env.tokens[0]}")
    assert r.status_code == 403
    assert text(app, "No patrol round is open now. The scan was not counted.") in r.text
    assert scans(app) == [("refused", "no_round", env.users["guard"], env.points[0], "scan", None)]


def test_the_manager_opening_a_code_gets_the_place_page(app, env):
    """The manager's scan of a code offers "set the position here" (nothing recorded)."""
    with at(env, 23, 40):
        page = phone(app, env, "boss").get(f"/c/{env.tokens[0]}").text
    assert text(app, "Set the position here") in page and f"/patrol/checkpoints/{env.points[0]}/place" in page
    assert scans(app) == []


# A problem passed on


def test_a_problem_goes_to_its_page_and_becomes_one_incident(app, env):
    """A fire hazard recorded: its page offers both ways; "Report as an incident" opens one urgent incident, twice
    the same one."""
    with at(env, 23, 40):
        guard = phone(app, env, "guard")
        r = guard.post(f"/c/{env.tokens[6]}", data={"ok": "0", "problem": "fire", "note": "消防通道堆了纸箱"})
        assert r.status_code == 302 and "/patrol/scans/" in r.headers["Location"]
        page = guard.get(r.headers["Location"]).text
        assert text(app, "Report as an incident") in page and text(app, "Task for the morning") in page
        scan_id = int(r.headers["Location"].rsplit("/", 1)[1])
        first = guard.post(f"/patrol/scans/{scan_id}/incident")
        second = guard.post(f"/patrol/scans/{scan_id}/incident")
    assert first.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        incident = db.session.scalar(select(Incident))
        assert (incident.kind, incident.level) == ("fire", "urgent")
        assert first.headers["Location"].endswith(f"/incidents/{incident.id}")
    assert count_rows(Incident, app=app) == 1


def test_the_scan_form_and_a_problems_page_read_their_place_and_people_with_their_rows(app, env):
    """The scan form reads its checkpoint with its place (the page names it), the patrol and the roster; a problem's
    page the scan with its checkpoint and the guard who found it: no statement per relation shown, and on
    PostgreSQL 4 and 2 statements with the session's."""
    with at(env, 23, 40):
        guard = phone(app, env, "guard")
        r = guard.post(f"/c/{env.tokens[6]}", data={"ok": "0", "problem": "fire", "note": "消防通道堆了纸箱"})
        problem = r.headers["Location"]
        guard.get(f"/c/{env.tokens[1]}"), guard.get(problem)  # the statements are prepared from their second reading
        with counting(app) as form:
            page = guard.get(f"/c/{env.tokens[1]}").text
        with counting(app) as found:
            shown = guard.get(problem).text
    with app.app_context():
        point = db.session.get(Checkpoint, env.points[1])
        place, name = point.location.name, point.name
        six = db.session.get(Checkpoint, env.points[6])
        guard_name = db.session.get(PatrolScan, int(problem.rsplit("/", 1)[1])).user.name
    assert name in page and place in page
    assert six.name in shown and guard_name in shown
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert (len(form), len(found)) == (4, 2), (form, found)
    assert not [s for s in form if s.lstrip().upper().startswith("SELECT LOCATIONS")], form
    assert not [s for s in found if s.lstrip().upper().startswith(("SELECT USERS", "SELECT CHECKPOINTS"))], found


def test_a_morning_task_shows_on_security_today_until_marked_done(app, env):
    """Left for the morning: listed on security's today screen; "Done" by htmx returns the list without it."""
    with at(env, 23, 40):
        scan_id = scanned(app, env, "guard", 1, ok="0", problem="ac", note="水吧空调没关")
        guard = phone(app, env, "guard")
        assert guard.post(f"/patrol/scans/{scan_id}/morning").status_code == 302
        again = guard.post(f"/patrol/scans/{scan_id}/incident")  # already passed on
        assert again.status_code == 409
    with at(env, 9, 0):
        day = phone(app, env, "guard")
        assert "水吧空调没关" in day.get("/").text
        r = day.post(f"/patrol/scans/{scan_id}/done", data={"note": "已关"}, headers=HX)
    assert r.status_code == 200 and 'id="patrol-tasks"' in r.text and "<html" not in r.text
    assert "水吧空调没关" not in r.text and text(app, "Nothing left for the morning.") in r.text


# The night report


def _night(app, env) -> None:
    """17:30 round: two checkpoints (one a problem), 18:30 none; a refused scan by the water bar."""
    with at(env, 17, 40):
        scanned(app, env, "guard", 0)
        scanned(app, env, "guard", 1, ok="0", problem="lights", note="水吧灯亮着")
        phone(app, env, "bar").get(f"/c/{env.tokens[2]}")


def test_the_night_report_shows_rounds_problems_and_refusals(app, env):
    """The lead's night report: counts, the problem not passed on yet, the checkpoints never visited, the refusal."""
    _night(app, env)
    with at(env, 8, 40):
        page = phone(app, env, "lead").get(f"/patrol/night?day={env.night.isoformat()}").text
    assert text(app, "%(ok)s on time, %(late)s late, %(missed)s missed of %(n)s rounds", ok=0, late=0, missed=15,
                n=15) in page
    assert text(app, "Not passed on yet") in page
    never = page.split('class="patrol-never"')[1].split("</ul>")[0]
    assert all(name in never for name in env.names[2:]) and env.names[0] not in never
    assert f"/patrol/night?day={env.night.isoformat()}&amp;format=xlsx" in page
    refused = page.split('class="patrol-refused"')[1].split("</ul>")[0]
    assert text(app, "Not on the night roster") in refused


def test_the_night_workbook_has_a_row_per_round_and_scan(app, env):
    """The night's Excel (?format=xlsx) opens in openpyxl: a row per round with its state, then its scans; the
    refusal at the end."""
    _night(app, env)
    with at(env, 8, 40):
        r = phone(app, env, "boss").get(f"/patrol/night?day={env.night.isoformat()}&format=xlsx")
    assert r.status_code == 200 and f"patrol-{env.night.isoformat()}.xlsx" in r.headers["Content-Disposition"]
    rows = [list(row) for row in load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)]
    missed = msg(app, "Missed")
    rounds = [row for row in rows[1:] if row[1] and row[0] and not row[3]]
    assert [row[0] for row in rounds] == ["17:30", "18:30", "19:30", "20:30", "21:30", "22:30", "23:30", "00:30",
                                          "01:30", "02:30", "03:30", "04:30", "05:30", "06:30", "07:30"]
    assert all(row[1] == missed for row in rounds)
    scan_rows = [row for row in rows[1:] if row[0] == "17:30" and row[3] and not row[1]]
    assert [row[3] for row in scan_rows] == env.names[:2]
    assert scan_rows[1][7] == "水吧灯亮着"
    assert rows[-1][3] == env.names[2]  # the refused scan, last


# Codes and checkpoints (the manager)


def test_the_sheet_has_one_code_per_active_checkpoint_with_its_url(app, env, monkeypatch):
    """One <svg> per active checkpoint (a retired one left off); each code encodes the URL /c/<token>."""
    with app.app_context(), write_tx():
        db.session.get(Checkpoint, env.points[-1]).active = False
    manager = phone(app, env, "boss")
    page = manager.get("/patrol/checkpoints/sheet").text
    assert page.count("<svg") == len(env.points) - 1
    urls = []
    monkeypatch.setattr(qr, "svg", lambda url: urls.append(url) or "<svg></svg>")
    page = manager.get("/patrol/checkpoints/sheet").text
    assert [re.sub(r"^https?://[^/]+", "", u) for u in urls] == [f"/c/{t}" for t in env.tokens[:-1]]
    assert all(u.startswith("http") for u in urls)
    assert all(name in page for name in env.names[:-1]) and env.names[-1] not in page


def test_a_code_is_drawn_as_an_inline_svg():
    """The QR drawing is an inline SVG made on the server (segno), not an image file."""
    code = qr.svg("http://localhost/c/abc")
    assert code.startswith("<svg") and "</svg>" in code


def test_the_checkpoints_page_lists_them_with_their_state(app, env):
    """The manager's checkpoints: each in walking order with its place, whether it has a position, the sheet's link."""
    with app.app_context(), write_tx():
        placed = db.session.get(Checkpoint, env.points[1])
        placed.lat, placed.lng = 22.5431, 114.0579
    page = phone(app, env, "boss").get("/patrol/checkpoints").text
    titles = re.findall(r'<span class="card-title">([^<]+)</span>', page)
    assert titles == env.names
    assert page.count(text(app, "position set")) == 1
    assert page.count(text(app, "no position yet: scan its code there")) == len(env.points) - 1
    assert 'href="/patrol/checkpoints/sheet"' in page


def test_the_manager_adds_and_edits_a_checkpoint(app, env):
    """A new checkpoint at a place, with a photo required: saved last in the walking order, with a token."""
    with app.app_context():
        gate = location(env.site, "gate").id
    manager = phone(app, env, "boss")
    r = manager.post("/patrol/checkpoints", data={"name": "大门", "location_id": str(gate), "require_photo": "1"})
    assert r.status_code == 302
    with app.app_context():
        cp = db.session.scalar(select(Checkpoint).where(Checkpoint.site_id == env.site, Checkpoint.name == "大门"))
        assert (cp.location_id, cp.require_photo, cp.active, len(cp.token) >= 20) == (gate, True, True, True)
        cp_id = cp.id
    r = manager.post(f"/patrol/checkpoints/{cp_id}", data={"name": "正门", "location_id": str(gate)})
    assert r.status_code == 302
    with app.app_context():
        cp = db.session.get(Checkpoint, cp_id)
        assert (cp.name, cp.require_photo, cp.active) == ("正门", False, False)  # unticked boxes: off


def test_bad_checkpoint_input_is_422_with_the_message(app, env):
    """Empty name, a name in use, another site's place: 422 with the message under the field, nothing written."""
    with app.app_context():
        other = make_site()
        theirs = db.session.scalar(select(Location.id).where(Location.site_id == other.id).limit(1))
        ours = location(env.site, "gate").id
    manager = phone(app, env, "boss")
    with app.app_context():
        before = snapshot()
    cases = [
        ("/patrol/checkpoints", {"name": "", "location_id": str(ours)}, "name", "Give the checkpoint a name."),
        ("/patrol/checkpoints", {"name": env.names[1], "location_id": str(ours)}, "name",
         "Another checkpoint already has this name."),
        ("/patrol/checkpoints", {"name": "新点", "location_id": str(theirs)}, "location_id",
         "Choose the area it is in."),
        (f"/patrol/checkpoints/{env.points[0]}", {"name": env.names[1], "location_id": str(ours), "active": "1"},
         f"{env.points[0]}-name", "Another checkpoint already has this name."),
        (f"/patrol/checkpoints/{env.points[0]}", {"name": " ", "location_id": str(ours), "active": "1"},
         f"{env.points[0]}-name", "Give the checkpoint a name."),
    ]
    for url, form, field, message in cases:
        r = manager.post(url, data=form)
        assert r.status_code == 422, url
        assert err(app, field, message) in r.text, (url, form)
    r = manager.post(f"/patrol/checkpoints/{env.points[0]}", data={"name": "新点", "location_id": str(theirs)})
    assert r.status_code == 422
    assert err(app, f"{env.points[0]}-location_id", "Choose the area it is in.") in r.text
    assert re.search(r'<details class="checkpoint"\s+open>', r.text)  # the edited one shows its message
    with app.app_context():
        assert snapshot() == before


def test_placing_a_checkpoint_needs_a_position(app, env):
    """No position from the phone: 422 with the message; with one the checkpoint keeps it."""
    manager = phone(app, env, "boss")
    r = manager.post(f"/patrol/checkpoints/{env.points[0]}/place", data={"lat": "", "lng": ""})
    assert r.status_code == 422
    assert err(app, "position", "The phone gave no position. Allow location for this site and try again.") in r.text
    with app.app_context():
        assert db.session.get(Checkpoint, env.points[0]).lat is None
    r = manager.post(f"/patrol/checkpoints/{env.points[0]}/place", data={"lat": "22.5431", "lng": "114.0579",
                                                                        "accuracy": "8"})
    assert r.status_code == 302
    with app.app_context():
        cp = db.session.get(Checkpoint, env.points[0])
        assert (cp.lat, cp.lng, cp.placed_at is not None) == (22.5431, 114.0579, True)


def test_another_sites_scans_and_checkpoints_are_404(app, env):
    """The manager of A asking for B's scan or checkpoint gets 404 and nothing is written."""
    with app.app_context():
        b = patrol_env(app, env.night)
    with at(env, 23, 40):
        b_scan = scanned(app, b, "guard", 0, ok="0", problem="door", note="门没锁")
        manager, guard = phone(app, env, "boss"), phone(app, env, "guard")
        with app.app_context():
            logged_in = snapshot()
        requests = [
            (manager, "GET", f"/patrol/scans/{b_scan}", {}),
            (manager, "GET", f"/patrol/scans/{b_scan}/photo", {}),
            (manager, "POST", f"/patrol/scans/{b_scan}/incident", {}),
            (manager, "POST", f"/patrol/scans/{b_scan}/morning", {}),
            (manager, "POST", f"/patrol/scans/{b_scan}/done", {"note": "x"}),
            (manager, "POST", f"/patrol/checkpoints/{b.points[0]}", {"name": "x", "location_id": "1"}),
            (manager, "POST", f"/patrol/checkpoints/{b.points[0]}/place", {"lat": "22.5", "lng": "114"}),
            (guard, "GET", f"/patrol/checkpoints/{b.points[0]}/tap", {}),
            (guard, "POST", f"/patrol/checkpoints/{b.points[0]}/tap", {"ok": "1"}),
        ]
        for client, method, url, form in requests:
            r = client.open(url, method=method, data=form)
            assert r.status_code == 404, (method, url)
            assert text(app, NOT_FOUND) in r.text
    with app.app_context():
        assert snapshot() == logged_in


# Today screens


def test_security_today_shows_the_open_round_and_what_is_left(app, env):
    """The guard's today screen has the "Night patrol" section: the open round and the checkpoints still to visit."""
    with at(env, 23, 40):
        scanned(app, env, "guard", 0)
        page = phone(app, env, "guard").get("/").text
    section = page.split('id="patrol-tonight"')[1].split("</section>")[0]
    assert text(app, "Night patrol") in section and text(app, "Round %(slot)s", slot="23:30") in section
    assert f"/patrol/checkpoints/{env.points[1]}/tap" in section
    assert f"/patrol/checkpoints/{env.points[0]}/tap" not in section


@pytest.mark.parametrize("key", ["lead", "boss"])
def test_the_leads_today_loads_the_patrol_glance(app, env, key):
    """The lead's and the manager's today screen loads /patrol/glance in its own section."""
    page = phone(app, env, key).get("/").text
    assert 'hx-get="/patrol/glance"' in page and 'id="patrol-glance"' in page


def test_the_glance_is_a_page_of_its_own_on_a_plain_get(app, env):
    """The section's link, opened before it loads (or without htmx), is a whole page with the section in it."""
    with at(env, 20, 45):
        r = phone(app, env, "boss").get("/patrol/glance")
    assert r.status_code == 200 and "<html" in r.text and 'id="patrol-glance"' in r.text
    assert 'class="screen-title"' in r.text


def test_the_glance_shows_missed_rounds_in_an_alert(app, env):
    """Missed rounds stand out (an alert with the counts); a night without one missed shows none."""
    with at(env, 17, 40):
        calm = phone(app, env, "lead").get("/patrol/glance", headers=HX)
    assert calm.status_code == 200 and 'id="patrol-glance"' in calm.text and "<html" not in calm.text
    assert 'role="alert"' not in calm.text
    with at(env, 20, 45):
        page = phone(app, env, "lead").get("/patrol/glance", headers=HX).text
    alert = page.split('role="alert"')[1].split("</p>")[0]
    assert text(app, "%(ok)s on time, %(late)s late, %(missed)s missed of %(n)s rounds", ok=0, late=0, missed=3,
                n=15) in alert
