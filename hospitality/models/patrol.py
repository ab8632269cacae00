"""Night patrols (巡逻): the checkpoints a guard visits each round, and every scan of one.

A round is a run of the site's patrol checklist (kind "patrol"): the checklist engine knows when each round of a
night opens and is due (one every `every_minutes` of the roster's night shift, across midnight; the night belongs
to the day it started). A checkpoint carries an unguessable token printed as a QR code; scanning it (or tapping it
in the list when the code is damaged) records a PatrolScan in the round open at that moment. Refused scans are
recorded too (status "refused", with the reason), so the night report shows them.
"""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .core import utcnow

# What a guard finds at a checkpoint (seed 002: lights but the emergency lights, AC, water and power off, no fire
# hazard, doors and windows shut).
PROBLEMS = {
    "lights": _l("Lights left on"),
    "ac": _l("Air conditioning on"),
    "power": _l("Water or power"),
    "fire": _l("Fire hazard"),
    "door": _l("Door or window open"),
    "other": _l("Other"),
}
# The incident kind a problem becomes when the guard reports it as an incident.
INCIDENT_KIND = {"lights": "other", "ac": "other", "power": "utility", "fire": "fire", "door": "other",
                 "other": "other"}
METHODS = {"scan": _l("Scanned"), "tap": _l("Tapped, not scanned")}
FLAGS = {"far": _l("Far from the checkpoint"), "fast": _l("Faster than walking"),
         "no_position": _l("No position")}
REFUSALS = {
    "not_rostered": _l("Not on the night roster"),
    "other_site": _l("Another sales centre's code"),
    "unknown": _l("Not a checkpoint code"),
    "no_round": _l("No round open"),
}


class Checkpoint(db.Model):
    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # The area it is in: a problem found there becomes an incident at this place.
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(String(60))
    # Printed in the QR code's URL; unguessable (secrets.token_urlsafe) and never reused.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    require_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where it is: set once by the manager scanning the code there; scans far from it are flagged.
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    placed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    location = relationship("Location")

    __table_args__ = (UniqueConstraint("site_id", "name"),)

    @property
    def placed(self) -> bool:
        return self.lat is not None and self.lng is not None


class PatrolScan(db.Model):
    __tablename__ = "patrol_scans"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    day: Mapped[date] = mapped_column(Date)  # the night (the day it started)
    slot: Mapped[str] = mapped_column(String(20), default="")  # the round ("23:30"); "" when refused outside one
    run_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_runs.id"), nullable=True)
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # when it arrived
    # The phone's time of a scan kept offline and sent later (hospitality/fields.py made_at, counted).
    made_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    method: Mapped[str] = mapped_column(String(8), default="scan")  # scan | tap
    status: Mapped[str] = mapped_column(String(10))  # ok | problem | refused
    refusal: Mapped[str | None] = mapped_column(String(20), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)  # metres, as the browser gave it
    distance_m: Mapped[int | None] = mapped_column(Integer, nullable=True)  # from the checkpoint's position
    flags: Mapped[str] = mapped_column(String(40), default="")  # "far,fast"
    problem: Mapped[str | None] = mapped_column(String(10), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What became of a problem: an incident, or a task for the morning (done when someone marks it so).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    morning_task: Mapped[bool] = mapped_column(Boolean, default=False)
    task_done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    task_done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    task_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    checkpoint = relationship("Checkpoint")
    user = relationship("User", foreign_keys=[user_id])

    # A checkpoint counts once a round (refused scans have no run: NULLs never collide).
    __table_args__ = (UniqueConstraint("run_id", "checkpoint_id"),
                      Index("ix_patrol_scans_site_day", "site_id", "day"),
                      Index("ix_patrol_scans_open_tasks", "site_id", "morning_task", "task_done_at"))

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]
