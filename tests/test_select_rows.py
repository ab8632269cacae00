"""database.select_rows: a prebuilt statement read again goes straight to the driver (prepared.Prepared) and gives
exactly what Connection.execute gives (keys, rows, typed values, IN lists, a union), is seen by the engine's events,
raises the driver's errors as SQLAlchemy's; a statement built per call stays on Connection.execute. Both engines."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Boolean, Date, DateTime, Numeric, bindparam, func, literal, select, union_all
from sqlalchemy.exc import DBAPIError

from hospitality import prepared
from hospitality.database import select_rows
from hospitality.extensions import db
from hospitality.models import Site, User
from tests.factories import make_site, make_user
from tests.harness import counting

TYPED = select(literal(7).label("n"), literal(date(2026, 12, 7), Date).label("day"),
               bindparam("when", type_=DateTime).label("when"), literal(Decimal("12.50"), Numeric(10, 2)).label("yuan"),
               literal(True, Boolean).label("yes"), bindparam("nothing", type_=Date).label("empty"))
NAMED = (select(User.id, User.name, User.post, User.active, User.created_at, Site.id,
                func.count().over().label("total"))
         .join(Site, Site.id == User.site_id)
         .where(User.site_id == bindparam("site_id"), User.post.in_(["water_bar", "security"]),
                User.id.in_(bindparam("ids", expanding=True)))
         .order_by(User.id))
# Lists of every kind a page binds: numbers, words, days, NOT IN, a constant list, and empty ones.
LISTS = (select(User.id).where(User.site_id == bindparam("site_id"), User.id.in_(bindparam("ids", expanding=True)),
                               User.post.not_in(bindparam("posts", expanding=True)),
                               func.date(User.created_at).in_(bindparam("days", expanding=True)) | (User.id < 0),
                               User.active.in_([True]))
         .order_by(User.id))
BOTH = union_all(select(User.id.label("id"), User.name.label("name")).where(User.id == bindparam("first")),
                 select(Site.id, Site.name).where(Site.id == bindparam("site_id")))
BROKEN = select(func.no_such_function(bindparam("x")).label("y"))
# Longer than the 4,096 characters psycopg caches the placeholders of, with a percent sign (modulo) and a name used
# in two places: PostgreSQL gets it with its own numbered placeholders (prepared.numbered).
LONG = select(User.id, (User.id % bindparam("every")).label("rest"),
              *(literal(n).label(f"padding_number_{n:04d}") for n in range(180))).where(
    User.site_id == bindparam("site_id"), (User.id % bindparam("every")) == bindparam("rest")).order_by(User.id)


def _prepared_for(statement):
    dialect = db.session.get_bind().dialect
    return prepared.PREPARED.get((id(statement), dialect.name, dialect.driver))


def _twice(statement, params: dict):
    """The first read (Connection.execute: seen once) and the second (prepared), as keys and plain rows."""
    first = select_rows(statement, params)
    keys_1, rows_1 = list(first.keys()), [tuple(r) for r in first]
    second = select_rows(statement, params)
    assert _prepared_for(statement).statement is statement
    return (keys_1, rows_1), (list(second.keys()), [tuple(r) for r in second])


def test_a_statement_read_again_gives_the_same_keys_and_typed_values(app):
    with app.app_context():
        when = datetime(2026, 12, 7, 9, 30, 15, 123456)
        first, second = _twice(TYPED, {"when": when, "nothing": None})
        assert second == first
        assert second[0] == ["n", "day", "when", "yuan", "yes", "empty"]
        (n, day, at, yuan, yes, nothing), = second[1]
        assert (n, day, at, yuan, yes, nothing) == (7, date(2026, 12, 7), when, Decimal("12.50"), True, None)
        assert type(day) is date and type(at) is datetime and type(yuan) is Decimal and yes is True


def test_in_lists_joins_and_duplicate_column_names_read_as_connection_execute_reads_them(app):
    with app.app_context():
        site = make_site()
        bar, guard, lead = (make_user(site.id, post) for post in ("water_bar", "security", "lead"))
        params = {"site_id": site.id, "ids": [bar.id, guard.id, lead.id]}
        first, second = _twice(NAMED, params)
        assert second == first
        assert second[0] == ["id", "name", "post", "active", "created_at", "id_1", "total"]
        assert [r[0] for r in second[1]] == [bar.id, guard.id]  # the lead is not of the two posts
        assert all(r[5] == site.id and r[6] == 2 and r[3] is True for r in second[1])
        # Another IN list of another length on the same prepared statement
        again = select_rows(NAMED, {"site_id": site.id, "ids": [guard.id]}).all()
        assert [(r.id, r.post) for r in again] == [(guard.id, "security")]
        assert select_rows(NAMED, {"site_id": site.id, "ids": []}).all() == []


def test_in_and_not_in_lists_of_numbers_words_and_days_empty_or_not(app):
    """Whatever the lists' lengths, on the prepared statement: PostgreSQL binds each as one array (= ANY, <> ALL),
    SQLite as one value per element; the answers are the same."""
    with app.app_context():
        site = make_site()
        bar, guard, lead = (make_user(site.id, post) for post in ("water_bar", "security", "lead"))
        ids = [bar.id, guard.id, lead.id]
        days = [u.created_at.date() for u in (bar, guard, lead)] + [date(2000, 1, 1)]
        base = {"site_id": site.id, "ids": ids, "posts": [], "days": days}
        for params, expected in ((base, ids), (base, ids),  # seen once, then prepared
                                 (base | {"posts": ["security"]}, [bar.id, lead.id]),
                                 (base | {"posts": ["security", "lead", "water_bar"]}, []),
                                 (base | {"ids": [guard.id]}, [guard.id]),
                                 (base | {"ids": []}, []),
                                 (base | {"days": []}, []),
                                 (base | {"days": [date(2000, 1, 1)]}, [])):
            assert select_rows(LISTS, params).scalars().all() == expected
        assert _prepared_for(LISTS) is not None


def test_a_union_and_the_result_methods(app):
    with app.app_context():
        site = make_site(name="联合测试")
        user = make_user(site.id, "water_bar")
        params = {"first": user.id, "site_id": site.id}
        first, second = _twice(BOTH, params)
        assert sorted(second[1]) == sorted(first[1]) == sorted([(user.id, user.name), (site.id, "联合测试")])
        assert select_rows(BOTH, params).first() is not None
        assert sorted(select_rows(BOTH, params).scalars().all()) == sorted([user.id, site.id])
        one = select_rows(NAMED, {"site_id": site.id, "ids": [user.id]}).one()
        assert one.name == user.name and one._asdict()["post"] == "water_bar"
        assert select_rows(NAMED, {"site_id": site.id, "ids": [0]}).one_or_none() is None
        assert select_rows(TYPED, {"when": None, "nothing": None}).scalar() == 7


def test_prepared_reads_are_seen_by_the_engine_events(app):
    with app.app_context():
        site = make_site()
        select_rows(NAMED, {"site_id": site.id, "ids": [1]})
        with counting(app) as seen:
            select_rows(NAMED, {"site_id": site.id, "ids": [1, 2]})
            select_rows(NAMED, {"site_id": site.id, "ids": [3]})
        reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
        assert len(reads) == 2 and "users.post IN" in reads[0]


def test_a_driver_error_is_raised_as_sqlalchemy_s(app):
    with app.app_context():
        for _ in range(2):  # the first on Connection.execute, the second prepared
            with pytest.raises(DBAPIError, match="no_such_function"):
                select_rows(BROKEN, {"x": 1})
            db.session.rollback()
        assert _prepared_for(BROKEN) is not None


def test_a_long_statement_with_a_percent_sign_and_a_name_used_twice(app):
    with app.app_context():
        site = make_site("LONG1")
        ids = sorted(make_user(site.id, "water_bar").id for _ in range(5))
        db.session.commit()
        odd = {"site_id": site.id, "every": 2, "rest": 1}
        first, second = _twice(LONG, odd)
        assert second == first
        assert [(r[0], r[1], r[2], r[-1]) for r in second[1]] == [(i, 1, 0, 179) for i in ids if i % 2]
        assert len(str(LONG.compile(db.session.get_bind()))) > 4096
        with counting(app) as seen:
            select_rows(LONG, {"site_id": site.id, "every": 3, "rest": 0}).all()
        if db.session.get_bind().dialect.name == "postgresql":
            assert seen[0].count("users.id % $1::INTEGER") == 2 and seen[0].count("%") == 2


def test_numbered_placeholders():
    """A pyformat statement in PostgreSQL's numbering: a name keeps its number, `%%` is one percent sign, an escaped
    name is given by its own name, and a placeholder psycopg would read another way is refused (None)."""
    assert prepared.numbered("SELECT %(a)s, %(b_1)s %% 7, %(a)s LIKE 'x%%'", {}) == (
        "SELECT $1, $2 % 7, $1 LIKE 'x%'", ["a", "b_1"])
    assert prepared.numbered("WHERE x = %(x_2)s", {"x.y": "x_2"}) == ("WHERE x = $1", ["x.y"])
    assert prepared.numbered("WHERE x = %s", {}) is None
    assert prepared.numbered("WHERE x = %(x)b", {}) is None
    assert prepared.numbered("SELECT 1", {}) == ("SELECT 1", [])


def test_a_statement_built_per_call_stays_on_connection_execute(app):
    with app.app_context():
        site = make_site()
        before = len(prepared.PREPARED)
        for _ in range(3):
            rows = select_rows(select(Site.name).where(Site.id == site.id)).all()
            assert rows == [(site.name,)]
        assert len(prepared.PREPARED) == before


def test_select_tuples_gives_the_rows_select_rows_gives(app):
    """select_tuples (Together's read): the same values in the same places, on the first read (Connection.execute)
    and on the prepared ones."""
    from hospitality.database import select_tuples
    with app.app_context():
        site = make_site()
        ids = sorted(make_user(site.id, "water_bar").id for _ in range(3))
        db.session.commit()
        params = {"site_id": site.id, "ids": ids}
        expected = [tuple(r) for r in select_rows(NAMED, params)]
        assert len(expected) == 3
        for _ in range(3):  # seen once, then prepared
            assert [tuple(r) for r in select_tuples(NAMED, params)] == expected
        when = datetime(2026, 12, 7, 9, 30)
        assert [tuple(r) for r in select_tuples(TYPED, {"when": when, "nothing": None})] == [
            (7, date(2026, 12, 7), when, Decimal("12.50"), True, None)]
