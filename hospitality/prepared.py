"""Prebuilt reads run straight on the driver (select_rows' fast path): compiled once per dialect, on PostgreSQL their
IN lists bound as arrays and their placeholders numbered once; and the PostgreSQL connections' cursors, which
describe a result only when asked."""
import re
from collections.abc import Sequence

from psycopg import Column, Cursor, RawCursor, pq
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.sql.elements import _anonymous_label
from sqlalchemy.sql.selectable import CompoundSelect, Select
from sqlalchemy.types import NullType


class Prepared:
    """A prebuilt SELECT compiled once for a dialect and run on the driver's cursor.

    Connection.execute() finds a statement's compiled form anew on every execution (its cache key is the statement's
    whole tree, walked each time), builds an execution context and a cursor result: about 40 µs of Python a
    statement, as much as SQLite's own work on a screen's small reads, and a page sends 10 to 20 of them. This keeps
    what they do that matters here: the bound values through the types' bind processors, IN lists and inline
    constants rendered as Core renders them (SQLCompiler._process_parameters_for_postcompile; on PostgreSQL an IN
    list is one array and the constants are written in once: as_arrays), the values read back
    through the types' result processors, the engine's before/after_cursor_execute events (the statement counters
    of the tests and the benchmark, PostgreSQL's write tracking), driver errors raised as SQLAlchemy's own. Its
    result is a Result with the same keys and rows (all(), first(), scalars(), attribute access)."""

    __slots__ = ("statement", "compiled", "meta", "postcompile", "escaped", "columns", "row_processors", "sql",
                 "arrays", "numbered")

    def __init__(self, statement, dialect):
        self.statement = statement  # held: the cache is keyed by its id()
        self.compiled = compiled = statement.compile(dialect=dialect)
        self.meta = SimpleResultMetaData([c.keyname for c in compiled._result_columns])
        self.postcompile = bool(compiled.literal_execute_params or compiled.post_compile_params)
        self.escaped = compiled.escaped_bind_names
        self.columns = [c.type for c in compiled._result_columns]
        self.row_processors = None  # [(index, processor)], from the first execution's cursor description
        self.sql, self.arrays = compiled.string, None
        if self.postcompile and dialect.name == "postgresql":
            self.sql, self.arrays = as_arrays(compiled, dialect)
            self.postcompile = self.arrays is None
        self.numbered = None  # on psycopg: (the text with $n placeholders, the bound names in their order)
        if dialect.driver == "psycopg" and not self.postcompile and not compiled.positional:
            self.numbered = numbered(self.sql, self.escaped or {})

    def run(self, conn, params: dict):
        """The statement's result, as Connection.execute gives it."""
        return IteratorResult(self.meta, iter(self.rows(conn, params)))

    def rows(self, conn, params: dict) -> list:
        """The statement's rows as the driver gives them (tuples; lists where a column's values were converted)."""
        compiled = self.compiled
        values = compiled.construct_params(params, escape_names=False)
        processors = compiled._bind_processors
        sql = self.sql
        order = compiled.positiontup
        if self.arrays:
            for name, element in self.arrays.items():  # an IN list as one array value
                values[name] = [element(v) for v in values[name]] if element else list(values[name])
        elif self.postcompile:
            state = compiled._process_parameters_for_postcompile(values)  # fills `values` in place
            sql, order = state.statement, state.positiontup
            processors = {**processors, **state.processors}
        dbapi_conn = conn.connection.dbapi_connection
        if self.numbered is not None:
            sql, order = self.numbered
            args = [processors[k](values[k]) if k in processors else values[k] for k in order]
            cursor = RawCursor(dbapi_conn)
        else:
            if compiled.positional:
                args = conn.dialect.execute_sequence_format(
                    [processors[k](values[k]) if k in processors else values[k] for k in order])
            else:
                escaped = self.escaped or {}
                args = {escaped.get(k, k): processors[k](v) if k in processors else v for k, v in values.items()}
            cursor = dbapi_conn.cursor()
        events = conn._has_events or conn.engine._has_events
        try:
            if events:
                for fn in conn.dispatch.before_cursor_execute:
                    fn(conn, cursor, sql, args, None, False)
            cursor.execute(sql, args)
            if events:
                for fn in conn.dispatch.after_cursor_execute:
                    fn(conn, cursor, sql, args, None, False)
            if self.row_processors is None:
                dialect = conn.dialect
                self.row_processors = [
                    (i, p) for i, (type_, desc) in enumerate(zip(self.columns, cursor.description, strict=True))
                    if (p := type_._cached_result_processor(dialect, desc[1])) is not None]
            rows = cursor.fetchall()
        except conn.dialect.loaded_dbapi.Error as e:
            conn._handle_dbapi_exception(e, sql, args, cursor, None)
        finally:
            cursor.close()
        if self.row_processors:
            rows = [_processed(row, self.row_processors) for row in rows]
        return rows


# An IN list on PostgreSQL: `x IN (__[POSTCOMPILE_ids])`, which Core renders anew at every execution (a placeholder and
# a cast per value) and whose text changes with the list's length (a new prepared statement each length).
_IN_LIST = re.compile(r"(NOT )?IN \(__\[POSTCOMPILE_(\w+)\]\)")


def as_arrays(compiled, dialect) -> tuple[str, dict | None]:
    """The statement with each IN list bound as one array (`x = ANY (%(ids)s::INTEGER[])`, `NOT IN` as `<> ALL`):
    one text whatever the list's length, nothing rendered per execution. Same answers, NULLs and empty lists
    included. A constant list (`reason IN ('served', …)`, rendered inline for the planner) is written in once here.
    Returns the statement unchanged and None when something else is rendered at execution (a tuple IN, an inline
    value given by name), which stays on Core's way. The dict gives each list's element bind processor (or None)."""
    names = {compiled.bind_names[b]: b for b in compiled.post_compile_params}
    if not all(b.expanding and not b.type._is_tuple_type for b in names.values()):
        return compiled.string, None
    sql = compiled.string
    for bind in compiled.literal_execute_params:  # a constant list or value written in the statement: once, here
        if not isinstance(bind.key, _anonymous_label) or bind.callable is not None:
            return compiled.string, None  # a named one may be given at execution
        if bind.expanding:
            _, text = compiled._literal_execute_expanding_parameter_literal_binds(bind, bind.value)
        else:
            text = compiled.render_literal_value(bind.value, bind.type)
        sql = sql.replace(f"__[POSTCOMPILE_{compiled.bind_names[bind]}]", text)
    escaped = compiled.escaped_bind_names or {}
    arrays, casts = {}, {}
    for name, bind in names.items():
        if isinstance(bind.type, NullType):
            return compiled.string, None
        impl = bind.type.dialect_impl(dialect)
        casts[name] = dialect.type_compiler_instance.process(getattr(impl, "impl_instance", impl))
        arrays[name] = bind.type._cached_bind_processor(dialect)

    def array(m):
        name = m.group(2)
        op = "<> ALL" if m.group(1) else "= ANY"
        return f"{op} (%({escaped.get(name, name)})s::{casts[name]}[])" if name in casts else m.group(0)

    sql = _IN_LIST.sub(array, sql)  # a list used twice (one name) is bound twice
    if "POSTCOMPILE" in sql:
        return compiled.string, None
    return sql, arrays


# psycopg's placeholders in a pyformat statement: %(name)s, and %% for a percent sign. psycopg finds them anew at every
# execution of a statement longer than 4,096 characters (it caches the shorter ones): a screen's merged read
# (database.Together) is 10 to 23 KB, and finding its placeholders cost 0.1 to 0.3 ms a request.
_PLACEHOLDER = re.compile(r"%(?:(%)|\((\w+)\)s|(.))", re.DOTALL)


def numbered(sql: str, escaped: dict) -> tuple[str, list[str]] | None:
    """A pyformat statement as PostgreSQL's own `$1, $2…` (run by psycopg's RawCursor, which sends it as it is) and
    the bound names in their numbers' order, a name used twice being one number; None for a placeholder psycopg
    would read another way (a positional or binary one)."""
    names: dict[str, int] = {}
    unescaped = {v: k for k, v in escaped.items()}
    out, at = [], 0
    for m in _PLACEHOLDER.finditer(sql):
        if m.group(3) is not None:
            return None
        out.append(sql[at:m.start()])
        at = m.end()
        if m.group(1):
            out.append("%")
        else:
            name = unescaped.get(m.group(2), m.group(2))
            out.append(f"${names.setdefault(name, len(names) + 1)}")
    out.append(sql[at:])
    return "".join(out), list(names)


def _processed(row, processors):
    row = list(row)
    for i, p in processors:
        row[i] = p(row[i])
    return row


# Statements seen once, then prepared when seen again: a page's reads are module-level statements, read on every
# request, while a statement built per call (a search's filters) is seen once and stays on Connection.execute (which
# finds its compiled form by cache key). Both maps hold the statements (so an id() is never another's) and are bounded.
_SEEN: dict[tuple, object] = {}
PREPARED: dict[tuple, Prepared] = {}
_KEPT = 2000


def prepared_for(conn, statement) -> Prepared | None:
    """The statement's Prepared on this connection's dialect, or None: not a plain SELECT, or seen the first time."""
    if not isinstance(statement, (Select, CompoundSelect)) or statement._execution_options or conn._echo:
        return None
    key = (id(statement), conn.dialect.name, conn.dialect.driver)
    found = PREPARED.get(key)
    if found is not None and found.statement is statement:
        return found
    if _SEEN.get(key) is not statement:
        if len(_SEEN) >= _KEPT:
            _SEEN.clear()
        _SEEN[key] = statement
        return None
    if len(PREPARED) >= _KEPT:
        PREPARED.clear()
    found = PREPARED[key] = Prepared(statement, conn.dialect)
    return found


_TUPLES = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class LazyDescriptionCursor(Cursor):
    """psycopg's cursor, its `description` made when read. psycopg makes a Column (name, type looked up) for every
    column of every result, about 0.7 µs each: 20 to 30 µs for an entity's row, on every statement. SQLAlchemy reads
    a statement's description once, to build its result's keys; after that only asks whether there is one."""
    __slots__ = ()

    @property
    def description(self):
        res = self.pgresult
        if res and (res.nfields or res.status in _TUPLES):
            return _Description(self, res)
        return None


class _Description(Sequence):
    """The Columns of one result, made on first use (from that result, even if the cursor has moved on)."""
    __slots__ = ("_cursor", "_result", "_columns")

    def __init__(self, cursor, result):
        self._cursor, self._result, self._columns = cursor, result, None

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index):
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def _made(self) -> list[Column]:
        if self._columns is None:
            cursor = self._cursor
            current, cursor.pgresult = cursor.pgresult, self._result
            try:
                self._columns = [Column(cursor, i) for i in range(self._result.nfields)]
            finally:
                cursor.pgresult = current
        return self._columns
