"""Staff evaluation's remaining rules on small made-up data: grooming failures, own routine late, own post's routine
missed, discrepancies of their counts, left early, absent; the same rows at another site never count."""
from datetime import time, timedelta

from sqlalchemy import select

from hospitality.attendance.reads.sheets import month_bounds
from hospitality.checklists.reads import routines
from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.evaluation import reads
from hospitality.extensions import db
from hospitality.models import ChecklistRun, ChecklistTemplate, Discrepancy, Site
from hospitality.models.attendance import Attendance, RosterEntry, Shift
from hospitality.models.inventory import StockCount
from tests.factories import (
    clock_in,
    leave,
    local_utc,
    location,
    make_site,
    make_user,
    roster,
    routine,
    seeded_site,
    template,
)


def _grooming(site_id, subject, by, day, failed):
    with write_tx():
        db.session.add(ChecklistRun(site_id=site_id, template_id=template(site_id, "grooming").id, shift_date=day,
                                    started_by_id=by, subject_user_id=subject, failed_count=failed,
                                    completed_by_id=by, completed_at=local_utc(db.session.get(Site, site_id), day)))


def _discrepancy(site_id, counted_by, day):
    site = db.session.get(Site, site_id)
    with write_tx():
        count = StockCount(site_id=site_id, location_id=location(site_id).id, kind="spot", status="discrepancy",
                           started_by_id=counted_by, started_at=local_utc(site, day))
        db.session.add(count)
        db.session.flush()
        db.session.add(Discrepancy(site_id=site_id, count_id=count.id, location_id=count.location_id,
                                   opened_at=local_utc(site, day)))


def _counts(site_id, month, user_id):
    m = reads.months(db.session.get(Site, site_id), month, only=user_id)[0]
    return {i.rule: i.count for i in m.items}


def test_grooming_routines_discrepancies_early_and_absent_count(app):
    """Each rule counts its occurrences for its person on a past day; the same kinds of rows at another site (even
    naming the person) add nothing."""
    with app.app_context():
        site, other = seeded_site(make_site().id), seeded_site(make_site().id)
        day = site.today() - timedelta(days=1)
        month = day.replace(day=1)
        bar, idle = make_user(site.id, "water_bar"), make_user(site.id, "water_bar")
        room, desk = make_user(site.id, "model_room"), make_user(site.id, "concierge")
        lead = make_user(site.id, "lead")
        far_lead = make_user(other.id, "lead")
        # Grooming: a check with a failed item counts, a clean one does not.
        _grooming(site.id, bar.id, lead.id, day, failed=2)
        _grooming(site.id, bar.id, lead.id, day - timedelta(days=1) if day.day > 1 else day, failed=0)
        # Own routine late: the bar's opening routine completed an hour after it was due.
        opening = routine(site.id, "water_bar", "opening")
        due = opening.due_time or time(9)
        with write_tx():
            db.session.add(ChecklistRun(site_id=site.id, template_id=opening.id, shift_date=day,
                                        started_by_id=bar.id, completed_by_id=bar.id,
                                        completed_at=local_utc(site, day, time(due.hour + 1, due.minute))))
        # On the roster that day: the bar's other routines were missed (the idle one was not rostered).
        roster(site.id, bar.id, day)
        # Left early: clocked out 20 minutes before the end.
        with write_tx():
            db.session.add(Attendance(site_id=site.id, user_id=bar.id, day=day, clock_in_at=local_utc(site, day,
                                      time(8, 30)), clock_out_at=local_utc(site, day, time(17, 10)),
                                      early_minutes=20))
        # Absent: rostered without a clock-in; the concierge on approved leave is not absent.
        roster(site.id, room.id, day)
        roster(site.id, desk.id, day)
        leave(site.id, desk.id, day)
        _discrepancy(site.id, bar.id, day)
        # Another site's rows, some naming our people: never counted here.
        _grooming(other.id, bar.id, far_lead.id, day, failed=3)
        _discrepancy(other.id, bar.id, day)
        clock_in(other.id, room.id, day, local_utc(other, day), late=15)
        bar_routines = [t for t in routines(site.id, "water_bar")
                        if t.recurrence == "daily" and t.assignee == "post"]
        site = db.session.get(Site, site.id)
        got = _counts(site.id, month, bar.id)
        assert got == {"late": 0, "left_early": 1, "absent": 0, "grooming": 1, "routine_late": 1,
                       "routine_missed": len(bar_routines) - 1, "discrepancy": 1, "task_overdue": 0}
        assert _counts(site.id, month, idle.id)["routine_missed"] == 0
        room_counts = _counts(site.id, month, room.id)
        assert (room_counts["absent"], room_counts["late"]) == (1, 0)
        assert _counts(site.id, month, desk.id)["absent"] == 0


def _shift(site_id, code, starts, ends):
    found = db.session.scalar(select(Shift).where(Shift.site_id == site_id, Shift.code == code))
    if found is None:
        with write_tx():
            found = Shift(site_id=site_id, code=code, name=code, starts=starts, ends=ends)
            db.session.add(found)
    return found


def test_routines_given_to_a_person_or_to_a_shift_count_for_their_people(app):
    """A daily routine given to a person by name is missed by them on each day of the month it was due and not done
    (rostered or not), and done after its due time it is late for whoever did it; a post's routine bound to the
    night shift is missed by the post's night guard, not by its day guard; the days after today count nothing."""
    with app.app_context():
        site = seeded_site(make_site().id)
        today = site.today()
        day = today - timedelta(days=1)
        month = day.replace(day=1)
        guard, day_guard, bar, helper = (make_user(site.id, "security"), make_user(site.id, "security"),
                                         make_user(site.id, "water_bar"), make_user(site.id, "water_bar"))
        night = _shift(site.id, "night", time(17, 30), time(8, 30))
        with write_tx():
            db.session.add(RosterEntry(site_id=site.id, user_id=guard.id, day=day, shift_id=night.id,
                                       post="security", created_by_id=guard.id))
        roster(site.id, day_guard.id, day)
        before = {p.id: _counts(site.id, month, p.id) for p in (guard, day_guard)}

        with write_tx():
            mine = ChecklistTemplate(site_id=site.id, kind="closing", post="water_bar", name="关灯检查",
                                     due_time=time(0, 1), assignee="person", person_id=bar.id)
            nightly = ChecklistTemplate(site_id=site.id, kind="closing", post="security", name="夜班锁门",
                                        due_time=time(23, 0), shift_id=night.id)
            db.session.add_all([mine, nightly])
        # The named routine: done late by the helper on `day`, not done on the month's other days so far.
        with write_tx():
            db.session.add(ChecklistRun(site_id=site.id, template_id=mine.id, shift_date=day, started_by_id=helper.id,
                                        completed_by_id=helper.id, completed_at=local_utc(site, day, time(9))))
        now = utcnow()
        last = min(month_bounds(month)[1], today)
        due_days = [d for d in (month + timedelta(days=n) for n in range((last - month).days + 1))
                    if local_utc(site, d, time(0, 1)) < now]
        assert _counts(site.id, month, bar.id)["routine_missed"] == len(due_days) - 1  # `day` was done
        helper_counts = _counts(site.id, month, helper.id)
        assert (helper_counts["routine_late"], helper_counts["routine_missed"]) == (1, 0)
        # The night routine on `day`: the night guard's, missed; none of the day guard's.
        assert _counts(site.id, month, guard.id)["routine_missed"] == before[guard.id]["routine_missed"] + 1
        assert _counts(site.id, month, day_guard.id) == before[day_guard.id]
        with write_tx():
            db.session.add(ChecklistRun(site_id=site.id, template_id=nightly.id, shift_date=day, started_by_id=guard.id,
                                        completed_by_id=guard.id, completed_at=local_utc(site, day, time(22))))
        assert _counts(site.id, month, guard.id) == before[guard.id]  # done on time: neither missed nor late
