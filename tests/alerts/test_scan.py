"""Time-based alerts (scan, run by the worker on each pass): a complaint past its deadline, a purchase request waiting
more than the robot's N hours, a rostered person absent, a missed patrol round. Each fires once for the site's
subscribed robots, never for another kind's robot or another site's, however many passes or workers."""
import threading
from datetime import datetime, time, timedelta

from sqlalchemy import select

from hospitality.alerts.scan import scan
from hospitality.clock import to_utc, utcnow
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.alerts import AlertFired, AlertOutbox
from hospitality.models.complaints import Complaint
from hospitality.models.purchasing import PurchaseRequest
from tests.alerts.conftest import add_robot
from tests.factories import clock_in, leave, patrol_env, roster
from tests.harness import count_rows

HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


def _outbox(kind=None):
    q = select(AlertOutbox).order_by(AlertOutbox.id)
    if kind:
        q = q.where(AlertOutbox.kind == kind)
    return list(db.session.scalars(q))


def _complaint(site_id, by, now, respond_in=timedelta(hours=2), close_in=timedelta(days=7), step=1):
    with write_tx():
        c = Complaint(site_id=site_id, channel="onsite", topic="other", said="茶水不热,等了很久", registered_by_id=by,
                      registered_at=now - timedelta(hours=3), step=step, respond_by=now + respond_in,
                      close_by=now + close_in)
        db.session.add(c)
    return c.id


def _purchase(site_id, by, submitted_at, status="pending"):
    with write_tx():
        r = PurchaseRequest(site_id=site_id, status=status, for_date=submitted_at.date(), requested_by_id=by,
                            submitted_at=submitted_at)
        db.session.add(r)
    return r.id


def test_a_late_complaint_fires_once_for_subscribed_robots_of_its_site_only(ctx, env):
    """Past its first-response deadline: one message in Chinese to the subscribed robot; not to a robot of another
    kind, not to another site's robot; a second pass queues nothing."""
    now = utcnow()
    mine = add_robot(env.site, HOOK + "a", events="complaint_late")
    add_robot(env.site, HOOK + "b", events="discrepancy")
    add_robot(env.other, HOOK + "c", events="complaint_late")
    _complaint(env.site, env.users["manager"], now, respond_in=-timedelta(minutes=5))
    _complaint(env.site, env.users["manager"], now)  # within its deadlines: nothing
    assert scan(now) == 1
    [row] = _outbox()
    assert (row.robot_id, row.kind, row.site_id) == (mine, "complaint_late", env.site)
    assert "茶水不热" in row.text
    assert scan(now + timedelta(minutes=1)) == 0 and len(_outbox()) == 1


def test_a_complaint_past_its_closing_deadline_fires_again_once(ctx, env):
    """Answered in time but not closed in time: the closing deadline is its own event (once)."""
    now = utcnow()
    add_robot(env.site, HOOK + "a", events="complaint_late")
    _complaint(env.site, env.users["manager"], now, respond_in=-timedelta(hours=1), close_in=timedelta(hours=1))
    assert scan(now) == 1
    assert scan(now + timedelta(hours=2)) == 1  # now past closing too
    assert scan(now + timedelta(hours=3)) == 0 and len(_outbox()) == 2


def test_a_purchase_request_waits_more_than_each_robots_hours(ctx, env):
    """N per robot (default 4): a request pending 5 hours alerts the 4-hour robot, not yet the 8-hour one; once each."""
    now = utcnow()
    four = add_robot(env.site, HOOK + "a", events="purchase_waiting")
    eight = add_robot(env.site, HOOK + "b", events="purchase_waiting")
    with write_tx():
        db.session.get(AlertRobotModel(), eight).wait_hours = 8
    add_robot(env.other, HOOK + "c", events="purchase_waiting")
    _purchase(env.site, env.users["lead"], now - timedelta(hours=5))
    _purchase(env.site, env.users["lead"], now - timedelta(hours=1))  # not yet
    _purchase(env.site, env.users["lead"], now - timedelta(hours=9), status="approved")  # decided
    assert scan(now) == 1
    assert [r.robot_id for r in _outbox()] == [four]
    assert "5" in _outbox()[0].text
    assert scan(now + timedelta(minutes=5)) == 0
    assert scan(now + timedelta(hours=2.5)) == 0  # 7.5 and 3.5 hours
    assert scan(now + timedelta(hours=3.5)) == 2  # 8.5 hours: the 8-hour robot's turn; the second one's 4.5 hours
    assert sorted(r.robot_id for r in _outbox()) == sorted([four, four, eight])
    assert scan(now + timedelta(hours=5)) == 0


def AlertRobotModel():
    from hospitality.models.alerts import AlertRobot
    return AlertRobot


def test_an_absent_person_fires_once_after_grace_and_half_an_hour(ctx, env):
    """Rostered 08:30, no clock-in: nothing at 08:50 (grace 5 + 30 minutes not over), one alert at 09:10, none
    again; a person clocked in or on approved leave is not absent."""
    site = db.session.get(Site, env.site)
    with write_tx():
        db.session.get(Site, env.site).grace_minutes = 5
    day = site.today()
    add_robot(env.site, HOOK + "a", events="staff_absent")
    add_robot(env.other, HOOK + "c", events="staff_absent")
    roster(env.site, env.users["water_bar"], day)
    roster(env.site, env.users["security"], day)
    roster(env.site, env.users["lead"], day)
    clock_in(env.site, env.users["security"], day, to_utc(datetime.combine(day, time(8, 29), site.tz)))
    leave(env.site, env.users["lead"], day)
    at = lambda hh, mm: to_utc(datetime.combine(day, time(hh, mm), site.tz))  # noqa: E731
    assert scan(at(8, 50)) == 0
    assert scan(at(9, 10)) == 1
    [row] = _outbox()
    assert row.kind == "staff_absent" and "08:30" in row.text and "白班" in row.text
    assert scan(at(9, 30)) == 0 and len(_outbox()) == 1
    assert scan(at(18, 0)) == 0  # after the shift: not "absent now" any more


def test_a_missed_patrol_round_fires_once(app, ctx):
    """Nobody walked the night's rounds: each round whose window has ended alerts once; a second pass adds none."""
    env = patrol_env(app)
    add_robot(env.site, HOOK + "p", events="patrol_missed")
    first = scan(to_utc(env.at(2, 0)))
    assert first >= 1
    rows = _outbox("patrol_missed")
    assert len(rows) == first and all(":" in r.text for r in rows)  # the round's slot ("23:30")
    assert scan(to_utc(env.at(2, 1))) == 0 and len(_outbox()) == first


def test_no_robot_subscribed_nothing_is_read_or_queued(ctx, env):
    now = utcnow()
    _complaint(env.site, env.users["manager"], now, respond_in=-timedelta(hours=1))
    assert scan(now) == 0 and count_rows(AlertFired) == 0


def test_two_workers_scanning_at_once_fire_once(app, env):
    """Two passes in two threads (each its own session): the (site, kind, ref) key lets one of them queue it."""
    with app.app_context():
        now = utcnow()
        add_robot(env.site, HOOK + "a", events="complaint_late")
        for _ in range(5):
            _complaint(env.site, env.users["manager"], now, respond_in=-timedelta(minutes=1))
    results, start = [], threading.Barrier(2)

    def run():
        with app.app_context():
            start.wait()
            results.append(scan(now))
            db.session.remove()
    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(results) == 5
    with app.app_context():
        assert count_rows(AlertOutbox) == 5 and count_rows(AlertFired) == 5
