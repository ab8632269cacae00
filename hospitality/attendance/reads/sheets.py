"""The monthly attendance sheets: a person's days with the totals head office asks for, and everyone's totals."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, case, exists, func, select

from ...database import Reads, read_panels, select_rows
from ...models import Site, User
from ...models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from ..services import moment
from ..timing import window
from .days import DayEntry, Person, PersonDay, ShiftTimes, person_day
from .roster import rostered_people, site_shifts

SHEET_TOTALS = ("rostered", "worked", "late_days", "late_minutes", "early_days", "early_minutes", "leave_days",
                "missing", "unrostered")


@dataclass
class Sheet:
    """A person's month: one PersonDay per day and the totals head office asks for."""
    user: User | Person
    days: list[PersonDay] = field(default_factory=list)

    def total(self, name: str) -> int:
        d = self.days
        return {
            "rostered": sum(1 for p in d if p.entry),
            "worked": sum(1 for p in d if p.att),
            "late_days": sum(1 for p in d if p.late),
            "late_minutes": sum(p.late for p in d),
            "early_days": sum(1 for p in d if p.early),
            "early_minutes": sum(p.early for p in d),
            "leave_days": sum(1 for p in d if p.leave),
            "missing": sum(1 for p in d if p.missing),
            "unrostered": sum(1 for p in d if p.unrostered),
        }[name]

    @property
    def totals(self) -> dict:
        return {k: self.total(k) for k in SHEET_TOTALS}


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of the month of `month`."""
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


# A month of some people's roster, clock-ins and approved leave: three statements for any number of people and
# days, shared by the sheets and the overview's totals. The roster's shift times come from the site's few shifts
# (site_shifts), not from a join: read per row, every time of day would be parsed again.
_IDS = bindparam("ids", expanding=True)
_MONTH_ROSTER = (select(RosterEntry.id, RosterEntry.user_id, RosterEntry.day, RosterEntry.post, RosterEntry.shift_id)
                 .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.user_id.in_(_IDS),
                        RosterEntry.day >= bindparam("first"), RosterEntry.day <= bindparam("last")))
_MONTH_ATTENDANCE = (select(Attendance.user_id, Attendance.day, Attendance.clock_in_at, Attendance.clock_out_at,
                            Attendance.late_minutes, Attendance.early_minutes)
                     .where(Attendance.site_id == bindparam("site_id"), Attendance.user_id.in_(_IDS),
                            Attendance.day >= bindparam("first"), Attendance.day <= bindparam("last")))
_MONTH_LEAVE = (select(LeaveRequest.user_id, LeaveRequest.starts, LeaveRequest.ends)
                .where(LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.user_id.in_(_IDS),
                       LeaveRequest.status == "approved", LeaveRequest.starts <= bindparam("last"),
                       LeaveRequest.ends >= bindparam("first")))


# Everyone's totals over a range (range_totals), grouped in SQL: the days rostered; and from the clock cards the days
# worked, late (any minute late) and left early (clocked out before the shift's end), their minutes, and the days
# worked without a roster entry.
_TOTALS_ROSTERED = (select(RosterEntry.user_id, func.count().label("n"))
                    .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.user_id.in_(_IDS),
                           RosterEntry.day >= bindparam("first"), RosterEntry.day <= bindparam("last"))
                    .group_by(RosterEntry.user_id))
_LEFT = Attendance.clock_out_at.is_not(None)
_TOTALS_WORKED = (select(Attendance.user_id, func.count().label("worked"),
                         func.sum(case((Attendance.late_minutes > 0, 1), else_=0)).label("late_days"),
                         func.sum(Attendance.late_minutes).label("late_minutes"),
                         func.sum(case((and_(_LEFT, Attendance.early_minutes > 0), 1), else_=0)).label("early_days"),
                         func.sum(case((_LEFT, Attendance.early_minutes), else_=0)).label("early_minutes"),
                         func.sum(case((~exists().where(RosterEntry.site_id == Attendance.site_id,
                                                        RosterEntry.user_id == Attendance.user_id,
                                                        RosterEntry.day == Attendance.day), 1),
                                       else_=0)).label("unrostered"))
                  .where(Attendance.site_id == bindparam("site_id"), Attendance.user_id.in_(_IDS),
                         Attendance.day >= bindparam("first"), Attendance.day <= bindparam("last"))
                  .group_by(Attendance.user_id))


# Rostered days without a clock-in at the site or approved leave, with their shift's times (the caller checks the
# shift's start and the grace have passed): the absences, a few rows whatever the range.
_NOT_CLOCKED_IN = (select(RosterEntry.user_id, RosterEntry.day, Shift.name, Shift.starts, Shift.ends)
                   .join(Shift, Shift.id == RosterEntry.shift_id)
                   .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.day >= bindparam("first"),
                          RosterEntry.day <= bindparam("until"),
                          ~exists().where(Attendance.site_id == RosterEntry.site_id,
                                          Attendance.user_id == RosterEntry.user_id,
                                          Attendance.day == RosterEntry.day),
                          ~exists().where(LeaveRequest.site_id == RosterEntry.site_id,
                                          LeaveRequest.user_id == RosterEntry.user_id,
                                          LeaveRequest.status == "approved", LeaveRequest.starts <= RosterEntry.day,
                                          LeaveRequest.ends >= RosterEntry.day)))


def absences(site: Site, first: date, last: date, now: datetime | None = None) -> dict[int, int]:
    """Days absent per person over first..last: rostered, no clock-in, no approved leave, once the shift's start and
    the site's grace have passed (the one home of this rule: the sheets, the staff evaluation, the meeting sheet)."""
    return read_panels(absences_reads(site, first, last, now))["absences"]


def absences_reads(site: Site, first: date, last: date, now: datetime | None = None) -> Reads:
    """absences()' read, for a screen that reads its panels at once: `absences` (its last day is `until`, today at
    the latest)."""
    now = moment(site, now)
    return Reads({"not_in": _NOT_CLOCKED_IN}, {"site_id": site.id, "first": first, "until": min(last, now.date())},
                 lambda got: {"absences": _absences(site, got["not_in"], now)})


def _absences(site: Site, rows: list, now: datetime) -> dict[int, int]:
    grace = timedelta(minutes=site.grace_minutes)
    out: dict[int, int] = {}
    for e in rows:
        if now >= window(site, e.day, ShiftTimes(e.name, e.starts, e.ends))[0] + grace:
            out[e.user_id] = out.get(e.user_id, 0) + 1
    return out


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _shift_times(site_id: int) -> dict[int, ShiftTimes]:
    return {s.id: ShiftTimes(s.name, s.starts, s.ends) for s in site_shifts(site_id)}


def month_sheets(site: Site, users: list[User | Person], month: date, now: datetime | None = None) -> list[Sheet]:
    """The monthly attendance of these people: three queries for any number of people and days."""
    now = moment(site, now)
    first, last = month_bounds(month)
    if not users:
        return []
    params = {"site_id": site.id, "ids": [u.id for u in users], "first": first, "last": last}
    shifts = _shift_times(site.id)
    entries = {(e.user_id, e.day): DayEntry(e.id, e.day, e.post, shifts[e.shift_id])
               for e in select_rows(_MONTH_ROSTER, params)}
    atts = {(a.user_id, a.day): a for a in select_rows(_MONTH_ATTENDANCE, params)}
    leaves = select_rows(_MONTH_LEAVE, params).all()
    sheets = []
    for u in users:
        sheet = Sheet(u)
        for d in _days(first, last):
            leave = next((lv for lv in leaves if lv.user_id == u.id and lv.starts <= d <= lv.ends), None)
            sheet.days.append(person_day(site, u, d, entries.get((u.id, d)), atts.get((u.id, d)), leave, now))
        sheets.append(sheet)
    return sheets


def month_totals(site: Site, users: list[User | Person], month: date,
                 now: datetime | None = None) -> list[tuple[User | Person, dict[str, int]]]:
    """(person, totals) of a month for everyone at once: the sheets overview and the staff evaluation."""
    return range_totals(site, users, *month_bounds(month), now)


def range_totals(site: Site, users: list[User | Person], first: date, last: date,
                 now: datetime | None = None) -> list[tuple[User | Person, dict[str, int]]]:
    """(person, totals) over days first..last for everyone at once: the one home of the rule for late and left
    early (_TOTALS_WORKED, counted in SQL: a person has one roster entry and one clock card a day), the days on
    leave from the few approved requests, the days absent from absences()."""
    if not users:
        return []
    return read_panels(totals_reads(site, users, first, last, now))["att_totals"]


def totals_reads(site: Site, users: list[User | Person], first: date, last: date,
                 now: datetime | None = None) -> Reads:
    """range_totals' reads (users: at least one), for a screen that reads its panels at once: `att_totals`."""
    now = moment(site, now)
    params = {"site_id": site.id, "ids": [u.id for u in users], "first": first, "last": last,
              "until": min(last, now.date())}
    return Reads({"rostered": _TOTALS_ROSTERED, "worked": _TOTALS_WORKED, "leave": _MONTH_LEAVE,
                  "not_in": _NOT_CLOCKED_IN}, params,
                 lambda got: {"att_totals": _totals(users, first, last, got, _absences(site, got["not_in"], now))})


def _totals(users: list, first: date, last: date, got: dict, missing: dict[int, int]) -> list:
    rostered = {r.user_id: r.n for r in got["rostered"]}
    worked = {r.user_id: r for r in got["worked"]}
    off: dict[int, set[date]] = {}
    for lv in got["leave"]:
        off.setdefault(lv.user_id, set()).update(_days(max(lv.starts, first), min(lv.ends, last)))
    out = []
    for u in users:
        t = dict.fromkeys(SHEET_TOTALS, 0)
        t["rostered"] = rostered.get(u.id, 0)
        t["leave_days"] = len(off.get(u.id, ()))
        w = worked.get(u.id)
        if w is not None:
            for name in ("worked", "late_days", "late_minutes", "early_days", "early_minutes", "unrostered"):
                t[name] = int(getattr(w, name) or 0)
        t["missing"] = missing.get(u.id, 0)
        out.append((u, t))
    return out


def sheet_people(site_id: int) -> list[Person]:
    """Everyone who can have a sheet at the site (people who left keep theirs, listed after the others)."""
    return rostered_people(site_id, with_former=True)


def month_overview(site: Site, month: date) -> list[tuple[Person, dict[str, int]]]:
    """The sheets overview: every person with a sheet at the site and their month's totals."""
    return month_totals(site, sheet_people(site.id), month)
