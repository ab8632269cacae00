"""The repair lists' filters, read from the query string (a wrong one: a message under its field, never a 500)."""
from datetime import date, timedelta

from ..errors import RuleError
from ..forms import iso_day
from ..i18n import text as _
from ..models.repairs import KINDS, STATES
from .reads import Filters

MAX_DAYS = 366


class FilterError(RuleError):
    """A filter the list cannot apply; `field` names the form field the message belongs under."""


def _date(raw: str, name: str) -> date:
    day = iso_day(raw)
    if day is None:
        raise FilterError(_("Not a date: use the date picker or YYYY-MM-DD."), name)
    return day


def parse_page(raw: str) -> int:
    return min(int(raw), 10_000) if raw.isdecimal() and int(raw) > 0 else 1


def kind_and_place(args, place_ids: set[int]) -> tuple[str, int | None]:
    """?kind=&place= (the open list and the range)."""
    kind, place = (args.get(k, "").strip() for k in ("kind", "place"))
    if kind not in ("", *KINDS):
        raise FilterError(_("Choose from the list."), "kind")
    if place and not (place.isdecimal() and int(place) in place_ids):
        raise FilterError(_("Choose from the list."), "place")
    return kind, int(place) if place else None


def parse_filters(args, today: date, place_ids: set[int]) -> Filters:
    """?from=&to=&kind=&place=&state=&page= as Filters: the last 30 days by default."""
    raw_first, raw_last = args.get("from", "").strip(), args.get("to", "").strip()
    first = _date(raw_first, "from") if raw_first else None
    last = _date(raw_last, "to") if raw_last else max(today, first or today)
    if first is None:
        first = last if raw_last else last - timedelta(days=29)
    if last < first:
        raise FilterError(_("The end date is before the start date."), "to")
    if (last - first).days + 1 > MAX_DAYS:
        raise FilterError(_("Choose at most %(n)s days.", n=MAX_DAYS), "to")
    kind, place = kind_and_place(args, place_ids)
    state = args.get("state", "").strip()
    if state not in ("", *STATES):
        raise FilterError(_("Choose from the list."), "state")
    return Filters(first, last, kind, place, state, parse_page(args.get("page", "1")))
