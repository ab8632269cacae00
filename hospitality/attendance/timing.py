"""When a shift runs and what a clock-in counts as: the time rules the actions and the pages share."""
from datetime import date, datetime, timedelta
from typing import TypeVar

from ..clock import to_utc

Entry = TypeVar("Entry")  # a roster entry as the caller holds it: a RosterEntry, or a page's DayEntry
ClockIn = TypeVar("ClockIn")  # a clock-in as the caller holds it: an Attendance, or a page's row

MAX_SHIFT_HOURS = 20  # an open clock-in older than this was forgotten, not a shift still running


def window(site, day: date, shift) -> tuple[datetime, datetime]:
    """When a shift on `day` starts and ends at the site (aware, on its wall clock); a night shift ends the next
    morning. `shift` is anything with starts, ends and overnight (a Shift, or a page's shift times)."""
    start = datetime.combine(day, shift.starts, site.tz)
    end = datetime.combine(day + timedelta(days=1) if shift.overnight else day, shift.ends, site.tz)
    return start, end


def late_minutes(site, day: date, shift, at: datetime) -> int:
    """Minutes after the shift's start, once the site's grace period has passed (else 0)."""
    start, _end = window(site, day, shift)
    if at <= start + timedelta(minutes=site.grace_minutes):
        return 0
    return max(1, int((at - start).total_seconds() // 60))


def early_minutes(site, day: date, shift, at: datetime) -> int:
    """Minutes left before the shift's end (0 when they stayed to the end)."""
    _start, end = window(site, day, shift)
    if at >= end:
        return 0
    return max(1, int((end - at).total_seconds() // 60))


def weekend_days(first: date, last: date) -> list[date]:
    """Saturdays and Sundays in a range (the seeds: days off are fixed, not at weekends)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() >= 5]


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def clock_target(site, entries: dict[date, Entry], atts: dict, now: datetime) -> tuple[date, Entry | None]:
    """The day a clock-in now counts for, and its roster entry: last night's shift still running and not clocked
    in, else today. `entries` and `atts` map days to a person's roster entries and clock-ins."""
    today = now.date()
    yesterday = today - timedelta(days=1)
    night = entries.get(yesterday)
    if night is not None and night.shift.overnight and yesterday not in atts \
            and now < window(site, yesterday, night.shift)[1]:
        return yesterday, night
    return today, entries.get(today)


def open_attendance(site, atts: dict[date, ClockIn], now: datetime) -> ClockIn | None:
    """The clock-in still waiting for its clock-out (a forgotten one from long ago does not count)."""
    for day in sorted(atts, reverse=True):
        a = atts[day]
        if a.clock_out_at is None and to_utc(now) - a.clock_in_at < timedelta(hours=MAX_SHIFT_HOURS):
            return a
    return None
