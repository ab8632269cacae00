"""Visit lists with filters, per-rep figures and the Excel exports: aggregates in SQL, a fixed number of
queries per page however many visits and ledger rows there are."""
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, select
from sqlalchemy.orm import joinedload

from ..database import select_rows
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import text as _
from ..inventory.ledger import fmt
from ..models import Discrepancy, Item, Location, RoomVisit, SalesRep, Site, Visit, VisitEvent
from ..models.visits import PURPOSES
from .services import day_bounds, net_served

MAX_DAYS = 92  # a quarter: longer ranges go to head office's own tools
PAGE_SIZE = 25  # a phone screen or two; "Show more" loads the next page in place
EXPORT_LIMIT = 20_000
STATUSES = {"active": _l("On site"), "left": _l("Left")}
MODES = {"car": _l("By car"), "foot": _l("On foot")}
NO_REP = "none"  # the rep filter's "nobody received them yet"
CENT = Decimal("0.01")
PLATE_PART = re.compile(r"^[0-9A-Z\u4e00-\u9fff]{1,8}$")


class FilterError(Exception):
    """A filter the list cannot apply; `field` names the form field the message belongs under."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


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
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise FilterError(_("Not a date: use the date picker or YYYY-MM-DD."), name) from None


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


def parse_filters(site: Site, args, oversee: bool) -> Filters:
    """The list's filters from the query string; staff always see today (the lead and manager any range)."""
    page = args.get("page", "1")
    page = min(int(page), 10_000) if page.isdecimal() and int(page) > 0 else 1
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
        ok = rep.isdigit() and db.session.scalar(
            select(SalesRep.id).where(SalesRep.id == int(rep), SalesRep.site_id == site.id)) is not None
        if not ok:
            raise FilterError(_("Unknown sales rep."), "rep")
    plate = re.sub(r"[\s·.\-]", "", args.get("plate", "")).upper()
    if plate and not PLATE_PART.match(plate):
        raise FilterError(_("Type part of a plate, e.g. B123 (letters and digits)."), "plate")
    return Filters(first, last, status, purpose, rep, mode, plate, page)


def _utc_range(site: Site, first: date, last: date) -> tuple[datetime, datetime]:
    return day_bounds(site, first)[0], day_bounds(site, last)[1]


def _where(site: Site, f: Filters) -> list:
    start, end = _utc_range(site, f.first, f.last)
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
# come from the ledger (services.net_served) where a page shows them.


def row_labels() -> dict:
    """The list's per-row words translated once per page, not once per row (50 rows × 4 lookups add up)."""
    # Without arguments gettext returns the pattern as is; the template fills it with |format.
    return {"ppl": _("%(n)s ppl"), "min": _("%(m)s min"),
            "on_foot": _("On foot"), "no_rep": _("no sales rep yet"), "on_site": _("on site"),
            "purposes": {k: str(v) for k, v in PURPOSES.items()}}


@dataclass
class Row:
    """One visit as the list shows it; `visit` holds the listed columns only (id, arrived_at, left_at,
    status, party_size, plate, purpose, rep_name), not the whole ORM object."""
    visit: Any
    cost: Decimal
    minutes: int | None  # on site so far, or until they left
    arrived: str = ""  # the arrival as the site's wall clock, "11-25 09:45"

    @property
    def on_site(self) -> bool:
        return self.visit.status == "active"


def _minutes(visit: Visit, now: datetime) -> int | None:
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


def page(site: Site, f: Filters) -> tuple[list[Row], bool]:
    """One page of the filtered list (newest first; on today's list the groups still on site first)
    and whether there is another page."""
    today_first = f.one_day and f.last == site.today()  # a range is read in arrival order, off the index
    # The listed columns as plain rows (no ORM objects to build: a page is read in one light query).
    if not f.filtered:
        start, end = _utc_range(site, f.first, f.last)
        visits = select_rows(_PAGE_TODAY if today_first else _PAGE_RANGE,
                             {"site_id": site.id, "start": start, "end": end, "limit": PAGE_SIZE + 1,
                              "offset": (f.page - 1) * PAGE_SIZE}).all()
    else:
        order = [_ON_SITE_FIRST, *_NEWEST] if today_first else list(_NEWEST)
        visits = select_rows(_LISTED.where(*_where(site, f)).order_by(*order)
                             .limit(PAGE_SIZE + 1).offset((f.page - 1) * PAGE_SIZE)).all()
    more = len(visits) > PAGE_SIZE
    now = datetime.now(UTC).replace(tzinfo=None)
    tz = site.tz
    return [Row(v, (v.served_cost or Decimal(0)).quantize(CENT) + 0, _minutes(v, now),
                v.arrived_at.replace(tzinfo=UTC).astimezone(tz).strftime("%m-%d %H:%M"))
            for v in visits[:PAGE_SIZE]], more


@dataclass
class Summary:
    groups: int = 0
    guests: int = 0
    on_site: int = 0
    cost: Decimal = Decimal("0.00")


_TOTALS = (func.count(Visit.id), func.coalesce(func.sum(Visit.party_size), 0),
           func.coalesce(func.sum(case((Visit.status == "active", 1), else_=0)), 0),
           func.coalesce(func.sum(Visit.served_cost), 0))
# A range with no other filter (the lead's and manager's today screen): one prebuilt statement.
_RANGE_TOTALS = select(*_TOTALS).where(Visit.site_id == bindparam("site_id"), Visit.arrived_at >= bindparam("start"),
                                       Visit.arrived_at < bindparam("end"))


def summary(site: Site, f: Filters) -> Summary:
    """Groups, guests, groups still on site and consumable cost of the whole filtered list: one query."""
    if not f.filtered:
        start, end = _utc_range(site, f.first, f.last)
        row = select_rows(_RANGE_TOTALS, {"site_id": site.id, "start": start, "end": end}).one()
    else:
        row = select_rows(select(*_TOTALS).where(*_where(site, f))).one()
    groups, guests, on_site, total = row
    return Summary(groups, int(guests), int(on_site), Decimal(str(total)).quantize(CENT) + 0)


def summary_of(rows: list[Row]) -> Summary:
    """The summary of a list that fits on one page, from its rows (no query)."""
    return Summary(len(rows), sum(r.visit.party_size for r in rows), sum(r.on_site for r in rows),
                   sum((r.cost for r in rows), Decimal("0.00")))


def day_figures(site: Site, day: date | None = None) -> Summary:
    """A day's visit figures for the lead's board (today by default)."""
    day = day or site.today()
    return summary(site, Filters(day, day))


_SITE_REPS = select(SalesRep).where(SalesRep.site_id == bindparam("site_id")).order_by(SalesRep.active.desc(),
                                                                                       SalesRep.name)


def site_reps(site_id: int) -> list[SalesRep]:
    """Every rep of the site, active first, for the per-rep table."""
    return list(db.session.scalars(_SITE_REPS, {"site_id": site_id}))


_REP_FILTER = select(SalesRep.id, SalesRep.name, SalesRep.active).where(
    SalesRep.site_id == bindparam("site_id")).order_by(SalesRep.active.desc(), SalesRep.name)


def rep_filter(site_id: int):
    """Every rep of the site, active first, as the list's filter offers them: rows of id, name, active."""
    return select_rows(_REP_FILTER, {"site_id": site_id}).all()


@dataclass
class RepLine:
    """A sales rep's figures over a range (rep None: groups nobody was named for)."""
    rep: SalesRep | None
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
    start, end = _utc_range(site, first, last)
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

    for rep_id, purpose, groups, guests in db.session.execute(
            select(Visit.rep_id, Visit.purpose, func.count(Visit.id), func.sum(Visit.party_size))
            .where(*in_range).group_by(Visit.rep_id, Visit.purpose)):
        rl = line(rep_id)
        rl.groups += groups
        rl.guests += int(guests or 0)
        rl.purposes[purpose] += groups
    for rep_id, refused, n in db.session.execute(
            select(room_rep, RoomVisit.refused, func.count(RoomVisit.id)).join(Visit, RoomVisit.visit_id == Visit.id)
            .where(*room_where).group_by(room_rep, RoomVisit.refused)):
        rl = line(rep_id)
        if rl is not None:
            if refused:
                rl.refused += n
            else:
                rl.rooms += n
    for rep_id, status, n in db.session.execute(
            select(Discrepancy.rep_id, Discrepancy.status, func.count(Discrepancy.id))
            .where(*disc_where).group_by(Discrepancy.rep_id, Discrepancy.status)):
        rl = line(rep_id)
        if status == "closed":
            rl.disc_closed += n
        else:
            rl.disc_open += n
    for rep_id, total in db.session.execute(select(Visit.rep_id, func.sum(Visit.served_cost))
                                            .where(*in_range).group_by(Visit.rep_id)):
        line(rep_id).cost = Decimal(str(total or 0)).quantize(CENT) + 0
    if rep is not None:
        return [lines[rep.id]]
    out = [rl for rl in lines.values() if rl.rep is None and not rl.empty or rl.rep is not None
           and (rl.rep.active or not rl.empty)]
    return sorted(out, key=lambda rl: (rl.rep is None, -rl.groups, rl.rep.name if rl.rep else ""))


def rep_discrepancies(site: Site, rep: SalesRep, first: date, last: date, limit: int = 100) -> list[Discrepancy]:
    """Counts after this rep's groups that differed, newest first (one query)."""
    start, end = _utc_range(site, first, last)
    return list(db.session.scalars(
        select(Discrepancy).where(Discrepancy.site_id == site.id, Discrepancy.rep_id == rep.id,
                                  Discrepancy.opened_at >= start, Discrepancy.opened_at < end)
        .options(joinedload(Discrepancy.location)).order_by(Discrepancy.opened_at.desc()).limit(limit)))


# Excel -------------------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(site: Site, value: datetime | None) -> datetime | None:
    """A stored UTC time as the site's wall clock, naive (Excel has no time zones)."""
    return value.replace(tzinfo=UTC).astimezone(site.tz).replace(tzinfo=None) if value else None


def _mins(a: datetime | None, b: datetime | None) -> int | None:
    return int((b - a).total_seconds() // 60) if a and b else None


def export_rows(site: Site, f: Filters) -> list[list]:
    """One row per visit of the filtered list, oldest first, with its times, rooms and what was served:
    four queries whatever the number of visits."""
    ids = select(Visit.id).where(*_where(site, f)).scalar_subquery()
    visits = db.session.scalars(select(Visit).where(*_where(site, f)).options(joinedload(Visit.rep))
                                .order_by(Visit.arrived_at, Visit.id).limit(EXPORT_LIMIT)).all()
    first_served = dict(db.session.execute(
        select(VisitEvent.visit_id, func.min(VisitEvent.at))
        .where(VisitEvent.kind == "served", VisitEvent.visit_id.in_(ids)).group_by(VisitEvent.visit_id)).all())
    rooms: dict[int, list[str]] = defaultdict(list)
    for vid, name, refused in db.session.execute(
            select(RoomVisit.visit_id, Location.name, RoomVisit.refused).join(Location)
            .where(RoomVisit.visit_id.in_(ids)).order_by(RoomVisit.id)):
        rooms[vid].append(_("%(room)s (refused)", room=name) if refused else name)
    items: dict[int, list[str]] = defaultdict(list)
    by_id = {i.id: i for i in db.session.scalars(select(Item).where(Item.site_id == site.id))}
    for (vid, item_id), qty in sorted(net_served(ids, "visit").items(),
                                      key=lambda kv: (kv[0][0], by_id[kv[0][1]].position, kv[0][1])):
        if qty:
            item = by_id[item_id]
            items[vid].append(f"{item.label}×{fmt(qty)}{item.unit}")
    out = []
    for v in visits:
        served = first_served.get(v.id)
        out.append([
            _local(site, v.arrived_at), _local(site, v.greeted_at), _local(site, served), _local(site, v.left_at),
            _local(site, v.car_left_at), _mins(v.arrived_at, v.greeted_at), _mins(v.arrived_at, served),
            _mins(v.arrived_at, v.left_at), v.party_size, _("By car") if v.by_car else _("On foot"), v.plate or "",
            str(v.purpose_label), v.rep.name if v.rep else "", "、".join(rooms.get(v.id, [])),
            "、".join(items.get(v.id, [])), float(v.served_cost or 0),
        ])
    return out


def _book(title: str, head: list[str], rows: list[list], widths: dict[int, int], time_cols=()) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(head)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for n, width in widths.items():
        ws.column_dimensions[chr(ord("A") + n)].width = width
    for col in time_cols:
        letter = chr(ord("A") + col)
        for cell in ws[letter][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def visits_xlsx(site: Site, f: Filters) -> bytes:
    head = [_("Arrived"), _("Greeted"), _("First served"), _("Left"), _("Car left"), _("Minutes to greeting"),
            _("Minutes to serving"), _("Minutes on site"), _("Party"), _("Came"), _("Plate"), _("Purpose"),
            _("Sales rep"), _("Model rooms"), _("Served"), _("Consumable cost")]
    widths = {0: 17, 1: 17, 2: 17, 3: 17, 4: 17, 10: 11, 12: 10, 13: 18, 14: 30}
    return _book(_("Visits"), head, export_rows(site, f), widths, time_cols=range(5))


def reps_xlsx(lines: list[RepLine]) -> bytes:
    head = [_("Sales rep"), _("Groups"), _("Guests"), *[str(label) for label in PURPOSES.values()], _("not asked"),
            _("Model-room visits"), _("Refused without a rep"), _("Discrepancies open"),
            _("Discrepancies closed"), _("Consumable cost")]
    rows = [[rl.rep.name if rl.rep else _("No sales rep"), rl.groups, rl.guests,
             *[rl.purposes.get(k, 0) for k in PURPOSES], rl.purposes.get(None, 0), rl.rooms, rl.refused,
             rl.disc_open, rl.disc_closed, float(rl.cost)] for rl in lines]
    return _book(_("Sales reps"), head, rows, {0: 14})
