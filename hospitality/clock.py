"""Time in one place: the app's one "now", and a site's calendar day in stored UTC.

Rows store naive UTC; a site's staff live by its local calendar day. Every rule that depends on the time
(lateness, refill rounds, deadlines, routines' due times, created_at stamps) reads it here, through utcnow() or
now(tz), and every conversion between a site's wall clock and stored UTC goes through here too, so a day or a
range of days means the same span in every list, report and export.

The clock can run ahead of or behind the machine's by an offset, in demo and test mode only: DEMO_CLOCK starts
the app at a chosen moment (a night played by day) and the clock runs on with real seconds from there; tests
move it with travel_to. Technical timers (rate limits, CSRF tokens, monotonic durations) keep the real time.
This module imports nothing of the app: models import it.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

# How far the app's clock stands from the machine's; and, in tests only, a moment it stays at.
# Plain module state: every thread of the process (the browser tests' live server too) sees the same clock.
_offset = timedelta(0)
_frozen: datetime | None = None


def _aware_utc_now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def utcnow() -> datetime:
    """Naive UTC now: stored the same way on SQLite and PostgreSQL. The one "now" rows are stamped with."""
    return _aware_utc_now().replace(tzinfo=None)


def now(tz: tzinfo = UTC) -> datetime:
    """The app's now as an aware wall-clock time in tz (a site's tz for its local time)."""
    return _aware_utc_now().astimezone(tz)


def offset() -> timedelta:
    """How far the app's clock stands from the machine's (0 unless a demo or a test moved it)."""
    return _offset


def set_offset(delta: timedelta) -> None:
    """Run the app's clock this far from the machine's, with real seconds."""
    global _offset, _frozen
    _offset, _frozen = delta, None


def start_at(moment: datetime) -> timedelta:
    """Set the clock so that now is this aware moment, running on from there; returns the offset."""
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware moment (a time zone or a UTC offset)")
    set_offset(moment - datetime.now(UTC))
    return _offset


@contextmanager
def travel_to(moment: datetime, *, frozen: bool = False) -> Iterator[None]:
    """Tests: the app's clock at an aware moment, running on with real seconds (or standing still when frozen),
    for this process's threads alike (the live server of the browser tests too); put back on leaving."""
    global _frozen
    saved = (_offset, _frozen)
    start_at(moment)
    if frozen:
        _frozen = moment.astimezone(UTC)
    try:
        yield
    finally:
        _restore(*saved)


def _restore(delta: timedelta, frozen: datetime | None) -> None:
    global _offset, _frozen
    _offset, _frozen = delta, frozen


def parse_moment(value: str | datetime, zone: str) -> datetime:
    """An ISO date-time (as DEMO_CLOCK gives it) as an aware moment; a naive one is wall-clock time in zone."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"DEMO_CLOCK={value!r} is not an ISO date-time such as 2026-12-06T23:30") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


def init_app(app) -> None:
    """At app start: DEMO_CLOCK (config key or environment) sets the clock, in demo or test mode only."""
    value = app.config.get("DEMO_CLOCK")
    if not value:
        return
    if not (app.config.get("DEMO") or app.config.get("TESTING")):
        # A real site's lateness, deadlines and records must follow the real time.
        raise RuntimeError("DEMO_CLOCK is set, but the app is not in demo mode (DEMO = True, or HOSPITALITY_DEMO=1 "
                           "as `make serve` sets) nor testing: the demo clock is refused; unset DEMO_CLOCK.")
    moment = parse_moment(value, app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    set_at = app.config.get("DEMO_CLOCK_SET_AT")
    if set_at:  # the moment DEMO_CLOCK stood at that real time: every process of the demo shares one clock
        set_offset(moment - datetime.fromtimestamp(float(set_at), UTC))
    else:
        start_at(moment)
    app.logger.warning("Demo clock: the app's time started at %s and runs on from there.", moment.isoformat())


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
