"""The checklist engine: templates of items, and runs that answer them.

Opening/closing routines use it now; grooming checks, inspections and patrols reuse it
(a run's `slot` tells apart several runs of one template on one day: an hourly patrol,
a grooming check per person).

Recurrence: a template repeats daily (the default), on given weekdays, weekly, half-monthly or monthly. A run
belongs to its period, and its `shift_date` is the period's first day (the day itself for daily and weekday
routines; the Monday of a week; the 1st or the 16th of a half-month; the 1st of a month): one run per period,
found again from any day in it (ChecklistTemplate.run_day).
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import request_locale
from ..i18n import text as _
from .core import utcnow

KINDS = {
    "opening": _l("Opening"),
    "closing": _l("Closing"),
    "grooming": _l("Grooming"),
    "inspection": _l("Inspection"),
    "patrol": _l("Patrol"),
    "cleaning": _l("Cleaning"),
}
ROUTINE_KINDS = ("opening", "closing")
AREA_KINDS = ("inspection", "patrol")  # rounds at an area (a shift-based patrol, hospitality.patrol, is not one)
# Filled on an area round's page: a cleaning checklist too, when it is given to a post or a named person (the
# cleaners' own are ticked on the rota, hospitality.routines).
FILLED_AS_AREA = (*AREA_KINDS, "cleaning")
ANSWER_TYPES = {"check": _l("Yes / no"), "number": _l("Number"), "note": _l("Note")}
RECURRENCES = {"daily": _l("Every day"), "weekdays": _l("On given weekdays"), "weekly": _l("Weekly"),
               "half_month": _l("Twice a month (1st–15th, 16th–end)"), "monthly": _l("Monthly")}
PERIODIC = ("weekly", "half_month", "monthly")  # one run per period longer than a day
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
LAST = "last"  # the due day "the month's last day"
# Who does a checklist: its post's people, the cleaners (no login: the lead ticks on their behalf), or one person.
ASSIGNEES = {"post": _l("Its post"), "cleaners": _l("The cleaners"), "person": _l("A named person")}


@dataclass(frozen=True)
class Period:
    """The days a run covers (first and last, inclusive) and the day it is due."""
    start: date
    end: date
    due: date


def month_day(year: int, month: int, day: str | int) -> date:
    """The day of a month; a day the month lacks (30 in February) or LAST: the month's last day."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if day == LAST else min(int(day), last))


def period_of(recurrence: str, on_days: str | None, day: date) -> Period | None:
    """The period holding `day` for a recurrence, or None when it has no run that day (a weekday not ticked).

    `on_days` (checked by the editor): weekdays "0,2,4" (Monday is 0); weekly "4"; half-monthly the due day of
    each half "10,25" (or "10,last"); monthly "15" or "last"."""
    days = [d for d in (on_days or "").split(",") if d]
    if recurrence == "weekdays":
        return Period(day, day, day) if str(day.weekday()) in days else None
    if recurrence == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6), start + timedelta(days=int(days[0]) if days else 6))
    if recurrence in ("half_month", "monthly"):
        last = month_day(day.year, day.month, LAST)
        if recurrence == "monthly":
            return Period(day.replace(day=1), last, month_day(day.year, day.month, days[0] if days else LAST))
        first = day.day <= 15
        due = (days[0] if first else days[1]) if len(days) == 2 else (15 if first else LAST)
        return Period(day.replace(day=1 if first else 16), day.replace(day=15) if first else last,
                      month_day(day.year, day.month, due))
    return Period(day, day, day)


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
    # How often it repeats (RECURRENCES) and on which days (see period_of()).
    recurrence: Mapped[str] = mapped_column(String(12), default="daily", server_default="daily")
    on_days: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Who does it (ASSIGNEES): the post above, the cleaners, or the person named here.
    assignee: Mapped[str] = mapped_column(String(12), default="post", server_default="post")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    items = relationship("ChecklistItem", back_populates="template",
                         order_by="(ChecklistItem.position, ChecklistItem.id)")
    location = relationship("Location")
    shift = relationship("Shift")
    person = relationship("User")

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

    def period(self, day: date) -> Period | None:
        """The period holding `day`, or None when the template has no run that day."""
        return period_of(self.recurrence or "daily", self.on_days, day)

    def run_day(self, day: date) -> date:
        """The shift_date of the run that covers `day`: its period's first day."""
        p = self.period(day)
        return p.start if p is not None else day

    @property
    def recurrence_label(self) -> str:
        """"Weekly · Fri", "Monthly · 15", "Monthly · last day"… as the lists show it."""
        days = [d for d in (self.on_days or "").split(",") if d]
        label = str(RECURRENCES.get(self.recurrence, self.recurrence))
        if self.recurrence in ("weekdays", "weekly"):
            return f"{label} · " + " ".join(str(WEEKDAYS[int(d)]) for d in days)
        if self.recurrence in ("half_month", "monthly") and days:
            return f"{label} · " + " / ".join(_("last day") if d == LAST else d for d in days)
        return label


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
