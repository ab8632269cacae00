"""Construction workers entering a model room: who, for whom, when, and the room counted before and after.

One row per person. A crew registered together shares `crew_id` (the id of its first row) and its two
counts; the stock counts themselves are the inventory capability's (ref_type "worker", ref_id crew_id).
"""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

WORKER_PURPOSES = {"repair": _l("Repair"), "install": _l("Installation"), "cleaning": _l("Deep cleaning"),
                   "inspection": _l("Testing"), "delivery": _l("Delivery"), "other": _l("Other")}
# registered → in → out (waiting for the count after) → closed; cancelled: never went in.
WORKER_STATUSES = {"registered": _l("Registered"), "in": _l("Inside"), "out": _l("Left, to be counted"),
                   "closed": _l("Closed: counted after"), "cancelled": _l("Cancelled")}
ACTIVE_STATUSES = ("registered", "in", "out")


class WorkerEntry(db.Model):
    __tablename__ = "worker_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    crew_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(40))
    company: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(12))
    purpose_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Who supervises them: a person of the site, or someone without a login (the developer's engineer).
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    supervisor_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="registered")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    in_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    out_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    count_in_id: Mapped[int | None] = mapped_column(ForeignKey("stock_counts.id"), nullable=True)
    count_out_id: Mapped[int | None] = mapped_column(ForeignKey("stock_counts.id"), nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The registration form's idempotency key, on the crew's first row: a double tap registers once.
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    location = relationship("Location")
    supervisor = relationship("User", foreign_keys=[supervisor_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    in_by = relationship("User", foreign_keys=[in_by_id])
    out_by = relationship("User", foreign_keys=[out_by_id])
    count_in = relationship("StockCount", foreign_keys=[count_in_id])
    count_out = relationship("StockCount", foreign_keys=[count_out_id])

    __table_args__ = (
        Index("ix_worker_entries_site_created", "site_id", "created_at"),
        # "Who is inside now" reads only the crews not closed yet.
        Index("ix_worker_entries_site_active", "site_id", "location_id",
              sqlite_where=text("status IN ('registered', 'in', 'out')"),
              postgresql_where=text("status IN ('registered', 'in', 'out')")),
    )

    @property
    def purpose_label(self) -> str:
        label = WORKER_PURPOSES.get(self.purpose, self.purpose)
        return f"{label}: {self.purpose_note}" if self.purpose_note else str(label)

    @property
    def status_label(self):
        return WORKER_STATUSES.get(self.status, self.status)

    @property
    def supervisor_label(self) -> str:
        if self.supervisor is not None:
            return f"{self.supervisor.name} ({self.supervisor.post_label})"
        return self.supervisor_name or ""
