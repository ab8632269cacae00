"""Attendance: the site's shifts, the roster (who works which post on which shift per day),
clock-ins and clock-outs, and leave requests."""
from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

LEAVE_STATUSES = {"pending": _l("Pending"), "approved": _l("Approved"), "refused": _l("Refused"),
                  "cancelled": _l("Cancelled")}


class Shift(db.Model):
    """A shift of the site, e.g. day 08:30–17:30 and night 17:30–08:30 (ends next day when end <= start)."""
    __tablename__ = "shifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))  # day | night | …
    name: Mapped[str] = mapped_column(String(40))
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("site_id", "code"),)

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts


class RosterEntry(db.Model):
    """One person on one shift on one day, at a post."""
    __tablename__ = "roster_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    post: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    shift = relationship("Shift")

    __table_args__ = (UniqueConstraint("user_id", "day"), Index("ix_roster_site_day", "site_id", "day"))


class Attendance(db.Model):
    """A clock-in and (later) its clock-out for one roster entry or an unrostered day."""
    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)  # the shift's day (a night shift belongs to the day it starts)
    roster_id: Mapped[int | None] = mapped_column(ForeignKey("roster_entries.id"), nullable=True)
    clock_in_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    clock_out_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The phone's times of a clock-in / clock-out kept offline and sent later (hospitality/fields.py made_at);
    # clock_in_at and clock_out_at are when they arrived, late and early minutes follow fields.counted().
    in_made_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    out_made_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    early_minutes: Mapped[int] = mapped_column(Integer, default=0)  # left before the shift's end
    # The idempotency keys of the clock-in and clock-out taps: a double tap answers with the same row.
    in_idem: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    out_idem: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    user = relationship("User")
    roster = relationship("RosterEntry")

    __table_args__ = (UniqueConstraint("user_id", "day"), Index("ix_attendance_site_day", "site_id", "day"))


class LeaveRequest(db.Model):
    """A request for days off (dates inclusive): the lead approves or refuses it with a reason."""
    __tablename__ = "leave_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)  # inclusive
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    warning_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    user = relationship("User", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (Index("ix_leave_site_dates", "site_id", "starts", "ends"),
                      Index("ix_leave_user_dates", "user_id", "starts"))

    @property
    def days(self) -> int:
        return (self.ends - self.starts).days + 1

    @property
    def status_label(self):
        return LEAVE_STATUSES.get(self.status, self.status)
