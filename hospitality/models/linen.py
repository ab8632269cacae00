"""Linen (布草) of the model rooms sent to the laundry and counted back in (seed 002: 样板间客服专员
负责样板间内床上用品、窗帘等布草的清洗).

A batch is counted out by kind and quantity; returns are counted back in, in parts: what is still away is what
went out less what came back, per batch and kind (LinenCount is append-only: nothing is ever changed)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

LINEN_KINDS = {
    "sheet": _l("Sheets"),
    "duvet_cover": _l("Duvet covers"),
    "pillowcase": _l("Pillowcases"),
    "towel": _l("Towels"),
    "bath_towel": _l("Bath towels"),
    "bathrobe": _l("Bathrobes"),
    "curtain": _l("Curtains"),
}
MAX_QTY = 999  # pieces of one kind in one batch


class LinenBatch(db.Model):
    __tablename__ = "linen_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))  # the model room it came from
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Set when everything is back: open batches are the ones still (partly) away.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The idempotency key of the form that sent it: a double tap sends one batch.
    idem: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    location = relationship("Location")
    sent_by = relationship("User")

    __table_args__ = (Index("ix_linen_batches_site_open", "site_id", "closed_at"),)


class LinenCount(db.Model):
    __tablename__ = "linen_counts"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("linen_batches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # LINEN_KINDS
    qty: Mapped[int] = mapped_column(Integer)
    returned: Mapped[bool] = mapped_column(Boolean, default=False)  # False: counted out; True: counted back in
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The form's key of a return: a double tap counts the return once (one row per kind and key).
    idem: Mapped[str | None] = mapped_column(String(64), nullable=True)

    batch = relationship("LinenBatch")
    counted_by = relationship("User")

    __table_args__ = (UniqueConstraint("idem", "kind"),)
