"""Incident pages: report one in a few taps, its page with the timeline and the actions on it, what is open, the
lead's and manager's list with filters, monthly counts and Excel exports, and the drills."""
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import fields, photos
from ..access import child_get_or_404, current_site, site_get_or_404, site_places, with_own_place
from ..clock import utcnow
from ..database import read_panels
from ..errors import RuleError, error_response, messages
from ..forms import idem
from ..htmx import is_htmx, render_page_or_fragment, wants_fragment
from ..i18n import text as _
from ..inventory.services import POST_LOCATIONS
from ..models.incidents import DRILL_KINDS, HANDED_TO, KINDS, LEVELS, STATES, Incident, IncidentPhoto
from ..permissions import requires
from ..visits.reads import live as live_reads
from . import bp, export, reads, services
from .forms import FilterError, parse_filters, parse_year

# The live list replaces itself whole (visits/routes.py says why by the response, not by attributes).
LIVE_SWAP = {"HX-Reswap": "outerHTML", "HX-Retarget": "#visits-live"}


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, mimetype=export.XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


def _report_ctx(site, form, errors, visit_id) -> dict:
    form, choices = with_own_place(form, site_places(site.id), POST_LOCATIONS.get(current_user.post, ()))
    return {"form": form, "errors": errors, "place_choices": choices, "kinds": KINDS, "levels": LEVELS,
            "visit": reads.visit(site.id, visit_id), "max_photos": services.MAX_PHOTOS}


@bp.route("/new", methods=["GET", "POST"])
@requires("incidents.report")
def new():
    """Report an incident: kind, place, how serious, what happened, photos; from a visit, tied to it."""
    site = current_site()
    visit_id = request.values.get("visit_id", type=int)
    if request.method == "POST":
        f = request.form
        try:
            incident = services.report(
                site, current_user, kind=f.get("kind"), location_id=f.get("location_id"), level=f.get("level"),
                description=f.get("description"), visit_id=f.get("visit_id"), files=request.files.getlist("photos"),
                idem_key=idem(), made_at=fields.made_at(f.get("made_at"), utcnow()))
        except RuleError as e:
            return render_template("incidents/new.html", **_report_ctx(site, f, messages(e), visit_id),
                                   idem_key=f.get("idem")), 422
        flash(_("Incident reported. The lead, the manager and security see it now.") if incident.level == "urgent"
              else _("Incident reported."))
        return redirect(url_for(".show", incident_id=incident.id))
    return render_template("incidents/new.html", **_report_ctx(site, {}, {}, visit_id), idem_key=None)


def _show_ctx(site, row, errors=None, form=None, steps: list | None = None) -> dict:
    return {"i": row, "steps": reads.timeline(row.id) if steps is None else steps, "errors": errors or {},
            "form": form or {},
            "may_act": services.may_act(current_user, row), "handed_to": HANDED_TO, "max_photos": services.MAX_PHOTOS}


def _incident_row(incident_id: int):
    row = reads.incident(current_user.current_site_id, incident_id)
    if row is None:
        abort(404)
    return row


@bp.get("/<int:incident_id>")
@requires("incidents.view")
def show(incident_id):
    """An incident: what, where, who reported it, its timeline with photos, and the forms the user may use (read at
    once: one statement on PostgreSQL)."""
    got = read_panels(reads.incident_reads(current_user.current_site_id, incident_id),
                      reads.timeline_reads(incident_id))
    if got["incident"] is None:
        abort(404)
    return render_template("incidents/show.html", **_show_ctx(current_site(), got["incident"], steps=got["steps"]))


def _act(incident_id: int, action, done: str):
    """Run one action on an incident of this site: back to its page, or the page with the refusal (422)."""
    incident = site_get_or_404(Incident, incident_id)
    site = current_site()
    try:
        action(site, incident)
    except RuleError as e:
        return render_template("incidents/show.html", **_show_ctx(site, _incident_row(incident_id),
                                                                   messages(e), request.form)), 422
    flash(done)
    return redirect(url_for(".show", incident_id=incident_id))


@bp.post("/<int:incident_id>/acknowledge")
@requires("incidents.acknowledge")
def acknowledge(incident_id):
    """Seen: the alert stops on every screen. The live list's button gets the list back, swapped over itself."""
    incident = site_get_or_404(Incident, incident_id)
    site = current_site()
    if wants_fragment():
        try:
            services.acknowledge(site, current_user, incident)
        except RuleError as e:  # closed meanwhile, or one's own report: a toast, the list stays
            return error_response(409, e.message)
        return render_template("visits/_live.html", **live_reads.live_panel(site, current_user.post)), LIVE_SWAP
    return _act(incident_id, lambda s, i: services.acknowledge(s, current_user, i), _("Acknowledged."))


@bp.post("/<int:incident_id>/actions")
@requires("incidents.report")
def add_action(incident_id):
    """An action taken, with a note and photos (the lead, the manager, security, or whoever reported it)."""
    return _act(incident_id, lambda s, i: services.add_action(
        s, current_user, i, request.form.get("note"), request.files.getlist("photos"), idem()), _("Added."))


@bp.post("/<int:incident_id>/hand")
@requires("incidents.act")
def hand(incident_id):
    """Handed to the police, property management or a repair."""
    return _act(incident_id, lambda s, i: services.hand_over(
        s, current_user, i, request.form.get("to"), request.form.get("hand_note"), idem()), _("Handed over."))


@bp.post("/<int:incident_id>/close")
@requires("incidents.close")
def close(incident_id):
    return _act(incident_id, lambda s, i: services.close(s, current_user, i, request.form.get("outcome")),
                _("Incident closed."))


@bp.get("/<int:incident_id>/photos/<int:photo_id>")
@requires("incidents.view")
def photo(incident_id, photo_id):
    """A photo of an incident of this site (stored without EXIF/GPS)."""
    incident = site_get_or_404(Incident, incident_id)
    found = child_get_or_404(IncidentPhoto, photo_id, "incident", of=incident)
    return photos.send(services.PHOTO_KIND, found.name)


@bp.get("/open")
@requires("incidents.watch")
def open_list():
    """What is still open, newest first: a section of the today screens, or a page of its own."""
    return render_page_or_fragment("incidents/open.html", "incidents/_open.html",
                                   rows=reads.open_incidents(current_user.current_site_id))


@bp.get("/")
@requires("incidents.list")
def index():
    """Any range's incidents with filters (kind, place, state), a page at a time; ?format=xlsx exports them."""
    site = current_site()
    places = site_places(site.id)
    target = request.headers.get("HX-Target") if is_htmx() else None
    try:
        f = parse_filters(request.args, site.today(), {p.id for p in places})
    except FilterError as e:
        return render_template("incidents/index.html", f=None, rows=[], more=False, places=places,
                               errors={e.field: e.message}, form=request.args, kinds=KINDS, states=STATES), 422
    if request.args.get("format") == "xlsx":
        return _xlsx(export.incidents_xlsx(site, f), f"incidents-{f.first.isoformat()}-{f.last.isoformat()}")
    rows, more = reads.page(site, f)
    if target == "more-rows":
        return render_template("incidents/_rows.html", rows=rows, more=more, f=f)
    return render_template("incidents/index.html", f=f, rows=rows, more=more, places=places, errors={},
                           form=f.args(), kinds=KINDS, states=STATES)


@bp.get("/counts")
@requires("incidents.list")
def counts():
    """Incidents per kind in each month of a year (the monthly table head office asks for); ?format=xlsx."""
    site = current_site()
    today = site.today()
    year = parse_year(request.args.get("year"), today)
    table = reads.month_counts(site, year)
    if request.args.get("format") == "xlsx":
        return _xlsx(export.counts_xlsx(year, table), f"incidents-{year}")
    months = 12 if year < today.year else today.month
    return render_template("incidents/counts.html", year=year, table=table, months=months, kinds=KINDS,
                           years=range(today.year, today.year - 5, -1))


@bp.route("/drills", methods=["GET", "POST"])
@requires("incidents.drills")
def drills():
    """Drills held this year (消防演练 and the others) and the form to record one."""
    site = current_site()
    today = site.today()
    year = parse_year(request.args.get("year"), today)
    errors, status, form = {}, 200, {"day": today.isoformat()}
    if request.method == "POST":
        f = request.form
        try:
            services.record_drill(site, current_user, day=f.get("day"), kind=f.get("kind"),
                                  people=f.getlist("people"), others=f.get("others"), notes=f.get("notes"),
                                  idem_key=idem())
        except RuleError as e:
            errors, status, form = messages(e), 422, f
        else:
            flash(_("Drill recorded."))
            return redirect(url_for(".drills"))
    first, last = date(year, 1, 1), date(year, 12, 31)
    return render_template("incidents/drills.html", drills=reads.drills(site.id, first, last),
                           staff=reads.staff(site.id), kinds=DRILL_KINDS, errors=errors, form=form, year=year,
                           years=range(today.year, today.year - 5, -1),
                           ticked=set(form.getlist("people")) if status == 422 else set(),
                           idem_key=request.form.get("idem") if status == 422 else None), status
