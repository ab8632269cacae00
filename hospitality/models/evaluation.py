"""Staff evaluation (量化考核, seed 002): the points each rule costs per occurrence at a site, and the manager's
rewards and penalties to a person in a month."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

# The rules a monthly score counts, in the order shown, with the points one occurrence costs by default.
RULES = {
    "late": _l("Late for a shift"),
    "left_early": _l("Left a shift early"),
    "absent": _l("Absent from a rostered shift"),
    "grooming": _l("Grooming check with a failed item"),
    "routine_late": _l("Own routine done late"),
    "routine_missed": _l("Own post's routine missed"),
    "discrepancy": _l("Own count opened a discrepancy"),
    "task_overdue": _l("Task assigned to them done late or still overdue"),
}
DEFAULT_WEIGHTS = {"late": 2, "left_early": 2, "absent": 10, "grooming": 2, "routine_late": 1, "routine_missed": 3,
                   "discrepancy": 5, "task_overdue": 2}
START_SCORE = 100
ADJUSTMENT_KINDS = {"reward": _l("Reward"), "penalty": _l("Penalty")}


class EvaluationWeight(db.Model):
    """The points one occurrence of a rule costs at a site (a missing row: the rule's default)."""
    __tablename__ = "evaluation_weights"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    rule: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("site_id", "rule"),)


class EvaluationAdjustment(db.Model):
    """A reward or penalty the manager gives a person in a month: points and/or yuan, always with a reason."""
    __tablename__ = "evaluation_adjustments"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    month: Mapped[date] = mapped_column(Date)  # the month's first day
    kind: Mapped[str] = mapped_column(String(10))  # reward | penalty
    points: Mapped[int] = mapped_column(Integer, default=0)  # never negative: the kind gives the sign
    yuan: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idem: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (Index("ix_evaluation_adjustments_site_month", "site_id", "month", "user_id"),)

    @property
    def signed_points(self) -> int:
        return self.points if self.kind == "reward" else -self.points

    @property
    def kind_label(self):
        return ADJUSTMENT_KINDS.get(self.kind, self.kind)
