"""Time in one place: rows store naive UTC; a site's staff live by its local calendar day.

Every conversion between a site's wall clock and stored UTC goes through here, so a day or a range of days
means the same span in every list, report and export.
"""
from datetime import UTC, date, datetime, time, timedelta

from .models.core import utcnow  # noqa: F401  (the one "now" rows are stamped with; re-exported)


def to_utc(moment: datetime) -> datetime:
    """An aware moment as the naive UTC the columns store."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def to_local(site, stored: datetime) -> datetime:
    """A stored naive UTC time as the site's aware wall-clock time."""
    return stored.replace(tzinfo=UTC).astimezone(site.tz)


def local_start(site, day: date, at: time = time.min) -> datetime:
    """The stored-UTC moment of a site-local day and time of day."""
    return to_utc(datetime.combine(day, at, site.tz))


def day_bounds(site, day: date) -> tuple[datetime, datetime]:
    """A site-local calendar day as naive UTC bounds [start, end)."""
    return range_bounds(site, day, day)


def range_bounds(site, first: date, last: date) -> tuple[datetime, datetime]:
    """Site-local days first..last (both included) as naive UTC bounds [start, end). Each end is its own
    local midnight, so a day across a daylight-saving change keeps its real length."""
    return local_start(site, first), local_start(site, last + timedelta(days=1))
