"""A list's range filters read from the query string, for every list that has them (incidents, repairs): the days
first..last (the last 30 by default, a year at most), and an optional kind, place and state, and the page. A wrong
one is a FilterError under its field, never a 500."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam

from .clock import range_bounds
from .errors import RuleError
from .forms import iso_day
from .i18n import text as _

MAX_DAYS = 366  # a year at most (counts per month cover longer views)
DEFAULT_DAYS = 30


class FilterError(RuleError):
    """A filter the list cannot apply; `field` names the form field the message belongs under."""


@dataclass(frozen=True)
class Filters:
    """Site-local days first..last and optional kind, place (a location id) and state; the page of the list."""
    first: date
    last: date
    kind: str = ""
    place: int | None = None
    state: str = ""
    page: int = 1

    def args(self, **over) -> dict:
        """The query string that reproduces these filters (the export, the next page)."""
        out = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.kind:
            out["kind"] = self.kind
        if self.place:
            out["place"] = self.place
        if self.state:
            out["state"] = self.state
        return out | over


def day(raw: str, name: str) -> date:
    found = iso_day(raw)
    if found is None:
        raise FilterError(_("Not a date: use the date picker or YYYY-MM-DD."), name)
    return found


def page(raw: str) -> int:
    """?page= as a page number from 1 ("²" is a digit, not a number)."""
    return min(int(raw), 10_000) if raw.isdecimal() and raw.isascii() and int(raw) > 0 else 1


def kind_and_place(args, kinds, place_ids: set[int]) -> tuple[str, int | None]:
    """?kind=&place=: one of `kinds` (or none), one of the site's places (or none)."""
    kind, place = (args.get(k, "").strip() for k in ("kind", "place"))
    if kind not in ("", *kinds):
        raise FilterError(_("Choose from the list."), "kind")
    if place and not (place.isdecimal() and place.isascii() and int(place) in place_ids):
        raise FilterError(_("Choose from the list."), "place")
    return kind, int(place) if place else None


def parse(args, today: date, kinds, states, place_ids: set[int]) -> Filters:
    """?from=&to=&kind=&place=&state=&page= as Filters: the last DEFAULT_DAYS days by default."""
    raw_first, raw_last = args.get("from", "").strip(), args.get("to", "").strip()
    first = day(raw_first, "from") if raw_first else None
    last = day(raw_last, "to") if raw_last else max(today, first or today)
    if first is None:
        first = last if raw_last else last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise FilterError(_("The end date is before the start date."), "to")
    if (last - first).days + 1 > MAX_DAYS:
        raise FilterError(_("Choose at most %(n)s days.", n=MAX_DAYS), "to")
    kind, place = kind_and_place(args, kinds, place_ids)
    state = args.get("state", "").strip()
    if state not in ("", *states):
        raise FilterError(_("Choose from the list."), "state")
    return Filters(first, last, kind, place, state, page(args.get("page", "1")))


class RangeStatements:
    """A list's statements over a range with the filters: `rows` (a select) of a site between `at` bounds, with the
    kind, place and state columns the filters compare, newest first by `order`. Each is built once per combination of
    filters in use (building a SQLAlchemy statement costs more CPU than running these) and run with bound values."""

    def __init__(self, rows, site, at, kind, place, state, order):
        self._rows, self._site, self._at, self._order = rows, site, at, order
        self._kind, self._place, self._state = kind, place, state
        self._built: dict[tuple, object] = {}

    def _build(self, key: tuple[bool, bool, bool, bool]):
        by_kind, by_place, by_state, paged = key
        stmt = self._rows.where(self._site == bindparam("site_id"), self._at >= bindparam("start"),
                                self._at < bindparam("end"))
        for wanted, column, name in ((by_kind, self._kind, "kind"), (by_place, self._place, "place"),
                                     (by_state, self._state, "state")):
            if wanted:
                stmt = stmt.where(column == bindparam(name))
        stmt = stmt.order_by(*self._order)
        return stmt.offset(bindparam("offset")).limit(bindparam("limit")) if paged else stmt

    def __call__(self, site, f: Filters, *, paged: bool = False, page_size: int = 0):
        """The statement for these filters and its parameters (paged: the page f.page of page_size rows, and one
        more to tell whether another page follows)."""
        key = (bool(f.kind), bool(f.place), bool(f.state), paged)
        stmt = self._built.get(key)
        if stmt is None:
            stmt = self._built[key] = self._build(key)
        start, end = range_bounds(site, f.first, f.last)
        params = {"site_id": site.id, "start": start, "end": end, "kind": f.kind, "place": f.place, "state": f.state}
        if paged:
            params |= {"offset": (f.page - 1) * page_size, "limit": page_size + 1}
        return stmt, params
