"""The audit trail: one row per write, in the write's own transaction."""
from flask_login import current_user

from .extensions import db
from .models import AuditLog


def record(action: str, entity: str, entity_id: int | None, *, site_id: int | None,
           user_id: int | None = None, **detail) -> None:
    """Add an audit row to the session; it commits (or rolls back) with the change."""
    if user_id is None and current_user and current_user.is_authenticated:
        user_id = current_user.id
    db.session.add(AuditLog(action=action, entity=entity, entity_id=entity_id, site_id=site_id,
                            user_id=user_id, detail=_jsonable(detail)))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
