"""Purchase requests with the manager's approval, receipts (入库), and fixture releases (放行)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from .core import utcnow
from .inventory import MONEY, QTY

REQUEST_STATES = {
    "draft": _l("Draft"),
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "partial": _l("Partly received"),
    "received": lazy_pgettext("purchase request", "Received"),  # a state (已入库), not the ledger reason 入库
}
RELEASE_STATES = {"pending": _l("Waiting for approval"), "approved": _l("Approved"),
                  "rejected": _l("Rejected")}


def request_state_label(status: str):
    """A request's state as people read it (the status itself for one without a label)."""
    return REQUEST_STATES.get(status, status)


def line_amount(qty_approved: Decimal | None, qty_requested: Decimal, unit_price: Decimal | None) -> Decimal:
    """A request line's amount: the approved quantity (the requested one until then) at its unit price, in fen."""
    qty = qty_approved if qty_approved is not None else qty_requested
    return (qty * (unit_price or 0)).quantize(Decimal("0.01"))


class PurchaseRequest(db.Model):
    __tablename__ = "purchase_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    for_date: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every change: an approval names the version it saw, so it cannot race an edit.
    version: Mapped[int] = mapped_column(Integer, default=1)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lines = relationship("PurchaseLine", back_populates="request", order_by="PurchaseLine.id")

    __table_args__ = (Index("ix_purchase_requests_site_status", "site_id", "status"),)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def state_label(self):
        return request_state_label(self.status)


class PurchaseLine(db.Model):
    __tablename__ = "purchase_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("purchase_requests.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty_requested: Mapped[Decimal] = mapped_column(QTY)
    qty_approved: Mapped[Decimal | None] = mapped_column(QTY, nullable=True)
    qty_received: Mapped[Decimal] = mapped_column(QTY, default=0)
    unit_price: Mapped[Decimal] = mapped_column(MONEY, default=0)
    proposed_qty: Mapped[Decimal | None] = mapped_column(QTY, nullable=True)

    request = relationship("PurchaseRequest", back_populates="lines")
    item = relationship("Item")

    __table_args__ = (UniqueConstraint("request_id", "item_id"),)

    @property
    def qty(self) -> Decimal:
        return self.qty_approved if self.qty_approved is not None else self.qty_requested

    @property
    def amount(self) -> Decimal:
        return line_amount(self.qty_approved, self.qty_requested, self.unit_price)


class Receipt(db.Model):
    """A delivery received against a request; the manager signs the stock-in."""
    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("purchase_requests.id"), index=True)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    request = relationship("PurchaseRequest")
    received_by = relationship("User", foreign_keys=[received_by_id])
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    lines = relationship("ReceiptLine", back_populates="receipt")


class ReceiptLine(db.Model):
    __tablename__ = "receipt_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_lines.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)

    receipt = relationship("Receipt", back_populates="lines")
    line = relationship("PurchaseLine")


class FixtureRelease(db.Model):
    """Taking a fixture out of a model room (放行) needs the manager's approval."""
    __tablename__ = "fixture_releases"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    item = relationship("Item")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
