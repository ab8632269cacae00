"""/alerts: the manager sets the site's group robots (kind, webhook, secret, events) and sees their last deliveries."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site
from ..errors import RuleError, messages
from ..i18n import text as _
from ..models.alerts import EVENTS, ROBOT_KINDS, STATES
from ..permissions import requires
from . import bp, reads, services


def _page(site, form, errors, status=200):
    robots = [{"id": r.id, "kind": ROBOT_KINDS.get(r.kind, r.kind), "host": urlsplit(r.url).hostname or "",
               "secret": services.mask(r.secret), "events": [EVENTS[k] for k in r.events.split(",") if k in EVENTS],
               "deliveries": reads.last_deliveries(r.id)} for r in reads.robots(site.id)]
    return render_template("alerts/index.html", robots=robots, form=form, errors=errors, kinds=ROBOT_KINDS,
                           events=EVENTS, states=STATES), status


@bp.get("/")
@requires("alerts.settings")
def index():
    """The site's robots, each with its events and last deliveries, and the form to add one."""
    return _page(current_site(), {"kind": "wecom", "events": []}, {})


@bp.post("/")
@requires("alerts.settings")
def add():
    """Add a robot: 422 with the message under the field, nothing saved."""
    site, f = current_site(), request.form
    try:
        services.add_robot(site, current_user, kind=f.get("kind"), url=f.get("url"), secret=f.get("secret"),
                           events=f.getlist("events"))
    except RuleError as e:
        form = {"kind": f.get("kind"), "url": f.get("url", ""), "events": f.getlist("events")}
        return _page(site, form, messages(e), 422)
    flash(_("Robot added: alerts go to its group from now on."))
    return redirect(url_for(".index"))


@bp.post("/<int:robot_id>/remove")
@requires("alerts.settings")
def remove(robot_id):
    """Remove a robot of the site (another site's: 404)."""
    try:
        services.remove_robot(current_site(), current_user, robot_id)
    except RuleError:
        abort(404)
    flash(_("Robot removed."))
    return redirect(url_for(".index"))
