"""Guest pages: a visit's satisfaction section (staff tap it, or show the guests a QR code), the public page the code
opens (no login), the unsatisfied answers for the lead and manager, satisfaction per day, rep and post, and the
manager's VIP notices."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import qr
from ..access import current_site, site_get_or_404
from ..complaints import reads as complaint_reads
from ..complaints import services as complaints
from ..errors import RuleError, error_response, messages
from ..extensions import csrf, limiter
from ..forms import arg_date, idem
from ..htmx import render_page_or_fragment
from ..i18n import text as _
from ..models import Visit
from ..models.complaints import FOLLOW_UP_OUTCOMES
from ..models.core import POSTS
from ..models.guests import RATINGS, SOURCES, GuestFeedback, VipNotice
from ..permissions import can, requires
from . import bp, public_bp, reads, services

PUBLIC_LIMIT = "30 per minute;300 per day"  # per address: a whole sales centre's guests share one router


def _visit_ctx(visit: Visit, errors=None, form=None) -> dict:
    return {"visit": visit, "fb": reads.of_visit(visit.id), "link": None, "qr": None, "ratings": RATINGS,
            "sources": SOURCES, "errors": errors or {}, "form": form or {},
            "call": complaint_reads.visit_call(visit.id),
            "outcomes": FOLLOW_UP_OUTCOMES}


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@requires("visits.view")
def visit_section(visit_id):
    """The satisfaction section of a visit's page (loaded after it): the answer, or the one-tap picks and the QR.
    POST: the concierge or the model room taps how satisfied the group left (one tap; a remark if any)."""
    visit = site_get_or_404(Visit, visit_id)
    if request.method == "POST":
        if not can(current_user, "guests.feedback"):
            abort(403)
        return _section_after(visit, lambda: services.staff_feedback(
            current_site(), current_user, visit, request.form.get("rating"), request.form.get("remark")))
    return render_page_or_fragment("guests/visit.html", "guests/_visit.html", **_visit_ctx(visit))


def _section_after(visit: Visit, action):
    """Run one action of the visit's section: the section again, or with the refusal under its field (422)."""
    try:
        action()
    except RuleError as e:
        return render_page_or_fragment("guests/visit.html", "guests/_visit.html", 422,
                                       **_visit_ctx(visit, messages(e), request.form))
    return render_page_or_fragment("guests/visit.html", "guests/_visit.html", **_visit_ctx(visit))


@bp.post("/visits/<int:visit_id>/follow-up")
@requires("complaints.follow_up")
def plan_call(visit_id):
    """A follow-up call to this group within three days (a first visit the site chooses to follow up): the number
    they left goes on the calls list of the front desk, the lead and the manager."""
    visit = site_get_or_404(Visit, visit_id)
    return _section_after(visit, lambda: complaints.plan_call(
        current_site(), current_user, visit, request.form.get("guest_name"), request.form.get("guest_phone")))


@bp.post("/visits/<int:visit_id>/qr")
@requires("guests.feedback")
def show_qr(visit_id):
    """The code the guests scan with their own phone: it opens the public page of this visit, once, for a day."""
    visit = site_get_or_404(Visit, visit_id)
    try:
        found = services.link(current_site(), current_user, visit)
    except RuleError as e:
        return error_response(409, e.message)
    ctx = _visit_ctx(visit)
    url = url_for("guests_public.answer", token=found.token, _external=True)
    ctx.update(link=found, qr=qr.svg(url), url=url)
    return render_page_or_fragment("guests/visit.html", "guests/_visit.html", **ctx)


@public_bp.route("/f/<token>", methods=["GET", "POST"])
@csrf.exempt  # the unguessable single-use token is the form's key: no session, no cookie for a guest
@limiter.limit(PUBLIC_LIMIT)
def answer(token):
    """The guests' own answer: one question and an optional remark, in Chinese, on any phone, no login."""
    try:
        services.open_link(token)
    except services.LinkGone as e:
        return render_template("guests/public.html", gone=e.message, form={}, errors={}, ratings=RATINGS), \
            404 if e.reason == "unknown" else 410
    if request.method == "GET":
        return render_template("guests/public.html", gone=None, form={}, errors={}, ratings=RATINGS)
    try:
        services.guest_answer(token, request.form.get("rating"), request.form.get("remark"))
    except services.LinkGone as e:
        return render_template("guests/public.html", gone=e.message, form={}, errors={}, ratings=RATINGS), 410
    except RuleError as e:
        return render_template("guests/public.html", gone=None, form=request.form, errors=messages(e),
                               ratings=RATINGS), 422
    return render_template("guests/public.html", gone=None, thanks=True, form={}, errors={}, ratings=RATINGS)


@bp.get("/alerts")
@requires("guests.alerts")
def alerts():
    """Groups that left unsatisfied and nobody has handled yet: handle each, or make it a complaint in one tap."""
    return render_template("guests/alerts.html", rows=reads.alerts(current_user.current_site_id), ratings=RATINGS,
                           sources=SOURCES)


def _feedback(feedback_id: int) -> GuestFeedback:
    return site_get_or_404(GuestFeedback, feedback_id)


@bp.post("/feedback/<int:feedback_id>/handled")
@requires("guests.alerts")
def handled(feedback_id):
    try:
        services.handle(current_site(), current_user, _feedback(feedback_id))
    except RuleError as e:
        return error_response(409, e.message)
    flash(_("Handled."))
    return redirect(url_for(".alerts"))


@bp.post("/feedback/<int:feedback_id>/complaint")
@requires("guests.alerts")
def to_complaint(feedback_id):
    try:
        complaint = services.to_complaint(current_site(), current_user, _feedback(feedback_id))
    except RuleError as e:
        return error_response(409, e.message)
    flash(_("Complaint registered. The manager judges it next."))
    return redirect(url_for("complaints.show", complaint_id=complaint.id))


@bp.get("/satisfaction")
@requires("guests.satisfaction")
def satisfaction():
    """Satisfaction per day, per sales rep and per post over a range (this month by default), with the remarks."""
    site = current_site()
    today = site.today()
    first, last = arg_date("from", today.replace(day=1)), arg_date("to", today)
    if last < first:
        first, last = last, first
    if (last - first).days > 366:
        abort(400)
    # The labels translated once (a lazy one is translated again at each of the page's dozens of uses).
    return render_template("guests/satisfaction.html", s=reads.satisfaction(site, first, last),
                           ratings=_translated(RATINGS),
                           by_post_labels=_translated({**POSTS, "guest": SOURCES["guest"]}))


def _translated(labels: dict) -> dict:
    """Lazy labels as their text in the request's language, still safe markup as the lazy ones are."""
    return {k: Markup(v) for k, v in labels.items()}


def _vips_page(errors=None, form=None, status=200, failed=None):
    return render_template("guests/vips.html", rows=reads.vips(current_user.current_site_id), errors=errors or {},
                           form=form or {}, failed=failed), status


@bp.get("/vips")
@requires("guests.vip")
def vips():
    """Known guests: a plate (or a phone) and how to greet them; every post sees the note when the plate arrives."""
    return _vips_page()


@bp.post("/vips")
@requires("guests.vip")
def add_vip():
    f = request.form
    try:
        services.save_vip(current_site(), current_user, plate=f.get("plate"), phone=f.get("phone"), note=f.get("note"),
                          idem_key=idem())
    except RuleError as e:
        return _vips_page(messages(e), f, 422)
    flash(_("Saved."))
    return redirect(url_for(".vips"))


@bp.post("/vips/<int:vip_id>")
@requires("guests.vip")
def edit_vip(vip_id):
    vip, f = site_get_or_404(VipNotice, vip_id), request.form
    try:
        services.save_vip(current_site(), current_user, plate=f.get("plate"), phone=f.get("phone"),
                          note=f.get("note"), vip=vip, active=f.get("active") == "1")
    except RuleError as e:
        return _vips_page(messages(e), f, 422, failed=vip_id)
    flash(_("Saved."))
    return redirect(url_for(".vips"))
