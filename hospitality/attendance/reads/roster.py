"""The roster as the lead plans it: the site's shifts, the people who can be rostered, and a week of the roster."""
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, exists, func, select

from ...database import Reads, read_panels, select_rows
from ...models import Site, User
from ...models.attendance import Attendance, RosterEntry, Shift
from ...permissions import posts_for
from ..timing import week_of
from .days import DAYS_LEAVE, Person, post_names


class ShiftRow(NamedTuple):
    """A shift of the site as the roster and the settings page show it (and window() reads it)."""
    id: int
    name: str
    starts: time
    ends: time
    active: bool

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts


_SHIFT_ROWS = (select(Shift.id, Shift.name, Shift.starts, Shift.ends, Shift.active)
               .where(Shift.site_id == bindparam("site_id")).order_by(Shift.starts, Shift.id))


def site_shifts(site_id: int) -> list[ShiftRow]:
    """The site's shifts by start time, those no longer in use included."""
    return _shift_rows(select_rows(_SHIFT_ROWS, {"site_id": site_id}))


def _shift_rows(rows) -> list[ShiftRow]:
    return [ShiftRow(s.id, s.name, s.starts, s.ends, s.active) for s in rows]


# The people who are rostered (the posts that clock in), active first, then by post and name.
_ROSTERED = (select(User.id, User.name, User.post, User.active)
             .where(User.site_id == bindparam("site_id"), User.post.in_(sorted(posts_for("attendance.own"))))
             .order_by(User.active.desc(), User.post, User.name))


def rostered_people(site_id: int, with_former: bool = False) -> list[Person]:
    """Who can be put on the roster: the site's active staff and leads, by post and name; `with_former` adds the
    people who left after them (they keep their monthly sheets)."""
    return _people(select_rows(_ROSTERED, {"site_id": site_id}), with_former)


def _people(rows, with_former: bool = False) -> list[Person]:
    return [Person(r.id, r.name, r.post, r.active) for r in rows if with_former or r.active]


_WEEK_COUNTS = (select(RosterEntry.day, func.count().label("entries"))
                .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.day >= bindparam("first"),
                       RosterEntry.day <= bindparam("last")).group_by(RosterEntry.day))
# The day's entries as plain rows (id, user_id, shift_id, post, name, clocked): the roster shows a name and a
# button each (no button for someone who has clocked in that day).
_CLOCKED_IN = (exists().where(Attendance.user_id == RosterEntry.user_id, Attendance.day == RosterEntry.day)
               .label("clocked"))
_ROSTER_OF_DAY = (select(RosterEntry.id, RosterEntry.user_id, RosterEntry.shift_id, RosterEntry.post, User.name,
                         _CLOCKED_IN)
                  .join(User, User.id == RosterEntry.user_id)
                  .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.day == bindparam("day")))


@dataclass(frozen=True)
class StripDay:
    """A day of the roster's week strip: how many are rostered and how many are off."""
    day: date
    entries: int
    leave: int


def roster_week(site: Site, day: date) -> dict:
    """A week of the roster around `day`: counts per day for the strip, that day's people by shift, who is off (read
    at once: one statement on PostgreSQL)."""
    monday = week_of(day)
    sunday = monday + timedelta(days=6)
    return read_panels(Reads({"counts": _WEEK_COUNTS, "of_day": _ROSTER_OF_DAY, "leaves": DAYS_LEAVE,
                              "shifts": _SHIFT_ROWS, "people": _ROSTERED},
                             {"site_id": site.id, "first": monday, "last": sunday, "day": day},
                             lambda got: _week(day, monday, got)))


def _week(day: date, monday: date, got: dict) -> dict:
    per_day = {_as_date(r.day): r.entries for r in got["counts"]}
    of_day = got["of_day"]
    leaves = got["leaves"]  # rows of user_id, starts, ends, name, user_post
    shifts = _shift_rows(got["shifts"])
    starts = {s.id: s.starts for s in shifts}
    clocked = {e.user_id for e in of_day if e.clocked}
    days = []
    for n in range(7):
        d = monday + timedelta(days=n)
        days.append(StripDay(d, per_day.get(d, 0), sum(1 for lv in leaves if lv.starts <= d <= lv.ends)))
    of_day = sorted(of_day, key=lambda e: (starts[e.shift_id], e.post, e.name))
    by_shift = [(s, [e for e in of_day if e.shift_id == s.id]) for s in shifts]
    on_leave_ids = {lv.user_id for lv in leaves if lv.starts <= day <= lv.ends}
    return {"day": day, "monday": monday, "days": days, "by_shift": [(s, es) for s, es in by_shift
                                                                      if es or s.active],
            "on_leave": [lv for lv in leaves if lv.starts <= day <= lv.ends], "conflicts": on_leave_ids,
            "clocked": clocked, "shifts": [s for s in shifts if s.active], "people": _people(got["people"]),
            "rostered_ids": {e.user_id for e in of_day}, "posts": post_names()}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
