"""PostgreSQL: a request that only read ends its transaction with COMMIT (psycopg forgets the connection's
prepared statements on every ROLLBACK); one that wrote, has changes pending or failed still rolls back; prepared
statements are planned once."""
import pytest
from sqlalchemy import event, select, update

from hospitality import database
from hospitality.extensions import db
from hospitality.models import Site
from tests.factories import make_site, make_user
from tests.harness import login


@pytest.fixture(autouse=True)
def _postgresql_only(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only: SQLite's driver keeps its statement cache across a rollback")


@pytest.fixture
def ends(app):
    """How transactions ended on the engine while the test ran."""
    seen = {"commit": 0, "rollback": 0}

    def count(name):
        return lambda _conn: seen.__setitem__(name, seen[name] + 1)
    listeners = [(name, count(name)) for name in seen]
    with app.app_context():
        for name, fn in listeners:
            event.listen(db.engine, name, fn)
    yield seen
    with app.app_context():
        for name, fn in listeners:
            event.remove(db.engine, name, fn)


def test_a_page_that_only_reads_commits_and_keeps_prepared_statements(app, ends):
    with app.app_context():
        site = make_site()
        user = make_user(site.id, "water_bar")
    client = login(app, user.username)
    ends.update(commit=0, rollback=0)
    for _ in range(8):  # more than psycopg's prepare threshold (5): the login-session lookup gets prepared
        assert client.get("/").status_code == 200
    assert ends == {"commit": 8, "rollback": 0}
    with app.app_context():
        prepared = db.session.execute(db.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        db.session.rollback()
    assert prepared > 0


def test_a_transaction_that_wrote_is_not_committed(app):
    with app.app_context():
        site_id = make_site(name="原名").id
    with app.test_request_context():
        db.session.execute(update(Site).where(Site.id == site_id).values(name="改了"))
        database.end_request(None)
        assert db.session().in_transaction()  # left to the session's close: a rollback
        db.session.rollback()
        assert db.session.scalar(select(Site.name).where(Site.id == site_id)) == "原名"


def test_pending_changes_and_failed_requests_are_not_committed(app):
    with app.app_context():
        site_id = make_site(name="原名").id
    with app.test_request_context():
        db.session.get(Site, site_id).name = "改了"
        database.end_request(None)
        assert db.session().in_transaction() and db.session.dirty
        db.session.rollback()
    with app.test_request_context():
        db.session.scalar(select(Site.name).where(Site.id == site_id))
        database.end_request(RuntimeError("the view failed"))
        assert db.session().in_transaction()
        database.end_request(None)  # the same reads, on success: committed
        assert not db.session().in_transaction()
    with app.app_context():
        assert db.session.scalar(select(Site.name).where(Site.id == site_id)) == "原名"


def test_word_constants_go_inline_so_postgresql_can_keep_one_plan(app):
    """A SELECT's word constants are written in its text (a generic plan can use the partial index on status =
    'open'); values given at execution, numbers and anything typed with a quote or a space stay parameters; an
    UPDATE keeps its values as parameters."""
    from sqlalchemy import bindparam

    from hospitality.models import StockCount, User
    seen = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            db.session.execute(select(StockCount.id).where(StockCount.location_id == bindparam("loc"),
                                                           StockCount.status == "open"), {"loc": 1}).all()
            db.session.execute(select(User.id).where(User.name == "O'Brien; DROP", User.post.in_(["lead", "manager"]),
                                                     User.id == 7)).all()
            db.session.execute(update(User).where(User.id == -1).values(name="plain"))
            db.session.rollback()
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
    (first, first_params), (second, second_params), (third, third_params) = seen[-3:]
    assert "status = 'open'" in first and first_params == {"loc": 1}
    assert "IN ('lead', 'manager')" in second
    assert "O'Brien; DROP" in second_params.values() and 7 in second_params.values()
    assert "plain" in third_params.values() and "'plain'" not in third


def test_statements_prepared_on_a_connection_are_planned_once(app):
    """The app's connections plan a prepared statement once (a generic plan), never afresh on each run: the
    staff screen's routines read was planned on every request before."""
    with app.app_context():
        mode = db.session.execute(db.text("SHOW plan_cache_mode")).scalar()
        db.session.rollback()
    assert mode == "force_generic_plan"
