"""The night patrol a site starts with: an hourly round through the night shift, and its checkpoints.

Seed 002 (夜班保安岗位职责): patrol every hour at night (每1小时巡逻); lights (but the emergency lights), AC, water
and power equipment off, no fire hazard. The checkpoints follow the places a guard walks through: the lobby, the
water bar, each model room, the negotiation area, the car park, the fire exits and the electrical room.
"""
import secrets

from sqlalchemy import select

from ..database import next_position
from ..extensions import db
from ..models import ChecklistTemplate, Location, Site
from ..models.attendance import Shift
from ..models.patrol import Checkpoint

SEED_KEY = "night_patrol"
EVERY_MINUTES = 60
# Places a patrol needs that a site's hospitality areas lack (kind "other").
PATROL_PLACES = ("大堂", "消防通道", "配电房")
# The walking order: (location kind or name, checkpoint name or None for the location's own name).
ROUTE = [("大堂", None), ("water_bar", None), ("model_room", None), ("negotiation", None), ("car_park", None),
         ("消防通道", None), ("配电房", None)]


def seed_patrol(site: Site) -> bool:
    """Add the night patrol and its checkpoints when the site has none (in the caller's transaction); returns
    whether it added them. Needs the site's night shift (attendance.services.default_shifts)."""
    db.session.flush()
    have = db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.site_id == site.id,
                                                                ChecklistTemplate.seed_key == SEED_KEY))
    night = db.session.scalar(select(Shift).where(Shift.site_id == site.id, Shift.code == "night"))
    if have is not None or night is None:
        return False
    places = list(db.session.scalars(select(Location).where(Location.site_id == site.id)
                                     .order_by(Location.position, Location.id)))
    names = {p.name for p in places}
    pos = next_position(Location.position, Location.site_id == site.id)
    for name in PATROL_PLACES:
        if name not in names:
            place = Location(site_id=site.id, kind="other", name=name, position=pos)
            db.session.add(place)
            places.append(place)
            pos += 1
    db.session.flush()
    position = 0
    for key, _name in ROUTE:
        for place in places:
            if place.active and (place.kind == key or place.name == key):
                position += 1
                db.session.add(Checkpoint(site_id=site.id, location_id=place.id, name=place.name,
                                          token=secrets.token_urlsafe(16), position=position))
    db.session.add(ChecklistTemplate(
        site_id=site.id, kind="patrol", post="security", name="夜间巡逻", name_en="Night patrol", shift_id=night.id,
        every_minutes=EVERY_MINUTES, seed_key=SEED_KEY,
        position=next_position(ChecklistTemplate.position, ChecklistTemplate.site_id == site.id)))
    db.session.flush()
    return True
