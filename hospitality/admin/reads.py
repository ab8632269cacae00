"""What the manager's set-up pages list: the site's locations, staff and reps, the audit trail, refused logins."""
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row

from ..database import select_rows
from ..models import AuditLog, Location, SalesRep, User
from ..permissions import posts_for

_LOCATIONS = (select(Location.id, Location.name, Location.kind, Location.active)
              .where(Location.site_id == bindparam("site_id")).order_by(Location.position))

_STAFF = (select(User.id, User.username, User.name, User.badge_no, User.phone, User.post, User.active,
                 User.locked_until, User.failed_logins, User.last_failed_login_at)
          .where(User.site_id == bindparam("site_id"), User.post.in_(sorted(posts_for("admin.staff"))))
          .order_by(User.active.desc(), User.post, User.name))

_REPS = (select(SalesRep.id, SalesRep.name, SalesRep.phone, SalesRep.active)
         .where(SalesRep.site_id == bindparam("site_id")).order_by(SalesRep.active.desc(), SalesRep.name))

_AUDIT = (select(AuditLog.id, AuditLog.at, AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.detail,
                 User.name.label("user_name"))
          .outerjoin(User, User.id == AuditLog.user_id)
          .where(AuditLog.site_id == bindparam("site_id"))
          .order_by(AuditLog.id.desc()).limit(bindparam("limit")))
_AUDIT_BEFORE = _AUDIT.where(AuditLog.id < bindparam("before"))

_FAILED_LOGINS = (select(AuditLog.at, AuditLog.action, AuditLog.detail)
                  .where(AuditLog.site_id == bindparam("site_id"), AuditLog.entity == "user",
                         AuditLog.entity_id == bindparam("user_id"),
                         AuditLog.action.in_(("login_failed", "login_locked")))
                  .order_by(AuditLog.id.desc()).limit(bindparam("limit")))


def locations(site_id: int) -> list[Row]:
    """The site's locations in their order: rows of id, name, kind, active."""
    return select_rows(_LOCATIONS, {"site_id": site_id}).all()


def staff(site_id: int) -> list[Row]:
    """The site's people, active first, by post and name, with their login lock state."""
    return select_rows(_STAFF, {"site_id": site_id}).all()


def reps(site_id: int) -> list[Row]:
    """The site's sales reps, those in use first: rows of id, name, phone, active."""
    return select_rows(_REPS, {"site_id": site_id}).all()


def audit_page(site_id: int, before: int | None, size: int) -> tuple[list[Row], bool]:
    """A page of the audit trail, newest first, before an entry id (or from the newest); and whether more follow.
    Rows of id, at, action, entity, entity_id, detail, user_name (None: the system)."""
    params = {"site_id": site_id, "limit": size + 1}
    if before:
        rows = select_rows(_AUDIT_BEFORE, params | {"before": before}).all()
    else:
        rows = select_rows(_AUDIT, params).all()
    return rows[:size], len(rows) > size


def failed_logins(site_id: int, user_id: int, limit: int = 10) -> list[Row]:
    """The person's latest refused logins and locks, newest first, from the audit trail: rows of at, action,
    detail."""
    return select_rows(_FAILED_LOGINS, {"site_id": site_id, "user_id": user_id, "limit": limit}).all()
