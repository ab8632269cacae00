"""The idempotency keys of the writes whose rows carry no key column of their own."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import utcnow


class WriteKey(db.Model):
    """A form's key and what it did (a robot added, a group let into a room, an item moved up): the same form
    sent again (a double tap, a retry after a time-out) finds this row and does nothing a second time. The primary
    key is the form's key, so two requests racing with it cannot both pass."""
    __tablename__ = "write_keys"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
