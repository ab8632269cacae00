"""The checklist engine's rounds of a night patrol: one an hour through the night shift across midnight, the round a
wall-clock moment falls in, the next one, and each round's state; a template without a shift keeps its times."""
from datetime import datetime, time, timedelta

import pytest

from hospitality.checklists import reads as checklists
from hospitality.clock import travel_to
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import ChecklistRun, ChecklistTemplate
from hospitality.models.patrol import Checkpoint
from hospitality.patrol import reads, services
from tests.factories import local_utc, patrol_env, site_of, who

SLOTS = ["17:30", "18:30", "19:30", "20:30", "21:30", "22:30", "23:30", "00:30", "01:30", "02:30", "03:30",
         "04:30", "05:30", "06:30", "07:30"]


@pytest.fixture
def env(app):
    with app.app_context():
        return patrol_env(app)


def patrol(env) -> ChecklistTemplate:
    return reads.template(env.site)


def wall(env, hh: int, mm: int = 0) -> datetime:
    """A naive wall-clock moment of the env's night (hh < 12: the next morning), as the engine reads moments."""
    return env.at(hh, mm).replace(tzinfo=None)


def test_the_seeded_patrol_has_fifteen_hourly_rounds_across_midnight(ctx, env):
    """17:30 … 07:30, each opening at its slot and due an hour later; from 00:30 on the next calendar day."""
    rounds = checklists.schedule(patrol(env), env.night)
    assert [r.slot for r in rounds] == SLOTS
    next_day = env.night + timedelta(days=1)
    for r in rounds:
        hh, mm = map(int, r.slot.split(":"))
        assert r.opens_at == datetime.combine(next_day if hh < 12 else env.night, time(hh, mm))
        assert r.due_at == r.opens_at + timedelta(hours=1)
        assert r.due_time == r.due_at.time()
    assert rounds[6].due_at == datetime.combine(next_day, time(0, 30))  # 23:30 is due after midnight
    assert rounds[-1].due_at == datetime.combine(next_day, time(8, 30))  # the shift's end


def test_round_at_finds_the_round_of_a_moment_and_its_night(ctx, env):
    """23:40 is the night's 23:30 round; 02:10 next morning is the same night's 01:30; noon is in no round."""
    p = patrol(env)
    day, r = checklists.round_at(p, wall(env, 23, 40))
    assert (day, r.slot) == (env.night, "23:30")
    day, r = checklists.round_at(p, wall(env, 2, 10))
    assert (day, r.slot) == (env.night, "01:30")
    assert r.opens_at == datetime.combine(env.night + timedelta(days=1), time(1, 30))
    assert checklists.round_at(p, wall(env, 17, 30))[1].slot == "17:30"  # opens at its slot
    assert checklists.round_at(p, wall(env, 12, 0)) is None
    assert checklists.round_at(p, wall(env, 8, 30)) is None  # the shift is over
    assert checklists.round_at(p, wall(env, 17, 29)) is None


def test_next_round_is_the_first_to_open_after_a_moment(ctx, env):
    """At noon the next round is that evening's 17:30; at 23:40 the 00:30 of the same night; after 07:30 tonight's."""
    p = patrol(env)
    day, r = checklists.next_round(p, wall(env, 12, 0))
    assert (day, r.slot) == (env.night, "17:30")
    day, r = checklists.next_round(p, wall(env, 23, 40))
    assert (day, r.slot) == (env.night, "00:30")
    day, r = checklists.next_round(p, wall(env, 7, 45))
    assert (day, r.slot) == (env.night + timedelta(days=1), "17:30")


def test_night_of_a_moment_is_the_day_the_shift_started(ctx, env):
    """Before the night shift starts, a moment belongs to the night that began the day before."""
    p = patrol(env)
    assert reads.night_of(p, wall(env, 3, 0)) == env.night
    assert reads.night_of(p, wall(env, 11, 0)) == env.night
    assert reads.night_of(p, wall(env, 18, 0)) == env.night


def _scan_all(env, hh: int, mm: int) -> None:
    """The guard scans every active checkpoint at hh:mm of the env's night."""
    with travel_to(env.at(hh, mm), frozen=True):
        site, guard = site_of(env), who(env, "guard")
        for cp_id in env.points:
            admitted = services.admit(site, guard, db.session.get(Checkpoint, cp_id))
            services.scan(site, guard, admitted, ok="1")


def test_day_status_done_late_missing_and_to_come(ctx, env):
    """A round scanned in its window is done; one completed after its due time late; none after due missing; a
    round not due yet is to come, and a started one past due overdue. Each knows its window."""
    _scan_all(env, 23, 40)
    site, p = site_of(env), patrol(env)
    with write_tx():  # the 00:30 round (due 01:30) completed at 01:45; the 02:30 one started, never finished
        db.session.add(ChecklistRun(site_id=env.site, template_id=p.id, shift_date=env.night, slot="00:30",
                                    started_by_id=env.users["guard"],
                                    started_at=local_utc(site, env.night + timedelta(days=1), time(0, 40)),
                                    completed_at=local_utc(site, env.night + timedelta(days=1), time(1, 45)),
                                    completed_by_id=env.users["guard"]))
        db.session.add(ChecklistRun(site_id=env.site, template_id=p.id, shift_date=env.night, slot="02:30",
                                    started_by_id=env.users["guard"],
                                    started_at=local_utc(site, env.night + timedelta(days=1), time(2, 40))))
    states = {s.slot: s for s in checklists.day_status(site, env.night, [p], wall(env, 4, 0))}
    assert list(states) == SLOTS
    assert states["23:30"].state == "done"
    assert states["00:30"].state == "late"
    assert states["22:30"].state == "missing" and states["01:30"].state == "missing"
    assert states["02:30"].state == "overdue"
    assert states["03:30"].state == "pending"  # open now, nothing scanned yet
    assert states["07:30"].state == "pending"
    assert states["23:30"].opens_at == wall(env, 23, 30) and states["23:30"].due_at == wall(env, 0, 30)


def test_a_round_done_in_its_window_stays_done_the_next_morning(ctx, env):
    """The 01:30 round scanned at 02:10 (after midnight, its own window) is done, not late, read at 09:00."""
    _scan_all(env, 2, 10)
    states = {s.slot: s.state for s in checklists.day_status(site_of(env), env.night, [patrol(env)],
                                                             wall(env, 9, 0))}
    assert states["01:30"] == "done"
    assert states["00:30"] == "missing" and states["02:30"] == "missing"


def test_a_template_without_a_shift_keeps_its_times(ctx, env):
    """An inspection with times has one round per time, due then, no window; its slot the time."""
    with write_tx():
        t = ChecklistTemplate(site_id=env.site, kind="inspection", post="lead", name="大堂巡查",
                              times="10:00,15:00", every_minutes=60)
        db.session.add(t)
    rounds = checklists.schedule(t, env.night)
    assert [(r.slot, r.due_time, r.opens_at) for r in rounds] == [("10:00", time(10), None), ("15:00", time(15), None)]
    assert [r.due_at for r in rounds] == [datetime.combine(env.night, time(10)), datetime.combine(env.night, time(15))]
    assert checklists.round_at(t, datetime.combine(env.night, time(10))) is None  # no window: never "open"
    states = checklists.day_status(site_of(env), env.night, [t], datetime.combine(env.night, time(12)))
    assert [(s.slot, s.state) for s in states] == [("10:00", "missing"), ("15:00", "pending")]
