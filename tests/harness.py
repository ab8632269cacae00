"""Plain harnesses the tests share: logging a test client in, messages as pages show them, counting rows and SQL
statements, racing threads, whole-database snapshots."""
import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache
from operator import itemgetter

from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import event, func, select

from hospitality.extensions import db
from tests.factories import PASSWORD

HX = {"HX-Request": "true"}


class Auth:
    """Log a test client in as a user (by username)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


def login(app, username: str):
    """A fresh test client logged in as this user (one client per person, as on their own phones)."""
    client = app.test_client()
    r = Auth(client).login(username)
    assert r.status_code == 302, r.status_code
    return client


def csrf_token(html: str) -> str:
    """The CSRF token a rendered page carries."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def msg(app, msgid: str, **kw) -> str:
    """A message in the default language (Chinese), before and after its translation is merged."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return gettext(msgid, **kw)


def shown_when(app, stored, tz) -> str:
    """A stored UTC time as the pages' `when` filter shows it at the app's clock now, in the site's zone (today:
    今天 09:45; this year: 11-25 09:45): call it under the same clock as the page it is compared with."""
    from types import SimpleNamespace

    from flask import g, render_template_string
    with app.test_request_context("/"):
        g.site = SimpleNamespace(tz=tz)
        return render_template_string("{{ t|when }}", t=stored)


def text(app, msgid: str, **kw) -> str:
    """A message as a page shows it (HTML-escaped)."""
    return str(escape(msg(app, msgid, **kw)))


def count_rows(model, *where, app=None) -> int:
    """Rows of a model (or table) matching `where`: in the current app context, or in one of `app`'s."""
    if app is not None:
        with app.app_context():
            return count_rows(model, *where)
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@contextmanager
def counting(app):
    """Count the SQL statements the engine executes inside the block (the list of statements is yielded)."""
    seen = []
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def in_threads(app, n: int, work: Callable[[int], object], *, request: bool = False,
               timeout: float = 120) -> tuple[list, list[BaseException]]:
    """Run work(i) for i < n, each in its own thread and app context (its own session and connection, as a request
    has; a test request context when `request`), released together; return what they returned and raised."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            with app.test_request_context() if request else app.app_context():
                barrier.wait(timeout=30)
                results.append(work(i))
        except BaseException as e:  # noqa: B036 - collected and asserted on by the caller
            errors.append(e)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def empty_tables() -> None:
    """Delete every row of every table (children first), in one transaction of its own."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@cache
def _reads() -> list:
    """(table, its SELECT, a getter of its primary key) for every table, parents first: built once."""
    return [(t, t.select(), itemgetter(*[i for i, c in enumerate(t.columns) if c.primary_key]))
            for t in db.metadata.sorted_tables if not t.info.get("cache")]


def together(app, works: list[Callable[[], object]]) -> tuple[list, list[BaseException]]:
    """Run each work() in its own thread, released at once (see in_threads)."""
    return in_threads(app, len(works), lambda i: works[i]())


def snapshot() -> dict:
    """Every row of every table (a tuple) by primary key: compared before and after, to prove a request wrote nothing,
    and what put_back() restores."""
    conn = db.session.connection()
    return {t.name: {key(r): tuple(r) for r in conn.execute(stmt)} for t, stmt, key in _reads()}


def put_back(saved: dict, now: dict) -> None:
    """Make the database hold the `saved` snapshot again, `now` being its current one; only the rows that differ are
    touched: rows removed are inserted (parents first), rows changed get their old values, rows added are deleted
    (children first)."""
    db.session.remove()
    tables = [t for t, _stmt, _key in _reads()]
    with db.engine.begin() as conn:
        for t in tables:
            was, is_ = saved[t.name], now[t.name]
            gone = [dict(zip(t.columns.keys(), was[k], strict=True)) for k in was.keys() - is_.keys()]
            if gone:
                conn.execute(t.insert(), gone)
        for t in tables:
            was, is_ = saved[t.name], now[t.name]
            for k in was.keys() & is_.keys():
                if was[k] != is_[k]:
                    conn.execute(t.update().where(*_is(t, k)).values(dict(zip(t.columns.keys(), was[k], strict=True))))
        for t in reversed(tables):
            for k in now[t.name].keys() - saved[t.name].keys():
                conn.execute(t.delete().where(*_is(t, k)))


def _is(table, key) -> list:
    """WHERE clauses naming one row by its primary key (as snapshot() keys it)."""
    pk = list(table.primary_key.columns)
    return [c == v for c, v in zip(pk, key if len(pk) > 1 else (key,), strict=True)]
