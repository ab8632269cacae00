"""The board, the roster, the sheets and the clock card issue the same SQL statements with a day or a year."""
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from hospitality.attendance import leave as leaves
from hospitality.attendance import services
from hospitality.attendance.timing import window
from hospitality.clock import to_utc
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from hospitality.models.core import POSTS
from hospitality.permissions import post_can
from tests.factories import at, att_env, freeze, make_user, site_of, who
from tests.harness import counting, login

WED = date(2026, 3, 4)
ROSTERED = [p for p in POSTS if post_can(p, "attendance.own")]  # in the posts' order: the same random people


def _year(app, env, people: int = 20):
    """A year of roster, clock-ins (some late, some absent) and leave for many more people."""
    rnd = random.Random(5)
    with app.app_context():
        s = db.session.get(Site, env.site)
        ids = [make_user(env.site, rnd.choice(ROSTERED)).id for _ in range(people)]
        ids += list(env.users.values())
        shifts = {x.id: x for x in db.session.scalars(db.select(Shift).where(Shift.site_id == env.site))}
        entries, atts, leaves = [], [], []
        taken = set(db.session.execute(db.select(RosterEntry.user_id, RosterEntry.day)).all())
        for n in range(365):
            day = WED - timedelta(days=n - 7)
            for uid in ids:
                if env.users["manager"] == uid or (uid + n) % 7 == 0 or (uid, day) in taken:
                    continue
                sid = rnd.choice(list(shifts))
                entries.append(dict(site_id=env.site, user_id=uid, day=day, shift_id=sid, post="water_bar",
                                    created_by_id=env.users["lead"]))
        db.session.execute(insert(RosterEntry), entries)
        rows = db.session.execute(db.select(RosterEntry.id, RosterEntry.user_id, RosterEntry.day,
                                            RosterEntry.shift_id)).all()
        taken_att = set(db.session.execute(db.select(Attendance.user_id, Attendance.day)).all())
        for rid, uid, day, sid in rows:
            if day >= WED or rnd.random() < 0.05 or (uid, day) in taken_att:
                continue
            start, end = window(s, day, shifts[sid])
            arrive = start + timedelta(minutes=rnd.randint(-12, 20))
            atts.append(dict(site_id=env.site, user_id=uid, day=day, roster_id=rid, clock_in_at=to_utc(arrive),
                             clock_out_at=to_utc(end), late_minutes=max(0, int((arrive - start).seconds // 60))
                             if arrive > start else 0, early_minutes=0))
        db.session.execute(insert(Attendance), atts)
        for n, uid in enumerate(ids):
            for k in range(6):
                first = WED - timedelta(days=30 * k + n % 9)
                leaves.append(dict(site_id=env.site, user_id=uid, starts=first, ends=first + timedelta(days=1),
                                   reason="事假", status=rnd.choice(["approved", "pending", "refused"])))
        db.session.execute(insert(LeaveRequest), leaves)
        db.session.commit()
        assert len(atts) > 5000


def _measure(app, client, url) -> int:
    with counting(app) as seen:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(seen)


@pytest.mark.parametrize("who_, url", [
    ("lead", "/attendance/board"),
    ("lead", "/attendance/board?date=2026-03-01"),
    ("manager", "/attendance/roster?day=2026-03-04"),
    ("lead", "/attendance/leave/queue"),
    ("lead", "/attendance/sheet?month=2026-02"),
    ("lead", "/attendance/sheet?user_id={wb}&month=2026-02"),
    ("water_bar", "/attendance/"),
    ("water_bar", "/attendance/leave"),
])
def test_query_count_is_constant_as_data_grows(app, monkeypatch, who_, url):
    """The same page issues the same number of SQL statements with a few rows and with a year of them."""
    freeze(monkeypatch, at(2026, 3, 4, 8, 45))
    env = att_env(app)
    with app.test_request_context():
        for post in ("water_bar", "concierge"):
            services.add_entry(site_of(env), who(env, "lead"), env.users[post], WED, env.shifts["day"])
        services.clock_in(site_of(env), who(env, "water_bar"), "k1", now=at(2026, 3, 4, 8, 41))
        lv = leaves.request_leave(site_of(env), who(env, "model_room"), WED, WED, "病假", today=WED)
        leaves.decide_leave(site_of(env), who(env, "lead"), lv, "approve", None)
        leaves.request_leave(site_of(env), who(env, "security"), "2026-03-10", "2026-03-10", "事假", today=WED)
    url = url.format(wb=env.users["water_bar"])
    client = login(app, env.names[who_])
    small = _measure(app, client, url)
    _year(app, env)
    large = _measure(app, client, url)
    assert large == small, f"{url}: {small} statements with little data, {large} with a year of it"
    if url.startswith("/attendance/roster") and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert small == 2, small  # the session; the week's counts, the day's entries, leave, shifts and people
