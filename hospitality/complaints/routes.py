"""Complaint pages: register one, its page with the timeline and the form of the step it is at, the list with
deadline flags, the follow-up calls due, the monthly classification report (Excel), the deadlines' settings, and the
lead's and manager's today section."""
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import fields, photos
from ..access import child_get_or_404, current_site, site_get_or_404
from ..clock import utcnow
from ..database import read_panels
from ..errors import RuleError, messages
from ..forms import arg_date, idem, iso_day
from ..htmx import is_htmx, render_page_or_fragment
from ..i18n import text as _
from ..incidents import reads as incident_reads
from ..models.complaints import (
    CHANNELS,
    EVENT_KINDS,
    FOLLOW_UP_OUTCOMES,
    RESPONSIBLE,
    STEPS,
    TOPICS,
    Complaint,
    ComplaintPhoto,
    FollowUp,
)
from ..permissions import can, requires
from . import bp, export, reads, services

LABELS = {"channels": CHANNELS, "topics": TOPICS, "steps": STEPS, "event_kinds": EVENT_KINDS,
          "outcomes": FOLLOW_UP_OUTCOMES, "responsible": RESPONSIBLE}


def _ctx(**ctx) -> dict:
    return {**LABELS, "mask_phone": fields.mask_phone, "mask_name": services.mask_name,
            "overdue": services.overdue, "now": utcnow(), **ctx}


def _new_ctx(site, form, errors, visit_id) -> dict:
    return _ctx(form=form, errors=errors, visit=incident_reads.visit(site.id, visit_id),
                max_photos=services.MAX_PHOTOS)


@bp.route("/new", methods=["GET", "POST"])
@requires("complaints.register")
def new():
    """Register a complaint in under a minute: who (the visit, or a name and phone), channel, topic, what was said."""
    site = current_site()
    visit_id = request.values.get("visit_id", type=int)
    if request.method == "POST":
        f = request.form
        try:
            c = services.register(site, current_user, visit_id=f.get("visit_id"), guest_name=f.get("guest_name"),
                                  guest_phone=f.get("guest_phone"), channel=f.get("channel"), topic=f.get("topic"),
                                  said=f.get("said"), files=request.files.getlist("photos"), idem_key=idem())
        except RuleError as e:
            return render_template("complaints/new.html", **_new_ctx(site, f, messages(e), visit_id),
                                   idem_key=f.get("idem")), 422
        flash(_("Complaint registered. The manager judges it next."))
        return redirect(url_for(".show", complaint_id=c.id))
    return render_template("complaints/new.html", **_new_ctx(site, {}, {}, visit_id), idem_key=None)


def _row(complaint_id: int):
    return _allowed(reads.complaint(current_user.current_site_id, complaint_id))


def _allowed(row):
    """The complaint of this site, if the user may see it: the overseers and the front desk any, others their own."""
    if row is None or not (can(current_user, "complaints.list") or row.registered_by_id == current_user.id):
        abort(404)
    return row


def _show_ctx(row, errors=None, form=None, steps: dict | None = None) -> dict:
    """The page's context; `steps` as reads.steps_reads() gives them, read here unless given."""
    steps = steps or read_panels(reads.steps_reads(row.id))
    remedies = steps["remedies"]
    return _ctx(c=row, events=steps["events"], photo_ids=steps["photo_ids"], remedies=remedies, errors=errors or {},
                form=form or {}, remedy_choices=[(r.id, r.text) for r in remedies],
                personal=can(current_user, "complaints.personal"))


@bp.get("/<int:complaint_id>")
@requires("complaints.view")
def show(complaint_id):
    """A complaint: who, what, its deadlines, the timeline of its steps, and the form of the step it is at (read at
    once: one statement on PostgreSQL; another site's complaint, or one the user may not see, is a 404)."""
    got = read_panels(reads.complaint_reads(current_user.current_site_id, complaint_id),
                      reads.steps_reads(complaint_id))
    return render_template("complaints/show.html", **_show_ctx(_allowed(got["complaint"]), steps=got))


def _act(complaint_id: int, action, done: str):
    """Run one step on a complaint of this site: back to its page, or the page with the refusal (422)."""
    complaint = site_get_or_404(Complaint, complaint_id)
    row = _row(complaint_id)
    try:
        action(current_site(), complaint, request.form)
    except RuleError as e:
        return render_template("complaints/show.html", **_show_ctx(row, messages(e), request.form)), 422
    flash(done)
    return redirect(url_for(".show", complaint_id=complaint_id))


@bp.post("/<int:complaint_id>/judge")
@requires("complaints.decide")
def judge(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.judge(s, current_user, c, f.get("founded"), f.get("reason"),
                                                             idem()), _("Judged."))


@bp.post("/<int:complaint_id>/notes")
@requires("complaints.work")
def add_note(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.add_note(
        s, current_user, c, f.get("note"), f.get("people"), f.get("incident_id"), f.get("visit_id"),
        request.files.getlist("photos"), idem()), _("Added."))


@bp.post("/<int:complaint_id>/investigated")
@requires("complaints.work")
def investigated(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.finish_investigation(s, current_user, c, idem()),
                _("Investigation finished: propose remedies."))


@bp.post("/<int:complaint_id>/remedies")
@requires("complaints.work")
def propose(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.propose(s, current_user, c, f.get("remedy"), idem()),
                _("Remedy proposed."))


@bp.post("/<int:complaint_id>/choose")
@requires("complaints.decide")
def choose(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.choose(s, current_user, c, f.get("remedy_id"), idem()),
                _("Remedy chosen."))


@bp.post("/<int:complaint_id>/carried-out")
@requires("complaints.work")
def carry_out(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.carry_out(
        s, current_user, c, f.get("done"), f.get("confirmed"), f.get("guest_said"), idem()), _("Recorded."))


@bp.post("/<int:complaint_id>/review")
@requires("complaints.decide")
def review(complaint_id):
    return _act(complaint_id, lambda s, c, f: services.review(
        s, current_user, c, f.get("cause"), f.get("responsible_post"), f.get("preventive"), idem()),
        _("Complaint closed. A follow-up call is due within three days."))


@bp.get("/<int:complaint_id>/photos/<int:photo_id>")
@requires("complaints.view")
def photo(complaint_id, photo_id):
    """A photo of a step, to those who may see the complaint (stored without EXIF/GPS)."""
    _row(complaint_id)
    found = child_get_or_404(ComplaintPhoto, photo_id, "complaint", of=site_get_or_404(Complaint, complaint_id))
    return photos.send(services.PHOTO_KIND, found.name)


@bp.post("/<int:complaint_id>/reveal")
@requires("complaints.follow_up")
def reveal(complaint_id):
    """The guest's whole number for the call, in place of the masked one (audited)."""
    complaint = site_get_or_404(Complaint, complaint_id)
    if not is_htmx():  # the number replaces the masked one in place; a plain post has no place: back to the page
        return redirect(url_for(".show", complaint_id=complaint_id))
    number = services.reveal(current_site(), current_user, complaint)
    return render_template("complaints/_number.html", number=number, complaint_id=complaint_id)


@bp.post("/follow-ups/<int:follow_up_id>/reveal")
@requires("complaints.follow_up")
def reveal_call(follow_up_id):
    """A follow-up call's whole number, in place of the masked one (audited); without htmx, back to the list."""
    fu = site_get_or_404(FollowUp, follow_up_id)
    if not is_htmx():
        return redirect(url_for(".follow_ups"))
    number = services.reveal_call(current_site(), current_user, fu)
    return render_template("complaints/_number.html", number=number)


@bp.get("/")
@requires("complaints.list")
def index():
    """Complaints of a range (this month by default) with filters; open ones past a deadline are flagged."""
    site = current_site()
    today = site.today()
    f = reads.Filters(arg_date("from", today.replace(day=1)), arg_date("to", today),
                      request.args.get("topic", ""), request.args.get("state", ""))
    if f.last < f.first:
        f.first, f.last = f.last, f.first
    page = max(0, min(request.args.get("page", 0, type=int), 10_000))
    rows, more = reads.listing(site, f, page)
    return render_template("complaints/index.html", **_ctx(rows=rows, more=more, page=page, f=f,
                                                          open_rows=reads.open_complaints(site.id)))


@bp.get("/glance")
@requires("complaints.list")
def glance():
    """The lead's and manager's today section: open complaints, those past a deadline flagged; calls due."""
    site = current_site()
    return render_page_or_fragment("complaints/glance.html", "complaints/_glance.html",
                                   **_ctx(open_rows=reads.open_complaints(site.id), calls=reads.due_calls(site.id),
                                          today=site.today()))


@bp.get("/follow-ups")
@requires("complaints.follow_up")
def follow_ups():
    """The follow-up calls due (回访), the most urgent first, each guest's number masked until revealed."""
    site = current_site()
    return render_template("complaints/follow_ups.html", **_ctx(calls=reads.due_calls(site.id), today=site.today(),
                                                               errors={}, form={}, failed=None))


@bp.post("/follow-ups/<int:follow_up_id>")
@requires("complaints.follow_up")
def call(follow_up_id):
    site = current_site()
    fu = site_get_or_404(FollowUp, follow_up_id)
    try:
        services.call(site, current_user, fu, request.form.get("outcome"), request.form.get("note"), idem())
    except RuleError as e:
        return render_template("complaints/follow_ups.html", **_ctx(
            calls=reads.due_calls(site.id), today=site.today(), errors=messages(e), form=request.form,
            failed=follow_up_id)), 422
    flash(_("Call recorded."))
    return redirect(url_for(".follow_ups"))


@bp.get("/report")
@requires("complaints.report")
def report():
    """The month's classification report (分类统计表); ?format=xlsx exports it."""
    site = current_site()
    month = request.args.get("month", "")
    first = (iso_day(f"{month}-01") if month else None) or site.today().replace(day=1)
    r = reads.month_report(site, first)
    if request.args.get("format") == "xlsx":
        services.exported(site, current_user, "month_report", month=first.strftime("%Y-%m"))
        return Response(export.month_book(r), mimetype=export.XLSX, headers={
            "Content-Disposition": f"attachment; filename=complaints-{first.strftime('%Y-%m')}.xlsx"})
    prev = (first - timedelta(days=1)).replace(day=1)
    return render_template("complaints/report.html", **_ctx(r=r, prev=prev))


@bp.route("/settings", methods=["GET", "POST"])
@requires("complaints.settings")
def settings():
    site = current_site()
    if request.method == "POST":
        try:
            services.settings(site, current_user, request.form.get("respond_hours"), request.form.get("close_days"))
        except RuleError as e:
            return render_template("complaints/settings.html", site=site, errors=messages(e), form=request.form), 422
        flash(_("Saved."))
        return redirect(url_for(".index"))
    return render_template("complaints/settings.html", site=site, errors={}, form={})

