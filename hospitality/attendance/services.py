"""Attendance actions: shifts and settings, the roster, clock in/out (leave: leave.py; the pages read with reads/).
One transaction per action."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import fields, idempotency
from ..audit import record
from ..clock import to_local, to_utc
from ..database import write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User
from ..models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from ..permissions import can, post_can
from .timing import MAX_SHIFT_HOURS, clock_target, early_minutes, late_minutes, open_attendance, week_of

# No shift times in the seeds: the usual sales-center day and night shifts; the lead edits them per site.
DEFAULT_SHIFTS = (("day", "白班", time(8, 30), time(17, 30)), ("night", "夜班", time(17, 30), time(8, 30)))
MAX_GRACE = 60
MAX_LEAVE_DAYS = 31
LEAVE_BACKDATE_DAYS = 7  # a sick day is asked for afterwards, within a week
MAX_REASON = 500


class AttendanceError(RuleError):
    """An attendance rule said no."""


class ShiftClosed(AttendanceError):
    """A clock-out kept on the phone without signal arrived after the clock-in it belongs to had been closed by
    another clock-out (another phone, a colleague's shared device): nothing is saved (the outbox's 409). No one else
    closes a person's shift in this code base; should the lead ever do so, it is this same case."""


def site_now(site: Site) -> datetime:
    """The site's wall clock (aware): the one place attendance reads the time, so tests can set it."""
    return site.now()


def moment(site: Site, now: datetime | None) -> datetime:
    """The moment given, or the site's wall clock now (through site_now)."""
    return now if now is not None else site_now(site)


def _pg() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock_user(user_id: int) -> None:
    """Serialize one person's actions (two phones, a double tap). SQLite holds the write lock already."""
    if _pg():
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _fresh(model, ident: int):
    """A row re-read under a row lock on PostgreSQL (SQLite's write lock is held by write_tx)."""
    q = select(model).where(model.id == ident)
    if _pg():
        q = q.with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one_or_none()


def _date(raw, field: str, message: str) -> date:
    try:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise AttendanceError(message, field) from None


def _time(raw, field: str) -> time:
    text = str(raw or "").strip()
    try:
        hours, minutes = text.split(":")[:2]
        return time(int(hours), int(minutes))
    except ValueError:
        raise AttendanceError(_("Enter a time like 08:30."), field) from None


def _fmt(t: time) -> str:
    return t.strftime("%H:%M")


# Shifts and settings

_SHIFTS = select(Shift).where(Shift.site_id == bindparam("site_id")).order_by(Shift.starts, Shift.id)


def shifts(site_id: int) -> list[Shift]:
    """The site's shifts as objects to change (the pages read reads.site_shifts)."""
    return list(db.session.scalars(_SHIFTS, {"site_id": site_id}))


def default_shifts(site: Site) -> list[Shift]:
    """白班 08:30–17:30 and 夜班 17:30–08:30 where the site lacks them, in the caller's transaction."""
    have = set(db.session.scalars(select(Shift.code).where(Shift.site_id == site.id)))
    for code, name, starts, ends in DEFAULT_SHIFTS:
        if code not in have:
            db.session.add(Shift(site_id=site.id, code=code, name=name, starts=starts, ends=ends, active=True))
    db.session.flush()
    return shifts(site.id)


def create_default_shifts(site: Site, user: User) -> list[Shift]:
    """The lead's one tap for a site without shifts yet."""
    with write_tx():
        rows = default_shifts(site)
        record("default_shifts", "site", site.id, site_id=site.id, shifts=[s.name for s in rows])
    return rows


def _shift_fields(sid, raw: dict) -> dict:
    name = (raw.get("name") or "").strip()
    if not name or len(name) > 40:
        raise AttendanceError(_("Give the shift a name (up to 40 characters)."), f"name-{sid}")
    starts, ends = _time(raw.get("starts"), f"starts-{sid}"), _time(raw.get("ends"), f"ends-{sid}")
    if starts == ends:
        raise AttendanceError(_("A shift cannot start and end at the same time."), f"ends-{sid}")
    return {"name": name, "starts": starts, "ends": ends, "active": bool(raw.get("active", True))}


def save_settings(site: Site, user: User, grace_raw, changes: dict[int, dict], new: dict | None = None,
                  idem_key: str | None = None) -> None:
    """The site's grace minutes and its shift times; everything is checked before anything is saved. The form's
    key makes a replay (a retried tap) write nothing: a new shift is added once."""
    try:
        grace = int(str(grace_raw).strip())
    except (TypeError, ValueError):
        grace = -1
    if not 0 <= grace <= MAX_GRACE:
        raise AttendanceError(_("Grace is 0 to %(n)s minutes.", n=MAX_GRACE), "grace_minutes")
    parsed = {sid: _shift_fields(sid, raw) for sid, raw in changes.items()}
    added = None
    if new and any((new.get(k) or "").strip() for k in ("name", "starts", "ends")):
        added = _shift_fields("new", new | {"active": True})
    with write_tx():
        if idempotency.claim(idem_key, "attendance.settings", site.id) is not None:
            return
        row = db.session.get(Site, site.id)
        before = row.grace_minutes
        row.grace_minutes = grace
        rows = {s.id: s for s in shifts(site.id)}
        for sid, values in parsed.items():
            shift = rows.get(sid)
            if shift is None:
                raise AttendanceError(_("Unknown shift."), "form")
            for key, value in values.items():
                setattr(shift, key, value)
        if added:
            codes = {s.code for s in rows.values()}
            code = next(f"s{n}" for n in range(1, 100) if f"s{n}" not in codes)
            db.session.add(Shift(site_id=site.id, code=code, **added))
        db.session.flush()
        if rows and not any(s.active for s in shifts(site.id)):
            raise AttendanceError(_("Keep at least one shift in use."), "form")
        record("settings", "attendance", site.id, site_id=site.id, grace_before=before, grace=grace,
               shifts={str(k): {"name": v["name"], "starts": _fmt(v["starts"]), "ends": _fmt(v["ends"]),
                                "active": v["active"]} for k, v in parsed.items()},
               added=added and {"name": added["name"], "starts": _fmt(added["starts"]), "ends": _fmt(added["ends"])})


# The roster

def _person(site: Site, raw, field: str = "user_id") -> User:
    try:
        person = db.session.get(User, int(raw))
    except (TypeError, ValueError):
        person = None
    if person is None or person.site_id != site.id or not person.active \
            or not post_can(person.post, "attendance.own"):
        raise AttendanceError(_("Choose a person of this site."), field)
    return person


def _shift(site: Site, raw) -> Shift:
    try:
        shift = db.session.get(Shift, int(raw))
    except (TypeError, ValueError):
        shift = None
    if shift is None or shift.site_id != site.id or not shift.active:
        raise AttendanceError(_("Choose a shift."), "shift_id")
    return shift


def approved_leave(user_id: int, first: date, last: date) -> LeaveRequest | None:
    """The person's approved leave overlapping these days, if any."""
    return db.session.scalar(select(LeaveRequest).where(
        LeaveRequest.user_id == user_id, LeaveRequest.status == "approved", LeaveRequest.starts <= last,
        LeaveRequest.ends >= first).order_by(LeaveRequest.starts).limit(1))


def _refuse_on_leave(person: User, day: date, field: str) -> None:
    """No one is put on a shift on a day of their approved leave (adding and moving alike)."""
    leave = approved_leave(person.id, day, day)
    if leave is not None:
        raise AttendanceError(_("%(name)s is on approved leave that day (%(first)s – %(last)s).", name=person.name,
                                first=leave.starts.isoformat(), last=leave.ends.isoformat()), field)


def add_entry(site: Site, user: User, person_raw, day_raw, shift_raw, post_raw=None,
              idem_key: str | None = None) -> RosterEntry | None:
    """Put a person on a shift and post for a day; a repeated tap for the same entry changes nothing. The same form
    sent again (its key) answers with the entry it made, even moved since (None: removed since), and writes
    nothing."""
    day = _date(day_raw, "day", _("Choose a day."))
    person = _person(site, person_raw)
    shift = _shift(site, shift_raw)
    post = post_raw or person.post
    if not post_can(post, "attendance.own"):
        raise AttendanceError(_("Choose a post."), "post")
    with write_tx():
        if (earlier := idempotency.claim(idem_key, "roster_entry", site.id)) is not None:
            return db.session.get(RosterEntry, earlier)
        _lock_user(person.id)
        _refuse_on_leave(person, day, "user_id")
        existing = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == person.id,
                                                               RosterEntry.day == day))
        if existing is not None:
            if existing.shift_id == shift.id and existing.post == post:
                idempotency.done(idem_key, "roster_entry", site.id, existing.id)
                return existing
            raise AttendanceError(_("%(name)s is already on the roster that day: move that entry to another shift.",
                                    name=person.name), "user_id")
        entry = RosterEntry(site_id=site.id, user_id=person.id, day=day, shift_id=shift.id, post=post,
                            created_by_id=user.id)
        try:
            with db.session.begin_nested():
                db.session.add(entry)
        except IntegrityError:  # the same person added at the same moment from another phone
            raise AttendanceError(_("%(name)s is already on the roster that day: move that entry to another shift.",
                                    name=person.name), "user_id") from None
        idempotency.done(idem_key, "roster_entry", site.id, entry.id)
        # A clock-in made before the person was rostered belongs to this entry now.
        att = db.session.scalar(select(Attendance).where(Attendance.user_id == person.id, Attendance.day == day))
        if att is not None and att.roster_id is None:
            att.roster_id = entry.id
            att.late_minutes = late_minutes(site, day, shift, to_local(site, att.clock_in_at))
            if att.clock_out_at:
                att.early_minutes = early_minutes(site, day, shift, to_local(site, att.clock_out_at))
        record("roster_add", "roster", entry.id, site_id=site.id, person=person.name, day=day, shift=shift.name,
               post=post)
    return entry


def move_entry(site: Site, user: User, entry: RosterEntry, shift_raw) -> RosterEntry:
    """Move a person's entry to another shift of the same day (one entry per person per day still holds)."""
    field = f"move-{entry.id}"
    try:
        shift = _shift(site, shift_raw)
    except AttendanceError as e:
        raise AttendanceError(e.message, field) from None
    with write_tx():
        _lock_user(entry.user_id)
        entry = _fresh(RosterEntry, entry.id)
        if entry is None:
            raise AttendanceError(_("This entry is no longer on the roster."), "form")
        if entry.shift_id == shift.id:
            return entry  # a repeated tap: already there
        _refuse_on_leave(entry.user, entry.day, field)
        # Lateness was measured against the shift clocked in for; moving it afterwards would rewrite it.
        if db.session.scalar(select(Attendance.id).where(Attendance.user_id == entry.user_id,
                                                         Attendance.day == entry.day)):
            raise AttendanceError(_("%(name)s has clocked in for this day; the entry stays on its shift.",
                                    name=entry.user.name), field)
        before = entry.shift.name
        entry.shift_id = shift.id
        record("roster_move", "roster", entry.id, site_id=site.id, person=entry.user.name, day=entry.day,
               shift_before=before, shift=shift.name, post=entry.post)
    return entry


def remove_entry(site: Site, user: User, entry: RosterEntry) -> None:
    """Take a person off a day; refused once they have clocked in for it."""
    with write_tx():
        entry = _fresh(RosterEntry, entry.id)
        if entry is None:
            return
        if db.session.scalar(select(Attendance.id).where(Attendance.user_id == entry.user_id,
                                                         Attendance.day == entry.day)):
            raise AttendanceError(_("%(name)s has clocked in for this day; the entry stays on the roster.",
                                    name=entry.user.name), "form")
        record("roster_remove", "roster", entry.id, site_id=site.id, person=entry.user.name, day=entry.day,
               shift=entry.shift.name, post=entry.post)
        db.session.delete(entry)


def copy_last_week(site: Site, user: User, day) -> tuple[int, int]:
    """Copy the week before into this week; skips days already rostered, people on leave or gone, old shifts."""
    monday = week_of(_date(day, "week", _("Choose a day.")))
    first, last = monday - timedelta(days=7), monday - timedelta(days=1)
    copied = skipped = 0
    with write_tx():
        source = db.session.scalars(select(RosterEntry).options(joinedload(RosterEntry.user),
                                                                joinedload(RosterEntry.shift))
                                    .where(RosterEntry.site_id == site.id, RosterEntry.day >= first,
                                           RosterEntry.day <= last).order_by(RosterEntry.day, RosterEntry.id)).all()
        taken = {(r.user_id, r.day) for r in db.session.execute(select(RosterEntry.user_id, RosterEntry.day).where(
            RosterEntry.site_id == site.id, RosterEntry.day >= monday, RosterEntry.day <= monday + timedelta(days=6)))}
        leaves = db.session.execute(select(LeaveRequest.user_id, LeaveRequest.starts, LeaveRequest.ends).where(
            LeaveRequest.site_id == site.id, LeaveRequest.status == "approved", LeaveRequest.starts <= monday
            + timedelta(days=6), LeaveRequest.ends >= monday)).all()
        for e in source:
            day = e.day + timedelta(days=7)
            on_leave = any(lv.user_id == e.user_id and lv.starts <= day <= lv.ends for lv in leaves)
            if (e.user_id, day) in taken or on_leave or not e.user.active or not e.shift.active \
                    or e.user.site_id != site.id:
                skipped += 1
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(RosterEntry(site_id=site.id, user_id=e.user_id, day=day, shift_id=e.shift_id,
                                               post=e.post, created_by_id=user.id))
            except IntegrityError:
                skipped += 1
                continue
            taken.add((e.user_id, day))
            copied += 1
        record("roster_copy", "roster", None, site_id=site.id, week=monday, copied=copied, skipped=skipped)
    return copied, skipped


# Clock in and out

def _entries_near(user_id: int, today: date) -> dict[date, RosterEntry]:
    rows = db.session.scalars(select(RosterEntry).options(joinedload(RosterEntry.shift)).where(
        RosterEntry.user_id == user_id, RosterEntry.day >= today - timedelta(days=1), RosterEntry.day <= today))
    return {e.day: e for e in rows}


def _attendance_near(user_id: int, today: date, fresh: bool = False) -> dict[date, Attendance]:
    q = select(Attendance).where(Attendance.user_id == user_id, Attendance.day >= today - timedelta(days=1),
                                 Attendance.day <= today)
    if fresh:
        q = q.execution_options(populate_existing=True)
    return {a.day: a for a in db.session.scalars(q)}


def _hm(site: Site, stored: datetime) -> str:
    return to_local(site, stored).strftime("%H:%M")


def _tapped_before(column, idem_key: str | None, user: User) -> Attendance | None:
    """The clock-in/out this same tap already made (a double tap answers with it)."""
    if not idem_key:
        return None
    done = db.session.scalar(select(Attendance).where(column == idem_key))
    return done if done is not None and done.user_id == user.id else None


def _counted(site: Site, arrived: datetime, made_at: datetime | None) -> datetime:
    """The moment the rules use (aware, the site's wall clock): when the tap was made on the phone if that is
    plausible (fields.counted), else when it arrived."""
    return arrived if made_at is None else to_local(site, fields.counted(made_at, to_utc(arrived)))


def clock_in(site: Site, user: User, idem_key: str | None = None, now: datetime | None = None,
             made_at: datetime | None = None) -> Attendance:
    """The person clocks in for today's (or last night's) roster entry; unrostered is allowed and flagged.
    `made_at`: the phone's time of a tap sent from its outbox: lateness follows it (fields.counted)."""
    if not can(user, "attendance.own"):
        raise AttendanceError(_("Your post does not clock in."), "clock")
    arrived = moment(site, now)
    now = _counted(site, arrived, made_at)
    with write_tx():
        _lock_user(user.id)
        if (done := _tapped_before(Attendance.in_idem, idem_key, user)) is not None:
            return done
        today = now.date()
        entries = _entries_near(user.id, today)
        atts = _attendance_near(user.id, today, fresh=True)
        day, entry = clock_target(site, entries, atts, now)
        running = open_attendance(site, atts, now)
        if day in atts or running is not None:
            earlier = running or atts[day]
            raise AttendanceError(_("You already clocked in at %(time)s.", time=_hm(site, earlier.clock_in_at)),
                                  "clock")
        att = Attendance(site_id=site.id, user_id=user.id, day=day, roster_id=entry.id if entry else None,
                         clock_in_at=to_utc(arrived), in_made_at=made_at, in_idem=idem_key, early_minutes=0,
                         late_minutes=late_minutes(site, day, entry.shift, now) if entry else 0)
        try:
            with db.session.begin_nested():
                db.session.add(att)
        except IntegrityError:  # the same person from another phone at the same moment
            raise AttendanceError(_("You already clocked in."), "clock") from None
        record("clock_in", "attendance", att.id, site_id=site.id, user_id=user.id, day=day,
               late=att.late_minutes, rostered=entry is not None)
    return att


def clock_out(site: Site, user: User, idem_key: str | None = None, now: datetime | None = None,
              made_at: datetime | None = None) -> Attendance:
    """The person clocks out of their open clock-in; leaving before the shift's end is recorded.
    `made_at`: the phone's time of a tap sent from its outbox: it closes the clock-in open then (not one made
    since), early minutes follow it, and a clock-in closed meanwhile is ShiftClosed."""
    if not can(user, "attendance.own"):
        raise AttendanceError(_("Your post does not clock in."), "clock")
    arrived = moment(site, now)
    now = _counted(site, arrived, made_at)
    with write_tx():
        _lock_user(user.id)
        if (done := _tapped_before(Attendance.out_idem, idem_key, user)) is not None:
            return done
        atts = _attendance_near(user.id, now.date(), fresh=True)
        if made_at is not None:
            # Only clock-ins made before it (one sent from the outbox too counts from when it was made).
            atts = {d: a for d, a in atts.items() if fields.counted(a.in_made_at, a.clock_in_at) <= to_utc(now)}
            closed = [a for a in atts.values() if a.clock_out_at is not None and a.clock_out_at >= to_utc(now)]
            if closed and open_attendance(site, atts, now) is None:
                raise ShiftClosed(_("Your shift had already been clocked out at %(time)s when this clock-out arrived "
                                    "from the phone: nothing was saved.", time=_hm(site, closed[0].clock_out_at)),
                                  "clock")
        att = open_attendance(site, atts, now)
        if att is None:
            recent = [a.clock_out_at for a in atts.values() if a.clock_out_at is not None
                      and to_utc(now) - a.clock_out_at < timedelta(hours=MAX_SHIFT_HOURS)]
            if recent:
                raise AttendanceError(_("You already clocked out at %(time)s.", time=_hm(site, max(recent))), "clock")
            raise AttendanceError(_("You have not clocked in yet: clock in first."), "clock")
        att.clock_out_at, att.out_made_at = to_utc(arrived), made_at
        att.out_idem = idem_key
        entry = db.session.get(RosterEntry, att.roster_id) if att.roster_id else None
        att.early_minutes = early_minutes(site, att.day, entry.shift, now) if entry else 0
        record("clock_out", "attendance", att.id, site_id=site.id, user_id=user.id, day=att.day,
               early=att.early_minutes)
    return att
