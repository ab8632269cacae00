"""Head office's figures of one site for one closed local day (hq/reads.py keeps them, at most an hour old): a year
of twenty sites sums a few thousand of these rows instead of every visit, routine, clock-in and answer."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# The counted figures of a day (besides the two sums of money), in the order hq/reads.py reads them.
COUNTS = ("groups", "guests", "discrepancies", "shifts", "late", "rostered", "absent", "routines", "on_time",
          "feedback", "satisfied", "complaints", "incidents")


class SiteDay(db.Model):
    __tablename__ = "hq_site_days"
    # Derived from other tables and rebuilt when missing or old: not data of its own (tests/harness.py leaves it out
    # of the snapshots that prove a request wrote nothing).
    # SQLite keeps the rows in the primary key's order (no rowid): a range of a site's days is one contiguous read.
    __table_args__ = {"info": {"cache": True}, "sqlite_with_rowid": False}
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0)
    losses: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0)
    groups: Mapped[int] = mapped_column(Integer, default=0)
    guests: Mapped[int] = mapped_column(Integer, default=0)
    discrepancies: Mapped[int] = mapped_column(Integer, default=0)
    shifts: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    rostered: Mapped[int] = mapped_column(Integer, default=0)
    absent: Mapped[int] = mapped_column(Integer, default=0)
    routines: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    feedback: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    incidents: Mapped[int] = mapped_column(Integer, default=0)
