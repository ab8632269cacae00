"""Two phones at once: one clock-in per person and day, one roster entry, no overlapping leave, no 500s."""
from datetime import date

import pytest

from hospitality.attendance import leave as leaves
from hospitality.attendance import services
from hospitality.attendance.services import AttendanceError
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.attendance import Attendance, LeaveRequest, RosterEntry
from tests.factories import at, att_env
from tests.harness import count_rows, in_threads

WED = date(2026, 3, 4)


@pytest.fixture
def env(app):
    return att_env(app)


def _load(env, post):
    return db.session.get(Site, env.site), db.session.get(User, env.users[post])


def test_eight_simultaneous_clock_ins_keep_one(app, env):
    """The same person taps clock-in on several phones at once: one row, the others get the message."""
    def work(i):
        site, user = _load(env, "water_bar")
        return services.clock_in(site, user, f"phone{i:04d}", now=at(2026, 3, 4, 8, 25)).id

    results, errors = in_threads(app, 8, work)
    assert all(isinstance(e, AttendanceError) for e in errors), errors
    with app.app_context():
        assert count_rows(Attendance) == 1 and len(results) == 1


def test_the_same_double_tap_in_threads_answers_the_same_row(app, env):
    """One idempotency key from racing requests: every answer is the one row."""
    def work(i):
        site, user = _load(env, "water_bar")
        return services.clock_in(site, user, "double-tap-key", now=at(2026, 3, 4, 8, 25)).id

    results, errors = in_threads(app, 6, work)
    assert not errors, errors
    with app.app_context():
        assert count_rows(Attendance) == 1 and len(set(results)) == 1


def test_two_leads_rostering_the_same_person_keep_one_entry(app, env):
    """The lead and the manager put one person on different shifts at once: one entry, one clear refusal."""
    def work(i):
        site, lead = _load(env, "lead" if i % 2 else "manager")
        return services.add_entry(site, lead, env.users["concierge"], WED,
                                  env.shifts["day" if i % 2 else "night"]).id

    results, errors = in_threads(app, 6, work)
    assert all(isinstance(e, AttendanceError) for e in errors), errors
    with app.app_context():
        assert count_rows(RosterEntry) == 1


def test_overlapping_leave_requests_at_once_keep_one(app, env):
    """Racing requests over the same days from one person: one is saved."""
    def work(i):
        site, user = _load(env, "security")
        return leaves.request_leave(site, user, "2026-03-10", f"2026-03-1{i}", "事假", f"leave{i:04d}x",
                                      today=WED).id

    results, errors = in_threads(app, 6, work)
    assert all(isinstance(e, AttendanceError) for e in errors), errors
    with app.app_context():
        assert count_rows(LeaveRequest) == 1
