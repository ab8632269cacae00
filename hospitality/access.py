"""Every row scoped to the user's current site (who may do what is hospitality/permissions.py)."""
from flask import abort, g
from flask_login import current_user

from .extensions import db
from .models import Site


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
