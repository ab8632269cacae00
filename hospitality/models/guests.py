"""Knowing the guests: how satisfied a group left (tapped by staff at departure, or answered by the guests
themselves on a public page their phone opens from a QR code), and VIP notices (a known plate or phone the manager
marks, with how to greet them)."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

RATINGS = {"very_satisfied": _l("Very satisfied"), "satisfied": _l("Satisfied"), "neutral": _l("So-so"),
           "unsatisfied": _l("Unsatisfied")}
SOURCES = {"staff": _l("Tapped by staff"), "guest": _l("Answered by the guests")}
LINK_HOURS = 24  # a visit's QR code answers once, within a day
# An answer that alerts the lead and the manager (a partial index keeps the live element's count one seek).
UNSATISFIED = "rating = 'unsatisfied' AND handled_at IS NULL"


class GuestFeedback(db.Model):
    """One answer per visit: staff tap it at departure, or the guests answer themselves (the first answer stands)."""
    __tablename__ = "guest_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    rating: Mapped[str] = mapped_column(String(16))
    remark: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(8))  # staff | guest
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    post: Mapped[str | None] = mapped_column(String(20), nullable=True)  # the post that tapped it
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    day: Mapped[date] = mapped_column(Date)  # the site's calendar day of the answer (satisfaction per day)
    # An unsatisfied answer alerts the lead and the manager until one of them handles it (or makes a complaint of it).
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), nullable=True)

    __table_args__ = (Index("ix_guest_feedback_site_day", "site_id", "day"),
                      # The live element's count of unsatisfied guests: `rating` in the key too, so that SQLite's
                      # planner (no statistics) prefers it to site_day, which read every answer of the site.
                      Index("ix_guest_feedback_site_alerting", "site_id", "rating", "at",
                            sqlite_where=text(UNSATISFIED), postgresql_where=text(UNSATISFIED)))


class FeedbackLink(db.Model):
    """The token a visit's QR code carries to the public feedback page: unguessable, answers once, expires."""
    __tablename__ = "feedback_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class VipNotice(db.Model):
    """A known guest: the plate security records at the gate (or a phone the front desk hears), how to greet them."""
    __tablename__ = "vip_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    plate: Mapped[str | None] = mapped_column(String(10), nullable=True)  # normalised like Visit.plate
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by = relationship("User")

    __table_args__ = (UniqueConstraint("site_id", "plate"), Index("ix_vip_notices_site_phone", "site_id", "phone"))
