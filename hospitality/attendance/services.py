"""Attendance rules: roster, clock in/out, leave. One transaction per action."""
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Site, User
from ..models.attendance import LeaveRequest, RosterEntry


def on_duty(site: Site, day: date) -> list[User]:
    """Who is rostered at the site on `day` and not on approved leave (other capabilities rely on this)."""
    on_leave = select(LeaveRequest.user_id).where(
        LeaveRequest.site_id == site.id, LeaveRequest.status == "approved",
        LeaveRequest.starts <= day, LeaveRequest.ends >= day)
    return list(db.session.scalars(
        select(User).join(RosterEntry, RosterEntry.user_id == User.id)
        .where(RosterEntry.site_id == site.id, RosterEntry.day == day, User.id.not_in(on_leave))
        .order_by(User.name)))
