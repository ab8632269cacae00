"""Staff evaluation's remaining rules on small made-up data: grooming failures, own routine late, own post's routine
missed, discrepancies of their counts, left early, absent; the same rows at another site never count."""
from datetime import time, timedelta

from hospitality.checklists.reads import routines
from hospitality.database import write_tx
from hospitality.evaluation import reads
from hospitality.extensions import db
from hospitality.models import ChecklistRun, Discrepancy, Site
from hospitality.models.attendance import Attendance
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
