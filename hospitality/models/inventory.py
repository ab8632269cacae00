"""Stock: items per location, the append-only ledger, counts and discrepancies.

On hand is never stored as a counter: every change is a ledger row carrying the item's running
balance (`balance_after`), written under the item's lock, so the newest row of an item is its stock.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from .checklists import _localized
from .core import utcnow

QTY = Numeric(12, 3)
MONEY = Numeric(12, 2)

ITEM_KINDS = {"consumable": _l("Consumable"), "fixture": _l("Fixture")}
REASONS = {
    "opening": _l("Opening balance"),
    "received": _l("Received"),
    "served": _l("Served"),
    "discarded": _l("Discarded"),
    "damaged": _l("Damaged"),
    "lost": _l("Lost"),
    "found": _l("Found"),
    "adjusted": _l("Adjusted"),
    "moved_in": _l("Moved in"),
    "moved_out": _l("Moved out"),
    "reversal": _l("Reversal"),
    "prepared": _l("Prepared"),
    "prep_used": _l("Used to prepare"),
}
# Reasons that always take stock down / up: the sign of the row follows from the reason.
# A preparation (a pot brewed, a fruit plate cut) is one 'prepared' row in and a 'prep_used' row out per raw item.
OUT_REASONS = ("served", "discarded", "damaged", "lost", "moved_out", "prep_used")
IN_REASONS = ("opening", "received", "found", "moved_in", "prepared")
# How the water bar's serve form offers a consumable: each guest's drink, for the table, or not at all (cups,
# tea leaves, fruit by the 斤: what the bar uses, not what a guest is served).
SERVE_AS = {"drink": _l("A guest's drink"), "table": _l("For the table")}
# What an attendant can mark on a counted item besides its number.
LINE_PROBLEMS = {"missing": lazy_pgettext("stock line", "Missing"), "damaged": _l("Damaged"), "moved": _l("Moved")}
COUNT_KINDS = {"opening": _l("Opening count"), "closing": _l("Closing count"),
               "spot": _l("Spot check"), "visit": _l("After a visit"), "handover": _l("Handover"),
               "worker_in": _l("Before workers"), "worker_out": _l("After workers")}


def _serve_default(context) -> str | None:
    """A new consumable is a guest's drink until the manager says otherwise; a fixture is never served."""
    return "drink" if context.get_current_parameters().get("kind") in (None, "consumable") else None


class Item(db.Model):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="consumable")
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(60), nullable=True)
    unit: Mapped[str] = mapped_column(String(12), default="个")
    whole: Mapped[bool] = mapped_column(Boolean, default=True)  # counted in whole units
    pack_size: Mapped[int] = mapped_column(Integer, default=1)  # units per purchase pack
    par_level: Mapped[Decimal] = mapped_column(QTY, default=0)  # what a normal day needs
    unit_price: Mapped[Decimal] = mapped_column(MONEY, default=0)
    discard_at_close: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_qty: Mapped[Decimal | None] = mapped_column(QTY, nullable=True)  # fixtures
    photo: Mapped[str | None] = mapped_column(String(80), nullable=True)  # where a fixture stands
    serve_as: Mapped[str | None] = mapped_column(String(8), nullable=True, default=_serve_default)  # SERVE_AS
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    location = relationship("Location")

    __table_args__ = (UniqueConstraint("location_id", "name"),)

    @property
    def label(self) -> str:
        return _localized(self.name, self.name_en)


class StockMove(db.Model):
    """One change of stock. Never updated or deleted; a mistake gets a reversing row."""
    __tablename__ = "stock_moves"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)  # signed: + into stock, - out of it
    balance_after: Mapped[Decimal] = mapped_column(QTY)
    reason: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ref_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("stock_moves.id"), nullable=True,
                                                    unique=True)
    # The idempotency key of the action that wrote the row: a double tap posts once.
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True)

    item = relationship("Item")
    user = relationship("User")

    __table_args__ = (
        Index("ix_stock_moves_item_id_id", "item_id", "id"),
        # Covers the consumption report (flows per item, reason and day over a date range).
        Index("ix_stock_moves_site_at_flow", "site_id", "at", "reason", "item_id", "qty"),
        Index("ix_stock_moves_ref", "ref_type", "ref_id"),
        UniqueConstraint("idem_key", "item_id"),
    )


class StockDay(db.Model):
    """The ledger summed per item, site-local day and reason: written with its ledger rows in the same transaction
    (hospitality/inventory/rollup.py), so a report over a month reads a row per item, day and reason instead of
    every ledger row. `qty` sums the rows of the reason (signed, out rows negative); `reversed` sums the reversal
    rows that undo rows of the reason (of the opposite sign)."""
    __tablename__ = "stock_days"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(12), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(QTY, default=0)
    reversed: Mapped[Decimal] = mapped_column(QTY, default=0)


class RecipeLine(db.Model):
    """One raw item of a prepared item's recipe: how much of it one prepared unit uses (1 壶 = 1 包 tea leaves)."""
    __tablename__ = "recipe_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))  # the prepared item
    raw_item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(QTY)  # per prepared unit, above zero

    item = relationship("Item", foreign_keys=[item_id])
    raw_item = relationship("Item", foreign_keys=[raw_item_id])

    __table_args__ = (UniqueConstraint("item_id", "raw_item_id"),)


class Preparation(db.Model):
    """A batch the bar prepared (N pots brewed, N plates cut): its ledger rows carry ref ('prepare', id)."""
    __tablename__ = "preparations"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    item = relationship("Item")


class StockCount(db.Model):
    __tablename__ = "stock_counts"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | matched | discrepancy
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The phone's time of a submit kept offline and sent later (hospitality/fields.py made_at); submitted_at: arrival.
    made_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    all_matched_tap: Mapped[bool] = mapped_column(Boolean, default=False)
    ref_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    location = relationship("Location")
    started_by = relationship("User")
    lines = relationship("CountLine", back_populates="count", order_by="CountLine.id")

    __table_args__ = (
        # One count in progress per location at a time.
        Index("uq_stock_counts_open_location", "location_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_stock_counts_site_started", "site_id", "started_at"),
        # The day's opening and closing counts (daily consumption) by when they were submitted.
        Index("ix_stock_counts_site_submitted", "site_id", "submitted_at"),
    )


class CountLine(db.Model):
    __tablename__ = "count_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    expected: Mapped[Decimal] = mapped_column(QTY)
    counted: Mapped[Decimal] = mapped_column(QTY)
    # What the attendant saw besides the number: missing / damaged / moved, a note, a photo.
    problem: Mapped[str | None] = mapped_column(String(10), nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    photo: Mapped[str | None] = mapped_column(String(80), nullable=True)

    count = relationship("StockCount", back_populates="lines")
    item = relationship("Item")

    __table_args__ = (UniqueConstraint("count_id", "item_id"),)

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected

    @property
    def problem_label(self):
        return LINE_PROBLEMS.get(self.problem, "") if self.problem else ""


class Discrepancy(db.Model):
    """A count that disagreed with the book: confirmed with security, closed by the manager."""
    __tablename__ = "discrepancies"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | confirmed | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    confirm_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(12), nullable=True)
    close_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A count after a visitor group: the visit and the sales rep who escorted it (per-rep figures).
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True, index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("sales_reps.id"), nullable=True, index=True)

    count = relationship("StockCount")
    rep = relationship("SalesRep")
    location = relationship("Location")
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    __table_args__ = (Index("ix_discrepancies_site_status", "site_id", "status"),)
