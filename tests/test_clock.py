"""The app's one clock: DEMO_CLOCK starts it at a chosen moment in demo and test mode only, it runs on with real
seconds, and the time-dependent rules (lateness, refill rounds, stamps) follow it."""
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hospitality import clock, create_app
from hospitality.attendance import services as attendance
from hospitality.extensions import db
from hospitality.models import Site, Visit
from hospitality.models.attendance import Attendance
from tests.factories import at, att_env, make_site, site_of, visit_env, who
from tests.harness import login

HX = {"HX-Request": "true"}
ROOT = Path(__file__).resolve().parent.parent
NIGHT = at(2026, 12, 6, 23, 30)  # Shanghai: 15:30 UTC


def test_start_at_sets_now_and_the_clock_runs_on_with_real_seconds():
    """After start_at(moment) now() begins at that moment and moves on as real time passes."""
    with clock.travel_to(clock.now()):  # put the clock back afterwards
        clock.start_at(NIGHT)
        first = clock.now(NIGHT.tzinfo)
        assert timedelta(0) <= first - NIGHT < timedelta(seconds=1)
        assert first.utcoffset() == timedelta(hours=8) and (first.hour, first.minute) == (23, 30)
        time.sleep(0.05)
        assert clock.utcnow() - datetime(2026, 12, 6, 15, 30) >= timedelta(seconds=0.05)
        assert clock.utcnow().tzinfo is None


def test_travel_to_puts_the_clock_back_and_can_stand_still():
    """travel_to moves the clock for the block only; frozen, it stays exactly at the moment."""
    before = clock.offset()
    with clock.travel_to(NIGHT, frozen=True):
        assert clock.utcnow() == datetime(2026, 12, 6, 15, 30)
        time.sleep(0.01)
        assert clock.now(NIGHT.tzinfo) == NIGHT
    assert clock.offset() == before
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_the_live_servers_threads_see_the_same_clock():
    """The browser tests' live server runs in threads of the test process: they read the clock the test set."""
    seen = []
    with clock.travel_to(NIGHT, frozen=True):
        worker = threading.Thread(target=lambda: seen.append(clock.utcnow()))
        worker.start()
        worker.join()
    assert seen == [datetime(2026, 12, 6, 15, 30)]


def test_site_now_and_today_follow_the_clock(ctx):
    """A site's wall clock and calendar day are the app's clock in the site's zone."""
    site = make_site()
    with clock.travel_to(at(2026, 12, 6, 0, 10), frozen=True):  # 16:10 UTC the day before
        assert site.now() == at(2026, 12, 6, 0, 10)
        assert site.today().isoformat() == "2026-12-06"


@pytest.mark.parametrize("value", ["2026-12-06T23:30", "2026-12-06 23:30:00", "2026-12-06T15:30:00+00:00",
                                   datetime(2026, 12, 6, 23, 30)])
def test_demo_clock_is_shanghai_time_unless_it_names_an_offset(value):
    """DEMO_CLOCK without an offset is wall-clock time in the default zone (Asia/Shanghai)."""
    assert clock.parse_moment(value, "Asia/Shanghai") == NIGHT


def test_a_malformed_demo_clock_says_what_it_expects():
    """A value that is not an ISO date-time is refused with the setting's name and an example."""
    with pytest.raises(ValueError, match="DEMO_CLOCK=.*2026-12-06T23:30"):
        clock.parse_moment("tonight", "Asia/Shanghai")


# A second app in this process: the limiter is one object shared by every app, so it stays off as in the suite's.
SECOND_APP = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False,
              "WTF_CSRF_ENABLED": False}


def test_create_app_starts_the_clock_in_demo_and_test_mode():
    """DEMO_CLOCK with DEMO (or TESTING) set: the new app's clock starts at that moment."""
    for mode in ({"DEMO": True, "TESTING": False}, {"DEMO": False, "TESTING": True}):
        with clock.travel_to(clock.now()):  # put the clock back afterwards
            made = create_app({**SECOND_APP, **mode, "DEMO_CLOCK": "2026-12-06T23:30"})
            assert timedelta(0) <= clock.now(NIGHT.tzinfo) - NIGHT < timedelta(seconds=5)
        with made.app_context():
            db.engine.dispose()


def test_create_app_refuses_the_demo_clock_outside_demo_and_test_mode():
    """A production app with DEMO_CLOCK does not start: the error names the setting; the clock is untouched."""
    before = clock.offset()
    with pytest.raises(RuntimeError, match="DEMO_CLOCK"):
        create_app({**SECOND_APP, "DEMO": False, "TESTING": False, "DEMO_CLOCK": "2026-12-06T23:30"})
    assert clock.offset() == before


def _serve_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HOSPITALITY_DEMO", "DEMO_CLOCK", "DEMO_CLOCK_SET_AT", "DATABASE_URL")}
    return {**env, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}", **extra}


def test_the_environment_sets_it_as_make_serve_does(tmp_path):
    """`gunicorn app:app` with DEMO_CLOCK and HOSPITALITY_DEMO=1 (make serve) starts there; without demo mode the
    app refuses to start and says why."""
    probe = ("from app import app; from hospitality import clock; from zoneinfo import ZoneInfo; "
             "print(clock.now(ZoneInfo('Asia/Shanghai')).strftime('%Y-%m-%d %H:%M'))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=_serve_env(tmp_path, HOSPITALITY_DEMO="1", DEMO_CLOCK="2026-12-06T23:30"))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2026-12-06 23:30"
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=_serve_env(tmp_path, DEMO_CLOCK="2026-12-06T23:30"))
    assert run.returncode != 0 and "DEMO_CLOCK is set, but the app is not in demo mode" in run.stderr


def test_created_at_stamps_follow_the_clock(ctx):
    """Column defaults (created_at, arrived_at…) stamp the app's time, not the machine's."""
    with clock.travel_to(NIGHT, frozen=True):
        site = make_site()
    assert db.session.get(Site, site.id).created_at == datetime(2026, 12, 6, 15, 30)


def test_a_clock_in_is_late_by_the_demo_clock(app):
    """At 08:40 on the demo clock a day-shift clock-in (08:30) is 10 minutes late, stamped 08:40 Shanghai."""
    env = att_env(app)
    with app.test_request_context():
        attendance.add_entry(site_of(env), who(env, "lead"), env.users["water_bar"], date(2026, 12, 7),
                             env.shifts["day"])
    with clock.travel_to(at(2026, 12, 7, 8, 40)):
        c = login(app, env.names["water_bar"])
        r = c.post("/attendance/clock-in", data={"idem": "clocktest0001"}, headers=HX)
        assert r.status_code == 200
    with app.app_context():
        att = db.session.scalars(select(Attendance)).one()
        assert att.late_minutes == 10
        assert timedelta(0) <= att.clock_in_at - datetime(2026, 12, 7, 0, 40) < timedelta(seconds=30)


def test_the_refill_round_follows_the_demo_clock(app):
    """Served at 23:30 on the demo clock, the next refill is 23:40; at 23:41 it is due, and the live element's
    poll built for 23:40 answers with the change instead of 204."""
    env = visit_env(app)
    with clock.travel_to(NIGHT):
        guard, bar = login(app, env.names["security"]), login(app, env.names["water_bar"])
        assert guard.post("/visits/new", data={"party_size": "2", "by_car": "0", "idem": "clockvisit01"}
                          ).status_code == 302
        with app.app_context():
            vid = db.session.scalar(select(Visit.id))
            assert timedelta(0) <= db.session.get(Visit, vid).arrived_at - datetime(2026, 12, 6, 15, 30) \
                < timedelta(seconds=30)
        r = bar.post(f"/visits/{vid}/serve", data={f"qty-{env.water}": "1", "idem": "clockserve01"},
                     headers={**HX, "HX-Target": "visit"})
        assert r.status_code == 200 and "下次续水 23:40" in r.text
        assert '<span class="next-refill">下次续水 23:40</span>' in bar.get(f"/visits/{vid}").text
        live = bar.get("/visits/live", headers=HX).text
        assert '<small class="next-refill">续水 23:40</small>' in live
        query = re.search(r'hx-get="/visits/live\?([^"]+)"', live).group(1).replace("&amp;", "&")
        assert bar.get(f"/visits/live?{query}", headers=HX).status_code == 204
    with clock.travel_to(at(2026, 12, 6, 23, 41)):
        assert "该续水了" in bar.get(f"/visits/{vid}").text
        r = bar.get(f"/visits/live?{query}", headers=HX)
        assert r.status_code == 200 and "该续水" in r.text


# Where the app may still read the machine's time: technical timers and a backup file's name.
MACHINE_TIME_ALLOWED = {
    "hospitality/clock.py",  # the clock itself
    "hospitality/backup.py",  # `flask backup`: the archive is named and stamped by the machine's time
}
MACHINE_TIME = re.compile(r"datetime\.now\(|date\.today\(|datetime\.utcnow|time\.time\(|datetime\.today\(")


def test_the_app_reads_the_time_only_through_the_clock():
    """No module but the clock asks the machine for the time: every rule follows the demo clock."""
    readers = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "hospitality").rglob("*.py")
                     if MACHINE_TIME.search(p.read_text()) and str(p.relative_to(ROOT)) not in MACHINE_TIME_ALLOWED)
    assert readers == []


def test_a_process_started_later_runs_the_same_demo_clock(tmp_path):
    """A worker gunicorn starts (or restarts) an hour after `make serve` began is an hour past DEMO_CLOCK, as the
    others are, not back at DEMO_CLOCK: every process counts from when the setting was made (DEMO_CLOCK_SET_AT)."""
    probe = ("from app import app; from hospitality import clock; from zoneinfo import ZoneInfo; "
             "print(clock.now(ZoneInfo('Asia/Shanghai')).strftime('%Y-%m-%d %H:%M'))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=_serve_env(tmp_path, HOSPITALITY_DEMO="1", DEMO_CLOCK="2026-12-06T23:30",
                                        DEMO_CLOCK_SET_AT=str(int(time.time()) - 3600)))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2026-12-07 00:30"
