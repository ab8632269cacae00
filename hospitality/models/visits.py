"""Visits: a visitor group from the car park to the model room, its timeline, rooms and umbrellas."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

PURPOSES = {"first": _l("First visit"), "return": _l("Return visit"), "signing": _l("Signing"),
            "event": _l("Event"), "other": _l("Other")}
EVENT_KINDS = {
    "arrived": _l("Arrived"), "seen": _l("Seen"), "greeted": _l("Greeted"), "served": _l("Served"),
    "refilled": _l("Refilled"), "umbrella_lent": _l("Umbrellas lent"),
    "umbrella_returned": _l("Umbrellas returned"), "room_admitted": _l("Entered a model room"),
    "room_refused": _l("Refused at a model room"), "room_left": _l("Left a model room"),
    "departed": _l("Left the sales center"), "car_left": _l("Car left"), "corrected": _l("Corrected"),
    "discrepancy": _l("Count after the group differs"),
    "feedback": _l("Guests' satisfaction"), "feedback_handled": _l("Unsatisfied guests handled"),
}


class Visit(db.Model):
    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    arrived_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by_car: Mapped[bool] = mapped_column(Boolean, default=False)
    plate: Mapped[str | None] = mapped_column(String(10), nullable=True)
    party_size: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str | None] = mapped_column(String(10), nullable=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("sales_reps.id"), nullable=True)
    greeted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    greeted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_refill_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    left_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    left_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    car_left_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(8), default="active")  # active | left
    # What the bar served this group, at the prices of the day it was served, net of reversals: kept by
    # visits.services.serve and inventory.ledger.reverse in the same transaction as the ledger rows.
    served_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0, server_default="0")

    rep = relationship("SalesRep")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    greeted_by = relationship("User", foreign_keys=[greeted_by_id])
    left_by = relationship("User", foreign_keys=[left_by_id])

    __table_args__ = (
        Index("ix_visits_site_arrived", "site_id", "arrived_at"),
        Index("ix_visits_site_plate", "site_id", "plate"),
        # The live panel reads only the groups still on site.
        Index("ix_visits_site_active", "site_id", "arrived_at", sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
    )

    @property
    def purpose_label(self):
        return PURPOSES.get(self.purpose, "") if self.purpose else ""


class VisitEvent(db.Model):
    """The append-only timeline of a visit; its ids are the live panel's version."""
    __tablename__ = "visit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")

    __table_args__ = (Index("ix_visit_events_site_id_id", "site_id", "id"),)

    @property
    def label(self):
        return EVENT_KINDS.get(self.kind, self.kind)


class VisitSeen(db.Model):
    """A post has acknowledged an arrival (one row per visit and post)."""
    __tablename__ = "visit_seen"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    post: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("visit_id", "post"),)


class RoomVisit(db.Model):
    """A group at a model room: admitted with its rep, or refused (no rep escorting it)."""
    __tablename__ = "room_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("sales_reps.id"), nullable=True)
    escorted: Mapped[bool] = mapped_column(Boolean, default=False)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    admitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_counts.id"), nullable=True)

    location = relationship("Location")
    rep = relationship("SalesRep")

    __table_args__ = (
        # A group is in a given room once at a time.
        Index("uq_room_visits_in_room", "visit_id", "location_id", unique=True,
              sqlite_where=text("left_at IS NULL AND refused = 0"),
              postgresql_where=text("left_at IS NULL AND refused = false")),
    )


class UmbrellaLoan(db.Model):
    __tablename__ = "umbrella_loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    qty: Mapped[int] = mapped_column(Integer)
    lent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    # "Umbrellas still out" on every handover and the concierge's screen reads only open loans.
    __table_args__ = (Index("ix_umbrella_loans_site_out", "site_id", sqlite_where=text("returned_at IS NULL"),
                            postgresql_where=text("returned_at IS NULL")),)
