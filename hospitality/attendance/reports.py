"""What attendance shows: a person's clock card, the lead's board, the roster week, the monthly sheet.

Each reads a fixed number of queries whatever the data size (indexed by site/person and day).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import joinedload

from ..database import select_rows
from ..extensions import db
from ..handover.services import shift_handover
from ..models import Site, User
from ..models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from ..models.core import POSTS
from .services import (
    ROSTER_POSTS,
    _now,
    clock_target,
    open_attendance,
    rostered_people,
    shifts,
    week_of,
    weekend_days,
    window,
)


def post_names() -> dict[str, str]:
    """The posts' names translated once per page (a lazy label per row costs a translation lookup each)."""
    return {k: str(v) for k, v in POSTS.items()}


BOARD_LISTS = ("on_duty", "late", "missing", "on_leave", "not_yet", "done", "unrostered")


@dataclass
class PersonDay:
    """One person on one day: their roster entry, clock-in and leave, and what that adds up to."""
    user: User
    day: date
    entry: RosterEntry | None = None
    att: Attendance | None = None
    leave: LeaveRequest | None = None
    state: str = "off"  # on_duty | done | on_leave | missing | not_yet | off
    start: datetime | None = None
    end: datetime | None = None

    @property
    def late(self) -> int:
        return self.att.late_minutes if self.att else 0

    @property
    def early(self) -> int:
        return self.att.early_minutes if self.att and self.att.clock_out_at else 0

    @property
    def unrostered(self) -> bool:
        return self.att is not None and self.entry is None

    @property
    def missing(self) -> bool:
        return self.state == "missing"


def person_day(site: Site, user: User, day: date, entry, att, leave, now: datetime) -> PersonDay:
    """The state of a person's day: a clock-in wins, then leave, then the roster against the clock."""
    pd = PersonDay(user=user, day=day, entry=entry, att=att, leave=leave)
    if entry is not None:
        pd.start, pd.end = window(site, day, entry.shift)
    if att is not None:
        pd.state = "done" if att.clock_out_at else "on_duty"
    elif leave is not None:
        pd.state = "on_leave"
    elif entry is not None:
        pd.state = "missing" if now >= pd.start + timedelta(minutes=site.grace_minutes) else "not_yet"
    return pd


def _leave_of(leaves, user_id: int, day: date):
    return next((lv for lv in leaves if lv.user_id == user_id and lv.starts <= day <= lv.ends), None)


_APPROVED_WHERE = (LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status == "approved",
                   LeaveRequest.starts <= bindparam("last"), LeaveRequest.ends >= bindparam("first"))
# A person's clock card reads their last two days of roster and clock-ins and today's approved leave: three
# small prebuilt statements of plain rows (every today screen carries the card).
_MY_ROSTER = (select(RosterEntry.id, RosterEntry.day, RosterEntry.post, Shift.name, Shift.starts, Shift.ends)
              .join(Shift, Shift.id == RosterEntry.shift_id)
              .where(RosterEntry.user_id == bindparam("user_id"), RosterEntry.day >= bindparam("first"),
                     RosterEntry.day <= bindparam("last")))
_MY_ATTENDANCE = select(Attendance.day, Attendance.clock_in_at, Attendance.clock_out_at, Attendance.late_minutes,
                        Attendance.early_minutes).where(Attendance.user_id == bindparam("user_id"),
                                                        Attendance.day >= bindparam("first"),
                                                        Attendance.day <= bindparam("last"))
_MY_LEAVE_TODAY = (select(LeaveRequest.id, LeaveRequest.starts, LeaveRequest.ends).where(
    LeaveRequest.user_id == bindparam("user_id"), LeaveRequest.status == "approved",
    LeaveRequest.starts <= bindparam("last"), LeaveRequest.ends >= bindparam("last")).limit(1))


@dataclass(frozen=True)
class DayEntry:
    """A person's roster entry of a day as their clock card reads it."""
    id: int
    day: date
    post: str
    shift: "ShiftTimes"


HANDOVER_REMINDER = timedelta(hours=1)  # before the shift's end, the card reminds a post that hands over


def today_card(site: Site, user: User, now: datetime | None = None) -> dict:
    """The clock card of a person's today screen: their shift, whether they are in, and the one button."""
    now = _now(site, now)
    today = now.date()
    params = {"user_id": user.id, "first": today - timedelta(days=1), "last": today}
    entries = {e.day: DayEntry(e.id, e.day, e.post, ShiftTimes(e.name, e.starts, e.ends))
               for e in select_rows(_MY_ROSTER, params)}
    atts = {a.day: a for a in select_rows(_MY_ATTENDANCE, params)}
    leave = select_rows(_MY_LEAVE_TODAY, params).first()
    running = open_attendance(site, atts, now)
    if running is not None:
        day = running.day
    else:
        day, _entry = clock_target(site, entries, atts, now)
    pd = person_day(site, user, day, entries.get(day), atts.get(day), leave if day == today else None, now)
    late_by = int((now - pd.start).total_seconds() // 60) if pd.state == "missing" else 0
    # The seeds: hand over before leaving (按时交接班). While on duty the card says where the person's own
    # handover stands once they have started one (waiting for acceptance, or still a draft); before that there
    # is nothing to say (right after clocking in no handover exists yet).
    handover = shift_handover(site, user, day) if running is not None else "closed"
    if handover == "none" and pd.end is not None and now >= pd.end - HANDOVER_REMINDER:
        handover = "due"  # the shift ends within the hour and nothing is handed over yet
    return {"pd": pd, "state": pd.state, "day": day, "now": now, "late_by": late_by,
            "can_clock_in": running is None and pd.att is None,
            "can_clock_out": running is not None, "handover": handover, "error": None}


# The lead's board reads the day as plain rows (a name, a post, a shift and the clock times per person).
_DAY_ROSTER = (select(RosterEntry.id, RosterEntry.user_id, RosterEntry.post, User.name, User.post.label("user_post"),
                      Shift.name.label("shift_name"), Shift.starts, Shift.ends)
               .join(User, User.id == RosterEntry.user_id).join(Shift, Shift.id == RosterEntry.shift_id)
               .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.day == bindparam("day")))
_DAY_ATTENDANCE = (select(Attendance.user_id, Attendance.clock_in_at, Attendance.clock_out_at, Attendance.late_minutes,
                          Attendance.early_minutes, User.name, User.post.label("user_post"))
                   .join(User, User.id == Attendance.user_id)
                   .where(Attendance.site_id == bindparam("site_id"), Attendance.day == bindparam("day")))
_DAY_LEAVE = (select(LeaveRequest.user_id, LeaveRequest.starts, LeaveRequest.ends, User.name,
                     User.post.label("user_post"))
              .join(User, User.id == LeaveRequest.user_id)
              .where(*_APPROVED_WHERE).order_by(LeaveRequest.starts))
_PENDING_LEAVE = select(func.count()).select_from(LeaveRequest).where(LeaveRequest.site_id == bindparam("site_id"),
                                                                      LeaveRequest.status == "pending")


@dataclass(frozen=True)
class Person:
    """Who a board row is about."""
    id: int
    name: str
    post: str

    @property
    def post_label(self):
        return POSTS.get(self.post, self.post)


@dataclass(frozen=True)
class ShiftTimes:
    """A roster entry's shift as the board shows it (and window() reads it)."""
    name: str
    starts: time
    ends: time

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts


@dataclass(frozen=True)
class BoardEntry:
    """A roster entry as the board shows it."""
    id: int
    user_id: int
    post: str
    shift: ShiftTimes


def board_summary(site: Site, day: date, now: datetime | None = None) -> dict:
    """Today at a glance for the lead: on duty, late, missing, on leave, not yet started (four queries of
    plain rows)."""
    now = _now(site, now)
    params = {"site_id": site.id, "day": day}
    entries = select_rows(_DAY_ROSTER, params).all()
    atts = {a.user_id: a for a in select_rows(_DAY_ATTENDANCE, params)}
    leaves = select_rows(_DAY_LEAVE, {"site_id": site.id, "first": day, "last": day}).all()
    out = {name: [] for name in BOARD_LISTS}
    people = []
    seen = set()
    for e in entries:
        seen.add(e.user_id)
        entry = BoardEntry(e.id, e.user_id, e.post, ShiftTimes(e.shift_name, e.starts, e.ends))
        leave = next((lv for lv in leaves if lv.user_id == e.user_id), None)
        people.append(person_day(site, Person(e.user_id, e.name, e.user_post), day, entry, atts.get(e.user_id),
                                 leave, now))
    for uid, att in atts.items():
        if uid not in seen:
            seen.add(uid)
            people.append(person_day(site, Person(uid, att.name, att.user_post), day, None, att, None, now))
    for lv in leaves:
        if lv.user_id not in seen:
            seen.add(lv.user_id)
            people.append(person_day(site, Person(lv.user_id, lv.name, lv.user_post), day, None, None, lv, now))
    people.sort(key=lambda p: (p.start or now, p.user.post, p.user.name))
    for p in people:
        if p.state in out:
            out[p.state].append(p)
        if p.late:
            out["late"].append(p)
        if p.unrostered:
            out["unrostered"].append(p)
    pending = select_rows(_PENDING_LEAVE, params).scalar()
    return {"day": day, "now": now, "today": now.date(), "people": people, "rostered": len(entries),
            "pending_leave": pending, "posts": post_names(), **out}


_WEEK_COUNTS = (select(RosterEntry.day, func.count())
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


_SHIFT_ROWS = (select(Shift.id, Shift.name, Shift.starts, Shift.ends, Shift.active)
               .where(Shift.site_id == bindparam("site_id")).order_by(Shift.starts, Shift.id))


def roster_week(site: Site, day: date) -> dict:
    """A week of the roster around `day`: counts per day for the strip, that day's people by shift, who is off."""
    monday = week_of(day)
    sunday = monday + timedelta(days=6)
    params = {"site_id": site.id, "first": monday, "last": sunday, "day": day}
    per_day = {_as_date(d): n for d, n in select_rows(_WEEK_COUNTS, params)}
    of_day = select_rows(_ROSTER_OF_DAY, params).all()
    leaves = select_rows(_DAY_LEAVE, params).all()  # rows of user_id, starts, ends, name, user_post
    site_shifts = select_rows(_SHIFT_ROWS, params).all()
    starts = {s.id: s.starts for s in site_shifts}
    clocked = {e.user_id for e in of_day if e.clocked}
    days = []
    for n in range(7):
        d = monday + timedelta(days=n)
        days.append(StripDay(d, per_day.get(d, 0), sum(1 for lv in leaves if lv.starts <= d <= lv.ends)))
    of_day = sorted(of_day, key=lambda e: (starts[e.shift_id], e.post, e.name))
    by_shift = [(s, [e for e in of_day if e.shift_id == s.id]) for s in site_shifts]
    on_leave_ids = {lv.user_id for lv in leaves if lv.starts <= day <= lv.ends}
    return {"day": day, "monday": monday, "days": days, "by_shift": [(s, es) for s, es in by_shift
                                                                      if es or s.active],
            "on_leave": [lv for lv in leaves if lv.starts <= day <= lv.ends], "conflicts": on_leave_ids,
            "clocked": clocked, "shifts": [s for s in site_shifts if s.active], "people": rostered_people(site.id),
            "rostered_ids": {e.user_id for e in of_day}, "posts": post_names()}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass
class Sheet:
    """A person's month: one PersonDay per day and the totals head office asks for."""
    user: User
    days: list = field(default_factory=list)

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


SHEET_TOTALS = ("rostered", "worked", "late_days", "late_minutes", "early_days", "early_minutes", "leave_days",
                "missing", "unrostered")


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def month_sheets(site: Site, users: list[User], month: date, now: datetime | None = None) -> list[Sheet]:
    """The monthly attendance of these people: three queries for any number of people and days."""
    now = _now(site, now)
    first, last = month_bounds(month)
    ids = [u.id for u in users]
    if not ids:
        return []
    entries = {(e.user_id, e.day): e for e in db.session.scalars(
        select(RosterEntry).options(joinedload(RosterEntry.shift)).where(
            RosterEntry.site_id == site.id, RosterEntry.user_id.in_(ids), RosterEntry.day >= first,
            RosterEntry.day <= last))}
    atts = {(a.user_id, a.day): a for a in db.session.scalars(select(Attendance).where(
        Attendance.site_id == site.id, Attendance.user_id.in_(ids), Attendance.day >= first,
        Attendance.day <= last))}
    leaves = [lv for lv in db.session.scalars(select(LeaveRequest).where(
        LeaveRequest.site_id == site.id, LeaveRequest.user_id.in_(ids), LeaveRequest.status == "approved",
        LeaveRequest.starts <= last, LeaveRequest.ends >= first))]
    sheets = []
    for u in users:
        sheet = Sheet(u)
        for n in range((last - first).days + 1):
            d = first + timedelta(days=n)
            sheet.days.append(person_day(site, u, d, entries.get((u.id, d)), atts.get((u.id, d)),
                                         _leave_of(leaves, u.id, d), now))
        sheets.append(sheet)
    return sheets


def month_totals(site: Site, users: list[User], month: date, now: datetime | None = None) -> list[tuple]:
    """(person, totals) for everyone at once, from plain rows (no per-day objects): the sheets overview."""
    now = _now(site, now)
    first, last = month_bounds(month)
    ids = [u.id for u in users]
    if not ids:
        return []
    by_id = {s.id: s for s in shifts(site.id)}
    grace = timedelta(minutes=site.grace_minutes)
    entries = {(uid, _as_date(d)): sid for uid, d, sid in db.session.execute(
        select(RosterEntry.user_id, RosterEntry.day, RosterEntry.shift_id).where(
            RosterEntry.site_id == site.id, RosterEntry.user_id.in_(ids), RosterEntry.day >= first,
            RosterEntry.day <= last))}
    atts = {(uid, _as_date(d)): (late, early if out else 0) for uid, d, late, early, out in db.session.execute(
        select(Attendance.user_id, Attendance.day, Attendance.late_minutes, Attendance.early_minutes,
               Attendance.clock_out_at.is_not(None)).where(
            Attendance.site_id == site.id, Attendance.user_id.in_(ids), Attendance.day >= first,
            Attendance.day <= last))}
    leaves = db.session.execute(select(LeaveRequest.user_id, LeaveRequest.starts, LeaveRequest.ends).where(
        LeaveRequest.site_id == site.id, LeaveRequest.user_id.in_(ids), LeaveRequest.status == "approved",
        LeaveRequest.starts <= last, LeaveRequest.ends >= first)).all()
    off = {(uid, s + timedelta(days=n)) for uid, s, e in leaves for n in range((e - s).days + 1)}
    out = []
    for u in users:
        t = dict.fromkeys(SHEET_TOTALS, 0)
        for n in range((last - first).days + 1):
            d = first + timedelta(days=n)
            sid, att, on_leave = entries.get((u.id, d)), atts.get((u.id, d)), (u.id, d) in off
            t["rostered"] += sid is not None
            t["leave_days"] += on_leave
            if att:
                t["worked"] += 1
                t["late_days"] += att[0] > 0
                t["late_minutes"] += att[0]
                t["early_days"] += att[1] > 0
                t["early_minutes"] += att[1]
                t["unrostered"] += sid is None
            elif sid is not None and not on_leave and now >= window(site, d, by_id[sid])[0] + grace:
                t["missing"] += 1
        out.append((u, t))
    return out


def sheet_people(site_id: int) -> list[User]:
    """Everyone who can have a sheet at the site (people who left keep theirs)."""
    return list(db.session.scalars(select(User).where(User.site_id == site_id, User.post.in_(ROSTER_POSTS))
                                   .order_by(User.active.desc(), User.post, User.name)))


def my_requests(user: User, limit: int = 30) -> list[LeaveRequest]:
    return list(db.session.scalars(select(LeaveRequest).where(LeaveRequest.user_id == user.id)
                                   .order_by(LeaveRequest.starts.desc(), LeaveRequest.id.desc()).limit(limit)))


def my_shifts(user: User, first: date, days: int = 7) -> list[RosterEntry]:
    """A person's next shifts, for their own page."""
    return list(db.session.scalars(select(RosterEntry).options(joinedload(RosterEntry.shift)).where(
        RosterEntry.user_id == user.id, RosterEntry.day >= first, RosterEntry.day < first + timedelta(days=days))
        .order_by(RosterEntry.day)))


def leave_queue(site: Site, recent: int = 20) -> dict:
    """Pending requests with their weekend warning and roster clashes; the latest decisions below."""
    pending = db.session.scalars(select(LeaveRequest).options(joinedload(LeaveRequest.user))
                                 .where(LeaveRequest.site_id == site.id, LeaveRequest.status == "pending")
                                 .order_by(LeaveRequest.starts, LeaveRequest.id)).all()
    clashes = dict(db.session.execute(
        select(LeaveRequest.id, func.count(RosterEntry.id))
        .join(RosterEntry, (RosterEntry.user_id == LeaveRequest.user_id) & (RosterEntry.day >= LeaveRequest.starts)
              & (RosterEntry.day <= LeaveRequest.ends))
        .where(LeaveRequest.site_id == site.id, LeaveRequest.status == "pending")
        .group_by(LeaveRequest.id)).all())
    decided = db.session.scalars(select(LeaveRequest).options(joinedload(LeaveRequest.user),
                                                              joinedload(LeaveRequest.decided_by))
                                 .where(LeaveRequest.site_id == site.id, LeaveRequest.status != "pending")
                                 .order_by(LeaveRequest.id.desc()).limit(recent)).all()
    return {"pending": pending, "weekends": {lv.id: weekend_days(lv.starts, lv.ends) for lv in pending},
            "clashes": clashes, "decided": decided}
