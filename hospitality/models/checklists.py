"""The checklist engine: templates of items, and runs that answer them.

Opening/closing routines use it now; grooming checks, inspections and patrols reuse it
(a run's `slot` tells apart several runs of one template on one day: an hourly patrol,
a grooming check per person).
"""
from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import request_locale
from .core import utcnow

KINDS = {
    "opening": _l("Opening"),
    "closing": _l("Closing"),
    "grooming": _l("Grooming"),
    "inspection": _l("Inspection"),
    "patrol": _l("Patrol"),
}
ROUTINE_KINDS = ("opening", "closing")
ANSWER_TYPES = {"check": _l("Yes / no"), "number": _l("Number"), "note": _l("Note")}


def _localized(zh: str, en: str | None) -> str:
    """The English name for an English-speaking user when there is one, else the Chinese."""
    if not en:
        return zh
    loc = request_locale()
    return en if loc is not None and loc.language == "en" else zh


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    post: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80), nullable=True)
    due_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Several rounds a day ("10:00,12:00,15:00,17:00", the lounge rounds of seed 000): one run per
    # time, its slot is the time. Empty: one run a day, due by due_time.
    times: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # A round every `every_minutes` of a shift (a patrol: every hour of the night shift, across midnight).
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id"), nullable=True)
    every_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The area an inspection is about (a model room, the water bar…), if one.
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    # Grooming: the posts whose people are checked with this list ("water_bar,concierge"); empty: all.
    for_posts: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Set on templates made by a seed function, so running it again adds nothing.
    seed_key: Mapped[str | None] = mapped_column(String(40), nullable=True)

    items = relationship("ChecklistItem", back_populates="template",
                         order_by="(ChecklistItem.position, ChecklistItem.id)")
    location = relationship("Location")
    shift = relationship("Shift")

    __table_args__ = (UniqueConstraint("site_id", "seed_key"),)

    @property
    def label(self) -> str:
        return _localized(self.name, self.name_en)

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    @property
    def active_items(self):
        return [i for i in self.items if i.active]

    @property
    def time_list(self) -> list[time]:
        """The due times of its rounds, in order (empty for a once-a-day checklist)."""
        return [time.fromisoformat(t) for t in (self.times or "").split(",") if t]

    @property
    def post_list(self) -> list[str]:
        return [p for p in (self.for_posts or "").split(",") if p]

    def applies_to(self, post: str) -> bool:
        """Whether this grooming list is the one for people of `post`."""
        return not self.post_list or post in self.post_list


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(200))
    text_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    answer_type: Mapped[str] = mapped_column(String(10), default="check")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    min_value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Items are retired, never deleted: old runs still point at them.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    template = relationship("ChecklistTemplate", back_populates="items")

    @property
    def label(self) -> str:
        return _localized(self.text, self.text_en)

    @property
    def type_label(self):
        return ANSWER_TYPES.get(self.answer_type, self.answer_type)


class ChecklistRun(db.Model):
    __tablename__ = "checklist_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    shift_date: Mapped[date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(20), default="")
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    # The person a grooming check is about (slot "u<id>").
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Per cent of the answered yes/no items that passed, set on completion.
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)

    template = relationship("ChecklistTemplate")
    started_by = relationship("User", foreign_keys=[started_by_id])
    completed_by = relationship("User", foreign_keys=[completed_by_id])
    subject = relationship("User", foreign_keys=[subject_user_id])
    answers = relationship("ChecklistAnswer", back_populates="run")

    # One run per template, day and slot: a double tap on "start" finds the run it made.
    __table_args__ = (UniqueConstraint("template_id", "shift_date", "slot"),
                      db.Index("ix_checklist_runs_site_date", "site_id", "shift_date"),
                      db.Index("ix_checklist_runs_subject", "subject_user_id", "completed_at"))


class ChecklistAnswer(db.Model):
    __tablename__ = "checklist_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    number: Mapped[float | None] = mapped_column(Numeric(12, 2), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A photo of what was found (hospitality.photos, kind "checks"), optional.
    photo: Mapped[str | None] = mapped_column(String(64), nullable=True)

    run = relationship("ChecklistRun", back_populates="answers")
    item = relationship("ChecklistItem")
    answered_by = relationship("User")

    __table_args__ = (UniqueConstraint("run_id", "item_id"),)

    @property
    def failed(self) -> bool:
        return self.ok is False
