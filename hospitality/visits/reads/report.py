"""Visit lists with filters, per-rep figures and the rows of the Excel exports: aggregates in SQL, a fixed
number of queries per page however many visits and ledger rows there are."""
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Integer, Row, bindparam, case, func, select

from ...clock import range_bounds, to_local, utcnow
from ...database import Reads, read_panels, select_rows
from ...errors import RuleError
from ...forms import iso_day
from ...i18n import lazy_gettext as _l
from ...i18n import text as _
from ...inventory.ledger import fmt
from ...models import Discrepancy, Location, RoomVisit, SalesRep, Site, StockMove, Visit, VisitEvent
from ...models.checklists import _localized
from ...models.visits import PURPOSES
from .detail import SERVED_LINES

MAX_DAYS = 92  # a quarter: longer ranges go to head office's own tools
PAGE_SIZE = 25  # a phone screen or two; "Show more" loads the next page in place
EXPORT_LIMIT = 20_000
STATUSES = {"active": _l("On site"), "left": _l("Left")}
MODES = {"car": _l("By car"), "foot": _l("On foot")}
NO_REP = "none"  # the rep filter's "nobody received them yet"
CENT = Decimal("0.01")
PLATE_PART = re.compile(r"^[0-9A-Z\u4e00-\u9fff]{1,8}$")


class FilterError(RuleError):
    """A filter the list cannot apply; `field` names the form field the message belongs under."""


@dataclass(frozen=True)
class Filters:
    """What the list shows: a site-local date range and optional conditions; `page` counts from 1."""
    first: date
    last: date
    status: str = ""
    purpose: str = ""
    rep: str = ""  # "" all, NO_REP, or a rep id of the site
    mode: str = ""  # "" all, "car", "foot"
    plate: str = ""
    page: int = 1

    @property
    def one_day(self) -> bool:
        return self.first == self.last

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.purpose or self.rep or self.mode or self.plate)

    def args(self, **over) -> dict:
        """The query string that reproduces these filters (for links: more, export, the poll)."""
        f = replace(self, **over) if over else self
        out = {"from": f.first.isoformat(), "to": f.last.isoformat()}
        for key in ("status", "purpose", "rep", "mode", "plate"):
            if getattr(f, key):
                out[key] = getattr(f, key)
        if f.page > 1:
            out["page"] = f.page
        return out


def _date(raw: str, name: str) -> date:
    day = iso_day(raw)
    if day is None:
        raise FilterError(_("Not a date: use the date picker or YYYY-MM-DD."), name)
    return day


def parse_range(args, today: date, default_first: date | None = None) -> tuple[date, date]:
    """?from=&to= (or the older ?date=) as a site-local range of at most MAX_DAYS days."""
    raw_first = args.get("from") or args.get("date") or ""
    raw_last = args.get("to") or args.get("date") or ""
    first = _date(raw_first, "from") if raw_first.strip() else (default_first or today)
    last = _date(raw_last, "to") if raw_last.strip() else max(first, today)
    if last < first:
        raise FilterError(_("The end date is before the start date."), "to")
    if (last - first).days + 1 > MAX_DAYS:
        raise FilterError(_("Choose at most %(n)s days.", n=MAX_DAYS), "to")
    return first, last


def parse_page(raw: str) -> int:
    """?page= as a page number from 1 ("²" is a digit, not a number)."""
    return min(int(raw), 10_000) if raw.isdecimal() and int(raw) > 0 else 1


_REP_OF_SITE = select(SalesRep.id).where(SalesRep.id == bindparam("rep_id"), SalesRep.site_id == bindparam("site_id"))


def parse_filters(site: Site, args, oversee: bool) -> Filters:
    """The list's filters from the query string; staff always see today (`oversee`: any range and filter)."""
    page = parse_page(args.get("page", "1"))
    today = site.today()
    if not oversee:
        return Filters(today, today, page=page)
    first, last = parse_range(args, today)
    status, purpose, mode = (args.get(k, "").strip() for k in ("status", "purpose", "mode"))
    if status not in ("", *STATUSES):
        raise FilterError(_("Choose from the list."), "status")
    if purpose not in ("", *PURPOSES):
        raise FilterError(_("Choose from the list."), "purpose")
    if mode not in ("", *MODES):
        raise FilterError(_("Choose from the list."), "mode")
    rep = args.get("rep", "").strip()
    if rep not in ("", NO_REP):
        ok = rep.isdigit() and select_rows(_REP_OF_SITE, {"rep_id": int(rep), "site_id": site.id}).first() is not None
        if not ok:
            raise FilterError(_("Unknown sales rep."), "rep")
    plate = re.sub(r"[\s·.\-]", "", args.get("plate", "")).upper()
    if plate and not PLATE_PART.match(plate):
        raise FilterError(_("Type part of a plate, e.g. B123 (letters and digits)."), "plate")
    return Filters(first, last, status, purpose, rep, mode, plate, page)


def _where(site: Site, f: Filters) -> list:
    start, end = range_bounds(site, f.first, f.last)
    conds = [Visit.site_id == site.id, Visit.arrived_at >= start, Visit.arrived_at < end]
    if f.status:
        conds.append(Visit.status == f.status)
    if f.purpose:
        conds.append(Visit.purpose == f.purpose)
    if f.rep == NO_REP:
        conds.append(Visit.rep_id.is_(None))
    elif f.rep:
        conds.append(Visit.rep_id == int(f.rep))
    if f.mode:
        conds.append(Visit.by_car.is_(f.mode == "car"))
    if f.plate:
        escaped = f.plate.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(Visit.plate.like(f"%{escaped}%", escape="\\"))
    return conds


# What a visit cost is kept on the visit (Visit.served_cost, written with its ledger rows); the items served
# come from the ledger (detail.SERVED_LINES) where a page shows them.


def row_labels() -> dict:
    """The list's per-row words translated once per page, not once per row (50 rows × 4 lookups add up)."""
    # Without arguments gettext returns the pattern as is; the template fills it with |format.
    return {"ppl": _("%(n)s ppl"), "min": _("%(m)s min"),
            "on_foot": _("On foot"), "no_rep": _("no sales rep yet"), "on_site": _("on site"),
            "purposes": {k: str(v) for k, v in PURPOSES.items()}}


@dataclass
class ListRow:
    """One visit as the list shows it; `visit` is the row of listed columns (id, arrived_at, left_at, status,
    party_size, plate, purpose, served_cost, rep_name), not the ORM object."""
    visit: Row
    cost: Decimal
    minutes: int | None  # on site so far, or until they left
    arrived: str = ""  # the arrival as the site's wall clock, "11-25 09:45"

    @property
    def on_site(self) -> bool:
        return self.visit.status == "active"


def _minutes(visit: Row, now: datetime) -> int | None:
    end = visit.left_at or (now if visit.status == "active" else None)
    return max(0, int((end - visit.arrived_at).total_seconds() // 60)) if end else None


_LISTED = (select(Visit.id, Visit.arrived_at, Visit.left_at, Visit.status, Visit.party_size, Visit.plate,
                 Visit.purpose, Visit.served_cost, SalesRep.name.label("rep_name"))
           .outerjoin(SalesRep, SalesRep.id == Visit.rep_id))
_NEWEST = (Visit.arrived_at.desc(), Visit.id.desc())
_ON_SITE_FIRST = case((Visit.status == "active", 0), else_=1)
# The list of a range without other filters (what the lead and manager open, and every staff post's today):
# prebuilt, today's with the groups still on site first.
_PAGE_WHERE = (Visit.site_id == bindparam("site_id"), Visit.arrived_at >= bindparam("start"),
               Visit.arrived_at < bindparam("end"))
_PAGE_RANGE = (_LISTED.where(*_PAGE_WHERE).order_by(*_NEWEST)
               .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))
_PAGE_TODAY = (_LISTED.where(*_PAGE_WHERE).order_by(_ON_SITE_FIRST, *_NEWEST)
               .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def page(site: Site, f: Filters) -> tuple[list[ListRow], bool]:
    """One page of the filtered list (newest first; on today's list the groups still on site first)
    and whether there is another page."""
    if not f.filtered:
        return read_panels(page_reads(site, f))["page"]
    order = [_ON_SITE_FIRST, *_NEWEST] if _today_first(site, f) else list(_NEWEST)
    return _page(site, select_rows(_LISTED.where(*_where(site, f)).order_by(*order)
                                   .limit(PAGE_SIZE + 1).offset((f.page - 1) * PAGE_SIZE)).all())


def page_reads(site: Site, f: Filters) -> Reads:
    """page() of a list without filters (prebuilt statements) for a page that reads its parts at once: `page`."""
    start, end = range_bounds(site, f.first, f.last)
    return Reads({"visits": _PAGE_TODAY if _today_first(site, f) else _PAGE_RANGE},
                 {"site_id": site.id, "start": start, "end": end, "limit": PAGE_SIZE + 1,
                  "offset": (f.page - 1) * PAGE_SIZE},
                 lambda got: {"page": _page(site, got["visits"])})


def _today_first(site: Site, f: Filters) -> bool:
    return f.one_day and f.last == site.today()  # a range is read in arrival order, off the index


def _page(site: Site, visits: list) -> tuple[list[ListRow], bool]:
    # The listed columns as plain rows (no ORM objects to build: a page is read in one light query).
    more = len(visits) > PAGE_SIZE
    now = utcnow()
    return [ListRow(v, (v.served_cost or Decimal(0)).quantize(CENT) + 0, _minutes(v, now),
                    to_local(site, v.arrived_at).strftime("%m-%d %H:%M"))
            for v in visits[:PAGE_SIZE]], more


@dataclass
class Summary:
    groups: int = 0
    guests: int = 0
    on_site: int = 0
    cost: Decimal = Decimal("0.00")


_TOTALS = (func.count(Visit.id).label("groups"), func.coalesce(func.sum(Visit.party_size), 0).label("guests"),
           func.coalesce(func.sum(case((Visit.status == "active", 1), else_=0)), 0).label("on_site"),
           func.coalesce(func.sum(Visit.served_cost), 0).label("cost"))
# A range with no other filter (the lead's and manager's today screen): one prebuilt statement.
_RANGE_TOTALS = select(*_TOTALS).where(*_PAGE_WHERE)


def summary(site: Site, f: Filters) -> Summary:
    """Groups, guests, groups still on site and consumable cost of the whole filtered list: one query."""
    if not f.filtered:
        return read_panels(day_reads(site, f.first, f.last))["visit_figures"]
    return _summary(select_rows(select(*_TOTALS).where(*_where(site, f))).one())


def _summary(row) -> Summary:
    return Summary(row.groups, int(row.guests), int(row.on_site), Decimal(str(row.cost)).quantize(CENT) + 0)


def day_reads(site: Site, first: date, last: date | None = None) -> Reads:
    """The figures of the days first..last (one day by default), for a screen that reads its panels at once:
    `visit_figures`."""
    start, end = range_bounds(site, first, last or first)
    return Reads({"totals": _RANGE_TOTALS}, {"site_id": site.id, "start": start, "end": end},
                 lambda got: {"visit_figures": _summary(got["totals"][0])})


def summary_of(rows: list[ListRow]) -> Summary:
    """The summary of a list that fits on one page, from its rows (no query)."""
    return Summary(len(rows), sum(r.visit.party_size for r in rows), sum(r.on_site for r in rows),
                   sum((r.cost for r in rows), Decimal("0.00")))


_SITE_REPS = select(SalesRep.id, SalesRep.name, SalesRep.active).where(
    SalesRep.site_id == bindparam("site_id")).order_by(SalesRep.active.desc(), SalesRep.name)


def site_reps(site_id: int) -> Sequence[Row]:
    """Every rep of the site, active first (the list's filter, the per-rep table): rows of id, name, active."""
    return select_rows(_SITE_REPS, {"site_id": site_id}).all()


def site_reps_reads(site_id: int) -> Reads:
    """site_reps() for a page that reads its parts at once: `reps`."""
    return Reads({"reps": _SITE_REPS}, {"site_id": site_id}, lambda got: {"reps": got["reps"]})


@dataclass
class RepLine:
    """A sales rep's figures over a range. `rep`: a row of site_reps() or the page's SalesRep (both have id,
    name and active); None: groups nobody was named for."""
    rep: Row | SalesRep | None
    groups: int = 0
    guests: int = 0
    purposes: dict = field(default_factory=lambda: defaultdict(int))  # purpose (None: not asked) → groups
    rooms: int = 0  # model-room visits they escorted
    refused: int = 0  # their groups turned away at a model room without them
    disc_open: int = 0  # counts after their groups that differed, not closed yet
    disc_closed: int = 0
    cost: Decimal = Decimal("0.00")

    @property
    def empty(self) -> bool:
        return not (self.groups or self.rooms or self.refused or self.disc_open or self.disc_closed)

    def purpose_split(self) -> list[tuple[str, int]]:
        out = [(str(label), self.purposes[k]) for k, label in PURPOSES.items() if self.purposes.get(k)]
        if self.purposes.get(None):
            out.append((_("not asked"), self.purposes[None]))
        return out


def rep_figures(site: Site, first: date, last: date, rep: SalesRep | None = None) -> list[RepLine]:
    """Per rep: groups, guests, purposes, model rooms, refusals, discrepancies and cost; five queries."""
    start, end = range_bounds(site, first, last)
    base = [Visit.site_id == site.id, Visit.arrived_at >= start, Visit.arrived_at < end]
    room_rep = func.coalesce(RoomVisit.rep_id, Visit.rep_id)  # a refused group has no escort: its own rep
    in_range, room_where = list(base), list(base)
    disc_where = [Discrepancy.site_id == site.id, Discrepancy.opened_at >= start, Discrepancy.opened_at < end,
                  Discrepancy.rep_id.is_not(None)]
    if rep is not None:
        in_range.append(Visit.rep_id == rep.id)
        room_where.append(room_rep == rep.id)
        disc_where.append(Discrepancy.rep_id == rep.id)
    reps = [rep] if rep is not None else site_reps(site.id)
    lines: dict[int | None, RepLine] = {r.id: RepLine(r) for r in reps}

    def line(rep_id) -> RepLine | None:
        if rep_id not in lines and rep is None:
            lines[rep_id] = RepLine(None)
        return lines.get(rep_id)

    for r in select_rows(select(Visit.rep_id, Visit.purpose, func.count(Visit.id).label("groups"),
                                func.sum(Visit.party_size).label("guests"))
                         .where(*in_range).group_by(Visit.rep_id, Visit.purpose)):
        rl = line(r.rep_id)
        rl.groups += r.groups
        rl.guests += int(r.guests or 0)
        rl.purposes[r.purpose] += r.groups
    for r in select_rows(select(room_rep.label("rep_id"), RoomVisit.refused, func.count(RoomVisit.id).label("n"))
                         .join(Visit, RoomVisit.visit_id == Visit.id)
                         .where(*room_where).group_by(room_rep, RoomVisit.refused)):
        rl = line(r.rep_id)
        if rl is not None:
            if r.refused:
                rl.refused += r.n
            else:
                rl.rooms += r.n
    for r in select_rows(select(Discrepancy.rep_id, Discrepancy.status, func.count(Discrepancy.id).label("n"))
                         .where(*disc_where).group_by(Discrepancy.rep_id, Discrepancy.status)):
        rl = line(r.rep_id)
        if r.status == "closed":
            rl.disc_closed += r.n
        else:
            rl.disc_open += r.n
    for r in select_rows(select(Visit.rep_id, func.sum(Visit.served_cost).label("cost"))
                         .where(*in_range).group_by(Visit.rep_id)):
        line(r.rep_id).cost = Decimal(str(r.cost or 0)).quantize(CENT) + 0
    if rep is not None:
        return [lines[rep.id]]
    out = [rl for rl in lines.values() if rl.rep is None and not rl.empty or rl.rep is not None
           and (rl.rep.active or not rl.empty)]
    return sorted(out, key=lambda rl: (rl.rep is None, -rl.groups, rl.rep.name if rl.rep else ""))


_REP_DISCREPANCIES = (select(Discrepancy.id, Discrepancy.opened_at, Discrepancy.status,
                             Location.name.label("location_name"))
                      .join(Location, Location.id == Discrepancy.location_id)
                      .where(Discrepancy.site_id == bindparam("site_id"), Discrepancy.rep_id == bindparam("rep_id"),
                             Discrepancy.opened_at >= bindparam("start"), Discrepancy.opened_at < bindparam("end"))
                      .order_by(Discrepancy.opened_at.desc()).limit(bindparam("limit", type_=Integer)))


def rep_discrepancies(site: Site, rep: SalesRep, first: date, last: date, limit: int = 100) -> Sequence[Row]:
    """Counts after this rep's groups that differed, newest first (one query): rows of id, opened_at, status,
    location_name."""
    start, end = range_bounds(site, first, last)
    return select_rows(_REP_DISCREPANCIES, {"site_id": site.id, "rep_id": rep.id, "start": start, "end": end,
                                            "limit": limit}).all()


def _local(site: Site, value: datetime | None) -> datetime | None:
    """A stored UTC time as the site's wall clock, naive (Excel has no time zones)."""
    return to_local(site, value).replace(tzinfo=None) if value else None


def _mins(a: datetime | None, b: datetime | None) -> int | None:
    return int((b - a).total_seconds() // 60) if a and b else None


_EXPORTED = (select(Visit.id, Visit.arrived_at, Visit.greeted_at, Visit.left_at, Visit.car_left_at,
                    Visit.party_size, Visit.by_car, Visit.plate, Visit.purpose, Visit.served_cost,
                    SalesRep.name.label("rep_name"))
             .outerjoin(SalesRep, SalesRep.id == Visit.rep_id))


def export_rows(site: Site, f: Filters) -> list[list]:
    """One row per visit of the filtered list, oldest first, with its times, rooms and what was served:
    four queries whatever the number of visits."""
    ids = select(Visit.id).where(*_where(site, f)).scalar_subquery()
    visits = select_rows(_EXPORTED.where(*_where(site, f)).order_by(Visit.arrived_at, Visit.id)
                         .limit(EXPORT_LIMIT)).all()
    first_served = {r.visit_id: r.first for r in select_rows(
        select(VisitEvent.visit_id, func.min(VisitEvent.at).label("first"))
        .where(VisitEvent.kind == "served", VisitEvent.visit_id.in_(ids)).group_by(VisitEvent.visit_id))}
    rooms: dict[int, list[str]] = defaultdict(list)
    for r in select_rows(select(RoomVisit.visit_id, Location.name, RoomVisit.refused)
                         .join(Location, Location.id == RoomVisit.location_id)
                         .where(RoomVisit.visit_id.in_(ids)).order_by(RoomVisit.id)):
        rooms[r.visit_id].append(_("%(room)s (refused)", room=r.name) if r.refused else r.name)
    items: dict[int, list[str]] = defaultdict(list)
    for r in select_rows(SERVED_LINES.where(StockMove.ref_id.in_(ids))):
        if r.net:  # served rows are negative, their reversals positive: what was used is minus the sum
            items[r.visit_id].append(f"{_localized(r.name, r.name_en)}×{fmt(-Decimal(str(r.net)))}{r.unit}")
    purposes = {k: str(v) for k, v in PURPOSES.items()}
    by_car, on_foot = _("By car"), _("On foot")
    out = []
    for v in visits:
        served = first_served.get(v.id)
        out.append([
            _local(site, v.arrived_at), _local(site, v.greeted_at), _local(site, served), _local(site, v.left_at),
            _local(site, v.car_left_at), _mins(v.arrived_at, v.greeted_at), _mins(v.arrived_at, served),
            _mins(v.arrived_at, v.left_at), v.party_size, by_car if v.by_car else on_foot, v.plate or "",
            purposes.get(v.purpose, "") if v.purpose else "", v.rep_name or "", "、".join(rooms.get(v.id, [])),
            "、".join(items.get(v.id, [])), float(v.served_cost or 0),
        ])
    return out
