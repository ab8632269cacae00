"""Desk pages: take a call, a message or a visitor for someone; the log (what is open, what was taken on a day, late
call-backs flagged); done in one tap (from the log, or from the card on the person's today screen)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site, site_get_or_404
from ..errors import RuleError, messages
from ..forms import arg_date, idem
from ..htmx import wants_fragment
from ..i18n import text as _
from ..models.core import POSTS
from ..models.messages import KINDS, DeskMessage
from ..permissions import can, requires
from . import bp, reads, services


def _new_ctx(site, form, errors) -> dict:
    """The form's choices: a person of the site (user-<id>, with their post) or a sales rep (rep-<id>)."""
    reps = reads.reps(site.id)
    return {"form": form, "errors": errors, "kinds": KINDS, "reps": reps, "today": site.today(),
            "people_choices": [(f"user-{p.id}", f"{p.name} · {POSTS[p.post]}") for p in reads.people(site.id)],
            "rep_choices": [(f"rep-{r.id}", r.name) for r in reps]}


@bp.route("/new", methods=["GET", "POST"])
@requires("desk.take")
def new():
    """Take a message in a few taps: what (a call, a message, a visitor), for whom, who, the message, a call-back."""
    site = current_site()
    if request.method == "POST":
        f = request.form
        try:
            m = services.take(site, current_user, kind=f.get("kind"), caller_name=f.get("caller_name"),
                              caller_phone=f.get("caller_phone"), for_whom=f.get("for_whom"), text=f.get("text"),
                              call_back_day=f.get("call_back_day"), call_back_time=f.get("call_back_time"),
                              idem_key=idem())
        except RuleError as e:
            return render_template("desk/new.html", **_new_ctx(site, f, messages(e)), idem_key=f.get("idem")), 422
        flash(_("Message taken: tell the sales rep, then mark it done.") if m.for_rep_id
              else _("Message taken: it is on their today screen."))
        return redirect(url_for(".index"))
    return render_template("desk/new.html", **_new_ctx(site, {"kind": "call"}, {}), idem_key=None)


@bp.get("/")
@requires("desk.view")
def index():
    """The log: every message still open (late call-backs flagged), and those of a day done since (?day=, today)."""
    site = current_site()
    today = site.today()
    day = arg_date("day", today)
    return render_template("desk/index.html", open_rows=reads.open_messages(site.id),
                           rows=reads.day_done(site, day), day=day, today=today)


@bp.post("/<int:message_id>/done")
@requires("desk.done")
def done(message_id):
    """Done in one tap, by the person it is for or the front desk; a second tap changes nothing. From a today
    screen's card (htmx) the card comes back done; otherwise back to the log (or the today screen)."""
    site = current_site()
    row = reads.message(site.id, message_id)
    if row is None or not services.may_finish(current_user, row):
        # Someone else's message: those who read the log are refused, the others do not learn it exists.
        abort(403 if row is not None and can(current_user, "desk.view") else 404)
    services.mark_done(site, current_user, site_get_or_404(DeskMessage, message_id))
    if wants_fragment():
        return render_template("desk/_message.html", m=reads.message(site.id, message_id), swap=True)
    flash(_("Message done."))
    back_to_log = request.form.get("back") == "log" and can(current_user, "desk.view")
    return redirect(url_for(".index") if back_to_log else url_for("today.index"))
