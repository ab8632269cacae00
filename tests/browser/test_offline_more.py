"""Without signal, more of the outbox (tests/browser/test_offline.py has the count and the patrol scan): an incident
report with its photo and a clock-in/clock-out are kept on the phone and land once, with the phone's time of the tap
kept beside the arrival and used when it is plausible; on an iPhone (no `online` event reaches a closed page) what was
kept is sent when a page of the app opens again; and two kept taps arrive in the order they were made.

The server's clock stands still at a chosen moment (clock.travel_to frozen) and the phone's at another (Playwright's
clock.set_fixed_time: Date alone, its timers run on), so the times a person reads are exact. Service workers are
blocked: these contexts test the page's own outbox."""
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import AuditLog
from hospitality.models.attendance import Attendance
from hospitality.models.incidents import Incident, IncidentPhoto
from tests import factories
from tests.browser.walk import TODAY, assert_fits_phone, follow, home, landed, login, tap_link
from tests.factories import at

pytestmark = pytest.mark.browser
CHIP = "header.bar #outbox .outbox-chip"
KIND = "漏水或停电"


def utc(moment: datetime) -> datetime:
    """An aware moment as the naive UTC the columns store."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def waiting(page: Page, say, n: int) -> None:
    """The header chip says how many taps wait on this phone."""
    expect(page.locator(CHIP)).to_have_text("⏳ " + say("%(count)s waiting to send", count=n))


def sent(page: Page, say) -> None:
    """Everything kept was sent: the chip goes and the toast says so."""
    expect(page.locator("header.bar #outbox")).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text(say("Sent from this phone"))


def offline(page: Page, say) -> None:
    page.context.set_offline(True)
    expect(page.locator("#net")).to_have_text(say("No signal"))


def fill_incident(page: Page, tmp_path=None) -> str:
    """From the today screen: Report an incident, a leak where the person's place is (or the first place), a few
    words and, given a folder, a photo; returns the place's name (the incident page's heading ends with it)."""
    tap_link(page, "上报事件", "上报事件")
    page.locator("label.pick", has_text=KIND).tap()
    place = page.locator("label.pick:has(input[name=location_id]:checked)")
    if not place.count():
        page.locator("label.pick:has(input[name=location_id])").first.tap()
    name = place.inner_text().strip()
    page.locator("textarea[name=description]").fill("停车场入口水管漏水")
    if tmp_path is not None:
        photo = tmp_path / "leak.jpg"
        Image.new("RGB", (64, 48), (40, 80, 180)).save(photo, "JPEG")
        page.locator("input[type=file][name=photos]").set_input_files(str(photo))
    expect(page.locator("form.incident-new[data-outbox]")).to_have_count(1)
    return name


def incidents_of(app, site_id: int) -> list[Incident]:
    with app.app_context():
        rows = db.session.scalars(select(Incident).where(Incident.site_id == site_id).order_by(Incident.id)).all()
        db.session.expunge_all()
        return rows


def attendance_of(app, user_id: int) -> list[Attendance]:
    with app.app_context():
        rows = db.session.scalars(select(Attendance).where(Attendance.user_id == user_id)).all()
        db.session.expunge_all()
        return rows


def test_an_incident_with_a_photo_reported_offline_lands_once_with_the_phones_time(app, live_server, phone, say,
                                                                                    tmp_path):
    """A guard in the car park, out of signal, reports a leak with a photo: kept (chip 1, nothing saved); back
    online it lands once with its photo, the phone's time kept beside the arrival, and the incident's page (tapped
    from the today screen's open incidents) says made 02:55 · arrived 03:10."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site().id
        guard_name = factories.make_user(site, "security").username
    guard = phone(service_workers="block")
    made, arrived = at(2026, 3, 4, 2, 55), at(2026, 3, 4, 3, 10)
    guard.clock.set_fixed_time(made)
    with clock.travel_to(arrived, frozen=True):
        login(guard, base, guard_name)
        place = fill_incident(guard, tmp_path)
        offline(guard, say)
        guard.get_by_role("button", name="上报", exact=True).tap()
        kept = say("Kept on this phone: it will be sent when the signal is back.")
        expect(guard.locator("#toast")).to_have_text(kept)
        waiting(guard, say, 1)
        assert_fits_phone(guard)
        assert incidents_of(app, site) == []

        guard.context.set_offline(False)
        sent(guard, say)
        # The form's page is fetched again (a fresh, empty form) once its entry was sent.
        expect(guard.locator("textarea[name=description]")).to_have_value("")
        (incident,) = incidents_of(app, site)
        assert (incident.made_at, incident.reported_at) == (utc(made), utc(arrived))
        assert incident.kind and incident.description == "停车场入口水管漏水"
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(IncidentPhoto).where(
                IncidentPhoto.incident_id == incident.id)) == 1

        home(guard)
        follow(guard, guard.locator("#incidents-open a.inc-card", has_text=KIND), f"{KIND} · {place}")
        expect(guard.locator("#incident .made")).to_have_text(
            say("made %(made)s · arrived %(time)s", made="今天 02:55", time="今天 03:10"))
        expect(guard.locator(".inc-timeline img.thumb")).to_have_count(1)
        expect(guard.locator(".inc-what")).to_have_text("停车场入口水管漏水")
        assert_fits_phone(guard)
        assert len(incidents_of(app, site)) == 1


def test_clock_in_and_out_kept_offline_count_from_the_phones_time(app, live_server, phone, say):
    """Rostered 08:30–17:30: clock-in tapped at 08:28 without signal, arriving at 08:45, is on time; clock-out tapped
    at 17:20, arriving at 17:50, left 10 min early. One attendance row; the card says made … · arrived …."""
    base = live_server.url
    env = factories.att_env(app)
    user = env.users["water_bar"]
    with app.app_context():
        factories.roster(env.site, user, date(2026, 3, 4))
    staff = phone(service_workers="block")
    card = staff.locator("#clock")

    staff.clock.set_fixed_time(at(2026, 3, 4, 8, 28))
    with clock.travel_to(at(2026, 3, 4, 8, 45), frozen=True):
        login(staff, base, env.names["water_bar"])
        expect(card.locator("button.clock-in")).to_be_visible()
        offline(staff, say)
        card.locator("button.clock-in").tap()
        waiting(staff, say, 1)
        assert attendance_of(app, user) == []
        staff.context.set_offline(False)
        sent(staff, say)
        expect(card.locator(".att-on_duty")).to_be_visible()
        expect(card.locator(".clock-times .made")).to_have_text(
            say("made %(made)s · arrived %(time)s", made="08:28", time="08:45"))
        expect(card.locator(".late-min")).to_have_count(0)
        (att,) = attendance_of(app, user)
        assert (att.in_made_at, att.clock_in_at, att.late_minutes) == (
            utc(at(2026, 3, 4, 8, 28)), utc(at(2026, 3, 4, 8, 45)), 0)

    staff.clock.set_fixed_time(at(2026, 3, 4, 17, 20))
    with clock.travel_to(at(2026, 3, 4, 17, 50), frozen=True):
        expect(card.locator("button.clock-out")).to_be_visible()
        offline(staff, say)
        card.locator("button.clock-out").tap()
        waiting(staff, say, 1)
        assert attendance_of(app, user)[0].clock_out_at is None
        staff.context.set_offline(False)
        sent(staff, say)
        expect(card.locator(".att-done")).to_be_visible()
        expect(card.locator(".clock-times .made")).to_have_count(2)
        expect(card.locator(".clock-times")).to_contain_text(
            say("made %(made)s · arrived %(time)s", made="17:20", time="17:50"))
        (att,) = attendance_of(app, user)
        assert (att.out_made_at, att.clock_out_at, att.early_minutes) == (
            utc(at(2026, 3, 4, 17, 20)), utc(at(2026, 3, 4, 17, 50)), 10)


def test_what_was_kept_is_sent_when_a_page_opens_again_without_an_online_event(app, live_server, phone, say):
    """The iPhone's way: the clock-in is kept, the page is closed, the signal comes back with no page to hear it;
    the next page of the app (still logged in) sends it by itself, once."""
    base = live_server.url
    env = factories.att_env(app)
    user = env.users["water_bar"]
    first = phone(service_workers="block")
    login(first, base, env.names["water_bar"])
    offline(first, say)
    first.locator("#clock button.clock-in").tap()
    waiting(first, say, 1)  # stored: the chip counts what IndexedDB holds
    context = first.context
    first.close()
    context.set_offline(False)
    assert attendance_of(app, user) == []

    again = context.new_page()
    # The person opens the app again at its entry, the login screen: still logged in, it shows the today screen.
    again.goto(f"{base}/login")
    again.wait_for_url(f"{base}/")
    landed(again, TODAY)
    sent(again, say)
    expect(again.locator("#clock .att-on_duty")).to_be_visible()
    (att,) = attendance_of(app, user)
    assert att.in_made_at is not None and att.clock_out_at is None

    again.reload()
    landed(again, TODAY)
    expect(again.locator("header.bar #outbox")).to_be_hidden()
    assert len(attendance_of(app, user)) == 1


def test_two_taps_kept_offline_arrive_in_the_order_they_were_made(app, live_server, phone, say):
    """A clock-in on one page, then an incident report on another page of the same phone, both without signal: the
    chip lists them in that order, and the server receives the clock-in first."""
    base = live_server.url
    env = factories.att_env(app)
    user = env.users["water_bar"]
    today = phone(service_workers="block")
    login(today, base, env.names["water_bar"])
    report = today.context.new_page()
    report.goto(f"{base}/login")  # a second tab of the app at its entry: logged in already, the today screen
    report.wait_for_url(f"{base}/")
    landed(report, TODAY)
    fill_incident(report)

    offline(today, say)
    today.locator("#clock button.clock-in").tap()
    waiting(today, say, 1)
    today.close()  # one page left to send them (two would both send, the server writing each once)
    report.get_by_role("button", name="上报", exact=True).tap()
    waiting(report, say, 2)
    report.locator(CHIP).tap()
    expect(report.locator("#outbox li strong")).to_have_text([say("Clock in"), say("Report an incident")])
    assert attendance_of(app, user) == [] and incidents_of(app, env.site) == []

    report.context.set_offline(False)
    sent(report, say)
    (att,), (incident,) = attendance_of(app, user), incidents_of(app, env.site)
    with app.app_context():
        arrivals = db.session.execute(select(AuditLog.action, AuditLog.entity_id).where(
            AuditLog.user_id == user, AuditLog.action.in_(("clock_in", "report"))).order_by(AuditLog.id)).all()
    assert [tuple(a) for a in arrivals] == [("clock_in", att.id), ("report", incident.id)]
    assert att.clock_in_at <= incident.reported_at
    assert att.in_made_at < incident.made_at
