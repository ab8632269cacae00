"""Tasks raised from a failed grooming or inspection item: for a post, or for the cleaners."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import POSTS, STAFF_POSTS, utcnow

# Cleaners have no login (DOMAIN.md): their tasks are shown to the lead, who tells them and ticks them off.
ASSIGNEES = {"cleaner": _l("Cleaner"), **{p: POSTS[p] for p in STAFF_POSTS}}
TASK_STATUSES = {"open": _l("To do"), "done": _l("Done")}


class Task(db.Model):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_answers.id"), nullable=True, index=True)
    assignee: Mapped[str] = mapped_column(String(20))  # a post of STAFF_POSTS, or "cleaner"
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The idempotency key of the form that raised it: a double tap raises one task.
    idem: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    run = relationship("ChecklistRun")
    answer = relationship("ChecklistAnswer")
    created_by = relationship("User", foreign_keys=[created_by_id])
    done_by = relationship("User", foreign_keys=[done_by_id])

    __table_args__ = (Index("ix_tasks_site_status", "site_id", "status", "assignee"),)

    @property
    def assignee_label(self):
        return ASSIGNEES.get(self.assignee, self.assignee)

    @property
    def status_label(self):
        return TASK_STATUSES.get(self.status, self.status)
