"""PostgreSQL: a connection reads in autocommit (no BEGIN, COMMIT or ROLLBACK around a page's reads, so psycopg
keeps its prepared statements) and every write runs in a transaction that commits or rolls back whole; a connection
is pinged only after it sat idle; prepared statements are planned once."""
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event, select, update

from hospitality import database
from hospitality.extensions import db
from hospitality.models import Site
from tests.factories import make_site, make_user
from tests.harness import login


@pytest.fixture(autouse=True)
def _postgresql_only(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only: SQLite reads in a transaction and its driver keeps its statement cache")


@pytest.fixture
def statements(app):
    """Each statement the engine ran while the test did, with whether a transaction was open on the server then
    and whether the driver was in autocommit."""
    seen = []

    def keep(_conn, cursor, statement, *_args):
        seen.append((statement, cursor.connection.info.transaction_status, cursor.connection.autocommit))
    with app.app_context():
        event.listen(db.engine, "after_cursor_execute", keep)
    yield seen
    with app.app_context():
        event.remove(db.engine, "after_cursor_execute", keep)


@pytest.fixture
def sent(app):
    """Each statement the engine sends while the test runs, with its parameters."""
    seen = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
    yield seen
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", keep)


def _sent(client, monkeypatch) -> list[bytes]:
    """The transaction control the driver sends (BEGIN, COMMIT, ROLLBACK) during a request of the client."""
    import psycopg._connection_base as base
    sent, original = [], base.BaseConnection._exec_command

    def spy(self, command, *args, **kwargs):
        sent.append(bytes(command) if isinstance(command, (bytes, bytearray)) else command)
        return original(self, command, *args, **kwargs)
    monkeypatch.setattr(base.BaseConnection, "_exec_command", spy)
    assert client.get("/").status_code == 200
    monkeypatch.undo()
    return sent


def test_a_page_that_only_reads_sends_no_transaction_control_and_keeps_prepared_statements(app, statements,
                                                                                           monkeypatch):
    with app.app_context():
        site = make_site()
        user = make_user(site.id, "water_bar")
    client = login(app, user.username)
    for _ in range(8):  # more than psycopg's prepare threshold (5): the login-session lookup gets prepared
        assert client.get("/").status_code == 200
    statements.clear()
    assert _sent(client, monkeypatch) == []
    assert statements and all(status == TransactionStatus.IDLE and auto for _s, status, auto in statements)
    with app.app_context():
        prepared = db.session.execute(db.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        db.session.rollback()
    assert prepared > 0


def test_write_tx_holds_its_reads_and_writes_in_one_transaction(app, statements):
    """Reads before the action run in autocommit; everything inside write_tx, its reads first, in one
    transaction, and an error inside it undoes every write of it."""
    with app.app_context():
        first, second = make_site(name="甲").id, make_site(name="乙").id
    with app.test_request_context():
        db.session.scalar(select(Site.name).where(Site.id == first))
        statements.clear()
        with pytest.raises(RuntimeError), database.write_tx():
            db.session.scalar(select(Site.name).where(Site.id == second))
            db.session.execute(update(Site).where(Site.id == first).values(name="改甲"))
            db.session.execute(update(Site).where(Site.id == second).values(name="改乙"))
            raise RuntimeError("the rule said no")
        assert [status for _s, status, _a in statements] == [TransactionStatus.INTRANS] * 3
        assert db.session.scalars(select(Site.name).where(Site.id.in_([first, second])).order_by(Site.id)).all() \
            == ["甲", "乙"]
        with database.write_tx():
            database.locked(Site, first).name = "新甲"
        assert db.session.scalar(select(Site.name).where(Site.id == first)) == "新甲"


def test_a_write_or_a_row_lock_outside_write_tx_opens_a_transaction(app, statements):
    """A statement that writes or locks rows outside write_tx starts a transaction before it runs: the session's
    rollback (the end of a request that did not commit) takes the write back, and the lock is held until then."""
    with app.app_context():
        site_id = make_site(name="原名").id
    with app.test_request_context():
        db.session.scalar(select(Site.name).where(Site.id == site_id))
        db.session.execute(update(Site).where(Site.id == site_id).values(name="改了"))
        assert statements[-2][1:] == (TransactionStatus.IDLE, True)
        assert statements[-1][1:] == (TransactionStatus.INTRANS, False)
        db.session.rollback()
        assert db.session.scalar(select(Site.name).where(Site.id == site_id)) == "原名"
        db.session.execute(select(Site.id).where(Site.id == site_id).with_for_update()).all()
        assert statements[-1][1] == TransactionStatus.INTRANS
        db.session.rollback()


def test_a_dead_connection_that_sat_idle_is_replaced_before_a_request_uses_it(app, database_url):
    """A pooled connection idle for longer than PING_AFTER_IDLE is pinged at checkout: one the server ended (a
    restart, an idle timeout) is replaced and the request goes through."""
    import psycopg
    with app.app_context():
        site = make_site()
        user = make_user(site.id, "water_bar")
    client = login(app, user.username)
    assert client.get("/").status_code == 200
    with app.app_context():
        pid = db.session.execute(db.text("SELECT pg_backend_pid()")).scalar()
        db.session.rollback()  # back to the pool, the one the next request takes (LIFO)
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    with app.app_context():
        for record in list(db.engine.pool._pool.queue):
            record.info["used"] -= database.PING_AFTER_IDLE + 1
    assert client.get("/").status_code == 200
    with app.app_context():
        assert db.session.execute(db.text("SELECT pg_backend_pid()")).scalar() != pid
        db.session.rollback()


def test_word_constants_go_inline_so_postgresql_can_keep_one_plan(app, sent):
    """A SELECT's word constants are written in its text (a generic plan can use the partial index on status =
    'open'); values given at execution, numbers and anything typed with a quote or a space stay parameters; an
    UPDATE keeps its values as parameters."""
    from sqlalchemy import bindparam

    from hospitality.models import StockCount, User
    with app.app_context():
        db.session.execute(select(StockCount.id).where(StockCount.location_id == bindparam("loc"),
                                                       StockCount.status == "open"), {"loc": 1}).all()
        db.session.execute(select(User.id).where(User.name == "O'Brien; DROP", User.post.in_(["lead", "manager"]),
                                                 User.id == 7)).all()
        db.session.execute(update(User).where(User.id == -1).values(name="plain"))
        db.session.rollback()
    (first, first_params), (second, second_params), (third, third_params) = sent[-3:]
    assert "status = 'open'" in first and first_params == {"loc": 1}
    assert "IN ('lead', 'manager')" in second
    assert "O'Brien; DROP" in second_params.values() and 7 in second_params.values()
    assert "plain" in third_params.values() and "'plain'" not in third


def test_an_in_list_is_one_array_so_one_statement_text_serves_every_length(app, sent):
    """A prepared read's IN list goes as one array parameter (`= ANY`): the same text for a list of one or of thirty
    (psycopg prepares each text once), nothing rendered per value; a constant list stays written in."""
    from sqlalchemy import bindparam

    from hospitality.models import User
    ids = bindparam("ids", expanding=True)
    statement = select(User.id).where(User.id.in_(ids), User.post.not_in(bindparam("posts", expanding=True)),
                                      User.post.in_(["lead", "manager"]), User.id.in_(ids) | User.id.is_(None))
    with app.app_context():
        for ids in ([1], [1], list(range(30)), []):
            database.select_rows(statement, {"ids": ids, "posts": ["security"]}).all()
        db.session.rollback()
    prepared = sent[1:]  # the first went through Connection.execute
    assert len({sql for sql, _ in prepared}) == 1
    sql = prepared[0][0]
    # PostgreSQL's own numbered placeholders (prepared.numbered): the list used twice is one parameter.
    assert sql.count("users.id = ANY ($1::INTEGER[])") == 2 and "<> ALL ($2::VARCHAR(" in sql
    assert "IN ('lead', 'manager')" in sql and "POSTCOMPILE" not in sql and "%(" not in sql
    assert [p for _, p in prepared] == [[[1], ["security"]], [list(range(30)), ["security"]], [[], ["security"]]]


def test_statements_prepared_on_a_connection_are_planned_once(app):
    """The app's connections plan a prepared statement once (a generic plan), never afresh on each run: the
    staff screen's routines read was planned on every request before."""
    with app.app_context():
        mode = db.session.execute(db.text("SHOW plan_cache_mode")).scalar()
        db.session.rollback()
    assert mode == "force_generic_plan"


def test_the_connections_cursors_describe_a_result_when_asked(app):
    """On PostgreSQL the app's cursors make a result's description when it is read: the same columns psycopg
    describes (names, type codes, slices), none for a command, the right one after the cursor moved on; an entity
    read through the ORM gives the same values."""
    import psycopg

    from hospitality.models import User
    from hospitality.prepared import LazyDescriptionCursor
    with app.app_context():
        make_user(make_site().id, "water_bar")
        db.session.commit()
        dbapi = db.session.connection().connection.dbapi_connection
        assert dbapi.cursor_factory is LazyDescriptionCursor
        cur = dbapi.cursor()
        plain = psycopg.Cursor(dbapi)
        query = "SELECT 1 AS one, 'two'::text AS two, now()::date AS three"
        cur.execute(query)
        plain.execute(query)
        lazy, eager = cur.description, plain.description
        assert len(lazy) == 3 and [c.name for c in lazy] == ["one", "two", "three"]
        assert [(c.name, c.type_code) for c in lazy] == [(c.name, c.type_code) for c in eager]
        assert lazy[1][0] == "two" and [c.name for c in lazy[-2:]] == ["two", "three"]
        unread = cur.description
        cur.execute("SELECT 5 AS five")
        assert [c.name for c in unread] == ["one", "two", "three"] and cur.description[0].name == "five"
        cur.execute("DO $$ BEGIN END $$")
        assert cur.description is None
        db.session.rollback()
        created = db.session.execute(db.select(User.username, User.created_at).order_by(User.id)).all()
        again = [(u.username, u.created_at) for u in db.session.scalars(db.select(User).order_by(User.id))]
        assert [tuple(r) for r in created] == again and again
