"""The incident list's filters and the counts page's year, read from the query string (a wrong one: a message under
its field, never a 500)."""
from datetime import date, timedelta

from ..errors import RuleError
from ..forms import iso_day
from ..i18n import text as _
from ..models.incidents import KINDS, STATES
from .reads import Filters

MAX_DAYS = 366  # the list: a year at most (the monthly counts cover longer views)


class FilterError(RuleError):
    """A filter the list cannot apply; `field` names the form field the message belongs under."""


def _date(raw: str, name: str) -> date:
    day = iso_day(raw)
    if day is None:
        raise FilterError(_("Not a date: use the date picker or YYYY-MM-DD."), name)
    return day


def parse_page(raw: str) -> int:
    """?page= as a page number from 1 ("²" is a digit, not a number)."""
    return min(int(raw), 10_000) if raw.isdecimal() and int(raw) > 0 else 1


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
    kind, state, place = (args.get(k, "").strip() for k in ("kind", "state", "place"))
    if kind not in ("", *KINDS):
        raise FilterError(_("Choose from the list."), "kind")
    if state not in ("", *STATES):
        raise FilterError(_("Choose from the list."), "state")
    if place and not (place.isdecimal() and int(place) in place_ids):
        raise FilterError(_("Choose from the list."), "place")
    return Filters(first, last, kind, int(place) if place else None, state, parse_page(args.get("page", "1")))


def parse_year(raw: str | None, today: date) -> int:
    """?year= between 2000 and this year, else this year."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and 2000 <= int(raw) <= today.year else today.year
