"""/alerts: the manager sets the site's group robots (kind, webhook, secret, events) and sees their last deliveries."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site
from ..errors import RuleError, messages
from ..forms import idem
from ..i18n import text as _
from ..models.alerts import EVENTS, ROBOT_KINDS, STATES
from ..permissions import requires
from . import bp, reads, services


def _page(site, form, errors, status=200):
    robots = [{"id": r.id, "kind": ROBOT_KINDS.get(r.kind, r.kind), "host": urlsplit(r.url).hostname or "",
               "secret": services.mask(r.secret), "events": [EVENTS[k] for k in r.events.split(",") if k in EVENTS],
               "wait_hours": r.wait_hours if "purchase_waiting" in r.events else None,
               "deliveries": reads.last_deliveries(r.id)} for r in reads.robots(site.id)]
    return render_template("alerts/index.html", robots=robots, form=form, errors=errors, kinds=ROBOT_KINDS,
                           events=EVENTS, states=STATES), status


@bp.get("/")
@requires("alerts.settings")
def index():
    """The site's robots, each with its events and last deliveries, and the form to add one."""
    return _page(current_site(), {"kind": "wecom", "events": [], "wait_hours": services.DEFAULT_WAIT}, {})


@bp.post("/")
@requires("alerts.settings")
def add():
    """Add a robot: 422 with the message under the field, nothing saved."""
    site, f = current_site(), request.form
    try:
        services.add_robot(site, current_user, kind=f.get("kind"), url=f.get("url"), secret=f.get("secret"),
                           events=f.getlist("events"), wait_hours=f.get("wait_hours"), idem_key=idem())
    except RuleError as e:
        form = {"kind": f.get("kind"), "url": f.get("url", ""), "events": f.getlist("events"),
                "wait_hours": f.get("wait_hours", ""), "idem": idem()}
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


def _robot(site, robot_id: int):
    found = next((r for r in reads.robots(site.id) if r.id == robot_id), None)
    if found is None:
        abort(404)
    return found


def _edit_page(robot, form, errors, status=200):
    return render_template("alerts/edit.html", robot=robot, kind=ROBOT_KINDS.get(robot.kind, robot.kind),
                           secret=services.mask(robot.secret), form=form, errors=errors, events=EVENTS), status


# One rule for both methods: with two, an id beyond the column fails the POST rule's converter and the GET rule
# answers 405 instead of 404.
@bp.route("/<int:robot_id>/edit", methods=["GET", "POST"])
@requires("alerts.settings")
def edit(robot_id):
    """A robot's form: its URL, events and hours; the secret only masked (blank keeps it). Saved: 422 with the
    message under the field, nothing saved; another site's: 404."""
    site, f = current_site(), request.form
    if request.method == "GET":
        r = _robot(site, robot_id)
        return _edit_page(r, {"url": r.url, "events": r.events.split(","), "wait_hours": r.wait_hours}, {})
    try:
        services.edit_robot(site, current_user, robot_id, url=f.get("url"), secret=f.get("secret"),
                            remove_secret=bool(f.get("remove_secret")), events=f.getlist("events"),
                            wait_hours=f.get("wait_hours"))
    except services.AlertErrors as e:
        form = {"url": f.get("url", ""), "events": f.getlist("events"), "wait_hours": f.get("wait_hours", "")}
        return _edit_page(_robot(site, robot_id), form, messages(e), 422)
    except RuleError:
        abort(404)
    flash(_("Robot saved."))
    return redirect(url_for(".index"))
