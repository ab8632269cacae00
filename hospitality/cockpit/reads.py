"""What the manager's day reads: what waits for the manager (one statement of counts), attendance, routines and
inspections now (the capabilities' own reads), and the trends of the last days (head office's kept figures per site
and day). A fixed number of statements however many rows there are: today's figures are read at once (day_panels)."""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from markupsafe import Markup
from sqlalchemy import and_, bindparam, exists, func, or_, select

from ..attendance.reads import days as attendance
from ..checklists import reads as checklists
from ..clock import utcnow
from ..database import Reads, read_panels, select_rows
from ..hq import reads as hq
from ..inspections import reads as inspections
from ..inventory.reads import stock as stock_reads
from ..inventory.reads.consumption import USED
from ..models import Discrepancy, Item, Location, PurchaseRequest, Site, User
from ..models.attendance import LeaveRequest
from ..models.budgets import Budget
from ..models.checklists import AREA_KINDS, ROUTINE_KINDS
from ..models.complaints import Complaint
from ..models.incidents import Incident
from ..models.inventory import RecipeLine, StockDay
from ..models.purchasing import FixtureRelease, Receipt
from ..models.repairs import OPEN_STATES as REPAIR_OPEN
from ..models.repairs import Repair
from ..models.tasks import OPEN_STATES as TASK_OPEN
from ..models.tasks import Task
from ..visits.reads import report as visit_reports

TREND_DAYS = (7, 30)
OPEN_TASKS_READ = 500  # a site has a handful open; their targets are compared in Python (portable arithmetic)

_SITE = bindparam("site_id")
_NOW = bindparam("now")


def _count(model, *where):
    return select(func.count()).select_from(model).where(model.site_id == _SITE, *where).scalar_subquery()


# What waits for the manager: one statement of scalar subqueries, each a seek on the site's open rows.
_WAITING = select(
    _count(PurchaseRequest, PurchaseRequest.status == "pending").label("requests"),
    _count(Receipt, Receipt.signed_at.is_(None)).label("to_sign"),
    _count(FixtureRelease, FixtureRelease.status == "pending").label("releases"),
    _count(Discrepancy, Discrepancy.status != "closed").label("discrepancies"),
    _count(LeaveRequest, LeaveRequest.status == "pending").label("leave"),
    _count(Complaint, Complaint.closed_at.is_(None)).label("complaints"),
    _count(Complaint, Complaint.closed_at.is_(None),
           or_(Complaint.close_by < _NOW, and_(Complaint.judged_at.is_(None), Complaint.respond_by < _NOW))
           ).label("complaints_late"),
    _count(Incident, Incident.level == "urgent", Incident.acknowledged_at.is_(None),
           Incident.status != "closed").label("urgent"),
    _count(Repair, Repair.status.in_(REPAIR_OPEN)).label("repairs"),
)
_OPEN_TASKS = (select(Task.created_at, Task.target_minutes)
               .where(Task.site_id == _SITE, Task.status.in_(TASK_OPEN)).limit(OPEN_TASKS_READ))


@dataclass(frozen=True)
class Waiting:
    requests: int
    to_sign: int
    releases: int
    discrepancies: int
    leave: int
    complaints: int
    complaints_late: int
    urgent: int
    repairs: int
    tasks: int
    tasks_overdue: int


def waiting(site: Site, now: datetime | None = None) -> Waiting:
    """The counts of what waits for the manager at the site (two reads)."""
    return read_panels(waiting_reads(site, now))["waiting"]


def waiting_reads(site: Site, now: datetime | None = None) -> Reads:
    """waiting()'s reads, for a screen that reads its panels at once: `waiting`."""
    now = now or utcnow()
    return Reads({"counts": _WAITING, "tasks": _OPEN_TASKS}, {"site_id": site.id, "now": now},
                 lambda got: {"waiting": _waiting(got["counts"][0], got["tasks"], now)})


def _waiting(counts, tasks: list, now: datetime) -> Waiting:
    overdue = sum(1 for t in tasks if t.target_minutes and t.created_at + timedelta(minutes=t.target_minutes) < now)
    return Waiting(**counts._asdict(), tasks=len(tasks), tasks_overdue=overdue)


def _attendance_counts(b: dict) -> dict:
    return {"rostered": b["rostered"], "on_duty": len(b["on_duty"]), "late": len(b["late"]),
            "absent": len(b["missing"]), "on_leave": len(b["on_leave"])}


# The posts' routines and the day's inspection rounds, with their runs, in one read (their conditions stay in their
# capabilities' statements).
_CHECKLISTS_TODAY = checklists.plain_with_runs(or_(checklists.ROUTINES_WHERE, inspections.AREA_TEMPLATES_WHERE))


def day_panels(site: Site, day: date, now: datetime | None = None, trend_days: int | None = None) -> dict:
    """The manager's day's figures of today: visits, what waits, attendance, routines, inspections, the month's
    spend and stock below par, and with trend_days the trends of those days (`trends`). On PostgreSQL one
    statement (database.read_panels), the checklists with their runs included, where each figure read on its own
    was a round trip and its own work on both sides."""
    now = now or utcnow()
    trends = [trends_reads(site, day, trend_days)] if trend_days else []
    got = read_panels(visit_reports.day_reads(site, day), waiting_reads(site, now),
                      attendance.board_reads(site, day, pending=False), month_reads(site, day),
                      stock_reads.below_par_reads(site.id),
                      checklists.plain_reads(_CHECKLISTS_TODAY, day, {"site_id": site.id}, "checklists"), *trends)
    statuses = checklists.day_status_of_rows(site, day, got["checklists"])  # at the site's now
    return {**({"trends": got["trends"]} if trends else {}), "visits": got["visit_figures"], "waiting": got["waiting"],
            "attendance": _attendance_counts(got["att_board"]), "budget": got["budget"],
            "below_par": got["below_par"],
            "routines": checklists.state_counts([s for s in statuses if s.template.kind in ROUTINE_KINDS]),
            "inspections": checklists.state_counts([s for s in statuses if s.template.kind in AREA_KINDS])}


@dataclass(frozen=True)
class Series:
    key: str
    points: list  # (date, int) for every day of the range, oldest first
    summed: bool = True  # a count per day (its total means something); else a rate or an average per day

    @property
    def top(self) -> int:
        return max((n for _d, n in self.points), default=0)

    @property
    def total(self) -> int:
        return sum(n for _d, n in self.points)

    @property
    def average(self) -> int:
        """The mean of the days that have a figure (a rate's day without routines, a day without groups: none)."""
        found = [n for _d, n in self.points if n is not None]
        return round(sum(found) / len(found)) if found else 0

    @cached_property
    def drawn(self) -> "Drawn":
        """The chart's per-day markup, made here in one pass (cockpit/_chart.html places it): each day shows three
        times (its bar with a tooltip, the chart's accessible name, the table), 30 days × 6 charts, which as
        template expressions were a quarter of the manager's day's CPU. Only numbers and MM-DD go in: nothing to
        escape."""
        top, aria, rects, rows = self.top, [], [], []
        for i, (d, n) in enumerate(self.points):
            day, h = f"{d.month:02d}-{d.day:02d}", round(n / top * 38, 1) if top else 0
            aria.append(f"{day} {n}")
            rects.append(f'<rect x="{i * 10 + 1}" y="{40 - h}" width="8" height="{h}" fill="currentColor" '
                         f'data-n="{n}"><title>{day}: {n}</title></rect>')
            rows.append(f"<tr><td>{day}</td><td>{n}</td></tr>")
        return Drawn(len(self.points) * 10, ", ".join(aria), Markup("".join(rects)), Markup("".join(rows)))


@dataclass(frozen=True)
class Drawn:
    width: int  # the chart's viewBox width: 10 units a day
    aria: str  # "12-01 3, 12-02 5, …" after the chart's title
    rects: Markup  # a bar per day
    rows: Markup  # the by-day table's rows


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def trends(site: Site, last: date, days: int) -> list[Series]:
    """Groups, guests, consumable cost per group (yuan), discrepancies opened, people late and routines done on time
    (%) per local day, the `days` days up to `last`: head office's kept figures of the site (hq.reads.site_days: the
    days before today at most an hour old, today's read now)."""
    reads = trends_reads(site, last, days)
    return (read_panels(reads) if reads.parts else reads.build({}))["trends"]


def trends_reads(site: Site, last: date, days: int) -> Reads:
    """trends()' reads, for a screen that reads its panels at once: `trends`."""
    first = last - timedelta(days=days - 1)
    reads = hq.site_days_reads(site, first, last, site.today())
    if reads is None:
        return Reads({}, {}, lambda _got: {"trends": _series(first, days, {})})
    return Reads(reads.parts, reads.params, lambda got: {"trends": _series(first, days, reads.build(got)["site_days"])})


def _series(first: date, days: int, found: dict) -> list[Series]:
    span = [first + timedelta(days=i) for i in range(days)]

    def per_day(figure) -> list:
        return [(d, figure(found[d]) if d in found else 0) for d in span]

    return [Series("groups", per_day(lambda f: int(f.get("groups") or 0))),
            Series("guests", per_day(lambda f: int(f.get("guests") or 0))),
            Series("cost_per_group", per_day(_cost_per_group), False),
            Series("discrepancies", per_day(lambda f: int(f.get("discrepancies") or 0))),
            Series("late", per_day(lambda f: int(f.get("late") or 0))),
            Series("on_time", per_day(_on_time), False)]


def _cost_per_group(f: dict) -> int:
    groups = int(f.get("groups") or 0)
    return round(Decimal(str(f.get("cost") or 0)) / groups) if groups else 0


def _on_time(f: dict) -> int:
    routines = int(f.get("routines") or 0)
    return round(100 * int(f.get("on_time") or 0) / routines) if routines else 0



# The month's consumables spend against its budget. The spend is the consumption report's cost (its
# range_summary), read off the ledger's daily totals: what the water bar's consumables used (served, used to prepare,
# discarded, damaged), less what was reversed of those, at the items' prices; a prepared item costs nothing of its
# own (its raw items do).
# The month's rows are summed per item first (one pass over the site's days in the key's order), then priced: joined
# the other way, each item sought its days among all the site's (a month-end day read every row of the month per item).
_USED_BY_ITEM = (select(StockDay.item_id, func.sum(StockDay.qty + StockDay.reversed).label("used"))
                 .where(StockDay.site_id == _SITE, StockDay.day >= bindparam("month"), StockDay.day <= bindparam("day"),
                        StockDay.reason.in_(USED))
                 .group_by(StockDay.item_id).subquery())
_SPEND = (select(func.coalesce(func.sum(_USED_BY_ITEM.c.used * Item.unit_price), 0))
          .select_from(_USED_BY_ITEM).join(Item, Item.id == _USED_BY_ITEM.c.item_id)
          .join(Location, Location.id == Item.location_id)
          .where(Item.site_id == _SITE, Item.kind == "consumable", Location.kind == "water_bar",
                 ~exists().where(RecipeLine.item_id == Item.id))
          .scalar_subquery())


def _latest(column):
    """The budget that applies to the month: its own, or the latest earlier month's (a seek on the unique index)."""
    return (select(column).where(Budget.site_id == _SITE, Budget.month <= bindparam("month"))
            .order_by(Budget.month.desc()).limit(1).scalar_subquery())


# One statement: the spend, and the budget that applies.
_MONTH = select(_SPEND.label("spend"), _latest(Budget.amount).label("budget"),
                _latest(Budget.month).label("budget_month"))
_BUDGETS = (select(Budget.month, Budget.amount, Budget.set_at, User.name.label("set_by"))
            .join(User, User.id == Budget.set_by_id)
            .where(Budget.site_id == _SITE, Budget.month <= bindparam("last")).order_by(Budget.month))


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month n months after (before, n < 0) `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthSpend:
    """The consumables spend of a month so far (to `day`, included) against the budget that applies."""
    day: date
    spend: Decimal
    budget: Decimal | None
    budget_month: date | None  # the month whose budget applies (an earlier one: "same as then")

    @property
    def month(self) -> date:
        return month_start(self.day)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.day.year, self.day.month)[1]

    @property
    def inherited(self) -> bool:
        return self.budget_month is not None and self.budget_month != self.month

    @property
    def projected(self) -> Decimal:
        """The month's spend at the rate of the days so far (today included)."""
        return (self.spend / self.day.day * self.days).quantize(Decimal("0.01"))

    def _pct(self, value: Decimal) -> int | None:
        return int((value * 100 / self.budget).to_integral_value()) if self.budget else None

    @property
    def pct(self) -> int | None:
        return self._pct(self.spend)

    @property
    def projected_pct(self) -> int | None:
        return self._pct(self.projected)

    @property
    def over(self) -> bool:
        return self.budget is not None and self.spend > self.budget

    @property
    def projected_over(self) -> bool:
        return self.budget is not None and self.projected > self.budget


def month_spend(site: Site, day: date) -> MonthSpend:
    """The site's consumables spend from the first of `day`'s month to `day`, and its budget (one statement)."""
    return read_panels(month_reads(site, day))["budget"]


def month_reads(site: Site, day: date) -> Reads:
    """month_spend's read, for a screen that reads its panels at once: `budget`."""
    return Reads({"month": _MONTH}, {"site_id": site.id, "day": day, "month": month_start(day)},
                 lambda got: {"budget": _month_spend(day, got["month"][0])})


def _month_spend(day: date, row) -> MonthSpend:
    spend = (-Decimal(str(row.spend))).quantize(Decimal("0.01")) + 0  # + 0: no "-0.00"
    budget = None if row.budget is None else Decimal(str(row.budget)).quantize(Decimal("0.01"))
    return MonthSpend(day, spend, budget, _day(row.budget_month) if row.budget_month else None)


@dataclass(frozen=True)
class MonthBudget:
    month: date
    amount: Decimal | None  # None: no budget yet
    from_month: date | None  # the month it was set for (earlier: the latest earlier budget applies)
    set_by: str | None
    set_at: datetime | None

    @property
    def inherited(self) -> bool:
        return self.from_month is not None and self.from_month != self.month


def months(site: Site, first: date, last: date) -> list[MonthBudget]:
    """Each month first..last with the budget that applies to it: its own, or the latest earlier month's."""
    rows = select_rows(_BUDGETS, {"site_id": site.id, "last": last}).all()
    out, current, m = [], None, first
    set_rows = iter(rows)
    pending = next(set_rows, None)
    while m <= last:
        while pending is not None and _day(pending.month) <= m:
            current, pending = pending, next(set_rows, None)
        if current is None:
            out.append(MonthBudget(m, None, None, None, None))
        else:
            own = _day(current.month) == m
            out.append(MonthBudget(m, Decimal(str(current.amount)), _day(current.month),
                                   current.set_by if own else None, current.set_at if own else None))
        m = add_months(m, 1)
    return out
