"""Tasks one post asks of another (clear a table, call the cleaner, restock, ready a model room, free text) and
those a failed grooming or inspection item raises: raised → accepted → done, or cancelled by the lead."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import POSTS, STAFF_POSTS, utcnow

# Cleaners have no login (DOMAIN.md): their tasks are shown to the lead and the post that asked, who tell them and
# tick them off on their behalf.
ASSIGNEE_POSTS = (*STAFF_POSTS, "lead")
ASSIGNEES = {"cleaner": _l("Cleaner"), **{p: POSTS[p] for p in ASSIGNEE_POSTS}}
PERSON = "person"  # the assignee of a task for a named person (assignee_user_id)
TASK_STATUSES = {"open": _l("To do"), "accepted": _l("Accepted"), "done": _l("Done"),
                 "cancelled": _l("Cancelled")}
OPEN_STATES = ("open", "accepted")  # not done and not cancelled: on someone's list
# What a task is about; "inspection": raised from a failed inspection or grooming item.
KINDS = {"clear_table": _l("Clear a table"), "cleaner": _l("Call the cleaner"), "restock": _l("Restock"),
         "model_room": _l("Ready a model room"), "other": _l("Other"), "inspection": _l("From an inspection")}


class Task(db.Model):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_runs.id"), nullable=True, index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_answers.id"), nullable=True, index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True, index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    table_label: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assignee: Mapped[str] = mapped_column(String(20))  # a post of ASSIGNEE_POSTS, "cleaner", or PERSON
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    raised_post: Mapped[str | None] = mapped_column(String(20), nullable=True)  # the raiser's post then
    # Minutes it should take, set from the site's targets when raised (a later change does not rewrite history).
    target_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Ticked by someone else for the cleaners, who have no login.
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The idempotency key of the form that raised it: a double tap raises one task.
    idem: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    run = relationship("ChecklistRun")
    answer = relationship("ChecklistAnswer")
    created_by = relationship("User", foreign_keys=[created_by_id])
    done_by = relationship("User", foreign_keys=[done_by_id])

    __table_args__ = (
        Index("ix_tasks_site_status", "site_id", "status", "assignee"),
        Index("ix_tasks_site_person", "site_id", "assignee_user_id", "status"),
        Index("ix_tasks_creator", "created_by_id", "created_at"),
        Index("ix_tasks_site_done", "site_id", "done_at"),
    )

    @property
    def assignee_label(self):
        return ASSIGNEES.get(self.assignee, self.assignee)

    @property
    def status_label(self):
        return TASK_STATUSES.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES
