"""Shift handover pages: the outgoing person prepares it, the incoming one reviews it, the lead reads them all."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..access import child_get_or_404, current_site, site_get_or_404
from ..forms import idem
from ..htmx import render_page_or_fragment, wants_fragment
from ..i18n import text as _
from ..models import Location
from ..models.handover import Handover, HandoverLine
from ..permissions import can, requires
from . import bp, reads, services
from .services import HandoverError

_WITH_PEOPLE = (joinedload(Handover.from_user), joinedload(Handover.to_user))
_LINE_WITH_HANDOVER = (joinedload(HandoverLine.handover).joinedload(Handover.from_user),
                       joinedload(HandoverLine.handover).joinedload(Handover.to_user))


def _seen(handover: Handover) -> Handover:
    """The handover, if the user's post may see it (its own post's, or any for the lead/manager), else 403."""
    if not reads.may_see(current_user, handover):
        abort(403)
    return handover


def _handover(handover_id: int) -> Handover:
    """A handover of this site that the user's post may see."""
    return _seen(site_get_or_404(Handover, handover_id, *_WITH_PEOPLE))


def _line(line_id: int) -> HandoverLine:
    """A line of a handover of this site that the user's post may see."""
    line = child_get_or_404(HandoverLine, line_id, "handover", *_LINE_WITH_HANDOVER)
    _seen(line.handover)
    return line


def _ctx(handover: Handover, errors: dict | None = None, form=None) -> dict:
    return reads.page(current_site(), current_user, handover) | {"errors": errors or {}, "form": form or {}}


def _page(handover: Handover, error: HandoverError | None = None, status: int = 200):
    errors = {(error.field or "form"): error.message} if error else None
    return render_template("handover/show.html", **_ctx(handover, errors, request.form)), status


def _fragment(template: str, handover: Handover, error: HandoverError | None = None, **extra):
    """An htmx tap swaps one part of the handover (a line, the company items, the pending list)."""
    errors = {(error.field or "form"): error.message} if error else None
    ctx = _ctx(handover, errors, request.form if error else None) | extra | {"fragment": True}
    if "line_id" in extra:
        ctx["line"] = next(ln for ln in ctx["lines"] if ln.id == extra["line_id"])
    return render_template(template, **ctx), 422 if error else 200


def _act(handover: Handover, action, fragment: str | None = None, done: str | None = None, **extra):
    """Run one action: a fragment for htmx, else back to the handover page (422 with the message on refusal).
    `handover` is the session's one copy of the row: the action refreshes it, so the page shows what it did."""
    try:
        action()
    except HandoverError as e:
        if fragment and wants_fragment():
            return _fragment(fragment, handover, e, **extra)
        return _page(handover, e, 422)
    if fragment and wants_fragment():
        return _fragment(fragment, handover, **extra)
    if done:
        flash(done)
    return redirect(url_for(".show", handover_id=handover.id))


@bp.get("/")
@requires("handover.view")
def index():
    """Staff: hand over my shift, or what waits for me. Lead and manager: today's handovers and disputes."""
    site = current_site()
    if can(current_user, "handover.oversee"):
        return render_template("handover/index.html", handover_board=reads.board_summary(site, site.today()),
                               handover_card=None, posts=reads.HANDOVER_POSTS)
    return _staff_index({}, {}, 200)


@bp.get("/board")
@requires("handover.oversee")
def board():
    """Today's handovers and disputed lines: the lead's and manager's today screen loads this after the page."""
    if not wants_fragment():
        return redirect(url_for(".index"))
    site = current_site()
    return render_template("handover/_board.html", handover_board=reads.board_summary(site, site.today()))


def _staff_index(errors: dict, form, status: int):
    """Staff: what waits for me, my handover in progress, or the form to start one; the post's open lines."""
    return render_template("handover/index.html", **reads.staff_index(current_site(), current_user),
                           errors=errors, form=form), status


@bp.post("/")
@requires("handover.hand")
def start():
    site = current_site()
    try:
        handover = services.start(site, current_user, request.form.get("to_user_id"), idem())
    except HandoverError as e:
        return _staff_index({e.field or "form": e.message}, request.form, 422)
    return redirect(url_for(".show", handover_id=handover.id))


@bp.get("/<int:handover_id>")
@requires("handover.view")
def show(handover_id):
    return _page(_handover(handover_id))


@bp.post("/<int:handover_id>/count/<int:location_id>")
@requires("handover.hand")
def count(handover_id, location_id):
    """Count a location for the handover on the ordinary count page; a match comes back here."""
    handover = _handover(handover_id)
    location = site_get_or_404(Location, location_id)
    try:
        stock_count = services.start_count(current_site(), current_user, handover, location)
    except HandoverError as e:
        return _page(handover, e, 422)
    return redirect(url_for("inventory.count", count_id=stock_count.id))


@bp.post("/<int:handover_id>/fixtures")
@requires("handover.hand")
def fixtures_ok(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.all_intact(current_site(), current_user, handover),
                "handover/_fixtures.html")


@bp.post("/<int:handover_id>/lines")
@requires("handover.hand")
def add_line(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.add_line(current_site(), current_user, handover,
                                                    request.form.get("kind", ""), request.form.get("text"), idem()),
                "handover/_pending.html")


@bp.post("/<int:handover_id>/submit")
@requires("handover.hand")
def submit(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.submit(
        current_site(), current_user, handover, request.form.get("to_user_id"), request.form.get("notes"),
        request.form.get("property_checked") == "1"),
        done=_("Handed over. Your colleague reviews it on their phone; your shift closes when they accept."))


@bp.post("/<int:handover_id>/cancel")
@requires("handover.view")
def cancel(handover_id):
    handover = _handover(handover_id)
    try:
        services.cancel(current_site(), current_user, handover)
    except HandoverError as e:
        return _page(handover, e, 422)
    flash(_("Handover cancelled."))
    return redirect(url_for(".index"))


@bp.post("/<int:handover_id>/accept")
@requires("handover.hand")
def accept(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.accept(current_site(), current_user, handover, idem()),
                done=_("Handover accepted. The shift is yours."))


def _line_act(line_id: int, action):
    """One tap on a line: htmx swaps the line (and the accept box along with it), a plain form comes back."""
    line = _line(line_id)
    handover = line.handover
    try:
        action(line)
    except HandoverError as e:
        if wants_fragment():
            return _fragment("handover/_line.html", handover, e, line_id=line.id, oob=True)
        return _page(handover, e, 422)
    if wants_fragment():
        return _fragment("handover/_line.html", handover, line_id=line.id, oob=True)
    return redirect(url_for(".show", handover_id=handover.id, _anchor=f"line-{line.id}"))


@bp.post("/lines/<int:line_id>/check")
@requires("handover.hand")
def check(line_id):
    return _line_act(line_id, lambda ln: services.check_fixture(
        current_site(), current_user, ln, request.form.get("condition", ""), request.form.get("note")))


@bp.post("/lines/<int:line_id>/delete")
@requires("handover.hand")
def delete_line(line_id):
    line = _line(line_id)
    handover = line.handover
    return _act(handover, lambda: services.delete_line(current_site(), current_user, line), "handover/_pending.html")


@bp.post("/lines/<int:line_id>/dispute")
@requires("handover.hand")
def dispute(line_id):
    return _line_act(line_id, lambda ln: services.dispute(current_site(), current_user, ln,
                                                          request.form.get("reason")))


@bp.post("/lines/<int:line_id>/undispute")
@requires("handover.hand")
def undispute(line_id):
    return _line_act(line_id, lambda ln: services.withdraw_dispute(current_site(), current_user, ln))


@bp.post("/lines/<int:line_id>/resolve")
@requires("handover.view")
def resolve(line_id):
    return _line_act(line_id, lambda ln: services.resolve(current_site(), current_user, ln, request.form.get("note")))


@bp.get("/history")
@requires("handover.oversee")
def history():
    """A post's handovers, newest first; "older" loads the next page in place."""
    return render_page_or_fragment("handover/history.html", "handover/_history_rows.html", **reads.history_page(
        current_site(), request.args.get("post"), request.args.get("before", type=int)))
