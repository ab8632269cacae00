"""Consumables budget per site and month: what the manager means the water bar's consumables to cost in a month.

A month without its own budget has the latest earlier month's (the manager sets it once and changes it when it
changes). The spend it is compared with is the consumption report's cost (hospitality.cockpit.reads)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow
from .inventory import MONEY


class Budget(db.Model):
    __tablename__ = "budgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    amount: Mapped[Decimal] = mapped_column(MONEY)  # yuan
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # One budget a month; the unique index also serves "the latest month up to this one" (site, month desc).
    __table_args__ = (UniqueConstraint("site_id", "month"),)
