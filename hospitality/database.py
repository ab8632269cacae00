"""Engine set-up and the one way services open a write transaction."""
import re
from collections import namedtuple
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from time import monotonic as time_monotonic
from typing import NamedTuple

from sqlalchemy import (
    Date,
    Integer,
    Interval,
    String,
    Text,
    Unicode,
    bindparam,
    cast,
    event,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import NullType

from .extensions import db
from .prepared import LazyDescriptionCursor, prepared_for

IMMEDIATE = "hospitality_immediate"


def configure_engine(engine: Engine) -> None:
    """Tune SQLite for concurrent phones; on PostgreSQL, read in autocommit, write in transactions (_track_writes),
    with cursors that make a result's description when it is read (prepared.LazyDescriptionCursor)."""
    if engine.dialect.name == "postgresql":
        _track_writes(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is DEFERRED and too late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A write transaction takes the write lock up front, so two writers queue on the busy
        # timeout instead of failing when a read snapshot tries to upgrade.
        # Straight to the driver: BEGIN through SQLAlchemy's execution path costs a page a statement's worth
        # of Python for what is transaction control.
        immediate = conn.get_execution_options().get(IMMEDIATE)
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


# PostgreSQL plans a prepared statement once for every execution (a generic plan) only when it can: a constant sent
# as a bound parameter (`status = $2` for 'open') hides which partial index applies and how few rows match, so such
# statements were planned afresh on every execution (planning is about half of the server's CPU per page), and a
# generic plan of them would miss the partial index. A SELECT's word constants (a status, a kind, a post; one or a
# list of them) go inline; the values a statement is given at execution (bindparam("site_id")) and numbers stay
# parameters. Only plain words are written inline: anything typed that holds a quote or a space stays a parameter.
_WORD = re.compile(r"[A-Za-z0-9_]{1,40}")


def _words(value) -> bool:
    if isinstance(value, (list, tuple)):
        return 0 < len(value) <= 20 and all(_words(v) for v in value)
    return type(value) is str and _WORD.fullmatch(value) is not None


@compiles(BindParameter, "postgresql")
def _constants_inline(element, compiler, **kw):
    if (element.unique and element.callable is None and not kw.get("literal_binds")
            and not (compiler.isinsert or compiler.isupdate or compiler.isdelete) and _words(element.value)):
        kw["literal_execute"] = True
    return compiler.visit_bindparam(element, **kw)


# A connection back in the pool for longer than this is pinged before it is used again (see _track_writes).
PING_AFTER_IDLE = 5.0
_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)


def _writes(statement: str) -> bool:
    """A statement that must run inside a transaction: anything but a SELECT (a union of SELECTs may open with a
    parenthesis), and a SELECT that takes row locks (its locking clause closes it: `FOR UPDATE [OF …] [NOWAIT |
    SKIP LOCKED]`; only the end is searched, as a whole page's statements are searched on every request). A SELECT
    that writes through a function (nextval, an advisory lock) would run in autocommit: the app sends none."""
    return (not statement.lstrip("(").startswith("SELECT")
            or _LOCKING.search(statement, max(0, len(statement) - 120)) is not None)


def transaction_for_writes(dbapi_conn) -> None:
    """PostgreSQL: make the connection open a transaction at its next statement (it reads in autocommit)."""
    if dbapi_conn.autocommit:
        dbapi_conn.autocommit = False


def _track_writes(engine: Engine) -> None:
    """PostgreSQL: a connection reads in autocommit and opens a transaction only to write; it is pinged at
    checkout only after it sat idle.

    At READ COMMITTED every statement reads its own snapshot, so a transaction around a page's reads holds nothing
    together: it only cost two more round trips per request (BEGIN and COMMIT; a ROLLBACK would also make psycopg
    forget the connection's prepared statements). A connection checked out of the pool is in autocommit; `write_tx`
    turns that off before its first statement, and a statement that writes or locks rows outside `write_tx` does
    just before it runs, so every write is in a transaction that commits or rolls back whole, as before.

    SQLAlchemy's pre-ping sends a statement at every checkout, a third round trip per request. A connection used in
    the last few seconds is as good as a pinged one; one that sat idle longer is pinged, and a dead one is replaced
    before the request uses it (DisconnectionError makes the pool connect afresh). If the database restarts under
    load, a statement on a connection used just before fails once, and the pool then drops every connection opened
    before the failure (SQLAlchemy's disconnect handling)."""
    @event.listens_for(engine, "connect")
    def _connected(dbapi_conn, record):
        record.info["used"] = time_monotonic()  # just opened: as good as pinged
        dbapi_conn.cursor_factory = LazyDescriptionCursor

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        try:
            if not dbapi_conn.autocommit:
                dbapi_conn.autocommit = True
            if time_monotonic() - record.info.get("used", 0) > PING_AFTER_IDLE:
                dbapi_conn.execute("SELECT 1")
        except dbapi_conn.Error as e:
            raise DisconnectionError() from e

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        if record is not None:
            record.info["used"] = time_monotonic()

    @event.listens_for(engine, "before_cursor_execute")
    def _transaction_for_writes(_conn, cursor, statement, _params, _context, _many):
        if _writes(statement):
            transaction_for_writes(cursor.connection)


WRITE_FLAG = "hospitality_write"


def begin_write(session) -> None:
    """Start a transaction that holds SQLite's write lock from its first statement."""
    session.connection(execution_options={IMMEDIATE: True})
    session.info[WRITE_FLAG] = True


@contextmanager
def write_tx():
    """One transaction per action: commit on success, roll back everything on error."""
    session = db.session()  # the request's Session behind the scoped proxy
    if session.in_transaction() and not session.info.get(WRITE_FLAG) \
            and session.get_bind().dialect.name == "sqlite":
        # A deferred read snapshot cannot safely take the write lock later: end it first (nothing
        # is pending in it, and objects keep their values), then hold the lock only for the action.
        # Rules that depend on current state re-read under the lock (populate_existing).
        # PostgreSQL reads at READ COMMITTED; its writers rely on row locks instead.
        session.commit()
    if not session.in_transaction():
        begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        transaction_for_writes(session.connection().connection.dbapi_connection)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(WRITE_FLAG, None)


def locked(model, ident: int):
    """A row, fresh, under a row lock on PostgreSQL for the rest of the transaction (SQLite's write lock is held by
    write_tx already)."""
    q = select(model).where(model.id == ident)
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one()


def next_position(column, *where) -> int:
    """The position after the last one among the rows matching `where` (for appending to a list)."""
    return db.session.scalar(select(func.coalesce(func.max(column), 0)).where(*where)) + 1


def select_rows(statement, params: dict | None = None):
    """Run a Core SELECT (columns, not mapped objects) on the session's connection, in its transaction.

    The hot reads of the pages are prebuilt statements of plain columns: the Session's per-statement ORM work
    (execution options, events, bind lookup) costs more than SQLite's own work on them, so they go to the
    connection directly, and a statement read again goes straight to the driver (prepared.Prepared). Pending changes are
    flushed first, as the Session's autoflush would."""
    conn, prepared = _connection_for(statement)
    if prepared is None:
        return conn.execute(statement, params or {})
    return prepared.run(conn, params or {})


def select_tuples(statement, params: dict | None = None) -> list:
    """select_rows' rows as plain tuples, for a caller that picks its columns by place (Together): no result object
    and no keyed row built per row."""
    conn, prepared = _connection_for(statement)
    if prepared is None:
        return [tuple(row) for row in conn.execute(statement, params or {})]
    return prepared.rows(conn, params or {})


def _connection_for(statement):
    """The session's connection (pending changes flushed first, as the Session's autoflush would) and the
    statement's Prepared on it, if any."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    conn = session.connection()
    return conn, prepared_for(conn, statement)


# SQLite runs a screen's reads as one statement up to this many (two cost about what two statements cost), and one by
# one beyond: there a UNION ALL of the water bar's eight small reads took 0.54 ms against 0.11 ms for the eight alone
# (each arm's window and co-routine), while on PostgreSQL each statement saved is a round trip and a plan.
SQLITE_UNION_MAX = 2


class Together:
    """Several small reads of one screen sent as one statement (a round trip and a statement's overhead each saved:
    on PostgreSQL a statement costs the worker and the server about as much as rendering a card). On SQLite, more
    than SQLITE_UNION_MAX of them run one by one, cheaper there; each part's rows are the same either way.

    Each part is a prebuilt Core SELECT of named columns, with its own WHERE, ORDER BY and LIMIT; the parts share
    their bound parameters by name. They run as a UNION ALL of rows carrying a part number, the row's number in its
    part (the part's own order) and the part's columns. Columns of one type share places across the parts (NULL in
    the places another part uses), so the statement is as wide as its widest part, not all of them: PostgreSQL plans
    a wide union slowly. read() gives each part's rows as named tuples of its own columns, in the part's own order."""

    def __init__(self, **parts):
        self.names = list(parts)
        self.parts = list(parts.values())
        subs = [stmt.subquery() for stmt in parts.values()]
        self.shapes = [namedtuple(f"{name.title()}Row", [c.name for c in sub.c])
                       for name, sub in zip(parts, subs, strict=True)]
        slots = []  # (type key, a column of that type)
        self.places = []  # per part: the place of each of its columns in a row (after the part and its number)
        for sub in subs:
            used: dict[str, int] = {}
            places = []
            for col in sub.c:
                key = _slot_key(col.type)
                of_type = [i for i, (k, _c) in enumerate(slots) if k == key]
                nth = used[key] = used.get(key, -1) + 1
                if nth == len(of_type):
                    slots.append((key, col))
                    of_type.append(len(slots) - 1)
                places.append(of_type[nth] + 2)
            self.places.append(places)
        # A part's columns out of a row of the union, picked in C: itemgetter of one place gives the value, not a tuple.
        self.pickers = [itemgetter(*places) if len(places) > 1 else _one(places[0]) for places in self.places]
        selects = []
        for n, sub in enumerate(subs):
            mine = dict(zip(self.places[n], sub.c, strict=True))
            cols = [literal(n, Integer).label("part"), func.row_number().over().label("n")]
            cols += [(mine[i + 2] if i + 2 in mine else _typed_null(col)).label(f"s{i}")
                     for i, (_key, col) in enumerate(slots)]
            selects.append(select(*cols).select_from(sub))
        self.statement = union_all(*selects)

    def read(self, params: dict) -> dict[str, list]:
        if len(self.names) == 1 or (len(self.names) > SQLITE_UNION_MAX
                                    and db.session.get_bind().dialect.name == "sqlite"):
            return self.read_each(params)
        return self.read_one(params)

    def read_each(self, params: dict) -> dict[str, list]:
        """The parts one by one: SQLite is in the process (no round trip to save), and there a union of more than
        two small reads costs more than the reads (database.SQLITE_UNION_MAX)."""
        return {name: [shape._make(row) for row in select_rows(stmt, params)]
                for name, shape, stmt in zip(self.names, self.shapes, self.parts, strict=True)}

    def read_one(self, params: dict) -> dict[str, list]:
        """The parts as one statement (see the class)."""
        out = {name: [] for name in self.names}
        names, shapes, pickers = self.names, self.shapes, self.pickers
        for row in sorted(select_tuples(self.statement, params), key=itemgetter(0, 1)):
            n = row[0]
            out[names[n]].append(shapes[n]._make(pickers[n](row)))
        return out


def _one(place: int) -> Callable:
    return lambda row: (row[place],)


def _slot_key(type_) -> str:
    """Columns whose values come back the same way share a place: every string, else one exact type (a decimal's
    scale, a date or a time)."""
    return "String" if type(type_) in (String, Text, Unicode) else repr(type_)


class Reads(NamedTuple):
    """What one panel of a screen reads, for a screen that reads all its panels at once (read_panels): its
    statements by name, their bound parameters, and what makes the panel's context of their rows."""
    parts: dict
    params: dict
    build: Callable[[dict], dict]


def first_row(name: str, statement, params: dict) -> Reads:
    """A statement's first row (or None) as `name`, for a page that reads it with its other parts (a record's page:
    the record, then its timeline and photos)."""
    return Reads({name: statement}, params, lambda got: {name: got[name][0] if got[name] else None})


_PANELS: dict[tuple, Together] = {}


def read_panels(*reads: Reads) -> dict:
    """The panels' contexts, merged, from one statement for all their reads (a Together built once per set of
    statements). Parameters are shared by name: two panels binding one name to two values is a programming error."""
    parts, params = {}, {}
    for n, r in enumerate(reads):
        parts |= {f"r{n}_{name}": stmt for name, stmt in r.parts.items()}
        for key, value in r.params.items():
            if params.get(key, value) != value:
                raise ValueError(f"two panels bind {key!r} to different values")
            params[key] = value
    key = tuple((name, id(stmt)) for name, stmt in parts.items())
    together = _PANELS.get(key)
    if together is None:
        together = _PANELS[key] = Together(**parts)
    got = together.read(params)
    out = {}
    for n, r in enumerate(reads):
        out |= r.build({name: got[f"r{n}_{name}"] for name in r.parts})
    return out


def _typed_null(col):
    """NULL in a column's place, typed as the column (PostgreSQL types a UNION's columns from its first SELECT)."""
    return null() if isinstance(col.type, NullType) else cast(null(), col.type)


# A site's local day and time in SQL. The site's offset from UTC is a bound value, so a statement is built once and
# serves every site: `shift` ("+480 minutes") on SQLite, `delta` (an interval) on PostgreSQL; local_offset() gives
# both, at noon of a day of the range (China keeps no summer time).
def local_offset(site, day: date) -> dict:
    minutes = int(datetime.combine(day, time(12), site.tz).utcoffset().total_seconds() // 60)
    return {"shift": f"{minutes:+d} minutes", "delta": timedelta(minutes=minutes)}


def local_time(column):
    """SQL for a stored UTC time as the site's wall-clock time (with local_offset's values)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.datetime(column, bindparam("shift"))
    return column + bindparam("delta", type_=Interval())


def local_day(column):
    """SQL for the site-local calendar day of a stored UTC time (with local_offset's values)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(column, bindparam("shift"))
    return cast(column + bindparam("delta", type_=Interval()), Date)  # a timestamp plus an interval, then its day
