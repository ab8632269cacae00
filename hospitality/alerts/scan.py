"""Time-based alerts, found by the worker on each pass (nobody taps anything when a deadline passes): a patrol round
missed, a complaint past its deadline, a purchase request waiting more than the robot's N hours, a rostered person
absent (the shift started more than the site's grace + ABSENT_AFTER ago, no clock-in, no approved leave).

Each fires once per thing: an AlertFired row, unique on (site, kind, ref), is inserted in the same transaction as its
outbox rows; a second pass finds it and skips the thing, and a second worker's insert of the same key fails (it
waited for the first's commit: PostgreSQL's unique index, SQLite's write lock) and queues nothing. Only sites with a
robot subscribed to the kind are looked at. Texts are in the site's language, Chinese (the app's default locale,
forced: the worker has no user).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask_babel import force_locale
from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError

from ..clock import to_local, to_utc
from ..database import select_rows, write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User
from ..models.alerts import AlertFired, AlertOutbox, AlertRobot
from ..models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from ..models.complaints import Complaint
from ..models.purchasing import PurchaseRequest
from . import services

ABSENT_AFTER = timedelta(minutes=30)  # beyond the site's grace: then the person is absent, not late
LOCALE = "zh_Hans"


@dataclass
class Found:
    site_id: int
    kind: str
    ref: str
    text: str
    robot_id: int | None = None  # one robot only (its own N hours); else every robot subscribed


_SITES = (select(AlertRobot.site_id).where(AlertRobot.events.contains(bindparam("kind"))).distinct())

_COMPLAINTS = (select(Complaint.id, Complaint.site_id, Complaint.step, Complaint.respond_by, Complaint.close_by,
                      Complaint.said)
               .where(Complaint.site_id.in_(bindparam("sites", expanding=True)), Complaint.closed_at.is_(None),
                      (Complaint.close_by < bindparam("now"))
                      | and_(Complaint.step == 1, Complaint.respond_by < bindparam("now"))))

_PURCHASES = (select(PurchaseRequest.id, PurchaseRequest.site_id, PurchaseRequest.submitted_at,
                     AlertRobot.id.label("robot_id"), AlertRobot.wait_hours, User.name.label("by"))
              .join(AlertRobot, AlertRobot.site_id == PurchaseRequest.site_id)
              .join(User, User.id == PurchaseRequest.requested_by_id)
              .where(AlertRobot.events.contains("purchase_waiting"), PurchaseRequest.status == "pending",
                     PurchaseRequest.submitted_at.is_not(None),
                     PurchaseRequest.submitted_at < bindparam("oldest")))  # the smallest N: refined per robot

_ROSTER = (select(RosterEntry.id, RosterEntry.site_id, RosterEntry.day, Shift.starts, Shift.ends,
                  Shift.name.label("shift"), User.name)
           .join(Shift, Shift.id == RosterEntry.shift_id).join(User, User.id == RosterEntry.user_id)
           .where(RosterEntry.site_id.in_(bindparam("sites", expanding=True)),
                  RosterEntry.day.in_(bindparam("days", expanding=True)),
                  ~exists().where(Attendance.site_id == RosterEntry.site_id,
                                  Attendance.user_id == RosterEntry.user_id, Attendance.day == RosterEntry.day),
                  ~exists().where(LeaveRequest.user_id == RosterEntry.user_id, LeaveRequest.status == "approved",
                                  LeaveRequest.starts <= RosterEntry.day, LeaveRequest.ends >= RosterEntry.day)))

_FIRED = (select(AlertFired.site_id, AlertFired.ref)
          .where(AlertFired.kind == bindparam("kind"), AlertFired.site_id.in_(bindparam("sites", expanding=True))))
_MIN_WAIT = select(func.min(AlertRobot.wait_hours)).where(AlertRobot.events.contains("purchase_waiting"))


def _sites(kind: str) -> list[int]:
    return list(select_rows(_SITES, {"kind": kind}).scalars())


def _fired(kind: str, sites: list[int]) -> set[tuple[int, str]]:
    return {(r.site_id, r.ref) for r in select_rows(_FIRED, {"kind": kind, "sites": sites})}


def _complaints(now: datetime) -> list[Found]:
    sites = _sites("complaint_late")
    if not sites:
        return []
    out = []
    for c in select_rows(_COMPLAINTS, {"sites": sites, "now": now}):
        which = "close" if c.close_by < now else "respond"
        said = c.said if len(c.said) <= 40 else c.said[:39] + "…"
        text = (_("Complaint past its closing deadline: %(said)s", said=said) if which == "close"
                else _("Complaint not answered in time: %(said)s", said=said))
        out.append(Found(c.site_id, "complaint_late", f"complaint:{c.id}:{which}", text))
    return out


def _purchases(now: datetime) -> list[Found]:
    least = db.session.scalar(_MIN_WAIT)
    if least is None:
        return []
    out = []
    for r in select_rows(_PURCHASES, {"oldest": now - timedelta(hours=least)}):
        if r.submitted_at < now - timedelta(hours=r.wait_hours):  # this robot's own N
            hours = int((now - r.submitted_at).total_seconds() // 3600)
            out.append(Found(r.site_id, "purchase_waiting", f"purchase:{r.id}:robot:{r.robot_id}",
                             _("Purchase request from %(name)s has waited %(n)s hours for approval.",
                               name=r.by, n=hours), r.robot_id))
    return out


def _absent(now: datetime) -> list[Found]:
    from ..attendance.timing import window
    sites = {s.id: s for s in db.session.scalars(select(Site).where(Site.id.in_(_sites("staff_absent"))))}
    if not sites:
        return []
    days = {d for s in sites.values() for d in (to_local(s, now).date(), to_local(s, now).date() - timedelta(days=1))}
    out = []
    for r in select_rows(_ROSTER, {"sites": list(sites), "days": sorted(days)}):
        site = sites[r.site_id]
        start, end = window(site, r.day, SimpleNamespace(starts=r.starts, ends=r.ends, overnight=r.ends <= r.starts))
        start, end = to_utc(start), to_utc(end)
        if start + timedelta(minutes=site.grace_minutes) + ABSENT_AFTER <= now < end:
            out.append(Found(r.site_id, "staff_absent", f"roster:{r.id}",
                             _("%(name)s has not clocked in for the %(shift)s shift that started at %(time)s.",
                               name=r.name, shift=r.shift, time=r.starts.strftime("%H:%M"))))
    return out


def _patrols(now: datetime) -> list[Found]:
    from ..patrol import reads as patrol
    out = []
    for site in db.session.scalars(select(Site).where(Site.id.in_(_sites("patrol_missed")))):
        tpl = patrol.template(site.id)
        if tpl is None:
            continue
        moment = to_local(site, now).replace(tzinfo=None)
        night = patrol.tonight(site, tpl, moment)
        day = night.day or patrol.night_of(tpl, moment)
        for s in night.statuses:
            if s.state in ("missing", "overdue"):
                out.append(Found(site.id, "patrol_missed", f"patrol:{day.isoformat()}:{s.slot}",
                                 _("Patrol round %(slot)s was missed: checkpoints not visited in its window.",
                                   slot=s.slot)))
    return out


def scan(now: datetime) -> int:
    """Queue the time-based alerts due at `now` (naive UTC), each once; returns how many things fired."""
    with force_locale(LOCALE):
        found = _complaints(now) + _purchases(now) + _absent(now) + _patrols(now)
    if not found:
        db.session.rollback()
        return 0
    by_kind: dict[str, set] = {}
    for f in found:
        by_kind.setdefault(f.kind, set()).add(f.site_id)
    fired = set()
    for kind, sites in by_kind.items():
        fired |= {(kind, s, ref) for s, ref in _fired(kind, list(sites))}
    fresh = [f for f in found if (f.kind, f.site_id, f.ref) not in fired]
    db.session.rollback()
    n = 0
    for f in fresh:
        with write_tx():
            try:
                with db.session.begin_nested():
                    db.session.add(AlertFired(site_id=f.site_id, kind=f.kind, ref=f.ref, at=now))
            except IntegrityError:  # another worker fired it first
                continue
            if f.robot_id is not None:
                db.session.add(AlertOutbox(site_id=f.site_id, robot_id=f.robot_id, kind=f.kind, text=f.text,
                                           created_at=now, next_try_at=now))
            else:
                services.emit(f.site_id, f.kind, f.text)
            n += 1
    return n
