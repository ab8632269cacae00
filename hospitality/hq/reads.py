"""What head office reads: the company's sites, and each figure family over a range for all of them at once (one
statement per family, GROUP BY site_id), never a statement per site. Sites in another time zone than the first are
read with their own day bounds (one more round of the same statements per zone; a company in China has one)."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..checklists import reads as checklists
from ..clock import range_bounds, utcnow
from ..database import Reads, local_day, local_offset, read_panels, select_rows, write_tx
from ..extensions import db
from ..models import CountLine, Discrepancy, Item, Site, Visit
from ..models.attendance import Attendance, RosterEntry
from ..models.complaints import Complaint
from ..models.guests import GuestFeedback
from ..models.hq import COUNTS, SiteDay
from ..models.incidents import Incident

CENT = Decimal("0.01")
SATISFIED = ("very_satisfied", "satisfied")
_IDS = bindparam("ids", expanding=True)
_START, _END, _FIRST, _LAST = bindparam("start"), bindparam("end"), bindparam("first"), bindparam("last")

_SITES = (select(Site.id, Site.name, Site.code, Site.timezone)
          .where(Site.company_id == bindparam("company_id"), Site.active.is_(True)).order_by(Site.name, Site.id))
_SITE = select(Site.id, Site.name, Site.code, Site.timezone).where(
    Site.company_id == bindparam("company_id"), Site.id == bindparam("site_id"))
_COMPANY = select(Site.company_id).where(Site.id == bindparam("site_id"))

def _family_statements() -> dict:
    """Each figure family per site and local day over a range (GROUP BY site_id, day): one statement per family,
    whatever the number of sites or days. Wall-clock arithmetic differs per dialect."""
    vday, dday = local_day(Visit.arrived_at).label("day"), local_day(Discrepancy.opened_at).label("day")
    cday, iday = local_day(Complaint.registered_at).label("day"), local_day(Incident.reported_at).label("day")
    return {
        "visits": select(Visit.site_id, vday, func.count().label("groups"),
                         func.coalesce(func.sum(Visit.party_size), 0).label("guests"),
                         func.coalesce(func.sum(Visit.served_cost), 0).label("cost"))
        .where(Visit.site_id.in_(_IDS), Visit.arrived_at >= _START, Visit.arrived_at < _END)
        .group_by(Visit.site_id, vday),
        "discrepancies": select(Discrepancy.site_id, dday, func.count().label("discrepancies"))
        .where(Discrepancy.site_id.in_(_IDS), Discrepancy.opened_at >= _START, Discrepancy.opened_at < _END)
        .group_by(Discrepancy.site_id, dday),
        # What the counts behind those discrepancies found missing, at the items' prices (a surplus is not a gain).
        "losses": select(Discrepancy.site_id, dday, func.coalesce(func.sum(
            (CountLine.expected - CountLine.counted) * Item.unit_price), 0).label("losses"))
        .join(CountLine, CountLine.count_id == Discrepancy.count_id).join(Item, Item.id == CountLine.item_id)
        .where(Discrepancy.site_id.in_(_IDS), Discrepancy.opened_at >= _START, Discrepancy.opened_at < _END,
               CountLine.counted < CountLine.expected)
        .group_by(Discrepancy.site_id, dday),
        "attendance": select(Attendance.site_id, Attendance.day, func.count().label("shifts"),
                             func.sum(case((Attendance.late_minutes > 0, 1), else_=0)).label("late"))
        .where(Attendance.site_id.in_(_IDS), Attendance.day >= _FIRST, Attendance.day <= _LAST)
        .group_by(Attendance.site_id, Attendance.day),
        # Rostered days over (before today) with no clock-in: absent.
        "absent": select(RosterEntry.site_id, RosterEntry.day, func.count().label("rostered"),
                         func.sum(case((Attendance.id.is_(None), 1), else_=0)).label("absent"))
        .outerjoin(Attendance, and_(Attendance.user_id == RosterEntry.user_id, Attendance.day == RosterEntry.day))
        .where(RosterEntry.site_id.in_(_IDS), RosterEntry.day >= _FIRST, RosterEntry.day <= bindparam("done"))
        .group_by(RosterEntry.site_id, RosterEntry.day),
        "routines": checklists.routines_on_time(),
        "feedback": select(GuestFeedback.site_id, GuestFeedback.day, func.count().label("feedback"),
                           func.sum(case((GuestFeedback.rating.in_(SATISFIED), 1), else_=0)).label("satisfied"))
        .where(GuestFeedback.site_id.in_(_IDS), GuestFeedback.day >= _FIRST, GuestFeedback.day <= _LAST)
        .group_by(GuestFeedback.site_id, GuestFeedback.day),
        "complaints": select(Complaint.site_id, cday, func.count().label("complaints"))
        .where(Complaint.site_id.in_(_IDS), Complaint.registered_at >= _START, Complaint.registered_at < _END)
        .group_by(Complaint.site_id, cday),
        "incidents": select(Incident.site_id, iday, func.count().label("incidents"))
        .where(Incident.site_id.in_(_IDS), Incident.reported_at >= _START, Incident.reported_at < _END)
        .group_by(Incident.site_id, iday),
    }


_FAMILIES: dict = {}


def _families() -> dict:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _FAMILIES:
        _FAMILIES[dialect] = _family_statements()
    return _FAMILIES[dialect]


# The kept days of sites over a range: how many are fresh per site, and their sums.
_FRESH = (select(SiteDay.site_id, func.count().label("n"))
          .where(SiteDay.site_id.in_(_IDS), SiteDay.day >= _FIRST, SiteDay.day <= _LAST,
                 SiteDay.computed_at >= bindparam("fresh_after"))
          .group_by(SiteDay.site_id))
_KEPT = (select(SiteDay.site_id, func.sum(SiteDay.cost).label("cost"), func.sum(SiteDay.losses).label("losses"),
                *(func.sum(getattr(SiteDay, k)).label(k) for k in COUNTS))
         .where(SiteDay.site_id.in_(_IDS), SiteDay.day >= _FIRST, SiteDay.day <= _LAST)
         .group_by(SiteDay.site_id))
KEEP_FOR = timedelta(hours=1)  # a late entry or a correction of a past day shows within the hour
KEEP_TODAY_FOR = timedelta(minutes=5)  # today's figures, rebuilt alone (a day of twenty sites: a few milliseconds)


@dataclass
class SiteFigures:
    """One site's figures over the range (rates and shares in per cent, None when there is nothing to rate)."""
    site_id: int
    name: str
    code: str
    groups: int = 0
    guests: int = 0
    cost: Decimal = Decimal("0.00")
    discrepancies: int = 0
    losses: Decimal = Decimal("0.00")
    shifts: int = 0  # clock-ins
    late: int = 0
    rostered: int = 0  # rostered days already over
    absent: int = 0
    routines: int = 0  # completed
    on_time: int = 0
    feedback: int = 0
    satisfied: int = 0
    complaints: int = 0
    incidents: int = 0

    @property
    def cost_per_group(self) -> Decimal | None:
        return (self.cost / self.groups).quantize(CENT) if self.groups else None

    @property
    def late_pct(self) -> int | None:
        return _pct(self.late, self.shifts)

    @property
    def absent_pct(self) -> int | None:
        return _pct(self.absent, self.rostered)

    @property
    def on_time_pct(self) -> int | None:
        return _pct(self.on_time, self.routines)

    @property
    def satisfied_pct(self) -> int | None:
        return _pct(self.satisfied, self.feedback)


def _pct(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


# The columns of the comparison, in order: the ?sort= keys, and what each sorts by.
COLUMNS = ("name", "groups", "guests", "cost_per_group", "discrepancies", "losses", "late_pct", "absent_pct",
           "on_time_pct", "satisfied_pct", "complaints", "incidents")


def sort_figures(rows: list[SiteFigures], key: str) -> list[SiteFigures]:
    """By a column, highest first (the name: alphabetical); sites without a value last."""
    if key == "name":
        return sorted(rows, key=lambda r: (r.name, r.site_id))
    valued = sorted((r for r in rows if getattr(r, key) is not None), key=lambda r: (-getattr(r, key), r.name))
    return valued + [r for r in rows if getattr(r, key) is None]


def company_of(site_id: int) -> int:
    return select_rows(_COMPANY, {"site_id": site_id}).scalar_one()


def home_today(site_id: int) -> date:
    """Today at the user's home site (head office's "today")."""
    return site_object(site_id).today()


def site_object(site_id: int) -> Site:
    return db.session.get(Site, site_id)


def sites(company_id: int) -> list:
    """The company's active sites: id, name, code, timezone."""
    return select_rows(_SITES, {"company_id": company_id}).all()


def site(company_id: int, site_id: int):
    """One site of the company (None for another company's)."""
    return select_rows(_SITE, {"company_id": company_id, "site_id": site_id}).one_or_none()


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT) + 0


def _params(probe: Site, ids: list[int], first: date, last: date, today: date) -> dict:
    start, end = range_bounds(probe, first, last)
    return {"ids": ids, "start": start, "end": end, "first": first, "last": last,
            "done": min(last, today - timedelta(days=1)), **local_offset(probe, last)}


def _by_day(params: dict, names=None) -> dict[tuple[int, date], dict]:
    """Every family's figures (or those `names`) per (site, local day) over the params' range."""
    out: dict[tuple[int, date], dict] = {}
    for name, st in _families().items():
        if names is not None and name not in names:
            continue
        for r in select_rows(st, params):
            values = r._asdict()
            key = (values.pop("site_id"), _as_date(values.pop("day")))
            out.setdefault(key, {}).update(values)
    return out


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _keep(rows: dict[tuple[int, date], dict], ids: list[int], first: date, last: date, now: datetime) -> None:
    """Write (or rewrite) the kept days of these sites first..last, a row for every day (zeros too)."""
    values = []
    for site_id in ids:
        d = first
        while d <= last:
            found = rows.get((site_id, d), {})
            values.append({"site_id": site_id, "day": d, "computed_at": now, "cost": _money(found.get("cost")),
                           "losses": _money(found.get("losses")),
                           **{k: int(found.get(k) or 0) for k in COUNTS}})
            d += timedelta(days=1)
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    table = SiteDay.__table__
    with write_tx():
        for n in range(0, len(values), 500):
            stmt = dialect.insert(table).values(values[n:n + 500])
            db.session.execute(stmt.on_conflict_do_update(
                index_elements=["site_id", "day"],
                set_={c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}))


def _add(f: "SiteFigures", values: dict) -> None:
    for k in COUNTS:
        setattr(f, k, getattr(f, k) + int(values.get(k) or 0))
    f.cost += _money(values.get("cost"))
    f.losses += _money(values.get("losses"))


def figures(site_rows: list, first: date, last: date, today: date, now: datetime | None = None) -> list[SiteFigures]:
    """Every figure of these sites over the site-local days first..last, summed from the kept days (SiteDay). A site's
    kept days are rebuilt when one is missing or old: today's after KEEP_TODAY_FOR, the days before after KEEP_FOR
    (one statement per family over those days, GROUP BY site and day). One round per time zone."""
    now = now or utcnow()
    out = {s.id: SiteFigures(s.id, s.name, s.code) for s in site_rows}
    zones: dict[str, list] = {}
    for s in site_rows:
        zones.setdefault(s.timezone, []).append(s.id)
    past_last = min(last, today - timedelta(days=1))
    parts = [(a, b, age) for a, b, age in ((first, past_last, KEEP_FOR), (max(first, today), last, KEEP_TODAY_FOR))
             if a <= b]
    for ids in zones.values():
        probe = db.session.get(Site, ids[0])
        for part_first, part_last, age in parts:
            _refresh(probe, ids, part_first, part_last, today, now, age)
        for r in select_rows(_KEPT, _params(probe, ids, first, last, today)):
            _add(out[r.site_id], r._asdict())
    return list(out.values())


def _refresh(probe: Site, ids: list[int], first: date, last: date, today: date, now: datetime,
             age: timedelta) -> None:
    """Rebuild the kept days first..last of those sites (of one time zone: `probe`'s) where one is missing or older
    than `age` (one statement per family over those days)."""
    params = _params(probe, ids, first, last, today)
    fresh = {r.site_id: r.n for r in select_rows(_FRESH, params | {"fresh_after": now - age})}
    stale = [i for i in ids if _stale(fresh.get(i, 0), first, last)]
    if stale:
        _keep(_by_day(params | {"ids": stale}), stale, first, last, now)


def _stale(fresh: int, first: date, last: date) -> bool:
    """The kept days first..last of a site need rebuilding: fewer of them are fresh (computed within their age) than
    there are days (a day missing or old)."""
    return fresh < (last - first).days + 1


# The manager's trends (cockpit/reads.py) per day: groups, guests and their cost, discrepancies opened, people late,
# routines done and on time; what head office keeps per site and day (with when each day was computed).
TREND_FAMILIES = ("visits", "discrepancies", "attendance", "routines")
_KEPT_DAYS = (select(SiteDay.day, SiteDay.computed_at, SiteDay.cost, *(getattr(SiteDay, k) for k in COUNTS))
              .where(SiteDay.site_id == bindparam("site_id"), SiteDay.day >= bindparam("kept_first"),
                     SiteDay.day <= bindparam("kept_last"))
              .order_by(SiteDay.day))


def site_days(site: Site, first: date, last: date, today: date, now: datetime | None = None) -> dict[date, dict]:
    """One site's figures per local day first..last (a dict of the COUNTS and cost; a day without any: missing): the
    days before today as kept (rebuilt as figures() keeps them when one is missing or over KEEP_FOR old), today's
    read now from the families of TREND_FAMILIES. One statement (read_panels) unless days are rebuilt."""
    reads = site_days_reads(site, first, last, today, now)
    return read_panels(reads)["site_days"] if reads else {}


def site_days_reads(site: Site, first: date, last: date, today: date, now: datetime | None = None) -> Reads | None:
    """site_days()' reads, for a screen that reads its panels at once: `site_days` (None: no day to read)."""
    now = now or utcnow()
    past_last = min(last, today - timedelta(days=1))
    names = (("kept",) if first <= past_last else ()) + (TREND_FAMILIES if first <= today <= last else ())
    if not names:
        return None
    families = _families()
    parts = {n: _KEPT_DAYS if n == "kept" else families[n] for n in names}
    params = (_params(site, [site.id], today, today, today)
              | {"site_id": site.id, "kept_first": first, "kept_last": past_last})

    def build(got: dict) -> dict:
        out: dict[date, dict] = {}
        if "kept" in got:
            rows = got["kept"]
            if _stale(sum(r.computed_at >= now - KEEP_FOR for r in rows), first, past_last):
                found = _by_day(_params(site, [site.id], first, past_last, today))
                _keep(found, [site.id], first, past_last, now)
                out = {d: values for (_site, d), values in found.items()}
            else:
                out = {_as_date(r.day): r._asdict() for r in rows}
        for name in TREND_FAMILIES:
            for r in got.get(name, ()):
                values = r._asdict()
                values.pop("site_id")
                out.setdefault(_as_date(values.pop("day")), {}).update(values)
        return {"site_days": out}
    return Reads(parts, params, build)
