"""What /readyz asks: can this server reach each part it needs (the database, Redis when configured, the photo
store). Each check returns "ok" / "not configured" or raises."""
from flask import current_app
from sqlalchemy import text

from ..extensions import db, limiter


def database() -> str:
    db.session.execute(text("SELECT 1"))
    return "ok"


def redis() -> str:
    """Redis when the app is told to use it (the login and PIN limits' storage)."""
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if not uri.startswith(("redis://", "rediss://", "redis+")):
        return "not configured"
    storage = limiter.storage
    if storage is None or not storage.check():
        raise ConnectionError("redis does not answer")
    return "ok"


def storage() -> str:
    from .. import photos
    photos.ready()
    return "ok"


def readiness() -> tuple[bool, dict[str, str]]:
    """Every part's state, and whether all are up. A failed database check leaves no broken transaction."""
    parts, ok = {}, True
    for name, check in (("database", database), ("redis", redis), ("storage", storage)):
        try:
            parts[name] = check()
        except Exception as e:  # noqa: BLE001 - any failure is "down", with its kind
            parts[name] = f"down: {type(e).__name__}"
            ok = False
            if name == "database":
                db.session.rollback()
    return ok, parts
