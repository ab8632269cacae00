"""Patrol pages: tonight's round (security, the lead, the manager), a checkpoint's page its printed code opens
(/c/<token>) or the list's tap opens, the problem passed on, the morning tasks, the night report with its Excel
export, and the manager's checkpoints with their sheet of codes."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import fields, photos, qr
from ..access import current_site, site_get_or_404, site_places
from ..clock import to_local, utcnow
from ..errors import RuleError, error_response, messages
from ..forms import arg_date, idem
from ..htmx import render_page_or_fragment, wants_fragment
from ..i18n import text as _
from ..incidents import reads as incident_reads
from ..models.incidents import STATES as INCIDENT_STATES
from ..models.patrol import FLAGS, METHODS, PROBLEMS, REFUSALS, Checkpoint, PatrolScan
from ..permissions import can, requires
from . import bp, export, reads, services
from .services import PatrolError, RoundClosed, ScanRefused, Where


def _patrol():
    """The site's patrol, or the page saying there is none yet (the manager sets it up on the checkpoints page)."""
    return reads.template(current_user.current_site_id)


@bp.get("/patrol")
@requires("patrol.rounds")
def index():
    """Tonight: the round open now with the checkpoints still to visit (each can be tapped when its code is damaged),
    the next round, the night's rounds with their states, and what earlier patrols left for the morning."""
    site, patrol = current_site(), _patrol()
    ctx = {"patrol": patrol, "tasks": reads.open_tasks(site.id), "problems": PROBLEMS,
           "round_states": reads.ROUND_STATES}
    if patrol is not None:
        ctx["t"] = reads.tonight(site, patrol)
    return render_template("patrol/index.html", **ctx)


@bp.get("/patrol/glance")
@requires("patrol.report")
def glance():
    """The lead's and manager's today section: the current (or last) night's rounds, missed ones in red, refreshed
    every minute while the screen is open; and the open morning tasks. A page of its own on a plain GET (the
    section's link before it loads)."""
    site, patrol = current_site(), _patrol()
    night = reads.night_report(site, patrol, reads.night_of(patrol, reads.wall_clock(site))) if patrol else None
    return render_page_or_fragment("patrol/glance.html", "patrol/_glance.html", patrol=patrol, night=night,
                                   tasks=reads.open_tasks(site.id))


def _scan_ctx(checkpoint, admitted=None, errors=None, form=None, done=None, refused=None) -> dict:
    return {"cp": checkpoint, "admitted": admitted, "errors": errors or {}, "form": form or {}, "done": done,
            "refused": refused, "problems": PROBLEMS, "flags": FLAGS, "methods": METHODS}


def _checkpoint_page(checkpoint, method: str):
    """A checkpoint's page: the manager sets its position; anyone else scans it (refusals recorded, 404/403). A scan
    sent from the phone's outbox (made_at) counts in the round open when it was made (fields.counted)."""
    site = current_site()
    if request.method == "GET" and checkpoint is not None and checkpoint.site_id == site.id \
            and can(current_user, "patrol.checkpoints"):
        return render_template("patrol/place.html", cp=checkpoint, errors={})
    made = fields.made_at(request.form.get("made_at"), utcnow()) if request.method == "POST" else None
    moment = None if made is None else to_local(site, fields.counted(made, utcnow())).replace(tzinfo=None)
    try:
        admitted = services.admit(site, current_user, checkpoint, method, moment)
    except ScanRefused as e:
        status = 404 if e.reason in ("unknown", "other_site") else 403
        return render_template("patrol/scan.html", **_scan_ctx(None if status == 404 else checkpoint,
                                                               refused=e.message)), status
    if request.method == "GET":
        return render_template("patrol/scan.html", **_scan_ctx(checkpoint, admitted))
    f = request.form
    try:
        row, new = services.scan(site, current_user, admitted, ok=f.get("ok"), problem=f.get("problem"),
                                 note=f.get("note"), where=Where.parse(f), photo=request.files.get("photo"),
                                 method=method, idem_key=idem(), made_at=made)
    except RoundClosed as e:
        return render_template("errors/_toast.html", code=409, message=e.message), 409
    except PatrolError as e:
        return render_template("patrol/scan.html", **_scan_ctx(checkpoint, admitted, messages(e), f)), 422
    if new:
        flash(_("%(name)s: recorded.", name=checkpoint.name))
    else:
        flash(_("%(name)s was already checked in this round: the first check counts.", name=checkpoint.name))
    if row.status == "problem":
        return redirect(url_for("patrol.scan_page", scan_id=row.id))
    return redirect(url_for("patrol.index"))


@bp.route("/c/<token>", methods=["GET", "POST"])
@requires("patrol.scan")
def checkpoint(token):
    """What a checkpoint's printed code opens: the scan form (all normal in one tap, or a problem)."""
    return _checkpoint_page(reads.checkpoint_by_token(token), "scan")


@bp.route("/patrol/checkpoints/<int:checkpoint_id>/tap", methods=["GET", "POST"])
@requires("patrol.rounds")
def tap(checkpoint_id):
    """The same form opened from the list when the code is damaged: recorded as tapped, not scanned."""
    return _checkpoint_page(site_get_or_404(Checkpoint, checkpoint_id, joinedload(Checkpoint.location)), "tap")


def _own_scan(scan_id: int) -> PatrolScan:
    row = services.own_scan(current_site(), scan_id)
    if row is None:
        abort(404)
    return row


@bp.get("/patrol/scans/<int:scan_id>")
@requires("patrol.rounds")
def scan_page(scan_id):
    """A problem found: what it was, and the two ways to pass it on (an incident, or a task for the morning)."""
    row = _own_scan(scan_id)
    incident = incident_reads.incident(row.site_id, row.incident_id) if row.incident_id else None
    return render_template("patrol/problem.html", s=row, incident=incident, problems=PROBLEMS, flags=FLAGS,
                           methods=METHODS, errors={})


def _pass_on(scan_id: int, action, done: str, to_page):
    """Pass a problem on (one tap); then its page, or the refusal as a toast (already passed on, not a problem)."""
    row = _own_scan(scan_id)
    try:
        result = action(current_site(), current_user, row)
    except RuleError as e:  # not a problem, passed on already; or the incident's own refusal
        return error_response(409, e.message)
    flash(done)
    return redirect(to_page(result))


@bp.post("/patrol/scans/<int:scan_id>/incident")
@requires("patrol.rounds")
def to_incident(scan_id):
    """The problem becomes an incident at the checkpoint's place: its page opens."""
    return _pass_on(scan_id, services.to_incident, _("Reported as an incident."),
                    lambda incident: url_for("incidents.show", incident_id=incident.id))


@bp.post("/patrol/scans/<int:scan_id>/morning")
@requires("patrol.rounds")
def to_morning(scan_id):
    return _pass_on(scan_id, services.to_morning, _("Left for the morning: it shows on the day's screens."),
                    lambda row: url_for("patrol.scan_page", scan_id=row.id))


@bp.post("/patrol/scans/<int:scan_id>/done")
@requires("patrol.tasks")
def task_done(scan_id):
    row = _own_scan(scan_id)
    try:
        services.finish_task(current_site(), current_user, row, request.form.get("note"))
    except PatrolError as e:
        return error_response(422, e.message)
    if wants_fragment():
        return render_template("patrol/_tasks.html", tasks=reads.open_tasks(row.site_id), problems=PROBLEMS)
    flash(_("Marked done."))
    return redirect(url_for("patrol.index"))


@bp.get("/patrol/scans/<int:scan_id>/photo")
@requires("patrol.rounds")
def photo(scan_id):
    row = _own_scan(scan_id)
    if not row.photo:
        abort(404)
    return photos.send(services.PHOTO_KIND, row.photo)


def _night_ctx():
    site, patrol = current_site(), _patrol()
    if patrol is None:
        abort(404)
    return site, patrol, arg_date("day", reads.night_of(patrol, reads.wall_clock(site)))


@bp.get("/patrol/night")
@requires("patrol.report")
def night():
    """A night's report (the current or last night by default): rounds on time, late or missed; every scan with its
    flags; the checkpoints never visited; the problems found and what became of them; the refused scans.
    ?format=xlsx exports it (as the other reports do)."""
    site, patrol, day = _night_ctx()
    r = reads.night_report(site, patrol, day)
    if request.args.get("format") == "xlsx":
        return Response(export.night_book(site, r), mimetype=export.XLSX,
                        headers={"Content-Disposition": f"attachment; filename=patrol-{day.isoformat()}.xlsx"})
    return render_template("patrol/night.html", r=r, patrol=patrol, problems=PROBLEMS, flags=FLAGS, methods=METHODS,
                           refusals=REFUSALS, round_states=reads.ROUND_STATES, incident_states=INCIDENT_STATES)


@bp.get("/patrol/night/round")
@requires("patrol.report")
def night_round():
    """One round's scans of a night (the report's row loads them when opened; a page of its own without htmx)."""
    site, _patrol, day = _night_ctx()
    slot = request.args.get("slot", "")[:5]
    return render_page_or_fragment("patrol/round.html", "patrol/_round.html",
                                   scans=reads.round_scans(site.id, day, slot), day=day, slot=slot, problems=PROBLEMS,
                                   flags=FLAGS, methods=METHODS)


# The manager's checkpoints


def _checkpoints_page(errors=None, form=None, status=200):
    site = current_site()
    return render_template("patrol/checkpoints.html", patrol=_patrol(), points=reads.checkpoints(site.id, False),
                           places=site_places(site.id), errors=errors or {}, form=form or {}), status


@bp.get("/patrol/checkpoints")
@requires("patrol.checkpoints")
def checkpoints():
    return _checkpoints_page()


@bp.post("/patrol/setup")
@requires("patrol.checkpoints")
def setup():
    """One tap for a site made before patrols: the hourly night round and the usual checkpoints."""
    added = services.set_up(current_site(), current_user)
    flash(_("The night patrol is set up: a round every hour of the night shift.") if added
          else _("The night patrol needs the site's night shift first (Shifts and roster)."))
    return redirect(url_for(".checkpoints"))


@bp.post("/patrol/checkpoints")
@requires("patrol.checkpoints")
def add_checkpoint():
    f = request.form
    try:
        services.add_checkpoint(current_site(), current_user, name=f.get("name"), location_id=f.get("location_id"),
                                require_photo=f.get("require_photo") == "1", idem_key=idem())
    except PatrolError as e:
        return _checkpoints_page(messages(e), f, 422)
    flash(_("Checkpoint added. Print its code from the sheet."))
    return redirect(url_for(".checkpoints"))


@bp.post("/patrol/checkpoints/<int:checkpoint_id>")
@requires("patrol.checkpoints")
def edit_checkpoint(checkpoint_id):
    cp, f = site_get_or_404(Checkpoint, checkpoint_id), request.form
    try:
        services.edit_checkpoint(current_site(), current_user, cp, name=f.get("name"),
                                 location_id=f.get("location_id"), require_photo=f.get("require_photo") == "1",
                                 active=f.get("active") == "1")
    except PatrolError as e:
        return _checkpoints_page({f"{checkpoint_id}-{k}": v for k, v in messages(e).items()}, f, 422)
    flash(_("Saved."))
    return redirect(url_for(".checkpoints"))


@bp.post("/patrol/checkpoints/<int:checkpoint_id>/place")
@requires("patrol.checkpoints")
def place(checkpoint_id):
    """The manager, at the checkpoint, keeps the phone's position as the checkpoint's."""
    cp = site_get_or_404(Checkpoint, checkpoint_id)
    try:
        services.place(current_site(), current_user, cp, Where.parse(request.form))
    except PatrolError as e:
        return render_template("patrol/place.html", cp=cp, errors=messages(e)), 422
    flash(_("Position saved: scans far from here will be flagged."))
    return redirect(url_for(".checkpoints"))


@bp.get("/patrol/checkpoints/sheet")
@requires("patrol.checkpoints")
def sheet():
    """An A4 sheet of the active checkpoints' codes with their names, to print and put up."""
    points = reads.checkpoints(current_user.current_site_id)
    codes = [(p, qr.svg(url_for(".checkpoint", token=p.token, _external=True))) for p in points]
    return render_template("patrol/sheet.html", codes=codes, site=current_site())
