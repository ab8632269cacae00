"""A person's day as the pages read it: the clock card of their today screen, their next shifts, the lead's board
of the day, and who is on duty (other capabilities join their own columns to it)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Row, bindparam, func, select

from ...database import Reads, read_panels, select_rows
from ...extensions import db
from ...handover.reads import SHIFT_HANDOVERS, shift_handover
from ...models import Site, User
from ...models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from ...models.core import POSTS
from ..services import moment
from ..timing import clock_target, open_attendance, window


def post_names() -> dict[str, str]:
    """The posts' names translated once per page (a lazy label per row costs a translation lookup each)."""
    return {k: str(v) for k, v in POSTS.items()}


@dataclass(frozen=True)
class Person:
    """Who a row is about: a board row, a leave request, a line of the sheets overview, the roster's picker."""
    id: int
    name: str
    post: str
    active: bool = True

    @property
    def post_label(self):
        return POSTS.get(self.post, self.post)


@dataclass(frozen=True)
class ShiftTimes:
    """A roster entry's shift as the pages show it (and window() reads it)."""
    name: str
    starts: time
    ends: time

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts


@dataclass(frozen=True)
class DayEntry:
    """A person's roster entry of a day as the pages read it."""
    id: int
    day: date
    post: str
    shift: ShiftTimes


def day_entry(r: Row) -> DayEntry:
    """A DayEntry from a row of RosterEntry.id, day and post with its shift's shift_name, starts and ends."""
    return DayEntry(r.id, r.day, r.post, ShiftTimes(r.shift_name, r.starts, r.ends))


@dataclass
class PersonDay:
    """One person on one day: their roster entry, clock-in and leave, and what that adds up to. `att` is a row of
    clock_in_at, clock_out_at, late_minutes and early_minutes; `leave` a row of starts and ends."""
    user: User | Person
    day: date
    entry: DayEntry | None = None
    att: Row | None = None
    leave: Row | None = None
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


def person_day(site: Site, user: User | Person, day: date, entry: DayEntry | None, att: Row | None,
               leave: Row | None, now: datetime) -> PersonDay:
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


# A person's clock card reads their last two days of roster, clock-ins and handovers and today's approved leave: four
# small prebuilt statements of plain rows, read with the screen's other panels (card_reads). Their next shifts read
# the same roster.
_MY_ROSTER = (select(RosterEntry.id, RosterEntry.day, RosterEntry.post, Shift.name.label("shift_name"), Shift.starts,
                     Shift.ends)
              .join(Shift, Shift.id == RosterEntry.shift_id)
              .where(RosterEntry.user_id == bindparam("user_id"), RosterEntry.day >= bindparam("first"),
                     RosterEntry.day <= bindparam("last"))
              .order_by(RosterEntry.day))
_MY_ATTENDANCE = select(Attendance.day, Attendance.clock_in_at, Attendance.clock_out_at, Attendance.late_minutes,
                        Attendance.early_minutes, Attendance.in_made_at, Attendance.out_made_at).where(
    Attendance.user_id == bindparam("user_id"), Attendance.day >= bindparam("first"),
    Attendance.day <= bindparam("last"))
_MY_LEAVE_TODAY = (select(LeaveRequest.id, LeaveRequest.starts, LeaveRequest.ends).where(
    LeaveRequest.user_id == bindparam("user_id"), LeaveRequest.status == "approved",
    LeaveRequest.starts <= bindparam("last"), LeaveRequest.ends >= bindparam("last")).limit(1))

HANDOVER_REMINDER = timedelta(hours=1)  # before the shift's end, the card reminds a post that hands over


def today_card(site: Site, user: User, now: datetime | None = None) -> dict:
    """The clock card of a person's today screen: their shift, whether they are in, and the one button."""
    return read_panels(card_reads(site, user, now))["att_clock"]


def card_reads(site: Site, user: User, now: datetime | None = None) -> Reads:
    """The clock card's reads (its four statements), for a screen that reads its panels at once: `att_clock`."""
    now = moment(site, now)
    today = now.date()
    params = {"user_id": user.id, "first": today - timedelta(days=1), "last": today}
    return Reads({"roster": _MY_ROSTER, "attendance": _MY_ATTENDANCE, "leave": _MY_LEAVE_TODAY,
                  "handovers": SHIFT_HANDOVERS}, params,
                 lambda got: {"att_clock": _card(site, user, now, got)})


def _shift_day(site: Site, entries: dict, atts: dict, now: datetime):
    """The day of the shift a person is working or about to clock into, and their running clock-in: a night shift
    belongs to the day it started, after midnight too."""
    running = open_attendance(site, atts, now)
    if running is not None:
        return running.day, running
    return clock_target(site, entries, atts, now)[0], None


def shift_day(site: Site, user: User, now: datetime | None = None) -> date:
    """The day whose routines a person works now: their night shift's day until it ends, else today (their roster
    and clock-ins of yesterday and today, read at once). The today screen takes it off the clock card."""
    now = moment(site, now)

    def build(got: dict) -> dict:
        entries = {e.day: day_entry(e) for e in got["roster"]}
        return {"shift_day": _shift_day(site, entries, {a.day: a for a in got["attendance"]}, now)[0]}
    return read_panels(Reads({"roster": _MY_ROSTER, "attendance": _MY_ATTENDANCE},
                             {"user_id": user.id, "first": now.date() - timedelta(days=1), "last": now.date()},
                             build))["shift_day"]


def _card(site: Site, user: User, now: datetime, got: dict) -> dict:
    today = now.date()
    entries = {e.day: day_entry(e) for e in got["roster"]}
    atts = {a.day: a for a in got["attendance"]}
    leave = got["leave"][0] if got["leave"] else None
    day, running = _shift_day(site, entries, atts, now)
    pd = person_day(site, user, day, entries.get(day), atts.get(day), leave if day == today else None, now)
    late_by = int((now - pd.start).total_seconds() // 60) if pd.state == "missing" else 0
    # The seeds: hand over before leaving (按时交接班). While on duty the card says where the person's own
    # handover stands once they have started one (waiting for acceptance, or still a draft); before that there
    # is nothing to say (right after clocking in no handover exists yet).
    handover = shift_handover(site, user, day, got["handovers"]) if running is not None else "closed"
    if handover == "none" and pd.end is not None and now >= pd.end - HANDOVER_REMINDER:
        handover = "due"  # the shift ends within the hour and nothing is handed over yet
    return {"pd": pd, "state": pd.state, "day": day, "now": now, "late_by": late_by,
            "can_clock_in": running is None and pd.att is None,
            "can_clock_out": running is not None, "handover": handover, "error": None}


def my_shifts(user: User, first: date, days: int = 7) -> list[DayEntry]:
    """A person's next shifts, for their own page."""
    params = {"user_id": user.id, "first": first, "last": first + timedelta(days=days - 1)}
    return [day_entry(e) for e in select_rows(_MY_ROSTER, params)]


BOARD_LISTS = ("on_duty", "late", "missing", "on_leave", "not_yet", "done", "unrostered")

APPROVED_WHERE = (LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status == "approved",
                  LeaveRequest.starts <= bindparam("last"), LeaveRequest.ends >= bindparam("first"))
# The approved leave overlapping days first..last, with who is away (the board's day, the roster's week).
DAYS_LEAVE = (select(LeaveRequest.user_id, LeaveRequest.starts, LeaveRequest.ends, User.name,
                     User.post.label("user_post"))
              .join(User, User.id == LeaveRequest.user_id)
              .where(*APPROVED_WHERE).order_by(LeaveRequest.starts))
# The lead's board reads the day as plain rows (a name, a post, a shift and the clock times per person).
_DAY_ROSTER = (select(RosterEntry.id, RosterEntry.user_id, RosterEntry.day, RosterEntry.post, User.name,
                      User.post.label("user_post"), Shift.name.label("shift_name"), Shift.starts, Shift.ends)
               .join(User, User.id == RosterEntry.user_id).join(Shift, Shift.id == RosterEntry.shift_id)
               .where(RosterEntry.site_id == bindparam("site_id"), RosterEntry.day == bindparam("day")))
_DAY_ATTENDANCE = (select(Attendance.user_id, Attendance.clock_in_at, Attendance.clock_out_at, Attendance.late_minutes,
                          Attendance.early_minutes, Attendance.in_made_at, Attendance.out_made_at, User.name,
                          User.post.label("user_post"))
                   .join(User, User.id == Attendance.user_id)
                   .where(Attendance.site_id == bindparam("site_id"), Attendance.day == bindparam("day")))
_PENDING_LEAVE = (select(func.count().label("pending")).select_from(LeaveRequest)
                  .where(LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status == "pending"))


def board_summary(site: Site, day: date, now: datetime | None = None) -> dict:
    """Today at a glance for the lead: on duty, late, missing, on leave, not yet started, and leave waiting for a
    decision (four reads of plain rows, in one statement on PostgreSQL)."""
    return read_panels(board_reads(site, day, now))["att_board"]


def board_reads(site: Site, day: date, now: datetime | None = None, *, pending: bool = True) -> Reads:
    """board_summary's reads, for a screen that reads its panels at once: `att_board` (pending=False: without the
    count of leave waiting, which the manager's day counts with the rest of what waits)."""
    now = moment(site, now)
    parts = {"roster": _DAY_ROSTER, "attendance": _DAY_ATTENDANCE, "leave": DAYS_LEAVE}
    if pending:
        parts["pending"] = _PENDING_LEAVE
    return Reads(parts, {"site_id": site.id, "day": day, "first": day, "last": day},
                 lambda got: {"att_board": _board(site, day, now, got)})


def _board(site: Site, day: date, now: datetime, got: dict) -> dict:
    entries, leaves = got["roster"], got["leave"]
    atts = {a.user_id: a for a in got["attendance"]}
    out = {name: [] for name in BOARD_LISTS}
    people = []
    seen = set()
    for e in entries:
        seen.add(e.user_id)
        leave = next((lv for lv in leaves if lv.user_id == e.user_id), None)
        people.append(person_day(site, Person(e.user_id, e.name, e.user_post), day, day_entry(e),
                                 atts.get(e.user_id), leave, now))
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
    pending = got["pending"][0].pending if "pending" in got else None
    return {"day": day, "now": now, "today": now.date(), "people": people, "rostered": len(entries),
            "pending_leave": pending, "posts": post_names(), **out}


_ON_LEAVE = select(LeaveRequest.user_id).where(
    LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status == "approved",
    LeaveRequest.starts <= bindparam("day"), LeaveRequest.ends >= bindparam("day"))
_ON_DUTY_WHERE = (RosterEntry.site_id == bindparam("site_id"), RosterEntry.day == bindparam("day"),
                  User.id.not_in(_ON_LEAVE))


def on_duty_select(*columns):
    """SELECT `columns` of the people on duty (bound `site_id` and `day`): to join what a screen shows of them."""
    return select(*columns).join(RosterEntry, RosterEntry.user_id == User.id).where(*_ON_DUTY_WHERE)


_ON_DUTY = on_duty_select(User).order_by(User.name)
_ON_DUTY_IDS = on_duty_select(User.id)


def on_duty(site: Site, day: date) -> list[User]:
    """Who is rostered at the site on `day` and not on approved leave (the people themselves)."""
    return list(db.session.scalars(_ON_DUTY, {"site_id": site.id, "day": day}))


def on_duty_ids(site: Site, day: date) -> list[int]:
    """The ids of on_duty(), without loading the people."""
    return list(select_rows(_ON_DUTY_IDS, {"site_id": site.id, "day": day}).scalars())
