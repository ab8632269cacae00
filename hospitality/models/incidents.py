"""Incidents (突发事件) any post reports, their timeline and photos, and the site's drills (消防演练).

An incident is reported with a kind, a place, what happened and how serious it is; an urgent one alerts the lead,
the manager and security on their live element until one of them acknowledges it. Everything that happens to it
afterwards is a row of its timeline (IncidentEvent, append-only: its ids are the live element's incident version).
"""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from .core import utcnow

KINDS = {
    "suspicious": _l("Suspicious person or hawker"),
    "fire": _l("Fire hazard"),
    "damage": _l("Damage to fittings"),
    "injury": _l("Injury or illness"),
    "theft": _l("Theft or loss"),
    "quarrel": _l("Quarrel with a guest"),
    "utility": _l("Leak or power failure"),
    "other": _l("Other"),
}
LEVELS = {"note": _l("For the record"), "urgent": _l("Urgent")}
# open: being dealt with on site; handed: waiting on the police, property management or a repair; closed.
STATES = {"open": lazy_pgettext("incident", "Open"), "handed": lazy_pgettext("incident", "Handed over"),
          "closed": lazy_pgettext("incident", "Closed")}
HANDED_TO = {"police": _l("Police"), "property": _l("Property management"), "repair": _l("Repair")}
EVENT_KINDS = {"reported": _l("Reported"), "acknowledged": _l("Acknowledged"), "action": _l("Action taken"),
               "handed": lazy_pgettext("incident", "Handed over"), "closed": lazy_pgettext("incident", "Closed")}
DRILL_KINDS = {"fire": _l("Fire drill"), "evacuation": _l("Evacuation drill"), "first_aid": _l("First-aid drill"),
               "other": _l("Other drill")}
# The live element's alert: urgent, nobody has acknowledged it, not closed (a partial index keeps it one seek).
ALERTING = "level = 'urgent' AND acknowledged_at IS NULL AND status <> 'closed'"


class Incident(db.Model):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(12))
    level: Mapped[str] = mapped_column(String(8), default="note")
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True, index=True)
    description: Mapped[str] = mapped_column(Text)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The phone's time of a report kept offline and sent later (hospitality/fields.py made_at); reported_at: arrival.
    made_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    handed_to: Mapped[str | None] = mapped_column(String(10), nullable=True)  # the latest outside party
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    location = relationship("Location")
    reported_by = relationship("User", foreign_keys=[reported_by_id])

    __table_args__ = (
        Index("ix_incidents_site_reported", "site_id", "reported_at"),
        # What is still open: the handover of security, the open panel of the today screens.
        Index("ix_incidents_site_open", "site_id", sqlite_where=text("status <> 'closed'"),
              postgresql_where=text("status <> 'closed'")),
        Index("ix_incidents_site_alerting", "site_id", sqlite_where=text(ALERTING),
              postgresql_where=text(ALERTING)),
    )


class IncidentEvent(db.Model):
    """The append-only timeline of an incident; its ids are (part of) the live element's version."""
    __tablename__ = "incident_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    handed_to: Mapped[str | None] = mapped_column(String(10), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    __table_args__ = (Index("ix_incident_events_site_id_id", "site_id", "id"),)


class IncidentPhoto(db.Model):
    """A photo of an incident (hospitality.photos, kind "incidents"), taken when it was reported or with an action."""
    __tablename__ = "incident_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id"))
    name: Mapped[str] = mapped_column(String(64))

    incident = relationship("Incident")


class Drill(db.Model):
    """A drill held at the site: when, what kind, who took part (staff and others), notes."""
    __tablename__ = "drills"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    others: Mapped[str | None] = mapped_column(String(200), nullable=True)  # people without a login
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idem_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    __table_args__ = (Index("ix_drills_site_day", "site_id", "day"),)


class DrillPerson(db.Model):
    """A person of the site who took part in a drill."""
    __tablename__ = "drill_people"
    drill_id: Mapped[int] = mapped_column(ForeignKey("drills.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)

