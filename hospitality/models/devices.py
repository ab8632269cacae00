"""Shared devices: a tablet or phone the manager registers for a site (the bar tablet, the guard booth phone), on
which staff switch user with their badge number and a PIN (the PIN columns are on users)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class Device(db.Model):
    """A registered device. Its cookie holds a long token nobody can guess (random, or an HMAC under the app's secret
    key of the device and the registering form's key, so that a resent registration answers with the same cookie);
    only the token's SHA-256 is stored, so a copy of the database opens no device. Retired: the cookie stops working."""
    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    idle_minutes: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
