"""Every row scoped to the user's current site (who may do what is hospitality/permissions.py)."""
from flask import abort, g
from flask_login import current_user
from sqlalchemy import bindparam, select

from .database import select_rows
from .extensions import db
from .models import Location, Site


def current_site() -> Site:
    """The site this login works on (cached for the request)."""
    if "site" not in g:
        g.site = db.session.get(Site, current_user.current_site_id)
    return g.site


def site_get_or_404(model, ident, *options):
    """A row of the current site, or 404: another site's ids do not exist for this user. `options` are
    loader options (e.g. joinedload of what the page shows)."""
    obj = db.session.get(model, ident, options=options or None)
    if obj is None or getattr(obj, "site_id", None) != current_user.current_site_id:
        abort(404)
    return obj


def child_get_or_404(model, ident, parent: str, *options, of=None):
    """A row that belongs to a row of the current site (a count's line, a handover's line, a run's answer), or
    404. `parent` names the relationship to the row that carries site_id; `of` requires that very parent
    (a line of this count, not of another count of the same site)."""
    obj = db.session.get(model, ident, options=options or None)
    owner = getattr(obj, parent) if obj is not None else None
    if owner is None or owner.site_id != current_user.current_site_id or (of is not None and owner is not of):
        abort(404)
    return obj


_PLACES = (select(Location.id, Location.name, Location.kind)
           .where(Location.site_id == bindparam("site_id"), Location.active.is_(True))
           .order_by(Location.position, Location.id))


def site_places(site_id: int) -> list:
    """The site's places in use, in screen order (report forms, filters, quick picks): rows of id, name, kind."""
    return select_rows(_PLACES, {"site_id": site_id}).all()


def with_own_place(form, places, kinds: tuple[str, ...]):
    """A report form with the post's own place chosen (the bar, a model room: `kinds`, the places of the post) when
    none is and the post has exactly one; the choices as (id, name) for the form's picks."""
    if not form.get("location_id"):
        own = [p for p in places if p.kind in kinds]
        form = {**form, "location_id": str(own[0].id)} if len(own) == 1 else form
    return form, [(p.id, p.name) for p in places]
