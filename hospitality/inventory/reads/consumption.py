"""Daily consumption (日消耗) from the ledger and the day's counts, aggregated in SQL, and what the same weekday
usually uses (tomorrow's purchase proposal)."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy import Integer, Numeric, and_, bindparam, case, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import Grouping

from ...clock import range_bounds
from ...database import Together, local_day, local_offset, select_rows
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import CountLine, Item, Site, StockCount, StockMove
from ...models.inventory import REASONS, StockDay
from .stock import PREPARED_AMONG, BarItem, prepared_ids

IN_FLOW = ("received", "prepared", "moved_in")
OUT_FLOW = ("served", "prep_used", "discarded", "damaged", "moved_out")
FLOW = IN_FLOW + OUT_FLOW
# What a bought item costs when it goes: served, thrown away, broken, or used to prepare something. A prepared
# item costs nothing of its own: its raw items' use is the cost (a pot of tea is the tea leaves it took).
USED = ("served", "discarded", "damaged", "prep_used")
SUBMITTED = ("matched", "discrepancy")
# The columns' names, one source for the page and the exports.
COLUMNS = {"date": _l("Date"), "item": _l("Item"), "unit": _l("Unit"), "opening": _l("Opening stock"),
           **{r: REASONS[r] for r in FLOW}, "closing": _l("Closing stock"),
           "expected_closing": _l("Expected closing"), "variance": _l("Variance"),
           "outside": _l("Outside the counts"), "cost": _l("Cost")}


Original = aliased(StockMove)


def _build_day_reads() -> Together:
    """consumption()'s reads of the items `ids`, built once per dialect (one statement on PostgreSQL): which are
    prepared, the daily totals, the day's counts, and the flows outside each day's counts (before its first opening
    count or after its last closing count), one grouped pass each."""
    day = local_day(StockMove.at).label("day")
    cday = local_day(StockCount.submitted_at).label("day")
    in_range = (StockCount.submitted_at >= bindparam("start"), StockCount.submitted_at < bindparam("end"))
    bounds = (select(StockCount.location_id, cday,
                     func.min(case((StockCount.kind == "opening", StockCount.submitted_at))).label("first_open"),
                     func.max(case((StockCount.kind == "closing", StockCount.submitted_at))).label("last_close"))
              .where(StockCount.site_id == bindparam("site_id"), StockCount.status.in_(SUBMITTED),
                     StockCount.kind.in_(("opening", "closing")), *in_range)
              .group_by(StockCount.location_id, cday).subquery())
    reason = func.coalesce(Original.reason, StockMove.reason).label("reason")
    ids = bindparam("ids", expanding=True)
    return Together(
        prepared=PREPARED_AMONG, flows=_DAY_FLOWS,
        counts=select(CountLine.item_id, cday, StockCount.kind, CountLine.counted)
        .join(StockCount, CountLine.count_id == StockCount.id)
        .where(StockCount.site_id == bindparam("site_id"), StockCount.kind.in_(("opening", "closing")),
               StockCount.status.in_(SUBMITTED), CountLine.item_id.in_(ids), *in_range)
        .order_by(StockCount.submitted_at),
        # Goods received after the closing count are in the next opening count, not in this day's variance.
        outside=select(StockMove.item_id, day, reason, func.sum(StockMove.qty).label("total"))
        .join(Item, Item.id == StockMove.item_id).outerjoin(Original, StockMove.reverses_id == Original.id)
        .join(bounds, and_(bounds.c.location_id == Item.location_id, bounds.c.day == day))
        .where(StockMove.site_id == bindparam("site_id"), StockMove.item_id.in_(ids),
               StockMove.at >= bindparam("start"), StockMove.at < bindparam("end"),
               or_(StockMove.reason.in_(FLOW), and_(StockMove.reason == "reversal", Original.reason.in_(FLOW))),
               or_(StockMove.at > bounds.c.last_close, StockMove.at < bounds.c.first_open))
        .group_by(StockMove.item_id, day, reason))


_DAY_READS: dict = {}


def _day_reads() -> Together:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _DAY_READS:
        _DAY_READS[dialect] = _build_day_reads()
    return _DAY_READS[dialect]


_DAY_FLOWS = (select(StockDay.item_id, StockDay.day, StockDay.reason, StockDay.qty, StockDay.reversed)
              .where(StockDay.site_id == bindparam("site_id"), StockDay.day >= bindparam("first"),
                     StockDay.day <= bindparam("last"), StockDay.item_id.in_(bindparam("ids", expanding=True)),
                     StockDay.reason.in_(FLOW)))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _size(reason: str, signed: Decimal) -> Decimal:
    """How much a reason moved, from the sum of its signed rows (out rows are negative)."""
    return -signed if reason in OUT_FLOW else signed


def _cost(item: BarItem, flow: dict, prepared: bool) -> Decimal:
    if prepared:
        return Decimal("0.00")
    return (sum((flow[r] for r in USED), Decimal(0)) * (item.unit_price or 0)).quantize(Decimal("0.01"))


@dataclass
class DayLine:
    """One item on one day. Its figures below are worked out once, when first read: after consumption() built it
    (a page reads each several times)."""
    item: BarItem
    day: date
    prepared: bool = False  # made at the bar from a recipe: its cost is in its raw items' lines
    opening: Decimal | None = None
    closing: Decimal | None = None
    flow: dict = field(default_factory=lambda: defaultdict(Decimal))
    outside: dict = field(default_factory=lambda: defaultdict(Decimal))  # of flow: before / after the counts

    @cached_property
    def outside_change(self) -> Decimal:
        """What moved in (+) or out (−) outside the day's counts."""
        o = self.outside
        return sum((o[r] for r in IN_FLOW), Decimal(0)) - sum((o[r] for r in OUT_FLOW), Decimal(0))

    @cached_property
    def expected_closing(self) -> Decimal | None:
        """The bar formula over what moved between the opening and the closing count: opening + received +
        prepared + moved in − served − used to prepare − discarded − damaged − moved out."""
        if self.opening is None:
            return None
        f = self.flow
        counted = (sum((f[r] for r in IN_FLOW), Decimal(0)) - sum((f[r] for r in OUT_FLOW), Decimal(0))
                   - self.outside_change)
        return self.opening + counted

    @cached_property
    def variance(self) -> Decimal | None:
        exp = self.expected_closing
        return None if exp is None or self.closing is None else self.closing - exp

    @property
    def cost(self) -> Decimal:
        return _cost(self.item, self.flow, self.prepared)


def consumption(site: Site, items: list[BarItem], first: date, last: date) -> list[DayLine]:
    """One line per day and item with counts, flows and variance: the daily totals, the counts and one aggregate of
    the ledger (what moved outside the counts), read together (_day_reads)."""
    if not items:
        return []
    by_id = {i.id: i for i in items}
    start, end = range_bounds(site, first, last)
    params = {"site_id": site.id, "first": first, "last": last, "start": start, "end": end, "ids": list(by_id),
              **local_offset(site, first)}
    got = _day_reads().read(params)
    prepared = {r.item_id for r in got["prepared"]}
    lines: dict[tuple[int, date], DayLine] = {}

    def line(item_id, d) -> DayLine:
        key = (item_id, _as_date(d))
        if key not in lines:
            lines[key] = DayLine(by_id[item_id], key[1], item_id in prepared)
        return lines[key]

    # The day's flows and what was reversed of them: the ledger's daily totals (rollup.py).
    for r in got["flows"]:
        if r.qty:
            line(r.item_id, r.day).flow[r.reason] += abs(Decimal(r.qty))
        if r.reversed:
            line(r.item_id, r.day).flow[r.reason] -= abs(Decimal(r.reversed))
    for r in got["outside"]:
        line(r.item_id, r.day).outside[r.reason] += _size(r.reason, Decimal(r.total))
    for r in got["counts"]:  # in the order they were submitted
        dl = line(r.item_id, r.day)
        if r.kind == "opening" and dl.opening is None:
            dl.opening = r.counted  # the first opening count of the day
        elif r.kind == "closing":
            dl.closing = r.counted  # the last closing count of the day
    order = {i.id: n for n, i in enumerate(items)}
    return sorted(lines.values(), key=lambda dl: (dl.day, order[dl.item.id]))


@dataclass
class RangeLine:
    """One item over several days: what came in and went out, and what it cost."""
    item: BarItem
    prepared: bool = False
    flow: dict = field(default_factory=lambda: defaultdict(Decimal))

    @property
    def cost(self) -> Decimal:
        return _cost(self.item, self.flow, self.prepared)


_RANGE_WHERE = (StockDay.site_id == bindparam("site_id"), StockDay.day >= bindparam("first"),
                StockDay.day <= bindparam("last"), StockDay.item_id.in_(bindparam("ids", expanding=True)))
_MOVED, _UNDONE = func.sum(StockDay.qty).label("moved"), func.sum(StockDay.reversed).label("undone")
_RANGE_FLOWS = (select(StockDay.item_id, StockDay.reason, _MOVED, _UNDONE)
                .where(*_RANGE_WHERE, StockDay.reason.in_(FLOW)).group_by(StockDay.item_id, StockDay.reason))
# Used stock costs money (its rows are negative); a reversal of a used row (positive) gives it back. On SQLite each
# row is priced by its item (a join).
_DAY_COSTS = (select(StockDay.day, func.sum((StockDay.qty + StockDay.reversed) * Item.unit_price).label("cost"))
              .join(Item, Item.id == StockDay.item_id)
              .where(Item.site_id == bindparam("site_id"), *_RANGE_WHERE, StockDay.reason.in_(USED),
                     StockDay.item_id.in_(bindparam("paid", expanding=True)))
              .group_by(StockDay.day).order_by(StockDay.day))


def _once(array):
    """An array parameter read once per statement (a sub-select), not converted again for each row."""
    return select(array).scalar_subquery()


# On PostgreSQL both in one pass over the range's daily totals (GROUPING SETS): a row per item and reason (day NULL)
# and a row per day (item NULL) with its cost. The paid items' prices come as an array beside their ids (the page
# has them; a prepared item has none, so its rows cost NULL, left out of the sum): joined to the items instead, a
# generic plan, blind to the range's size, sought the item of each of a month's rows (820 index reads).
_PRICE = Grouping(_once(bindparam("prices", type_=ARRAY(Numeric))))[
    func.array_position(_once(bindparam("paid", type_=ARRAY(Integer))), StockDay.item_id)]
_RANGE_PG = (select(StockDay.item_id, StockDay.reason, StockDay.day, _MOVED, _UNDONE,
                    func.sum(case((StockDay.reason.in_(USED), (StockDay.qty + StockDay.reversed) * _PRICE)))
                    .label("cost"))
             .where(*_RANGE_WHERE, StockDay.reason.in_(FLOW))
             .group_by(func.grouping_sets(tuple_(StockDay.item_id, StockDay.reason), tuple_(StockDay.day))))


def range_summary(site: Site, items: list[BarItem], first: date,
                  last: date) -> tuple[list[RangeLine], list[tuple[date, Decimal]]]:
    """Per item totals and the cost per day over a range, from the ledger's daily totals (rollup.py): a row per
    item and reason and a row per day, whatever the range (one statement on PostgreSQL, two on SQLite). The
    day-by-day lines with counts and variance (consumption()) are for one day and the exports."""
    if not items:
        return [], []
    by_id = {i.id: i for i in items}
    prepared = prepared_ids(by_id)
    paid = [i for i in by_id if i not in prepared]
    params = {"site_id": site.id, "first": first, "last": last, "ids": list(by_id), "paid": paid,
              "prices": [by_id[i].unit_price or Decimal(0) for i in paid]}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = select_rows(_RANGE_PG, params).all()
        flows = [r for r in rows if r.day is None]
        days = sorted((r for r in rows if r.day is not None and r.cost is not None), key=lambda r: r.day)
    else:
        flows = select_rows(_RANGE_FLOWS, params)
        days = select_rows(_DAY_COSTS, params) if paid else []
    out: dict[int, RangeLine] = {i.id: RangeLine(i, i.id in prepared) for i in items}
    for r in flows:
        out[r.item_id].flow[r.reason] += abs(Decimal(r.moved)) - abs(Decimal(r.undone))
    costs = [(_as_date(r.day), abs(Decimal(r.cost or 0)).quantize(Decimal("0.01"))) for r in days]
    return [rl for rl in out.values() if rl.flow], costs


def daily_totals(lines: list[DayLine]) -> list[tuple[date, Decimal]]:
    """Consumable cost per day, for the trend chart."""
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for dl in lines:
        totals[dl.day] += dl.cost
    return sorted(totals.items())


# Used per item on given days (the same weekday of past weeks), off the ledger's daily totals.
_WEEKDAY_USE = (select(StockDay.item_id, StockDay.day, func.sum(StockDay.qty).label("total"))
                .where(StockDay.site_id == bindparam("site_id"), StockDay.day.in_(bindparam("days", expanding=True)),
                       StockDay.item_id.in_(bindparam("ids", expanding=True)),
                       StockDay.reason.in_(("served", "prep_used")))
                .group_by(StockDay.item_id, StockDay.day))


def served_by_weekday(site: Site, item_ids: list[int], for_date: date, weeks: int = 4) -> dict[int, Decimal]:
    """Average used per item on the same weekday over the last few weeks: served, or used to prepare something
    (tea leaves go into pots). A prepared item has none: what it needs is bought as its raw items."""
    item_ids = list(set(item_ids) - prepared_ids(item_ids)) if item_ids else []
    if not item_ids:
        return {}
    days = [for_date - timedelta(days=7 * k) for k in range(1, weeks + 1)]
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for r in select_rows(_WEEKDAY_USE, {"site_id": site.id, "days": days, "ids": item_ids}):
        totals[r.item_id] += abs(Decimal(r.total))
    return {k: (v / weeks).quantize(Decimal("0.001")) for k, v in totals.items()}
