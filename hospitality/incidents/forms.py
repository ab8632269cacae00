"""The incident list's filters and the counts page's year, read from the query string (a wrong one: a message under
its field, never a 500)."""
from datetime import date

from .. import filters
from ..filters import FilterError, Filters  # noqa: F401 (FilterError: the routes catch it from here)
from ..models.incidents import KINDS, STATES


def parse_filters(args, today: date, place_ids: set[int]) -> Filters:
    """?from=&to=&kind=&place=&state=&page= as Filters (hospitality.filters): the last 30 days by default."""
    return filters.parse(args, today, KINDS, STATES, place_ids)


def parse_year(raw: str | None, today: date) -> int:
    """?year= between 2000 and this year, else this year."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and 2000 <= int(raw) <= today.year else today.year
