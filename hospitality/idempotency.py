"""A replayed form does nothing twice, for the writes whose rows carry no key column of their own.

Rows made by the busy forms (a visit, a task, a ledger movement, a complaint…) keep their form's key in a unique
column of their own; the rest (a robot, a VIP notice, a checklist and its items, a stock item, and the actions
that make no row: a refill, an item moved up) keep it here, in write_keys. Call `claim` inside the write's
transaction, before it writes: None means go ahead (then `done` names the row made), a number is the id of what
the same key did before (answer as if it had just been done, and write nothing)."""
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models.idempotency import WriteKey

REPLAYED = 0  # what claim() answers for a replay of an action that names no row


def claim(key: str | None, kind: str, site_id: int) -> int | None:
    """None: the key is new (or absent) and now taken by this write. Else what the key's earlier write made.

    A double tap's two requests race here: on SQLite the write lock orders them, so the second finds the first's
    row; on PostgreSQL the second's insert waits on the first's key until it commits, then fails and reads it."""
    if not key:
        return None
    if (row := db.session.get(WriteKey, key, populate_existing=True)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(WriteKey(key=key, kind=kind, site_id=site_id))
            return None
        except IntegrityError:
            row = db.session.get(WriteKey, key, populate_existing=True)
            if row is None:
                raise
    if row.kind != kind or row.site_id != site_id:
        return None  # another write's key sent with this form (never a browser's): this write goes unkeyed
    return row.entity_id if row.entity_id is not None else REPLAYED


def done(key: str | None, kind: str, site_id: int, entity_id: int) -> None:
    """Name the row the claimed key's write made (in the same transaction): a replay answers with it."""
    row = db.session.get(WriteKey, key) if key else None
    if row is not None and row.kind == kind and row.site_id == site_id and row.entity_id is None:
        row.entity_id = entity_id
