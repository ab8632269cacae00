"""Attendance pages: the clock card by htmx, roster and leave forms, 422 with the message, 404 across sites."""
import io
from datetime import date
from html import escape

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from sqlalchemy import select

from hospitality.attendance import leave as leaves
from hospitality.attendance import services
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.attendance import Attendance, LeaveRequest, RosterEntry
from tests.factories import at, att_env, freeze, site_of, who
from tests.harness import count_rows, login

HX = {"HX-Request": "true"}
WED = date(2026, 3, 4)


@pytest.fixture
def env(app, monkeypatch):
    freeze(monkeypatch, at(2026, 3, 4, 8, 40))
    return att_env(app)


def text(app, msgid: str, **kw) -> str:
    """A message as the default (Chinese) page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return escape(gettext(msgid, **kw))


def put(app, env, post, day=WED, code="day"):
    with app.test_request_context():
        return services.add_entry(site_of(env), who(env, "lead"), env.users[post], day, env.shifts[code]).id


def test_clock_in_by_htmx_swaps_the_card_for_the_logged_in_person_only(app, env):
    """A forged user id in the form is ignored: the clock-in is the logged-in person's."""
    put(app, env, "water_bar")
    c = login(app, env.names["water_bar"])
    r = c.post("/attendance/clock-in", data={"idem": "abcdefgh0001", "user_id": env.users["concierge"]},
               headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith("<article id=\"clock\"") and "<html" not in r.text
    assert "clock-out" in r.text and "10" in r.text  # 10 minutes late at 08:40
    with app.app_context():
        rows = db.session.scalars(select(Attendance)).all()
        assert [(a.user_id, a.late_minutes) for a in rows] == [(env.users["water_bar"], 10)]


def test_double_tap_saves_once(app, env):
    """The same form posted twice (a double tap) leaves one clock-in and answers 200 both times."""
    c = login(app, env.names["water_bar"])
    for _ in range(2):
        assert c.post("/attendance/clock-in", data={"idem": "abcdefgh0002"}, headers=HX).status_code == 200
    with app.app_context():
        assert count_rows(Attendance) == 1


def test_clock_in_twice_is_422_with_the_time(app, env):
    """A second clock-in from a new card: 422 and the message in the card."""
    c = login(app, env.names["water_bar"])
    c.post("/attendance/clock-in", data={"idem": "abcdefgh0003"}, headers=HX)
    r = c.post("/attendance/clock-in", data={"idem": "abcdefgh0004"}, headers=HX)
    assert r.status_code == 422
    assert text(app, "You already clocked in at %(time)s.", time="08:40") in r.text
    assert 'id="clock"' in r.text
    with app.app_context():
        assert count_rows(Attendance) == 1


def test_clock_out_without_clock_in_is_422_page_and_fragment(app, env):
    """Clocking out first: the page (plain form) or the card (htmx) says so, nothing saved."""
    c = login(app, env.names["security"])
    r = c.post("/attendance/clock-out", data={"idem": "abcdefgh0005"})
    assert r.status_code == 422 and "<html" in r.text
    assert text(app, "You have not clocked in yet: clock in first.") in r.text
    r = c.post("/attendance/clock-out", data={"idem": "abcdefgh0006"}, headers=HX)
    assert r.status_code == 422 and "<html" not in r.text
    with app.app_context():
        assert count_rows(Attendance) == 0


def test_clock_in_then_out_by_plain_form(app, env, monkeypatch):
    """Without htmx the taps redirect to the attendance page, which shows the times."""
    c = login(app, env.names["lead"])
    assert c.post("/attendance/clock-in", data={"idem": "abcdefgh0007"}).status_code == 302
    freeze(monkeypatch, at(2026, 3, 4, 17, 45))
    assert c.post("/attendance/clock-out", data={"idem": "abcdefgh0008"}).status_code == 302
    page = c.get("/attendance/").text
    assert "08:40" in page and "17:45" in page


def test_roster_add_by_htmx_returns_the_roster_fragment(app, env):
    """The lead adds a person: the roster part is swapped and shows them."""
    c = login(app, env.names["lead"])
    r = c.post("/attendance/roster", data={"user_id": env.users["water_bar"], "shift_id": env.shifts["day"],
                                           "day": "2026-03-05"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="roster">')
    with app.app_context():
        assert "员工" in r.text and count_rows(RosterEntry, RosterEntry.day == date(2026, 3, 5)) == 1


def test_roster_refuses_a_person_on_leave_with_422(app, env):
    """Approved leave that day: 422, the message under the person, nothing added."""
    with app.test_request_context():
        lv = leaves.request_leave(site_of(env), who(env, "water_bar"), WED, WED, "病假", today=WED)
        leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    c = login(app, env.names["lead"])
    r = c.post("/attendance/roster", data={"user_id": env.users["water_bar"], "shift_id": env.shifts["day"],
                                           "day": WED.isoformat()}, headers=HX)
    assert r.status_code == 422
    assert "small class=\"error\"" in r.text
    assert text(app, "%(name)s is on approved leave that day (%(first)s – %(last)s).", name=who_name(app, env),
                first="2026-03-04", last="2026-03-04") in r.text
    with app.app_context():
        assert count_rows(RosterEntry) == 0


def who_name(app, env):
    with app.app_context():
        return who(env, "water_bar").name


@pytest.mark.parametrize("field, value", [("user_id", "other"), ("shift_id", "other"), ("user_id", "abc"),
                                          ("day", "not-a-day")])
def test_roster_bad_input_is_422(app, env, field, value):
    """Another site's person or shift, garbage ids, a bad day: 422 and nothing written."""
    data = {"user_id": env.users["water_bar"], "shift_id": env.shifts["day"], "day": WED.isoformat()}
    data[field] = {"user_id": env.other_users["water_bar"], "shift_id": env.other_shifts["day"]}.get(field) \
        if value == "other" else value
    c = login(app, env.names["manager"])
    r = c.post("/attendance/roster", data=data)
    assert r.status_code == 422 and "<html" in r.text
    with app.app_context():
        assert count_rows(RosterEntry) == 0


def test_other_sites_roster_entry_and_leave_are_404(app, env):
    """The lead of one site cannot remove another site's entry or decide its leave."""
    with app.test_request_context():
        other = db.session.get(Site, env.other)
        from hospitality.models import User
        o_lead, o_wb = (db.session.get(User, env.other_users[p]) for p in ("lead", "water_bar"))
        entry = services.add_entry(other, o_lead, o_wb.id, WED, env.other_shifts["day"]).id
        lv = leaves.request_leave(other, o_wb, "2026-03-10", "2026-03-10", "事假", today=WED).id
    c = login(app, env.names["lead"])
    assert c.post(f"/attendance/roster/{entry}/delete").status_code == 404
    assert c.post(f"/attendance/leave/{lv}/decide", data={"action": "approve"}).status_code == 404
    assert c.get(f"/attendance/sheet?user_id={env.other_users['water_bar']}").status_code == 404
    with app.app_context():
        assert count_rows(RosterEntry) == 1
        assert db.session.get(LeaveRequest, lv).status == "pending"


def test_roster_remove_refused_after_clock_in_is_422(app, env):
    """Removing someone who clocked in: 422 with the message; the entry stays."""
    entry = put(app, env, "water_bar")
    login(app, env.names["water_bar"]).post("/attendance/clock-in", data={"idem": "abcdefgh0009"})
    r = login(app, env.names["lead"]).post(f"/attendance/roster/{entry}/delete", headers=HX)
    assert r.status_code == 422
    with app.app_context():
        assert count_rows(RosterEntry) == 1


def test_copy_last_week_flashes_what_it_did(app, env):
    """Copying into this week reports copied and skipped entries."""
    put(app, env, "water_bar", day=date(2026, 2, 25))
    c = login(app, env.names["lead"])
    r = c.post("/attendance/roster/copy", data={"day": WED.isoformat()}, follow_redirects=True)
    assert r.status_code == 200
    with app.app_context():
        assert count_rows(RosterEntry, RosterEntry.day == WED) == 1


def test_roster_page_shows_leave_and_the_week(app, env):
    """The roster of a day lists who is on leave; the strip has seven days; htmx gets the fragment."""
    with app.test_request_context():
        lv = leaves.request_leave(site_of(env), who(env, "concierge"), WED, WED, "病假", today=WED)
        leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
        name = who(env, "concierge").name
    put(app, env, "water_bar")
    c = login(app, env.names["lead"])
    page = c.get("/attendance/roster?day=2026-03-04").text
    assert page.count('class="strip-day') == 7 and "roster-leave" in page and name in page
    frag = c.get("/attendance/roster?day=2026-03-05", headers=HX).text
    assert "<html" not in frag and 'id="roster"' in frag


def test_leave_that_ends_before_it_starts_is_422(app, env):
    """The form comes back with the message under the last day; nothing saved."""
    c = login(app, env.names["water_bar"])
    r = c.post("/attendance/leave", data={"starts": "2026-03-10", "ends": "2026-03-09", "reason": "事假",
                                          "idem": "abcdefgh0010"})
    assert r.status_code == 422
    assert text(app, "The leave ends before it starts.") in r.text and 'id="ends-err"' in r.text
    with app.app_context():
        assert count_rows(LeaveRequest) == 0


def test_overlapping_leave_is_422(app, env):
    """A second request over the same days is refused with the first one's dates."""
    c = login(app, env.names["water_bar"])
    assert c.post("/attendance/leave", data={"starts": "2026-03-10", "ends": "2026-03-11", "reason": "事假",
                                             "idem": "abcdefgh0011"}).status_code == 302
    r = c.post("/attendance/leave", data={"starts": "2026-03-11", "ends": "2026-03-12", "reason": "事假",
                                          "idem": "abcdefgh0012"})
    assert r.status_code == 422 and "2026-03-10" in r.text
    with app.app_context():
        assert count_rows(LeaveRequest) == 1


def test_cancel_someone_elses_leave_is_404(app, env):
    """A colleague's request id does not exist for this person."""
    with app.test_request_context():
        lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-10", "2026-03-10", "事假",
                                    today=WED).id
    r = login(app, env.names["water_bar2"]).post(f"/attendance/leave/{lv}/cancel")
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(LeaveRequest, lv).status == "pending"


def test_queue_weekend_warning_needs_override(app, env):
    """The queue warns of a weekend; approving without the switch is 422; with it, approved."""
    with app.test_request_context():
        lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-07", "2026-03-08", "亲戚结婚",
                                    today=WED).id
    c = login(app, env.names["lead"])
    assert "weekend-warning" in c.get("/attendance/leave/queue").text
    r = c.post(f"/attendance/leave/{lv}/decide", data={"action": "approve"})
    assert r.status_code == 422 and 'name="override"' in r.text
    with app.app_context():
        assert db.session.get(LeaveRequest, lv).status == "pending"
    r = c.post(f"/attendance/leave/{lv}/decide", data={"action": "refuse", "note": ""})
    assert r.status_code == 422 and text(app, "Give the reason for refusing.") in r.text
    assert c.post(f"/attendance/leave/{lv}/decide", data={"action": "approve", "override": "1"}).status_code == 302
    with app.app_context():
        got = db.session.get(LeaveRequest, lv)
        assert (got.status, got.warning_overridden) == ("approved", True)


def test_board_page_and_fragment(app, env):
    """The board shows the absent person; htmx gets only the board section."""
    put(app, env, "concierge")
    with app.app_context():
        name = who(env, "concierge").name
    c = login(app, env.names["lead"])
    page = c.get("/attendance/board")
    assert "<html" in page.text and "att-missing" in page.text and name in page.text
    frag = c.get("/attendance/board?date=2026-03-03", headers=HX)
    assert "<html" not in frag.text and frag.text.lstrip().startswith('<section id="att-board"')
    assert "Vary" in frag.headers and "HX-Request" in frag.headers["Vary"]


def test_staff_sheet_is_their_own_only(app, env):
    """Staff see their own month; asking for a colleague's is 403."""
    c = login(app, env.names["water_bar"])
    assert c.get("/attendance/sheet?month=2026-03").status_code == 200
    assert c.get(f"/attendance/sheet?user_id={env.users['water_bar']}").status_code == 200
    assert c.get(f"/attendance/sheet?user_id={env.users['concierge']}").status_code == 403


def test_sheet_exports_xlsx_with_day_rows_and_totals(app, env, monkeypatch):
    """The lead exports a person's month: one row per day with in/out and late minutes, then totals."""
    put(app, env, "water_bar")
    c = login(app, env.names["water_bar"])
    c.post("/attendance/clock-in", data={"idem": "abcdefgh0013"})
    freeze(monkeypatch, at(2026, 3, 4, 17, 0))
    c.post("/attendance/clock-out", data={"idem": "abcdefgh0014"})
    lead = login(app, env.names["lead"])
    assert "att-sheets" in lead.get("/attendance/sheet?month=2026-03").text
    r = lead.get(f"/attendance/sheet?user_id={env.users['water_bar']}&month=2026-03&format=xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    day = next(row for row in rows if row[0] == "2026-03-04")
    assert day[2].startswith("白班") and day[4:8] == ("08:40", "17:00", 10, 30)
    assert sum(1 for row in rows if row[0] and str(row[0]).startswith("2026-03-")) == 31
    assert rows[-9][1] == 1 and rows[-7][1] == 1  # rostered 1 day, late 1 day


def test_settings_bad_grace_is_422_and_saves_nothing(app, env):
    """Grace above an hour: 422 with the message, the site keeps its grace."""
    c = login(app, env.names["lead"])
    assert "grace_minutes" in c.get("/attendance/settings").text
    r = c.post("/attendance/settings", data={"grace_minutes": "120"})
    assert r.status_code == 422 and text(app, "Grace is 0 to %(n)s minutes.", n=60) in r.text
    with app.app_context():
        assert db.session.get(Site, env.site).grace_minutes == 5


def test_settings_defaults_for_a_site_without_shifts(app, env):
    """A site without shifts gets the usual two with one tap."""
    with app.app_context():
        from hospitality.database import write_tx
        from hospitality.models import ChecklistTemplate
        from hospitality.models.attendance import Shift
        with write_tx():  # routines given to a shift lose it; the night patrol's rounds follow the night shift: gone
            db.session.execute(ChecklistTemplate.__table__.update().where(
                ChecklistTemplate.site_id == env.site, ChecklistTemplate.kind.in_(("opening", "closing")))
                .values(shift_id=None))
            db.session.execute(ChecklistTemplate.__table__.delete().where(ChecklistTemplate.site_id == env.site,
                                                                          ChecklistTemplate.shift_id.is_not(None)))
            db.session.execute(Shift.__table__.delete().where(Shift.site_id == env.site))
    c = login(app, env.names["manager"])
    assert "defaults-btn" in c.get("/attendance/settings").text
    assert c.post("/attendance/settings", data={"defaults": "1"}).status_code == 302
    with app.app_context():
        assert [s.name for s in services.shifts(env.site)] == ["白班", "夜班"]


def test_roster_person_picker_lists_each_active_person_with_their_post(app, env):
    """The roster's person picker: every active staff member and lead of the site, by id, with name and post."""
    c = login(app, env.names["lead"])
    r = c.get("/attendance/roster?day=2026-03-05")
    assert r.status_code == 200
    with app.app_context():
        person = db.session.get(User, env.users["water_bar"])
        assert f'<option value="{person.id}" >{person.name} · 水吧' in r.text


BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def _has_header(html: str) -> bool:
    return '<header class="bar">' in html and "<html" in html


@pytest.mark.parametrize("url", ["/attendance/roster", "/attendance/board"])
def test_a_boosted_link_to_roster_or_board_gets_the_whole_page(app, env, url):
    """The header menu's links are boosted: the answer is the page with its header, not the part alone."""
    c = login(app, env.names["lead"])
    assert _has_header(c.get(url, headers=BOOSTED).text)
    assert not _has_header(c.get(url, headers=HX).text)


def test_refused_add_keeps_the_page(app, env):
    """The person already has a shift that day: htmx gets the roster part with the message under the person;
    a boosted (or plain) post gets the whole page with its header and the same message; nothing added."""
    put(app, env, "water_bar")
    c = login(app, env.names["lead"])
    data = {"user_id": env.users["water_bar"], "shift_id": env.shifts["night"], "day": WED.isoformat()}
    msg = text(app, "%(name)s is already on the roster that day: move that entry to another shift.",
               name=who_name(app, env))
    part = c.post("/attendance/roster", data=data, headers={**HX, "HX-Target": "roster"})
    assert part.status_code == 422 and part.text.lstrip().startswith('<div id="roster">')
    assert f'<small class="error">{msg}</small>' in part.text and not _has_header(part.text)
    for headers in (BOOSTED, {}):
        page = c.post("/attendance/roster", data=data, headers=headers)
        assert page.status_code == 422 and _has_header(page.text) and msg in page.text
    with app.app_context():
        assert count_rows(RosterEntry) == 1


def test_move_by_htmx_swaps_the_roster_and_a_plain_post_comes_back(app, env):
    """Move to the night shift: htmx gets the roster part with the person under 夜班; a plain form is redirected
    to that day's roster page with a message."""
    entry = put(app, env, "water_bar")
    other = put(app, env, "concierge")
    c = login(app, env.names["lead"])
    r = c.post(f"/attendance/roster/{entry}/move", data={"to_shift_id": env.shifts["night"]}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="roster">')
    night = r.text.split("夜班 17:30–08:30</h4>")[1].split("</section>")[0]
    assert who_name(app, env) in night and f'action="/attendance/roster/{entry}/move"' in night
    r = c.post(f"/attendance/roster/{other}/move", data={"to_shift_id": env.shifts["night"]})
    assert r.status_code == 302 and r.headers["Location"].endswith("/attendance/roster?day=2026-03-04")
    page = c.get(r.headers["Location"]).text
    assert _has_header(page) and text(app, "Moved to the chosen shift.") in page
    with app.app_context():
        assert set(db.session.scalars(select(RosterEntry.shift_id))) == {env.shifts["night"]}


def test_refused_move_keeps_the_page_and_the_message_sits_under_the_entry(app, env):
    """A move onto approved leave: 422, the add path's message under that entry's shift picker, as the roster
    part for htmx and as the whole page (header included) for a boosted post; the entry stays on its shift."""
    entry = put(app, env, "water_bar")
    with app.test_request_context():
        lv = leaves.request_leave(site_of(env), who(env, "water_bar"), WED, WED, "病假", today=WED)
        leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    msg = text(app, "%(name)s is on approved leave that day (%(first)s – %(last)s).", name=who_name(app, env),
               first="2026-03-04", last="2026-03-04")
    c = login(app, env.names["lead"])
    for headers, whole in ((HX, False), (BOOSTED, True), ({}, True)):
        r = c.post(f"/attendance/roster/{entry}/move", data={"to_shift_id": env.shifts["night"]}, headers=headers)
        assert r.status_code == 422 and _has_header(r.text) is whole
        assert f'<small class="error" id="move-err-{entry}">{msg}</small>' in r.text
        assert f'aria-describedby="move-err-{entry}"' in r.text
    with app.app_context():
        assert db.session.scalar(select(RosterEntry.shift_id)) == env.shifts["day"]


def test_moving_another_sites_entry_is_404(app, env):
    """Another site's entry does not exist for this lead; nothing moves."""
    with app.test_request_context():
        other = db.session.get(Site, env.other)
        o_lead, o_wb = (db.session.get(User, env.other_users[p]) for p in ("lead", "water_bar"))
        entry = services.add_entry(other, o_lead, o_wb.id, WED, env.other_shifts["day"]).id
    c = login(app, env.names["lead"])
    assert c.post(f"/attendance/roster/{entry}/move", data={"to_shift_id": env.shifts["night"]}).status_code == 404
    with app.app_context():
        assert db.session.get(RosterEntry, entry).shift_id == env.other_shifts["day"]


def test_the_move_picker_offers_the_other_active_shifts_only_before_clock_in(app, env):
    """Each entry not yet clocked in has a picker of the day's other shifts; a clocked-in one has none."""
    a = put(app, env, "water_bar")
    b = put(app, env, "concierge", code="night")
    login(app, env.names["concierge"]).post("/attendance/clock-in", data={"idem": "abcdefgh0031"})
    page = login(app, env.names["lead"]).get("/attendance/roster?day=2026-03-04").text
    picker = page.split(f'action="/attendance/roster/{a}/move"')[1].split("</form>")[0]
    assert f'<option value="{env.shifts["night"]}">' in picker and f'value="{env.shifts["day"]}"' not in picker
    assert f"/attendance/roster/{b}/move" not in page
