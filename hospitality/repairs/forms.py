"""The repair lists' filters, read from the query string (a wrong one: a message under its field, never a 500):
hospitality.filters with the repairs' kinds and states."""
from datetime import date

from .. import filters
from ..filters import FilterError, Filters  # noqa: F401 (FilterError: the routes catch it from here)
from ..models.repairs import KINDS, STATES


def kind_and_place(args, place_ids: set[int]) -> tuple[str, int | None]:
    """?kind=&place= (the open list and the range)."""
    return filters.kind_and_place(args, KINDS, place_ids)


def parse_filters(args, today: date, place_ids: set[int]) -> Filters:
    """?from=&to=&kind=&place=&state=&page= as Filters: the last 30 days by default."""
    return filters.parse(args, today, KINDS, STATES, place_ids)
