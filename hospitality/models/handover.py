"""Shift handover (交接班): the outgoing person's record of their post, reviewed and accepted by the incoming one.

A handover holds lines: the fixture damage check, what is pending (filled in automatically when it is submitted,
plus what the outgoing person adds) and the lines still open from the post's previous handover, carried over.
The stock count of the post's locations is an ordinary StockCount with ref_type "handover" and ref_id = its id,
linked by a HandoverCount row.
"""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

STATUSES = {"draft": _l("Being prepared"), "submitted": _l("Waiting for acceptance"),
            "accepted": _l("Shift taken over"), "cancelled": _l("Cancelled")}
OPEN_STATUSES = ("draft", "submitted")
# Lines: the fixture check, automatic pending lines (a snapshot taken on submit) and the ones people add.
LINE_KINDS = {
    "fixture": _l("Company item"),
    "guests": _l("Guests still inside"),
    "discrepancy": _l("Open discrepancy"),
    "umbrellas": _l("Umbrellas out"),
    "incident": _l("Open incident"),
    "repair": _l("Open repair"),
    "key": _l("Keys"),
    "watch": _l("To watch"),
    "damage": _l("Damage found"),
}
AUTO_KINDS = ("guests", "discrepancy", "umbrellas", "incident", "repair")
MANUAL_KINDS = ("key", "watch", "damage")
# A line's state: "info" is a record only; "open" carries over to the next handover until someone resolves it.
LINE_STATES = ("info", "open", "resolved")


class Handover(db.Model):
    __tablename__ = "handovers"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    post: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)  # the outgoing shift's day (a night shift: the day it started)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Posts without registered fixtures (security) attest the property check instead.
    property_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    from_user = relationship("User", foreign_keys=[from_user_id])
    to_user = relationship("User", foreign_keys=[to_user_id])
    lines = relationship("HandoverLine", back_populates="handover", order_by="HandoverLine.position",
                         foreign_keys="HandoverLine.handover_id")

    __table_args__ = (
        # One handover of a post in progress at a time: a second tap (or colleague) finds the same one.
        Index("uq_handovers_open_post", "site_id", "post", unique=True,
              sqlite_where=text("status IN ('draft', 'submitted')"),
              postgresql_where=text("status IN ('draft', 'submitted')")),
        Index("ix_handovers_site_post_id", "site_id", "post", "id"),
        Index("ix_handovers_site_day", "site_id", "day"),
        Index("ix_handovers_site_status", "site_id", "status"),
        Index("ix_handovers_to_status", "to_user_id", "status"),
        Index("ix_handovers_from_day", "from_user_id", "day"),
        Index("ix_handovers_from_status", "from_user_id", "status"),
    )

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)


class HandoverLine(db.Model):
    __tablename__ = "handover_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))  # the lead's board reads a site's disputes
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(String(200), default="")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    condition: Mapped[str | None] = mapped_column(String(8), nullable=True)  # fixtures: intact | damaged
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # automatic lines: what was counted
    state: Mapped[str] = mapped_column(String(10), default="info")
    # A carried line points at the line it copies and at the first line of its chain (resolved together).
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("handover_lines.id"), nullable=True)
    origin_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    dispute_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    disputed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(500), nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    handover = relationship("Handover", back_populates="lines", foreign_keys=[handover_id])
    item = relationship("Item")
    carried_from = relationship("HandoverLine", remote_side=[id], foreign_keys=[carried_from_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])

    __table_args__ = (
        # The lead's board reads the site's disputed lines still open.
        Index("ix_handover_lines_site_disputed", "site_id", "disputed", "state"),
    )

    @property
    def kind_label(self):
        return LINE_KINDS.get(self.kind, self.kind)

    @property
    def chain(self) -> int:
        """The id the carried copies of this line share (resolving one resolves them all)."""
        return self.origin_id or self.id


class HandoverCount(db.Model):
    """A stock count made for a handover (the count carries ref_type "handover" too; this row finds it by index)."""
    __tablename__ = "handover_counts"
    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), unique=True)
