"""Repair pages: report one in two taps from the today screen, its page with the timeline, the crews and the lead's
and manager's steps (assign, fixed, check), the open list with counts by place and kind, any range and its Excel."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import photos
from ..access import child_get_or_404, current_site, site_get_or_404, site_places, with_own_place
from ..errors import RuleError, messages
from ..forms import idem
from ..htmx import is_htmx, render_page_or_fragment
from ..i18n import text as _
from ..inventory.services import POST_LOCATIONS
from ..models.repairs import ASSIGNEES, KINDS, STATES, Repair, RepairPhoto
from ..permissions import can, requires
from . import bp, export, reads, services
from .forms import FilterError, kind_and_place, parse_filters

# An incident handed over to a repair (hospitality/incidents) prefills the form with its kind of defect.
FROM_INCIDENT = {"damage": "fitting", "utility": "equipment"}


def _report_ctx(site, form, errors, incident=None) -> dict:
    if incident is not None and not form:
        form = {"kind": FROM_INCIDENT.get(incident.kind, "other"), "location_id": str(incident.location_id),
                "description": incident.description}
    form, choices = with_own_place(form, site_places(site.id), POST_LOCATIONS.get(current_user.post, ()))
    return {"form": form, "errors": errors, "place_choices": choices, "kinds": KINDS,
            "max_photos": services.MAX_PHOTOS,
            "incident": incident}


@bp.route("/new", methods=["GET", "POST"])
@requires("repairs.report")
def new():
    """Report a repair: kind, place, where exactly, what is wrong, photos, urgent or not; from an incident, tied
    to it."""
    site = current_site()
    incident = reads.incident(site.id, request.values.get("incident_id", type=int))
    if request.method == "POST":
        f = request.form
        try:
            repair = services.report(
                site, current_user, kind=f.get("kind"), location_id=f.get("location_id"), spot=f.get("spot"),
                description=f.get("description"), urgent=f.get("urgent") == "1",
                files=request.files.getlist("photos"), incident_id=f.get("incident_id"), idem_key=idem())
        except RuleError as e:
            return render_template("repairs/new.html", **_report_ctx(site, f, messages(e), incident),
                                   idem_key=f.get("idem")), 422
        flash(_("Repair reported. The lead and the manager see it now."))
        return redirect(url_for(".show", repair_id=repair.id))
    return render_template("repairs/new.html", **_report_ctx(site, {}, {}, incident), idem_key=None)


def _repair_row(repair_id: int):
    # Anyone of the site opens a repair's page (security lets its crew in, the next shift is asked about it); the
    # lists are what differ: staff list their own and their places'.
    row = reads.repair(current_user.current_site_id, repair_id)
    if row is None:
        abort(404)
    return row


def _show_ctx(site, row, errors=None, form=None) -> dict:
    register = (can(current_user, "workers.doors") and row.place_kind == "model_room" and row.status != "checked")
    return {"r": row, "steps": reads.timeline(row.id), "crews": reads.crews(row.id), "errors": errors or {},
            "form": form or {}, "assignees": ASSIGNEES, "staff": reads.staff(site.id) if can(
                current_user, "repairs.assign") else [], "may_register": register,
            "max_photos": services.MAX_PHOTOS}


@bp.get("/<int:repair_id>")
@requires("repairs.view")
def show(repair_id):
    """A repair: what, where, who reported it, its timeline with photos, the crews that came, and the next step."""
    return render_template("repairs/show.html", **_show_ctx(current_site(), _repair_row(repair_id)))


def _act(repair_id: int, action, done: str):
    """Run one step on a repair of this site: back to its page, or the page with the refusal under its field."""
    repair = site_get_or_404(Repair, repair_id)
    site = current_site()
    try:
        action(site, repair)
    except RuleError as e:
        return render_template("repairs/show.html", **_show_ctx(site, _repair_row(repair_id), messages(e),
                                                                 request.form)), 422
    flash(done)
    return redirect(url_for(".show", repair_id=repair_id))


@bp.post("/<int:repair_id>/assign")
@requires("repairs.assign")
def assign(repair_id):
    """Given to a person of the site, the cleaners or maintenance, the property company or a named contractor."""
    f = request.form
    return _act(repair_id, lambda s, r: services.assign(
        s, current_user, r, to=f.get("to"), user_id=f.get("user_id"), company=f.get("company"),
        contact=f.get("contact"), phone=f.get("phone"), note=f.get("note"), idem_key=idem()), _("Assigned."))


@bp.post("/<int:repair_id>/fixed")
@requires("repairs.fix")
def fixed(repair_id):
    """Recorded fixed, with a note and photos of the fix."""
    return _act(repair_id, lambda s, r: services.fixed(
        s, current_user, r, note=request.form.get("fix_note"), files=request.files.getlist("photos"),
        idem_key=idem()), _("Recorded fixed. Check the fix."))


@bp.post("/<int:repair_id>/check")
@requires("repairs.check")
def check(repair_id):
    """The fix checked: closed, or not fixed and back to whoever it was assigned to."""
    outcome = request.form.get("outcome")
    return _act(repair_id, lambda s, r: services.check(
        s, current_user, r, outcome=outcome, note=request.form.get("check_note"), idem_key=idem()),
        _("Checked: the repair is closed.") if outcome == "ok" else _("Sent back: not fixed."))


@bp.get("/<int:repair_id>/photos/<int:photo_id>")
@requires("repairs.view")
def photo(repair_id, photo_id):
    """A photo of a repair of this site (stored without EXIF/GPS)."""
    found = child_get_or_404(RepairPhoto, photo_id, "repair", of=site_get_or_404(Repair, repair_id))
    return photos.send(services.PHOTO_KIND, found.name)


@bp.get("/")
@requires("repairs.view")
def index():
    """The lead and the manager: every open repair with its age, filtered by place and kind, counted by place and
    kind. Staff: the repairs they reported and those of their post's places."""
    site = current_site()
    if not can(current_user, "repairs.list"):
        return render_template("repairs/mine.html", rows=reads.mine(site.id, current_user))
    places = site_places(site.id)
    try:
        kind, place = kind_and_place(request.args, {p.id for p in places})
    except FilterError as e:
        return render_template("repairs/index.html", rows=[], counts=reads.open_counts(site.id), places=places,
                               errors={e.field: e.message}, form=request.args, kinds=KINDS), 422
    return render_template("repairs/index.html", rows=reads.open_repairs(site.id, kind, place),
                           counts=reads.open_counts(site.id), places=places, errors={},
                           form={"kind": kind, "place": place or ""}, kinds=KINDS)


@bp.get("/open")
@requires("repairs.list")
def glance():
    """The open repairs at a glance: a section of the lead's and the manager's today screens, or a page."""
    site_id = current_user.current_site_id
    return render_page_or_fragment("repairs/open.html", "repairs/_open.html", rows=reads.open_repairs(site_id),
                                   counts=reads.open_counts(site_id))


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, mimetype=export.XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


@bp.get("/range")
@requires("repairs.list")
def history():
    """Repairs reported in any range, with filters (kind, place, state), a page at a time; ?format=xlsx exports."""
    site = current_site()
    places = site_places(site.id)
    try:
        f = parse_filters(request.args, site.today(), {p.id for p in places})
    except FilterError as e:
        return render_template("repairs/range.html", f=None, rows=[], more=False, places=places,
                               errors={e.field: e.message}, form=request.args, kinds=KINDS, states=STATES), 422
    if request.args.get("format") == "xlsx":
        return _xlsx(export.repairs_xlsx(site, f), f"repairs-{f.first.isoformat()}-{f.last.isoformat()}")
    rows, more = reads.page(site, f)
    if is_htmx() and request.headers.get("HX-Target") == "more-rows":
        return render_template("repairs/_rows.html", rows=rows, more=more, f=f)
    return render_template("repairs/range.html", f=f, rows=rows, more=more, places=places, errors={},
                           form=f.args(), kinds=KINDS, states=STATES)
