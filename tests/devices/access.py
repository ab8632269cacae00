"""Access rules of shared devices (issue 18): the manager's device pages and PIN reset, everyone's own PIN, and the
idle lock a registered device posts (see tests/access_rules.py)."""
from hospitality.database import write_tx
from hospitality.devices.services import hash_token
from hospitality.extensions import db
from hospitality.models import Site, User, utcnow
from hospitality.models.devices import Device
from tests.access_rules import ANY, HQ, MANAGER, Rule

DEVICE = {"name": "改名平板", "idle_minutes": "3"}

MATRIX = {
    ("/devices/", "GET"): Rule(MANAGER),
    ("/devices/", "POST"): Rule(MANAGER, 302, {"name": "新平板", "idle_minutes": "5"}, True),
    ("/devices/<int:device_id>", "GET"): Rule(MANAGER),
    ("/devices/<int:device_id>", "POST"): Rule(MANAGER, 302, DEVICE, True),
    ("/devices/<int:device_id>/retire", "POST"): Rule(MANAGER, 302, writes=True),
    ("/devices/pins/<int:user_id>/reset", "POST"): Rule(MANAGER, 302, writes=True),
    ("/devices/pin", "GET"): Rule(ANY),
    ("/devices/pin", "POST"): Rule(ANY, 302, {"pin": "4826", "again": "4826"}, True),
    ("/devices/lock", "POST"): Rule(ANY | HQ, 302, writes=True),
}


def rows(site: Site, ids: dict) -> dict:
    """The site's water-bar tablet, registered by its manager."""
    with write_tx():
        boss = db.session.scalar(db.select(User.id).where(User.site_id == site.id, User.post == "manager"))
        device = Device(site_id=site.id, name=f"{site.code}吧台平板", token_hash=hash_token(f"{site.code}-token"),
                        registered_by_id=boss, registered_at=utcnow())
        db.session.add(device)
    return {"device_id": device.id}
