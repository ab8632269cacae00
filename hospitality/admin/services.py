"""Rules for setting up a site and its people; every write is audited."""
from sqlalchemy import func, select

from .. import idempotency
from ..audit import record
from ..auth import lockout
from ..auth.services import end_all_sessions
from ..database import next_position, write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Location, SalesRep, Site, User
from ..models.core import LOCATION_KINDS, POSTS
from ..permissions import post_can, posts_for


class AdminError(RuleError):
    """A set-up rule said no (a code, name or badge taken, one's own post)."""


def _taken(model, field: str, value, site_id: int | None = None, exclude_id: int | None = None):
    col = getattr(model, field)
    q = select(model.id).where(func.lower(col) == value.lower()) if isinstance(value, str) \
        else select(model.id).where(col == value)
    if site_id is not None:
        q = q.where(model.site_id == site_id)
    if exclude_id is not None:
        q = q.where(model.id != exclude_id)
    return db.session.scalar(q.limit(1)) is not None


def create_site(manager: User, name: str, code: str, timezone: str, model_rooms: int,
                idem_key: str | None = None) -> Site:
    """A new sales center with default locations and routines, managed by its creator. The same form sent twice
    creates one: its key is held under the creator's home site, which (unlike the site they work on, the new one
    after the first answer) is the same for the replay."""
    from ..seed import add_default_content
    code = code.strip().upper()
    with write_tx():
        if (earlier := idempotency.claim(idem_key, "site", manager.site_id)) is not None:
            return db.session.get(Site, earlier)
        if _taken(Site, "code", code):
            raise AdminError(_("This code is used by another site."), "code")
        site = Site(name=name.strip(), code=code, timezone=timezone)
        db.session.add(site)
        db.session.flush()
        add_default_content(site, model_rooms)
        db.session.get(User, manager.id).managed_sites.append(site)
        idempotency.done(idem_key, "site", manager.site_id, site.id)
        record("create", "site", site.id, site_id=site.id, name=site.name, code=code)
    return site


def update_site(site: Site, name: str, timezone: str, auto_approve_below=None, refill_minutes=None) -> None:
    with write_tx():
        site = db.session.get(Site, site.id)
        before = {"name": site.name, "timezone": site.timezone, "auto_approve_below": site.auto_approve_below,
                  "refill_minutes": site.refill_minutes}
        site.name, site.timezone = name.strip(), timezone
        site.auto_approve_below = auto_approve_below
        if refill_minutes is not None:
            site.refill_minutes = refill_minutes
        record("update", "site", site.id, site_id=site.id, before=before, name=site.name,
               timezone=timezone, auto_approve_below=auto_approve_below, refill_minutes=site.refill_minutes)


def save_location(site: Site, location: Location | None, kind: str, name: str,
                  active: bool = True, idem_key: str | None = None) -> Location:
    """Add a location, or change one. The same add form sent twice adds one."""
    if kind not in LOCATION_KINDS:
        raise AdminError(_("Choose a kind of location."), "kind")
    name = name.strip()
    with write_tx():
        if location is None and (earlier := idempotency.claim(idem_key, "location", site.id)) is not None:
            return db.session.get(Location, earlier)
        if _taken(Location, "name", name, site.id, location.id if location else None):
            raise AdminError(_("This site already has a location of that name."), "name")
        if location is None:
            location = Location(site_id=site.id,
                                position=next_position(Location.position, Location.site_id == site.id))
            db.session.add(location)
            action = "create"
        else:
            location = db.session.get(Location, location.id)
            action = "update"
        location.kind, location.name, location.active = kind, name, active
        db.session.flush()
        if action == "create":
            idempotency.done(idem_key, "location", site.id, location.id)
        record(action, "location", location.id, site_id=site.id, kind=kind, name=name,
               active=active)
    return location


def _check_post(post: str, actor: User | None) -> None:
    """A site's manager gives the site's posts; a head-office login is made from the command line (no actor)."""
    if post not in (POSTS if actor is None else posts_for("admin.staff")):
        raise AdminError(_("Choose a post."), "post")


def create_staff(site: Site, actor: User | None, *, username: str, name: str, badge_no: str,
                 phone: str, post: str, password: str, idem_key: str | None = None) -> User:
    """Add a person of the site with a login. The same form sent twice adds one."""
    _check_post(post, actor)
    with write_tx():
        if (earlier := idempotency.claim(idem_key, "user", site.id)) is not None:
            return db.session.get(User, earlier)
        if _taken(User, "username", username.strip()):
            raise AdminError(_("This username is taken."), "username")
        if _taken(User, "badge_no", badge_no.strip(), site.id):
            raise AdminError(_("Another person on this site has this badge number."), "badge_no")
        user = User(site_id=site.id, username=username.strip(), name=name.strip(),
                    badge_no=badge_no.strip(), phone=phone.strip(), post=post)
        user.set_password(password)
        if post_can(post, "admin.manage"):  # one who manages sites may switch to this one
            user.managed_sites.append(db.session.get(Site, site.id))
        db.session.add(user)
        db.session.flush()
        idempotency.done(idem_key, "user", site.id, user.id)
        record("create", "user", user.id, site_id=site.id, user_id=actor.id if actor else None,
               username=user.username, name=user.name, post=post)
    return user


def update_staff(site: Site, user: User, *, name: str, badge_no: str, phone: str, post: str,
                 active: bool, password: str | None, actor: User) -> User:
    _check_post(post, actor)
    if not post_can(user.post, "admin.staff"):
        raise AdminError(_("Choose a post."), "post")
    if user.id == actor.id and (not active or post != user.post):
        raise AdminError(_("You cannot deactivate yourself or change your own post."), "active")
    with write_tx():
        if _taken(User, "badge_no", badge_no.strip(), site.id, user.id):
            raise AdminError(_("Another person on this site has this badge number."), "badge_no")
        user = db.session.get(User, user.id)
        before = {"name": user.name, "badge_no": user.badge_no, "phone": user.phone,
                  "post": user.post, "active": user.active}
        user.name, user.badge_no, user.phone = name.strip(), badge_no.strip(), phone.strip()
        user.post, user.active = post, active
        if password:
            user.set_password(password)
        if not active or password:
            # A deactivated person or a new password: sessions on other phones end now.
            end_all_sessions(user.id)
        record("update", "user", user.id, site_id=site.id, before=before, name=user.name,
               badge_no=user.badge_no, phone=user.phone, post=post, active=active,
               password_reset=bool(password))
    return user


def unlock_staff(site: Site, user: User, actor: User) -> None:
    """Lift a login lock (and forget the run of wrong passwords) before it ends by itself."""
    with write_tx():
        user = db.session.get(User, user.id, populate_existing=True)
        record("unlock", "user", user.id, site_id=site.id, user_id=actor.id, username=user.username,
               locked_until=user.locked_until, failed_logins=user.failed_logins)
        lockout.unlock(user.id)


def save_rep(site: Site, rep: SalesRep | None, name: str, phone: str, active: bool = True,
             idem_key: str | None = None) -> SalesRep:
    """Add a sales rep, or change one. The same add form sent twice adds one."""
    name = name.strip()
    with write_tx():
        if rep is None and (earlier := idempotency.claim(idem_key, "sales_rep", site.id)) is not None:
            return db.session.get(SalesRep, earlier)
        if _taken(SalesRep, "name", name, site.id, rep.id if rep else None):
            raise AdminError(_("This site already has a sales rep of that name."), "name")
        if rep is None:
            rep = SalesRep(site_id=site.id)
            db.session.add(rep)
            action = "create"
        else:
            rep = db.session.get(SalesRep, rep.id)
            action = "update"
        rep.name, rep.phone, rep.active = name, phone.strip(), active
        db.session.flush()
        if action == "create":
            idempotency.done(idem_key, "sales_rep", site.id, rep.id)
        record(action, "sales_rep", rep.id, site_id=site.id, name=name, active=active)
    return rep
