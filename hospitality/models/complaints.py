"""Complaints (投诉) in the seeds' six steps, and the follow-up calls (回访) after them.

1 registered → 2 judged founded or not (the manager, with a reason) → 3 investigated (notes, people involved,
linked visits and incidents) → 4 remedies proposed, the manager picks one → 5 carried out, the guest confirms (or
not) → 6 reviewed and classified (cause, responsible post, preventive action): closed. An unfounded complaint skips
3 and 4: it is still answered (5) and reviewed (6). Every step is a row of the complaint's timeline (append-only).
A follow-up call is due within three days of closing; an unsatisfied guest reopens the complaint.
"""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from .core import POSTS, utcnow

CHANNELS = {"onsite": _l("On site"), "phone": _l("By phone"), "message": _l("By message"),
            "rep": _l("Through a sales rep")}
TOPICS = {
    "attitude": _l("Service attitude"),
    "waiting": _l("Waiting"),
    "drinks": _l("Drinks and food"),
    "cleanliness": _l("Cleanliness"),
    "model_room": _l("Model room"),
    "parking": _l("Parking"),
    "security": _l("Security"),
    "sales": _l("Sales"),
    "property": _l("Property"),
    "other": _l("Other"),
}
# The step a complaint has reached: the next one to do is step + 1; "closed" after the review.
STEPS = {
    1: _l("Registered"),
    2: _l("Judged"),
    3: _l("Investigated"),
    4: _l("Remedy chosen"),
    5: _l("Carried out"),
    6: lazy_pgettext("complaint", "Reviewed and closed"),
}
EVENT_KINDS = {
    "registered": _l("Registered"),
    "judged": _l("Judged"),
    "note": _l("Investigation note"),
    "investigated": _l("Investigation finished"),
    "remedy": _l("Remedy proposed"),
    "chosen": _l("Remedy chosen"),
    "carried_out": _l("Carried out"),
    "reviewed": lazy_pgettext("complaint", "Reviewed and closed"),
    "follow_up": _l("Follow-up call"),
    "reopened": _l("Reopened"),
}
# Who a founded complaint is put down to at the review: a post, or none (a misunderstanding, the property…).
RESPONSIBLE = {**POSTS, "none": _l("No post")}
FOLLOW_UP_OUTCOMES = {"satisfied": _l("Reached: satisfied"), "unsatisfied": _l("Reached: not satisfied"),
                      "no_answer": _l("Not reached")}


class Complaint(db.Model):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    # Personal data: shown whole only to the lead and the manager (masked for everyone else, never exported).
    guest_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    guest_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))
    topic: Mapped[str] = mapped_column(String(12))
    said: Mapped[str] = mapped_column(Text)  # what the guest said
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    step: Mapped[int] = mapped_column(Integer, default=1)
    # Deadlines, set when it is registered from the site's settings: the first response (the judgement) and closing.
    respond_by: Mapped[datetime] = mapped_column(DateTime)
    close_by: Mapped[datetime] = mapped_column(DateTime)
    # Step 2
    founded: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    judged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Step 5: whether the guest accepted what was done, and what they said
    guest_confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Step 6
    cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    responsible_post: Mapped[str | None] = mapped_column(String(20), nullable=True)
    preventive: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    registered_by = relationship("User", foreign_keys=[registered_by_id])
    remedies = relationship("ComplaintRemedy", back_populates="complaint", order_by="ComplaintRemedy.id")

    __table_args__ = (Index("ix_complaints_site_registered", "site_id", "registered_at"),
                      Index("ix_complaints_site_open", "site_id", "closed_at", "registered_at"))

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class ComplaintEvent(db.Model):
    """One row of a complaint's timeline: who did which step when, with its note."""
    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    people: Mapped[str | None] = mapped_column(String(200), nullable=True)  # an investigation's people involved
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    user = relationship("User")


class ComplaintPhoto(db.Model):
    """A photo of a step (hospitality.photos, kind "complaints"), stored without EXIF/GPS."""
    __tablename__ = "complaint_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("complaint_events.id"))
    name: Mapped[str] = mapped_column(String(64))

    complaint = relationship("Complaint")


class ComplaintRemedy(db.Model):
    """A remedy proposed at step 4; the manager chooses one."""
    __tablename__ = "complaint_remedies"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)

    complaint = relationship("Complaint", back_populates="remedies")
    proposed_by = relationship("User")


class FollowUp(db.Model):
    """A follow-up call (回访) due by `due_on`: after a complaint is closed, or after a visit the site chose to follow
    up (a first visit above all), within three days. A visit's call keeps the guest's name and number itself."""
    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), nullable=True, index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True, index=True)
    guest_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    guest_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    last_idem: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the last call's key: a double tap
    due_on: Mapped[date] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(12), nullable=True)  # the last call's
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # reached (satisfied or not)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    complaint = relationship("Complaint")

    __table_args__ = (Index("ix_follow_ups_site_due", "site_id", "done_at", "due_on"),)

