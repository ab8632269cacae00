"""Who may see what: posts per view, and every row scoped to the user's current site."""
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from .extensions import db
from .models import Site


def post_required(*posts: str):
    """Allow the view only to logged-in users of these posts; others get 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.post not in posts:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


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
