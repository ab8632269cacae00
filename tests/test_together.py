"""database.Together: several reads of a screen in one statement (one by one on SQLite beyond two) give each read
exactly the rows it gives alone, in its own order and limit, with its own types, on SQLite and PostgreSQL."""
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, exists, func, select

from hospitality.database import SQLITE_UNION_MAX, Together, select_rows, write_tx
from hospitality.extensions import db
from hospitality.models import Location, Site, User
from hospitality.models.attendance import Attendance
from tests.factories import make_site, make_user
from tests.harness import counting

NEWEST_FIRST = (select(User.id, User.name, User.active, User.created_at)
                .where(User.site_id == bindparam("site_id")).order_by(User.id.desc()).limit(3))
LOCATIONS = (select(Location.id, Location.name, exists().where(User.site_id == Location.site_id).label("staffed"))
             .where(Location.site_id == bindparam("site_id")).order_by(Location.name))
CLOCKED = (select(Attendance.day, Attendance.late_minutes)
           .where(Attendance.user_id == bindparam("user_id")).order_by(Attendance.day))
HOW_MANY = select(func.count(User.id).label("n")).where(User.site_id == bindparam("site_id"))


def _plain(rows) -> list[tuple]:
    return [tuple(r) for r in rows]


def _reads(seen) -> list[str]:
    return [s for s in seen if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def _statements_for(app, parts: int) -> int:
    """What read() costs: one statement on PostgreSQL (and for a few parts on SQLite), else one per part."""
    with app.app_context():
        in_process = db.engine.dialect.name == "sqlite"
    return parts if in_process and parts > SQLITE_UNION_MAX else 1


def test_each_part_gets_its_own_rows_in_its_own_order_in_one_statement(app):
    with app.test_request_context():
        site = make_site()
        users = [make_user(site.id, "water_bar") for _ in range(5)]
        with write_tx():
            db.session.add(Attendance(site_id=site.id, user_id=users[0].id, day=date(2026, 12, 5),
                                      clock_in_at=datetime(2026, 12, 5, 1, 0), late_minutes=7))
            db.session.add(Attendance(site_id=site.id, user_id=users[0].id, day=date(2026, 12, 4),
                                      clock_in_at=datetime(2026, 12, 4, 1, 0), late_minutes=0))
        params = {"site_id": site.id, "user_id": users[0].id}
        together = Together(newest=NEWEST_FIRST, locations=LOCATIONS, clocked=CLOCKED, how_many=HOW_MANY,
                            nobody=CLOCKED)
        with counting(app) as seen:
            got = together.read_one({**params})
        assert len(_reads(seen)) == 1, seen
        with counting(app) as seen:
            each = together.read_each({**params})
        assert len(_reads(seen)) == 5, seen
        with counting(app) as seen:
            chosen = together.read({**params})
        assert len(_reads(seen)) == _statements_for(app, 5), seen
        assert {k: _plain(v) for k, v in each.items()} == {k: _plain(v) for k, v in got.items()}
        assert {k: _plain(v) for k, v in chosen.items()} == {k: _plain(v) for k, v in got.items()}
        assert [type(v).__name__ for v in each.values()] == [type(v).__name__ for v in got.values()]
        assert type(each["newest"][0]) is type(got["newest"][0])  # the same named rows either way
        alone = {name: _plain(select_rows(stmt, params)) for name, stmt in
                 (("newest", NEWEST_FIRST), ("locations", LOCATIONS), ("clocked", CLOCKED), ("how_many", HOW_MANY))}
        for name, rows in alone.items():
            assert _plain(got[name]) == rows, name
        assert [u.id for u in got["newest"]] == [u.id for u in users[::-1][:3]]  # its ORDER BY and LIMIT
        assert [a.day for a in got["clocked"]] == [date(2026, 12, 4), date(2026, 12, 5)]  # dates, in order
        assert isinstance(got["newest"][0].created_at, datetime) and got["newest"][0].active is True
        assert got["locations"] and all(loc.staffed is True for loc in got["locations"])
        assert got["how_many"][0].n == 5
        # A part with no rows is an empty list; a part read twice under two names gets its rows under each.
        other = {**params, "user_id": users[1].id}
        assert together.read(other)["nobody"] == [] and together.read(other)["clocked"] == []
        assert _plain(got["nobody"]) == alone["clocked"]


def test_the_clock_card_reads_its_four_in_one(app):
    """The today screens' clock card (attendance.reads.days.today_card) costs one statement (on SQLite its four
    reads one by one: SQLITE_UNION_MAX)."""
    from hospitality.attendance.reads import days
    with app.test_request_context():
        site = make_site()
        user = make_user(site.id, "water_bar")
        site = db.session.get(Site, site.id)
        with counting(app) as seen:
            card = days.today_card(site, user, datetime(2026, 12, 6, 2, 0) + timedelta(0))
        assert len(_reads(seen)) == _statements_for(app, 4), seen
        assert card["state"] and card["can_clock_in"] in (True, False)


def test_a_clocked_in_persons_card_says_where_their_handover_stands_in_the_same_statement(app):
    """On duty, the card says the person's handover is waiting for acceptance: read with the card's other rows, so
    the card stays one statement whatever the hour (it was two once the person had clocked in)."""
    from hospitality.attendance.reads import days
    from hospitality.models.handover import Handover
    from tests.factories import roster
    with app.test_request_context():
        site = make_site()
        user, colleague = make_user(site.id, "water_bar"), make_user(site.id, "water_bar")
        site = db.session.get(Site, site.id)
        now = datetime(2026, 12, 6, 12, 0)  # the site's wall clock, mid-shift
        day = now.date()
        roster(site.id, user.id, day)
        with write_tx():
            db.session.add(Attendance(site_id=site.id, user_id=user.id, day=day,
                                      clock_in_at=datetime(2026, 12, 6, 0, 25), late_minutes=0))
            db.session.add(Handover(site_id=site.id, post="water_bar", day=day - timedelta(days=1),
                                    from_user_id=user.id, to_user_id=colleague.id, status="accepted"))
            db.session.add(Handover(site_id=site.id, post="water_bar", day=day, from_user_id=user.id,
                                    to_user_id=colleague.id, status="submitted"))
        with counting(app) as seen:
            card = days.today_card(site, db.session.get(User, user.id), now)
        assert len(_reads(seen)) == _statements_for(app, 4), seen
        assert card["can_clock_out"] and card["handover"] == "waiting"  # today's, not yesterday's accepted one
