"""Repairs (报修): a broken fitting, equipment, lift or fit-out defect, reported → assigned → fixed → checked.

Any post reports one at a place of the site; the lead or the manager assigns it (a person of the site, the cleaners
or maintenance, the property company, or a named contractor), records it fixed and checks the fix: checked closes
it, "not fixed" sends it back to whoever it was assigned to. Every step is a row of its append-only timeline
(RepairEvent). A contractor's crew coming to fix it is registered in the construction-worker register and linked
here (RepairCrew), so the repair shows the room counted before and after them.
"""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from .core import utcnow

KINDS = {"fitting": _l("Broken fitting"), "equipment": _l("Equipment or appliance"), "lift": _l("Lift"),
         "fitout": _l("Fit-out defect"), "other": _l("Other")}
STATES = {"reported": lazy_pgettext("repair", "Reported"), "assigned": lazy_pgettext("repair", "Assigned"),
          "fixed": lazy_pgettext("repair", "Fixed"), "checked": lazy_pgettext("repair", "Checked")}
OPEN_STATES = ("reported", "assigned", "fixed")
# Who fixes it: a person of the site (with a login), the cleaners or maintenance (no login), the property company,
# or a named contractor.
ASSIGNEES = {"staff": _l("A person of the site"), "cleaners": _l("Cleaners or maintenance"),
             "property": _l("The property company"), "contractor": _l("A contractor")}
EVENT_KINDS = {"reported": lazy_pgettext("repair", "Reported"), "assigned": lazy_pgettext("repair", "Assigned"),
               "fixed": lazy_pgettext("repair", "Fixed"), "checked": lazy_pgettext("repair", "Checked"),
               "not_fixed": _l("Not fixed: back to the fixer"), "crew": _l("Crew registered")}
OPEN = "status <> 'checked'"


class Repair(db.Model):
    __tablename__ = "repairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(12))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    spot: Mapped[str | None] = mapped_column(String(100), nullable=True)  # where exactly: "the bathroom tap"
    description: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # An incident handed over to "repair" (hospitality/incidents) that this repair was reported from.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(10), default="reported")
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The latest assignment (the timeline keeps every one).
    assignee: Mapped[str | None] = mapped_column(String(12), nullable=True)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    company: Mapped[str | None] = mapped_column(String(80), nullable=True)
    contact: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    fixed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    location = relationship("Location")

    __table_args__ = (
        Index("ix_repairs_site_reported", "site_id", "reported_at"),
        # What is still open: the lead's list, the handovers of the posts that own the places.
        Index("ix_repairs_site_open", "site_id", sqlite_where=text(OPEN), postgresql_where=text(OPEN)),
    )


class RepairEvent(db.Model):
    """The append-only timeline of a repair: who did each step, when, with what note."""
    __tablename__ = "repair_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assignee: Mapped[str | None] = mapped_column(String(12), nullable=True)  # an assignment: to whom
    who: Mapped[str | None] = mapped_column(String(200), nullable=True)  # … named: company · contact · phone
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)


class RepairPhoto(db.Model):
    """A photo of a repair (hospitality.photos, kind "repairs"): of the defect, or of the fix."""
    __tablename__ = "repair_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("repair_events.id"))
    name: Mapped[str] = mapped_column(String(64))

    repair = relationship("Repair")


class RepairCrew(db.Model):
    """A crew of the construction-worker register that came for a repair (crew_id: the id of its first row)."""
    __tablename__ = "repair_crews"
    crew_id: Mapped[int] = mapped_column(ForeignKey("worker_entries.id"), primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repairs.id"), index=True)
