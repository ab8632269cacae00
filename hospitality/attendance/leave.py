"""Leave (请假): a person asks for days off, the lead approves or refuses with a reason. One transaction each."""
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..database import write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User
from ..models.attendance import LeaveRequest
from ..models.core import utcnow
from ..permissions import can
from . import services
from .services import LEAVE_BACKDATE_DAYS, MAX_LEAVE_DAYS, MAX_REASON, AttendanceError, _date, _fresh, _lock_user
from .timing import weekend_days


def request_leave(site: Site, user: User, starts_raw, ends_raw, reason: str | None,
                  idem_key: str | None = None, today: date | None = None) -> LeaveRequest:
    """A person asks for days off (inclusive); no overlap with their own pending or approved requests."""
    if not can(user, "attendance.own"):
        raise AttendanceError(_("Your post does not ask for leave here."), "starts")
    today = today or services.site_now(site).date()  # through the module: tests set the clock
    starts = _date(starts_raw, "starts", _("Choose the first day of leave."))
    ends = _date(ends_raw, "ends", _("Choose the last day of leave."))
    if ends < starts:
        raise AttendanceError(_("The leave ends before it starts."), "ends")
    if (ends - starts).days + 1 > MAX_LEAVE_DAYS:
        raise AttendanceError(_("At most %(n)s days in one request.", n=MAX_LEAVE_DAYS), "ends")
    if starts < today - timedelta(days=LEAVE_BACKDATE_DAYS):
        raise AttendanceError(_("Leave can be asked for afterwards only within %(n)s days.",
                                n=LEAVE_BACKDATE_DAYS), "starts")
    reason = (reason or "").strip()
    if not reason:
        raise AttendanceError(_("Give a reason."), "reason")
    if len(reason) > MAX_REASON:
        raise AttendanceError(_("At most %(n)s characters.", n=MAX_REASON), "reason")
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(LeaveRequest).where(LeaveRequest.idem_key == idem_key))
            if done is not None and done.user_id == user.id:
                return done
        _lock_user(user.id)
        clash = db.session.scalar(select(LeaveRequest).where(
            LeaveRequest.user_id == user.id, LeaveRequest.status.in_(("pending", "approved")),
            LeaveRequest.starts <= ends, LeaveRequest.ends >= starts).limit(1))
        if clash is not None:
            raise AttendanceError(_("This overlaps your leave of %(first)s – %(last)s (%(status)s).",
                                    first=clash.starts.isoformat(), last=clash.ends.isoformat(),
                                    status=clash.status_label), "starts")
        leave = LeaveRequest(site_id=site.id, user_id=user.id, starts=starts, ends=ends, reason=reason,
                             status="pending", idem_key=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(leave)
        except IntegrityError:  # the same key from a concurrent double tap
            return db.session.scalar(select(LeaveRequest).where(LeaveRequest.idem_key == idem_key))
        record("leave_request", "leave", leave.id, site_id=site.id, starts=starts, ends=ends, reason=reason)
    return leave


def decide_leave(site: Site, user: User, leave: LeaveRequest, action: str, note: str | None,
                 override: bool = False) -> LeaveRequest:
    """The lead approves or refuses (with a reason); a weekend in the leave needs an explicit override."""
    if not can(user, "attendance.oversee"):
        raise AttendanceError(_("The lead or the manager decides leave."), "action")
    if action not in ("approve", "refuse"):
        raise AttendanceError(_("Choose approve or refuse."), "action")
    note = (note or "").strip()
    if action == "refuse" and not note:
        raise AttendanceError(_("Give the reason for refusing."), "note")
    if len(note) > MAX_REASON:
        raise AttendanceError(_("At most %(n)s characters.", n=MAX_REASON), "note")
    with write_tx():
        leave = _fresh(LeaveRequest, leave.id)
        if leave.user_id == user.id:
            raise AttendanceError(_("Nobody decides their own leave."), "action")
        if leave.status != "pending":
            raise AttendanceError(_("This request is %(status)s already.", status=leave.status_label), "action")
        weekend = weekend_days(leave.starts, leave.ends)
        if action == "approve" and weekend and not override:
            raise AttendanceError(_("This leave covers a weekend (%(days)s): days off are fixed and not at weekends. "
                                    "Tick “approve anyway” to override.",
                                    days=", ".join(d.isoformat() for d in weekend)), "override")
        leave.status = "approved" if action == "approve" else "refused"
        leave.decided_by_id, leave.decided_at = user.id, utcnow()
        leave.decision_note = note or None
        leave.warning_overridden = action == "approve" and bool(weekend)
        record("leave_" + leave.status, "leave", leave.id, site_id=site.id, person=leave.user.name,
               starts=leave.starts, ends=leave.ends, note=note, warning_overridden=leave.warning_overridden)
    return leave


def cancel_leave(site: Site, user: User, leave: LeaveRequest) -> LeaveRequest:
    """The person withdraws a request still pending."""
    with write_tx():
        leave = _fresh(LeaveRequest, leave.id)
        if leave.user_id != user.id:
            raise AttendanceError(_("Only the person who asked can cancel a request."), "form")
        if leave.status != "pending":
            raise AttendanceError(_("Only a pending request can be cancelled: ask your lead."), "form")
        leave.status, leave.decided_by_id, leave.decided_at = "cancelled", user.id, utcnow()
        record("leave_cancel", "leave", leave.id, site_id=site.id, starts=leave.starts, ends=leave.ends)
    return leave
