"""The offline outbox's server side: the phone's time of a tap (made_at) parsed in one place and used when plausible,
the four writes a phone keeps without signal (a count, a patrol scan, an incident, a clock-in/out) accepted once
however often they are sent, their conflicts answered 409 with nothing saved, and 401 for a replay logged out."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from hospitality import fields
from hospitality.clock import travel_to
from hospitality.extensions import db
from hospitality.inventory.reads import stock as stock_reads
from hospitality.models import ChecklistRun, CountLine, Discrepancy, Location, Site, StockCount, StockMove
from hospitality.models.attendance import Attendance, RosterEntry
from hospitality.models.incidents import Incident
from hospitality.models.patrol import PatrolScan
from hospitality.patrol import reads as patrol_reads
from tests.factories import at, att_env, freeze, location, patrol_env, route_env, visit_env
from tests.harness import HX, count_rows, login, msg, text

OUTBOX = {"X-Outbox": "1"}
ARRIVED = datetime(2026, 12, 6, 19, 0)


def iso(moment: datetime) -> str:
    """A moment as the phone's script sends it (new Date().toISOString())."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.123Z")


def toast(app, body: str, msgid: str, **kw) -> None:
    assert re.search(r'<p class="toast-msg" data-code="409">', body), body[:300]
    assert text(app, msgid, **kw) in body


# made_at: one parser, one rule


@pytest.mark.parametrize("raw,expected", [
    ("2026-12-06T18:52:49.123Z", datetime(2026, 12, 6, 18, 52, 49, 123000)),
    ("2026-12-06T18:52:49z", datetime(2026, 12, 6, 18, 52, 49)),
    ("2026-12-07T02:52:49+08:00", datetime(2026, 12, 6, 18, 52, 49)),
    ("2026-12-06T18:52:49", datetime(2026, 12, 6, 18, 52, 49)),  # no offset: UTC, as the script sends
])
def test_made_at_reads_the_phones_iso_time_as_naive_utc(raw, expected):
    """The phone's toISOString() (or any ISO 8601 with an offset) becomes naive UTC like the columns."""
    assert fields.made_at(raw, ARRIVED) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "yesterday", "2026-13-01T00:00:00Z", "1" * 41, "\x00"])
def test_made_at_is_none_when_missing_or_not_a_time(raw):
    """An online tap sends none; anything that is not a time counts as none (the tap is then an ordinary one)."""
    assert fields.made_at(raw, ARRIVED) is None


def test_made_at_of_a_broken_clock_is_kept_within_a_year():
    """A phone set to 1970 or 2099 is kept at a year from now: still a time every page can convert."""
    assert fields.made_at("1970-01-01T00:00:00Z", ARRIVED) == ARRIVED - timedelta(days=366)
    assert fields.made_at("2099-01-01T00:00:00Z", ARRIVED) == ARRIVED + timedelta(days=366)


@pytest.mark.parametrize("made,plausible", [
    (ARRIVED - timedelta(minutes=15), True),  # the car park without signal
    (ARRIVED, True),
    (ARRIVED + timedelta(seconds=60), True),  # clocks a little apart
    (ARRIVED - timedelta(hours=12), True),
    (ARRIVED + timedelta(seconds=61), False),  # made after it arrived: the phone's clock is ahead
    (ARRIVED - timedelta(hours=12, seconds=1), False),  # longer than a shift: not believed
    (None, False),
])
def test_the_phones_time_is_used_only_when_plausible(made, plausible):
    """Plausible: at most a minute after the arrival and at most 12 h before it; otherwise the arrival counts, and
    the row says the phone's clock was off."""
    assert fields.plausible(made, ARRIVED) is plausible
    assert fields.counted(made, ARRIVED) == (made if plausible else ARRIVED)
    assert fields.clock_off(made, ARRIVED) is (made is not None and not plausible)


# 401 for a replay logged out


def test_a_replay_logged_out_gets_401_without_a_redirect(app, client):
    """X-Outbox: 1 without a session: 401 and no Location (the phone keeps the tap); without the header the login
    page as before."""
    r = client.post("/attendance/clock-in", data={"idem": "outbox000001"}, headers=OUTBOX)
    assert r.status_code == 401 and "Location" not in r.headers and 'data-code="401"' in r.text
    r = client.post("/attendance/clock-in", data={"idem": "outbox000001"})
    assert r.status_code == 302 and "/login" in r.location


# The stock count


@pytest.fixture
def stock(app):
    return route_env(app)


def _open_count(app, c, env) -> int:
    r = c.post(f"/stock/loc/{env.bar}/count", data={"kind": "spot"})
    return int(re.search(r"/stock/counts/(\d+)", r.location).group(1))


def _count_form(c, count_id) -> dict:
    page = c.get(f"/stock/counts/{count_id}").text
    form = page.split('enctype="multipart/form-data" novalidate data-outbox=', 1)[1].split("</form>")[0]
    assert form.startswith('"') and 'name="idem"' in form
    return {"idem": re.search(r'name="idem" value="(\w+)"', form).group(1),
            "book": re.search(r'name="book" value="(\d+)"', form).group(1)}


def test_a_count_sent_twice_from_the_outbox_is_saved_once_with_its_time(app, stock):
    """The count form carries the outbox marking, a key and the book's marker; sent twice with made_at, one count
    with its lines, the phone's time beside the arrival, and 2xx both times."""
    c = login(app, stock.wb)
    count_id = _open_count(app, c, stock)
    form = _count_form(c, count_id)
    made = datetime.now(UTC) - timedelta(minutes=5)
    data = form | {"all_match": "1", "made_at": iso(made)}
    for _ in range(2):
        r = c.post(f"/stock/counts/{count_id}", data=data, headers=OUTBOX, follow_redirects=True)
        assert r.status_code == 200
    with app.app_context():
        count = db.session.get(StockCount, count_id)
        assert count.status == "matched" and count.made_at == made.replace(tzinfo=None, microsecond=123000)
        assert count.submitted_at - count.made_at > timedelta(minutes=4)
        assert count_rows(CountLine, CountLine.count_id == count_id) == 2
    page = c.get(f"/stock/counts/{count_id}").text
    assert 'class="made"' in page


def test_a_count_whose_book_moved_meanwhile_is_409_and_nothing_saved(app, stock):
    """A drink served after the form was rendered: the count sent later from the outbox is refused (409, the toast),
    the count stays open; the same tap online (no made_at) is saved as before."""
    c = login(app, stock.wb)
    count_id = _open_count(app, c, stock)
    form = _count_form(c, count_id)
    served = c.post(f"/stock/loc/{stock.bar}/moves", data={"reason": "served", f"qty-{stock.water}": "1",
                                                           "idem": "served000001"})
    assert served.status_code == 302
    data = form | {f"qty-{stock.water}": "29", f"qty-{stock.tea}": "14", "all_match": "0"}
    r = c.post(f"/stock/counts/{count_id}", data=data | {"made_at": iso(datetime.now(UTC))}, headers=OUTBOX)
    assert r.status_code == 409
    with app.app_context():
        place = db.session.get(Location, stock.bar).name
    toast(app, r.text, "The stock of %(place)s changed while this count waited on the phone: nothing was saved. "
                       "Open the count and count again.", place=place)
    with app.app_context():
        assert db.session.get(StockCount, count_id).status == "open"
        assert count_rows(CountLine, CountLine.count_id == count_id) == 0
    assert c.post(f"/stock/counts/{count_id}", data=data).status_code == 302  # online: as today
    with app.app_context():
        assert db.session.get(StockCount, count_id).status == "matched"


def test_a_count_cancelled_before_it_arrived_is_409(app, stock):
    """The manager cancelled the count while the phone held it: 409 from the outbox, nothing saved."""
    c = login(app, stock.wb)
    count_id = _open_count(app, c, stock)
    form = _count_form(c, count_id)
    assert login(app, stock.boss).post(f"/stock/counts/{count_id}/cancel").status_code == 302
    r = c.post(f"/stock/counts/{count_id}", data=form | {"all_match": "1", "made_at": iso(datetime.now(UTC))},
               headers=OUTBOX)
    assert r.status_code == 409
    toast(app, r.text, "This count was cancelled before the phone could send it: nothing was saved.")
    with app.app_context():
        assert count_rows(CountLine, CountLine.count_id == count_id) == 0
        assert count_rows(Discrepancy, Discrepancy.count_id == count_id) == 0


def test_a_count_from_the_outbox_keeps_its_access_rules(app, stock):
    """Someone else's count (security, the concierge): the same answer with made_at as without, nothing saved."""
    c = login(app, stock.wb)
    count_id = _open_count(app, c, stock)
    form = _count_form(c, count_id) | {"all_match": "1"}
    for who in (stock.guard, stock.concierge):
        other = login(app, who)
        online = other.post(f"/stock/counts/{count_id}", data=form).status_code
        replay = other.post(f"/stock/counts/{count_id}", data=form | {"made_at": iso(datetime.now(UTC))},
                            headers=OUTBOX).status_code
        assert replay == online and replay in (403, 422), who
    with app.app_context():
        assert db.session.get(StockCount, count_id).status == "open"


def test_book_mark_is_the_newest_ledger_row_of_the_location(app, stock):
    """The marker moves with any move of the location's items, not with another location's."""
    with app.app_context():
        before = stock_reads.book_mark(stock.bar)
        newest = db.session.scalar(select(StockMove.id).where(StockMove.item_id.in_([stock.water, stock.tea]))
                                   .order_by(StockMove.id.desc()).limit(1))
        assert before == newest and stock_reads.book_mark(stock.room) != before


# The patrol scan


@pytest.fixture
def night(app):
    with app.app_context():
        return patrol_env(app)


def _scan(app, night, i: int, made: datetime | None, idem: str, guard: str = "guard"):
    c = login(app, f"{guard}{night.site}")
    data = {"ok": "1", "idem": idem} | ({"made_at": iso(made)} if made else {})
    return c.post(f"/c/{night.tokens[i]}", data=data, headers=OUTBOX, content_type="multipart/form-data")


def test_the_scan_form_is_marked_for_the_outbox(app, night):
    """The checkpoint's form carries data-outbox with its name and an idempotency key."""
    with travel_to(night.at(2, 40), frozen=True):
        page = login(app, f"guard{night.site}").get(f"/c/{night.tokens[0]}").text
    form = page.split('class="patrol-scan"')[1].split("</form>")[0]
    assert f'data-outbox="{text(app, "Patrol")} · {night.names[0]}"' in form and 'name="idem"' in form


def test_a_scan_made_out_of_signal_counts_in_its_round_once(app, night):
    """Made at 02:55 in the 02:30 round, arriving at 03:40 (the round then closed): counted in the 02:30 round, the
    phone's time beside the arrival; sent twice, one scan and 2xx both times."""
    with travel_to(night.at(3, 40), frozen=True):
        for _ in range(2):
            r = _scan(app, night, 0, night.at(2, 55), "scanoutbox01")
            assert r.status_code == 302
    with app.app_context():
        [row] = db.session.scalars(select(PatrolScan).where(PatrolScan.checkpoint_id == night.points[0])).all()
        assert row.slot == "02:30" and row.status == "ok"
        assert row.made_at == night.at(2, 55).astimezone(UTC).replace(tzinfo=None, microsecond=123000)
        assert row.at == night.at(3, 40).astimezone(UTC).replace(tzinfo=None)
    with travel_to(night.at(7, 0), frozen=True):
        page = login(app, f"lead{night.site}").get(f"/patrol/night/round?day={night.night}&slot=02:30").text
    assert text(app, "made %(made)s · arrived %(time)s", made="02:55", time="03:40") in page


def test_a_round_walked_out_of_signal_is_on_time_not_missed(app, night):
    """Every checkpoint scanned in the 02:30 round without signal, all arriving at 03:40: the round is on time."""
    with travel_to(night.at(3, 40), frozen=True):
        for i in range(len(night.points)):
            assert _scan(app, night, i, night.at(2, 40 + i), f"walkround{i:03d}").status_code == 302
        with app.app_context():
            site = db.session.get(Site, night.site)
            report = patrol_reads.night_report(site, patrol_reads.template(site.id), night.night)
            state = {s.slot: s.state for s in report.statuses}["02:30"]
            flags = {r.flags for r in report.scans}
    assert state == "done" and "fast" not in ",".join(flags)


def test_a_scan_arriving_after_the_night_is_over_is_409_and_nothing_saved(app, night):
    """Made at 08:00 (the last round), arriving at 08:40 when the night shift had ended at 08:30: refused (409,
    the toast), no scan and no round written; a replay of a scan that was saved during the night is still 2xx."""
    with travel_to(night.at(8, 0), frozen=True):
        assert _scan(app, night, 1, None, "savedbefore1").status_code == 302
    with travel_to(night.at(8, 40), frozen=True):
        runs = count_rows(ChecklistRun, app=app)
        r = _scan(app, night, 0, night.at(8, 0), "lateoutbox01")
        assert r.status_code == 409
        toast(app, r.text, "The night's patrol was over when this scan arrived from the phone: it was not counted. "
                           "Tell the lead.")
        assert _scan(app, night, 1, night.at(8, 0), "savedbefore1").status_code == 302
    with app.app_context():
        assert count_rows(PatrolScan, PatrolScan.checkpoint_id == night.points[0]) == 0
        assert count_rows(PatrolScan, PatrolScan.checkpoint_id == night.points[1]) == 1
    assert count_rows(ChecklistRun, app=app) == runs


def test_a_scan_from_the_outbox_keeps_its_access_rules(app, night):
    """The water bar does not patrol: 403 with made_at as without, and no scan counted."""
    with travel_to(night.at(3, 40), frozen=True):
        r = _scan(app, night, 0, night.at(2, 55), "barscan00001", guard="bar")
    assert r.status_code == 403
    with app.app_context():
        assert count_rows(PatrolScan, PatrolScan.status != "refused") == 0


# The incident report


@pytest.fixture
def visit(app):
    return visit_env(app)


def test_an_incident_sent_twice_from_the_outbox_is_one_with_its_time(app, visit):
    """The report form is marked for the outbox; sent twice with made_at, one incident, the phone's time beside
    the arrival, shown on its page and in the list."""
    c = login(app, visit.names["security"])
    page = c.get("/incidents/new").text
    assert f'data-outbox="{text(app, "Report an incident")}"' in page
    with app.app_context():
        gate = location(visit.site, "gate").id
    made = datetime.now(UTC) - timedelta(minutes=20)
    data = {"kind": "suspicious", "level": "note", "description": "门口有推销人员", "location_id": str(gate),
            "idem": "incoutbox001", "made_at": iso(made)}
    for _ in range(2):
        assert c.post("/incidents/new", data=data, headers=OUTBOX, follow_redirects=True).status_code == 200
    with app.app_context():
        [row] = db.session.scalars(select(Incident).where(Incident.site_id == visit.site)).all()
        assert row.made_at == made.replace(tzinfo=None, microsecond=123000) and row.reported_at > row.made_at
    assert 'class="made"' in c.get(f"/incidents/{row.id}").text
    assert 'class="made"' in login(app, visit.names["lead"]).get("/incidents/").text


# Clock in and out


@pytest.fixture
def clock(app, monkeypatch):
    env = att_env(app)
    with app.app_context():
        lead = env.users["lead"]
        db.session.add(RosterEntry(site_id=env.site, user_id=env.users["concierge"], day=date(2026, 3, 4),
                                   shift_id=env.shifts["day"], post="concierge", created_by_id=lead))
        db.session.commit()
    return env


def _clock(app, env, monkeypatch, action: str, arrived: datetime, made: datetime | None, idem: str, c=None):
    freeze(monkeypatch, arrived)
    c = c or login(app, env.names["concierge"])
    data = {"idem": idem} | ({"made_at": iso(made)} if made else {})
    return c.post(f"/attendance/{action}", data=data, headers=OUTBOX)


def _att(app, env) -> Attendance:
    with app.app_context():
        return db.session.scalar(select(Attendance).where(Attendance.user_id == env.users["concierge"]))


def test_the_clock_form_is_marked_for_the_outbox(app, clock, monkeypatch):
    """The clock card's form carries data-outbox and a key."""
    freeze(monkeypatch, at(2026, 3, 4, 8, 20))
    page = login(app, clock.names["concierge"]).get("/attendance/").text
    form = page.split('class="clock-form"')[1].split("</form>")[0]
    assert f'data-outbox="{text(app, "Clock in")}"' in form and 'name="idem"' in form


def test_a_clock_in_made_on_time_is_not_late_when_it_arrives_late(app, clock, monkeypatch):
    """Tapped at 08:25 without signal, arriving 08:50 (the shift starts 08:30, 5 min grace): not late; sent twice,
    one clock-in; the card says made 08:25 · arrived 08:50."""
    c = login(app, clock.names["concierge"])
    for _ in range(2):
        r = _clock(app, clock, monkeypatch, "clock-in", at(2026, 3, 4, 8, 50), at(2026, 3, 4, 8, 25), "clockin0001", c)
        assert r.status_code == 302
    att = _att(app, clock)
    assert att.late_minutes == 0 and att.in_made_at == at(2026, 3, 4, 8, 25).astimezone(UTC).replace(
        tzinfo=None, microsecond=123000)
    assert count_rows(Attendance, Attendance.user_id == clock.users["concierge"], app=app) == 1
    assert text(app, "made %(made)s · arrived %(time)s", made="08:25", time="08:50") in c.get("/attendance/").text
    board = login(app, clock.names["lead"]).get("/attendance/board?day=2026-03-04").text
    assert text(app, "made %(made)s · arrived %(time)s", made="08:25", time="08:50") in board


def test_a_clock_in_with_the_phones_clock_off_counts_from_its_arrival(app, clock, monkeypatch):
    """The phone said 20 h earlier: not believed; late from the arrival, and the card says the clock was off."""
    c = login(app, clock.names["concierge"])
    r = _clock(app, clock, monkeypatch, "clock-in", at(2026, 3, 4, 8, 50), at(2026, 3, 3, 12, 50), "clockin0002", c)
    assert r.status_code == 302 and _att(app, clock).late_minutes == 20
    assert msg(app, "arrived %(time)s (the phone's clock was off)", time="08:50") in c.get("/attendance/").text


def test_a_clock_out_made_before_a_new_clock_in_closes_the_old_shift(app, clock, monkeypatch):
    """Clocked out at 17:35 without signal, sent at 17:50: the shift closes at its made time (no early minutes)."""
    c = login(app, clock.names["concierge"])
    assert _clock(app, clock, monkeypatch, "clock-in", at(2026, 3, 4, 8, 20), None, "clockin0003", c).status_code == 302
    r = _clock(app, clock, monkeypatch, "clock-out", at(2026, 3, 4, 17, 50), at(2026, 3, 4, 17, 35), "clockout003", c)
    assert r.status_code == 302
    att = _att(app, clock)
    assert att.early_minutes == 0 and att.out_made_at is not None and att.clock_out_at > att.out_made_at


def test_a_clock_out_whose_shift_was_closed_meanwhile_is_409(app, clock, monkeypatch):
    """Clocked out at 17:40 on another phone; the first phone's clock-out made at 17:35 arrives at 17:45: 409, the
    toast, and the clock-out kept as it was."""
    c = login(app, clock.names["concierge"])
    assert _clock(app, clock, monkeypatch, "clock-in", at(2026, 3, 4, 8, 20), None, "clockin0004", c).status_code == 302
    r = _clock(app, clock, monkeypatch, "clock-out", at(2026, 3, 4, 17, 40), None, "clockout004", c)
    assert r.status_code == 302
    r = _clock(app, clock, monkeypatch, "clock-out", at(2026, 3, 4, 17, 45), at(2026, 3, 4, 17, 35), "clockout005", c)
    assert r.status_code == 409
    toast(app, r.text, "Your shift had already been clocked out at %(time)s when this clock-out arrived from the "
                       "phone: nothing was saved.", time="17:40")
    att = _att(app, clock)
    assert att.out_made_at is None and att.out_idem == "clockout004"


def test_an_online_clock_in_by_htmx_is_unchanged(app, clock, monkeypatch):
    """No made_at: the card by htmx, late from the arrival, nothing in the made columns."""
    freeze(monkeypatch, at(2026, 3, 4, 8, 50))
    r = login(app, clock.names["concierge"]).post("/attendance/clock-in", data={"idem": "clockin0006"}, headers=HX)
    assert r.status_code == 200 and 'id="clock"' in r.text
    att = _att(app, clock)
    assert att.late_minutes == 20 and att.in_made_at is None
