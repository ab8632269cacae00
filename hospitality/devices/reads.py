"""What pages need of shared devices: the device this browser is (from its cookie), and a site's devices."""
from flask import g, request
from sqlalchemy import bindparam, select

from ..database import select_rows
from ..extensions import db
from ..models.devices import Device
from .services import hash_token

COOKIE = "device"  # the registered device's token (HttpOnly, SameSite=Lax, Secure under HTTPS)

_BY_TOKEN = select(Device).where(Device.token_hash == bindparam("token_hash"), Device.retired_at.is_(None))
_LIST = (select(Device.id, Device.name, Device.idle_minutes, Device.registered_at, Device.last_seen_at,
                Device.retired_at)
         .where(Device.site_id == bindparam("site_id")).order_by(Device.retired_at.is_not(None), Device.name))


def current_device() -> Device | None:
    """The registered, not retired device this request comes from, or None (no query without the cookie)."""
    if "_device" not in g:
        token = request.cookies.get(COOKIE)
        g._device = (db.session.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).scalar()
                    if token and len(token) <= 100 else None)
    return g._device


def site_devices(site_id: int) -> list:
    """A site's devices, those in use first: rows of id, name, idle_minutes, registered_at, last_seen_at,
    retired_at."""
    return select_rows(_LIST, {"site_id": site_id}).all()
