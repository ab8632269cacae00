"""The ledger's daily totals (`stock_days`): one row per item, site-local day and reason, kept in the same
transaction as the ledger rows they sum, so a report over a month reads a row per item, day and reason instead
of every ledger row (a busy bar posts a few hundred rows a day).

`add` is called by the ledger's one writer with the rows it just flushed; `rebuild` recomputes a site's totals
from the ledger in SQL (the migration that added the table, and bulk loads that bypass the ledger).
"""
from collections import defaultdict
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..extensions import db
from ..models import Site, StockMove
from ..models.inventory import StockDay

_KEY = ["site_id", "day", "item_id", "reason"]


def add(site_id: int, rows: list[StockMove]) -> None:
    """Add just-flushed ledger rows of one site to their days' totals (an upsert per item, day and reason). A
    reversal counts under the reason of the row it undoes, in `reversed`."""
    if not rows:
        return
    site = db.session.get(Site, site_id)
    undone = [r.reverses_id for r in rows if r.reverses_id]
    reasons = dict(db.session.execute(select(StockMove.id, StockMove.reason)
                                      .where(StockMove.id.in_(undone))).all()) if undone else {}
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r in rows:
        day = clock.to_local(site, r.at).date()
        if r.reverses_id and r.reverses_id in reasons:
            sums[(day, r.item_id, reasons[r.reverses_id])][1] += r.qty
        else:
            sums[(day, r.item_id, r.reason)][0] += r.qty
    values = [{"site_id": site_id, "day": day, "item_id": item_id, "reason": reason, "qty": q, "reversed": rev}
              for (day, item_id, reason), (q, rev) in sums.items()]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(StockDay).values(values)
    table = StockDay.__table__
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=_KEY, set_={"qty": table.c.qty + stmt.excluded.qty,
                                   "reversed": table.c.reversed + stmt.excluded.reversed}))


def rebuild(conn, site_ids: list[int] | None = None) -> None:
    """Recompute sites' daily totals from their ledger (all sites by default), on a Core connection.

    Each site's days are cut at its current offset from UTC, as the reports cut them (exact for zones without
    daylight saving, such as China's)."""
    pg = conn.dialect.name == "postgresql"
    sites = conn.execute(text("SELECT id, timezone FROM sites")).all()
    for site_id, zone in sites:
        if site_ids is not None and site_id not in site_ids:
            continue
        noon = datetime.combine(clock.now().date(), time(12), ZoneInfo(zone))
        minutes = int(noon.utcoffset().total_seconds() // 60)
        day = (f"CAST(m.at + INTERVAL '{minutes} minutes' AS DATE)" if pg
               else f"date(m.at, '{minutes:+d} minutes')")
        conn.execute(text("DELETE FROM stock_days WHERE site_id = :s"), {"s": site_id})
        conn.execute(text(
            "INSERT INTO stock_days (site_id, day, item_id, reason, qty, reversed)"
            f" SELECT m.site_id, {day}, m.item_id, COALESCE(o.reason, m.reason),"
            " SUM(CASE WHEN o.id IS NULL THEN m.qty ELSE 0 END), SUM(CASE WHEN o.id IS NULL THEN 0 ELSE m.qty END)"
            " FROM stock_moves m LEFT JOIN stock_moves o ON o.id = m.reverses_id WHERE m.site_id = :s"
            f" GROUP BY m.site_id, {day}, m.item_id, COALESCE(o.reason, m.reason)"), {"s": site_id})
