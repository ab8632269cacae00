"""The front desk's call and message log (来电留言): who called or came, for whom, the message, a promised call-back.

A message is for a person of the site (a staff member, the lead, the manager: they see it on their today screen) or
for a sales rep (no login: the front desk passes it on and marks it done). A call-back time not kept is overdue
until the message is done. The caller's phone is personal data: whole only for the person the message is for and
the front desk (hospitality.permissions "desk.personal"), masked elsewhere.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

KINDS = {"call": _l("Phone call"), "message": _l("Message left"), "visitor": _l("Visitor")}


class DeskMessage(db.Model):
    __tablename__ = "desk_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(8))
    # Personal data: whole only for those who need it (see the module's docstring); never in the audit trail.
    caller_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    caller_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # For a person of the site, or for a sales rep: exactly one of the two.
    for_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    for_rep_id: Mapped[int | None] = mapped_column(ForeignKey("sales_reps.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    call_back_by: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # promised to the caller
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    taken_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    __table_args__ = (
        CheckConstraint("(for_user_id IS NULL) <> (for_rep_id IS NULL)", name="one_recipient"),
        Index("ix_desk_messages_site_taken", "site_id", "taken_at"),
        Index("ix_desk_messages_site_open", "site_id", "done_at"),
        Index("ix_desk_messages_for_user_open", "for_user_id", "done_at"),
    )
