"""Attendance rules: shifts, clock in/out, the roster, leave, and what the board and sheets compute."""
from datetime import date, time

import pytest
from sqlalchemy import select

from hospitality.attendance import leave as leaves
from hospitality.attendance import reads, services
from hospitality.attendance.services import AttendanceError
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import AuditLog, Site
from hospitality.models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from tests.factories import at, att_env, site_of, who
from tests.harness import count_rows

WED = date(2026, 3, 4)  # a Wednesday; the 7th and 8th are the weekend


@pytest.fixture
def env(app):
    return att_env(app)


def roster(env, post, day=WED, code="day"):
    return services.add_entry(site_of(env), who(env, "lead"), env.users[post], day, env.shifts[code])


def test_default_shifts_are_day_and_night_and_made_once(ctx, env):
    """白班 08:30–17:30 and 夜班 17:30–08:30 (overnight); calling again adds nothing."""
    with write_tx():
        rows = services.default_shifts(site_of(env))
    assert [(s.name, s.starts, s.ends, s.overnight) for s in rows] == [
        ("白班", time(8, 30), time(17, 30), False), ("夜班", time(17, 30), time(8, 30), True)]
    assert count_rows(Shift, Shift.site_id == env.site) == 2


def test_clock_in_within_grace_is_on_time_and_after_grace_is_late(ctx, env):
    """08:34 with 5 minutes' grace is on time; 08:41 is 11 minutes late (counted from the start)."""
    roster(env, "water_bar")
    roster(env, "model_room")
    a = services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 34))
    b = services.clock_in(site_of(env), who(env, "model_room"), "k2", now=at(2026, 3, 4, 8, 41))
    assert (a.day, a.late_minutes, a.roster_id is not None) == (WED, 0, True)
    assert b.late_minutes == 11
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "clock_in", AuditLog.entity_id == b.id))


def test_clocking_in_twice_is_refused_and_writes_nothing(ctx, env):
    """A second clock-in (a new tap, not a double tap) gets a clear message; one row stays."""
    roster(env, "water_bar")
    services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 20))
    with pytest.raises(AttendanceError) as e:
        services.clock_in(site_of(env), who(env, "water_bar"), "k2", now=at(2026, 3, 4, 9, 0))
    assert "08:20" in e.value.message
    assert count_rows(Attendance) == 1


def test_double_tap_clocks_in_once(ctx, env):
    """The same idempotency key twice answers with the first row."""
    first = services.clock_in(site_of(env), who(env, "water_bar"), "same-key", now=at(2026, 3, 4, 8, 20))
    again = services.clock_in(site_of(env), who(env, "water_bar"), "same-key", now=at(2026, 3, 4, 8, 21))
    assert again.id == first.id and count_rows(Attendance) == 1


def test_clock_out_without_clock_in_is_refused(ctx, env):
    """Clocking out first: a clear message, nothing written."""
    roster(env, "water_bar")
    with pytest.raises(AttendanceError) as e:
        services.clock_out(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 17, 30))
    assert e.value.field == "clock"
    assert count_rows(Attendance) == 0


def test_clock_out_before_the_end_records_minutes_early_and_twice_is_refused(ctx, env):
    """Out at 17:10 on a shift ending 17:30 is 20 minutes early; a second clock-out is refused."""
    roster(env, "water_bar")
    services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 20))
    a = services.clock_out(site_of(env), who(env, "water_bar"), "k2", now=at(2026, 3, 4, 17, 10))
    assert a.early_minutes == 20 and a.clock_out_at is not None
    same = services.clock_out(site_of(env), who(env, "water_bar"), "k2", now=at(2026, 3, 4, 17, 11))
    assert same.id == a.id
    with pytest.raises(AttendanceError) as e:
        services.clock_out(site_of(env), who(env, "water_bar"), "k3", now=at(2026, 3, 4, 17, 40))
    assert "17:10" in e.value.message


def test_night_shift_belongs_to_the_day_it_starts(ctx, env):
    """In at 00:40 for the 17:30 night shift counts for the evening before (late); out at 08:35 closes it."""
    roster(env, "security", code="night")
    a = services.clock_in(site_of(env), who(env, "security"), "k1", now=at(2026, 3, 5, 0, 40))
    assert a.day == WED and a.late_minutes == 7 * 60 + 10
    out = services.clock_out(site_of(env), who(env, "security"), "k2", now=at(2026, 3, 5, 8, 35))
    assert out.id == a.id and out.early_minutes == 0


def test_night_shift_clock_in_on_time_and_out_next_morning(ctx, env):
    """In at 17:22, out at 08:31 next day: on time, not early."""
    roster(env, "security", code="night")
    services.clock_in(site_of(env), who(env, "security"), "k1", now=at(2026, 3, 4, 17, 22))
    a = services.clock_out(site_of(env), who(env, "security"), "k2", now=at(2026, 3, 5, 8, 31))
    assert (a.day, a.late_minutes, a.early_minutes) == (WED, 0, 0)


def test_unrostered_clock_in_is_allowed_and_flagged(ctx, env):
    """Not on the roster: the clock-in is kept without a roster entry and shows as unrostered."""
    a = services.clock_in(site_of(env), who(env, "concierge"), "k1", now=at(2026, 3, 4, 9, 0))
    assert a.roster_id is None and a.late_minutes == 0
    board = reads.board_summary(site_of(env), WED, now=at(2026, 3, 4, 9, 5))
    assert [p.user.id for p in board["unrostered"]] == [env.users["concierge"]]


def test_rostering_after_an_unrostered_clock_in_links_it(ctx, env):
    """The lead adds the person afterwards: the clock-in joins the entry and lateness is computed."""
    services.clock_in(site_of(env), who(env, "concierge"), "k1", now=at(2026, 3, 4, 8, 50))
    entry = roster(env, "concierge")
    a = db.session.scalar(select(Attendance))
    assert a.roster_id == entry.id and a.late_minutes == 20


def test_a_forgotten_clock_in_does_not_block_the_next_day(ctx, env):
    """Yesterday's day shift never clocked out: today's clock-in still works."""
    roster(env, "water_bar", day=date(2026, 3, 3))
    roster(env, "water_bar")
    services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 3, 8, 20))
    a = services.clock_in(site_of(env), who(env, "water_bar"), "k2", now=at(2026, 3, 4, 8, 20))
    assert a.day == WED


def test_manager_does_not_clock_in(ctx, env):
    """The manager is not rostered and cannot clock in."""
    with pytest.raises(AttendanceError):
        services.clock_in(site_of(env), who(env, "manager"), "k1", now=at(2026, 3, 4, 8, 20))


def test_roster_refuses_someone_on_approved_leave(ctx, env):
    """Approved leave on a day: the lead cannot roster the person on it."""
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), WED, WED, "看病", today=WED)
    leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    with pytest.raises(AttendanceError) as e:
        roster(env, "water_bar")
    assert e.value.field == "user_id"
    assert count_rows(RosterEntry) == 0


def test_roster_same_entry_twice_is_one_and_another_shift_is_refused(ctx, env):
    """A repeated add changes nothing; a second shift the same day gets a clear message."""
    a = roster(env, "water_bar")
    assert roster(env, "water_bar").id == a.id
    with pytest.raises(AttendanceError) as e:
        roster(env, "water_bar", code="night")
    assert e.value.field == "user_id"
    assert count_rows(RosterEntry) == 1


def test_roster_refuses_other_sites_people_and_shifts(ctx, env):
    """Ids of another site are not choices."""
    with pytest.raises(AttendanceError) as e:
        services.add_entry(site_of(env), who(env, "lead"), env.other_users["water_bar"], WED, env.shifts["day"])
    assert e.value.field == "user_id"
    with pytest.raises(AttendanceError) as e:
        services.add_entry(site_of(env), who(env, "lead"), env.users["water_bar"], WED, env.other_shifts["day"])
    assert e.value.field == "shift_id"
    assert count_rows(RosterEntry) == 0


def test_remove_entry_refused_after_clock_in(ctx, env):
    """An entry someone clocked in for stays; one without a clock-in goes."""
    a = roster(env, "water_bar")
    b = roster(env, "model_room")
    services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 20))
    with pytest.raises(AttendanceError):
        services.remove_entry(site_of(env), who(env, "lead"), a)
    services.remove_entry(site_of(env), who(env, "lead"), b)
    assert [e.id for e in db.session.scalars(select(RosterEntry))] == [a.id]


def test_copy_last_week_skips_leave_and_days_already_rostered(ctx, env):
    """Last week's three entries: one copied, one day already rostered, one person on leave."""
    last = date(2026, 2, 25)
    roster(env, "water_bar", day=last)
    roster(env, "model_room", day=last)
    roster(env, "concierge", day=last)
    roster(env, "model_room", code="night")  # this Wednesday is taken already
    lv = leaves.request_leave(site_of(env), who(env, "concierge"), WED, WED, "家里有事", today=WED)
    leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    copied, skipped = services.copy_last_week(site_of(env), who(env, "lead"), date(2026, 3, 6))
    assert (copied, skipped) == (1, 2)
    rows = {(e.user_id, e.day, e.shift_id) for e in db.session.scalars(select(RosterEntry).where(
        RosterEntry.day == WED))}
    assert rows == {(env.users["water_bar"], WED, env.shifts["day"]),
                    (env.users["model_room"], WED, env.shifts["night"])}
    assert services.copy_last_week(site_of(env), who(env, "lead"), WED) == (0, 3)


def test_leave_that_ends_before_it_starts_is_refused(ctx, env):
    """The end before the start: a message under 'ends', nothing saved."""
    with pytest.raises(AttendanceError) as e:
        leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-05", "2026-03-04", "事假", today=WED)
    assert e.value.field == "ends"
    assert count_rows(LeaveRequest) == 0


@pytest.mark.parametrize("starts, ends, reason, field", [
    ("", "2026-03-05", "事假", "starts"), ("2026-03-04", "nope", "事假", "ends"),
    ("2026-03-04", "2026-03-05", "  ", "reason"), ("2026-01-01", "2026-01-02", "事假", "starts"),
    ("2026-03-04", "2026-05-04", "事假", "ends")])
def test_bad_leave_input_is_refused(ctx, env, starts, ends, reason, field):
    """Missing dates, no reason, too far back or too long: a message under the field."""
    with pytest.raises(AttendanceError) as e:
        leaves.request_leave(site_of(env), who(env, "water_bar"), starts, ends, reason, today=WED)
    assert e.value.field == field
    assert count_rows(LeaveRequest) == 0


def test_overlapping_leave_is_refused_but_not_after_refusal(ctx, env):
    """A request overlapping one's own pending request is refused; once refused, the days are free."""
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-10", "2026-03-12", "事假", today=WED)
    with pytest.raises(AttendanceError) as e:
        leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-12", "2026-03-13", "事假", today=WED)
    assert e.value.field == "starts"
    # A colleague's leave on the same days is no overlap.
    leaves.request_leave(site_of(env), who(env, "water_bar2"), "2026-03-12", "2026-03-13", "事假", today=WED)
    leaves.decide_leave(site_of(env), who(env, "lead"), lv, "refuse", "人手不够")
    leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-12", "2026-03-13", "事假", today=WED)
    assert count_rows(LeaveRequest) == 3


def test_refusing_needs_a_reason(ctx, env):
    """A refusal without a note: the message goes under 'note'; the request stays pending."""
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-10", "2026-03-10", "事假", today=WED)
    with pytest.raises(AttendanceError) as e:
        leaves.decide_leave(site_of(env), who(env, "lead"), lv, "refuse", " ")
    assert e.value.field == "note"
    assert db.session.get(LeaveRequest, lv.id).status == "pending"


def test_weekend_leave_needs_an_explicit_override(ctx, env):
    """Leave over Saturday is refused without the override; with it, approved and recorded as overridden."""
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-06", "2026-03-07", "事假", today=WED)
    with pytest.raises(AttendanceError) as e:
        leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    assert e.value.field == "override" and "2026-03-07" in e.value.message
    assert db.session.get(LeaveRequest, lv.id).status == "pending"
    done = leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", "特批", override=True)
    assert (done.status, done.warning_overridden, done.decided_by_id) == ("approved", True, env.users["lead"])


def test_weekday_leave_approves_without_override(ctx, env):
    """No weekend in the leave: no warning, not overridden."""
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-10", "2026-03-11", "事假", today=WED)
    done = leaves.decide_leave(site_of(env), who(env, "manager"), lv, "approve", None)
    assert (done.status, done.warning_overridden) == ("approved", False)


def test_nobody_decides_their_own_leave_or_twice(ctx, env):
    """The lead's own request waits for someone else; a decided request cannot be decided again."""
    own = leaves.request_leave(site_of(env), who(env, "lead"), "2026-03-10", "2026-03-10", "事假", today=WED)
    with pytest.raises(AttendanceError):
        leaves.decide_leave(site_of(env), who(env, "lead"), own, "approve", None)
    leaves.decide_leave(site_of(env), who(env, "manager"), own, "approve", None)
    with pytest.raises(AttendanceError) as e:
        leaves.decide_leave(site_of(env), who(env, "manager"), own, "refuse", "不行")
    assert e.value.field == "action"
    assert db.session.get(LeaveRequest, own.id).status == "approved"


def test_cancel_only_own_pending_request(ctx, env):
    """The person cancels their pending request; a colleague cannot; a decided one cannot be cancelled."""
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), "2026-03-10", "2026-03-10", "事假", today=WED)
    with pytest.raises(AttendanceError):
        leaves.cancel_leave(site_of(env), who(env, "water_bar2"), lv)
    assert leaves.cancel_leave(site_of(env), who(env, "water_bar"), lv).status == "cancelled"
    with pytest.raises(AttendanceError):
        leaves.cancel_leave(site_of(env), who(env, "water_bar"), lv)


def test_board_lists_on_duty_late_missing_leave_and_not_yet(ctx, env):
    """At 08:45: one in on time, one late, one absent, one on leave, the night guard not started."""
    for post in ("water_bar", "model_room", "concierge"):
        roster(env, post)
    roster(env, "security", code="night")
    roster(env, "water_bar2")
    lv = leaves.request_leave(site_of(env), who(env, "water_bar2"), WED, WED, "病假", today=WED)
    leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 22))
    services.clock_in(site_of(env), who(env, "model_room"), "k2", now=at(2026, 3, 4, 8, 44))
    b = reads.board_summary(site_of(env), WED, now=at(2026, 3, 4, 8, 45))

    def ids(key):
        return sorted(p.user.id for p in b[key])
    u = env.users
    assert ids("on_duty") == sorted([u["water_bar"], u["model_room"]])
    assert ids("late") == [u["model_room"]] and b["late"][0].late == 14
    assert ids("missing") == [u["concierge"]]
    assert ids("on_leave") == [u["water_bar2"]]
    assert ids("not_yet") == [u["security"]]
    assert reads.on_duty(site_of(env), WED) == sorted(
        [who(env, p) for p in ("water_bar", "model_room", "concierge", "security")], key=lambda x: x.name)


def test_not_missing_within_grace(ctx, env):
    """At 08:33 with 5 minutes' grace nobody is absent yet."""
    roster(env, "concierge")
    b = reads.board_summary(site_of(env), WED, now=at(2026, 3, 4, 8, 33))
    assert not b["missing"] and len(b["not_yet"]) == 1


def test_today_card_states(ctx, env):
    """The card: not started, absent with minutes, on duty with clock-out, done; off when not rostered."""
    roster(env, "water_bar")
    s, u = site_of(env), who(env, "water_bar")
    assert reads.today_card(s, u, now=at(2026, 3, 4, 8, 0))["state"] == "not_yet"
    card = reads.today_card(s, u, now=at(2026, 3, 4, 8, 50))
    assert (card["state"], card["late_by"], card["can_clock_in"]) == ("missing", 20, True)
    services.clock_in(s, u, "k1", now=at(2026, 3, 4, 8, 50))
    card = reads.today_card(s, u, now=at(2026, 3, 4, 9, 0))
    assert (card["state"], card["can_clock_in"], card["can_clock_out"]) == ("on_duty", False, True)
    services.clock_out(s, u, "k2", now=at(2026, 3, 4, 17, 35))
    card = reads.today_card(s, u, now=at(2026, 3, 4, 17, 40))
    assert (card["state"], card["can_clock_in"], card["can_clock_out"]) == ("done", False, False)
    assert reads.today_card(s, who(env, "concierge"), now=at(2026, 3, 4, 9, 0))["state"] == "off"


def test_today_card_of_a_night_guard_the_morning_after(ctx, env):
    """At 07:00 the guard who clocked in last night sees yesterday's shift and the clock-out button."""
    roster(env, "security", code="night")
    services.clock_in(site_of(env), who(env, "security"), "k1", now=at(2026, 3, 4, 17, 20))
    card = reads.today_card(site_of(env), who(env, "security"), now=at(2026, 3, 5, 7, 0))
    assert (card["day"], card["state"], card["can_clock_out"]) == (WED, "on_duty", True)


def test_month_sheet_totals(ctx, env):
    """A month: worked, late, left early, on leave and absent days add up."""
    s, u, lead = site_of(env), who(env, "water_bar"), who(env, "lead")
    for d in (2, 3, 4, 5):
        roster(env, "water_bar", day=date(2026, 3, d))
    services.clock_in(s, u, "a", now=at(2026, 3, 2, 8, 25))
    services.clock_out(s, u, "b", now=at(2026, 3, 2, 17, 0))
    services.clock_in(s, u, "c", now=at(2026, 3, 3, 8, 50))
    services.clock_out(s, u, "d", now=at(2026, 3, 3, 17, 40))
    lv = leaves.request_leave(s, u, "2026-03-05", "2026-03-05", "病假", today=WED)
    leaves.decide_leave(s, lead, lv, "approve", None)
    [sheet] = reads.month_sheets(s, [u], date(2026, 3, 15), now=at(2026, 3, 6, 12, 0))
    assert len(sheet.days) == 31
    assert sheet.totals == {"rostered": 4, "worked": 2, "late_days": 1, "late_minutes": 20, "early_days": 1,
                            "early_minutes": 30, "leave_days": 1, "missing": 1, "unrostered": 0}


def test_settings_save_grace_and_times_or_nothing(ctx, env):
    """Grace and shift times are saved together; a bad time saves nothing."""
    s, lead = site_of(env), who(env, "lead")
    day = env.shifts["day"]
    with pytest.raises(AttendanceError) as e:
        services.save_settings(s, lead, "10", {day: {"name": "白班", "starts": "9:00", "ends": "25:00"}})
    assert e.value.field == f"ends-{day}"
    assert db.session.get(Site, env.site).grace_minutes == 5
    with pytest.raises(AttendanceError) as e:
        services.save_settings(s, lead, "90", {})
    assert e.value.field == "grace_minutes"
    services.save_settings(s, lead, "10", {day: {"name": "早班", "starts": "09:00", "ends": "18:00", "active": True}},
                           {"name": "中班", "starts": "12:00", "ends": "21:00"})
    db.session.expire_all()
    assert db.session.get(Site, env.site).grace_minutes == 10
    names = {(x.name, x.starts, x.ends) for x in services.shifts(env.site)}
    assert ("早班", time(9), time(18)) in names and ("中班", time(12), time(21)) in names


def test_seed_demo_makes_a_roster_clock_ins_and_leave(ctx, env):
    """The demo: shifts, 22 days of roster, past clock-ins (some late), one pending and one approved leave."""
    from hospitality.attendance.demo import seed_demo
    s = site_of(env)
    users = {p: who(env, p) for p in ("water_bar", "model_room", "concierge", "security")}
    with write_tx():
        seed_demo(s, list(users.values()), who(env, "lead"))
    assert count_rows(RosterEntry) > 60
    assert count_rows(Attendance) > 40
    assert count_rows(Attendance, Attendance.late_minutes > 0) > 0
    assert {lv.status for lv in db.session.scalars(select(LeaveRequest))} == {"pending", "approved"}


def test_month_totals_match_the_sheets(ctx, env):
    """The overview's totals (plain rows) equal the per-day sheets' totals for every person."""
    s, lead = site_of(env), who(env, "lead")
    for d in (2, 3, 4, 5, 6):
        roster(env, "water_bar", day=date(2026, 3, d))
        roster(env, "security", day=date(2026, 3, d), code="night")
    services.clock_in(s, who(env, "water_bar"), "a", now=at(2026, 3, 2, 8, 45))
    services.clock_out(s, who(env, "water_bar"), "b", now=at(2026, 3, 2, 16, 0))
    services.clock_in(s, who(env, "security"), "c", now=at(2026, 3, 3, 17, 40))
    services.clock_in(s, who(env, "concierge"), "d", now=at(2026, 3, 3, 9, 0))
    lv = leaves.request_leave(s, who(env, "security"), "2026-03-05", "2026-03-06", "病假", today=WED)
    leaves.decide_leave(s, lead, lv, "approve", None)
    people = [who(env, p) for p in ("water_bar", "security", "concierge", "lead")]
    now = at(2026, 3, 6, 18, 0)
    sheets = reads.month_sheets(s, people, date(2026, 3, 1), now=now)
    totals = reads.month_totals(s, people, date(2026, 3, 1), now=now)
    assert [(sh.user.id, sh.totals) for sh in sheets] == [(u.id, t) for u, t in totals]
    assert totals[0][1]["missing"] == 4 and totals[1][1]["leave_days"] == 2 and totals[2][1]["unrostered"] == 1


def test_clock_card_speaks_of_the_handover_only_once_there_is_one(ctx, env):
    """Just clocked in: nothing about a handover; in the shift's last hour it is due; a draft asks to finish it, a
    submitted one waits for acceptance, an accepted one says nothing again; the concierge does not hand over."""
    from hospitality.handover import services as handover
    s = site_of(env)
    for post in ("water_bar", "concierge"):
        roster(env, post)
        services.clock_in(s, who(env, post), f"in-{post}", now=at(2026, 3, 4, 8, 20))
    at_five = at(2026, 3, 4, 17, 0)

    def state(post="water_bar", now=at_five):
        return reads.today_card(s, who(env, post), now=now)["handover"]

    # Right after clocking in nothing is said; within the shift's last hour (it ends 17:30) it is due.
    assert state(now=at(2026, 3, 4, 9, 0)) == "none" and state(now=at(2026, 3, 4, 16, 29)) == "none"
    assert state() == "due" and state("concierge") == "closed"
    assert reads.today_card(s, who(env, "model_room"), now=at_five)["handover"] == "closed"  # not on duty
    h = handover.start(s, who(env, "water_bar"), env.users["water_bar2"], None)
    assert state() == "draft"
    handover.submit(s, who(env, "water_bar"), h, env.users["water_bar2"], "", True)
    assert state() == "waiting"
    handover.accept(s, who(env, "water_bar2"), db.session.get(type(h), h.id))
    assert state() == "closed"


def test_move_entry_to_another_shift_of_the_day(ctx, env):
    """One action moves the entry (same row, same post), audited with both shifts; moving it there again is a
    no-op."""
    a = roster(env, "water_bar")
    moved = services.move_entry(site_of(env), who(env, "lead"), a, env.shifts["night"])
    assert moved.id == a.id
    rows = db.session.execute(select(RosterEntry.id, RosterEntry.shift_id, RosterEntry.post, RosterEntry.day)).all()
    assert rows == [(a.id, env.shifts["night"], "water_bar", WED)]
    services.move_entry(site_of(env), who(env, "lead"), a, str(env.shifts["night"]))
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "roster_move")).all()
    assert [(x.entity_id, x.detail["shift_before"], x.detail["shift"]) for x in audits] == [(a.id, "白班", "夜班")]


def test_move_entry_onto_leave_is_refused_like_adding(ctx, env):
    """Approved leave that day (granted after rostering): the move is refused with the add path's message."""
    a = roster(env, "water_bar")
    lv = leaves.request_leave(site_of(env), who(env, "water_bar"), WED, WED, "看病", today=WED)
    leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
    with pytest.raises(AttendanceError) as moving:
        services.move_entry(site_of(env), who(env, "lead"), a, env.shifts["night"])
    with pytest.raises(AttendanceError) as adding:
        roster(env, "water_bar", code="night")
    assert moving.value.message == adding.value.message and "请假" in moving.value.message
    assert moving.value.field == f"move-{a.id}"
    assert db.session.scalar(select(RosterEntry.shift_id)) == env.shifts["day"]
    assert count_rows(AuditLog, AuditLog.action == "roster_move") == 0


def test_move_entry_refused_after_clock_in_or_to_a_shift_not_offered(ctx, env):
    """Clocked in for the day, another site's shift, a shift out of use or nothing chosen: refused under the
    entry's own field, nothing changed."""
    a = roster(env, "water_bar")
    b = roster(env, "model_room")
    services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 20))
    with pytest.raises(AttendanceError) as e:
        services.move_entry(site_of(env), who(env, "lead"), a, env.shifts["night"])
    assert e.value.field == f"move-{a.id}" and who(env, "water_bar").name in e.value.message
    with write_tx():
        db.session.get(Shift, env.shifts["night"]).active = False
    for raw in (env.other_shifts["night"], env.shifts["night"], "", "x"):
        with pytest.raises(AttendanceError) as e:
            services.move_entry(site_of(env), who(env, "lead"), b, raw)
        assert e.value.field == f"move-{b.id}"
    assert set(db.session.scalars(select(RosterEntry.shift_id))) == {env.shifts["day"]}


def test_move_of_an_entry_removed_meanwhile_says_so(ctx, env):
    """Another phone removed the entry first: a clear message, no new row."""
    a = roster(env, "water_bar")
    services.remove_entry(site_of(env), who(env, "lead"), a)
    with pytest.raises(AttendanceError) as e:
        services.move_entry(site_of(env), who(env, "lead"), a, env.shifts["night"])
    assert e.value.field == "form" and count_rows(RosterEntry) == 0
