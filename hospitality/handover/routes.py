"""Shift handover pages: the outgoing person prepares it, the incoming one reviews it, the lead reads them all."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..access import current_site, post_required, site_get_or_404
from ..extensions import db
from ..htmx import render_page_or_fragment, wants_fragment
from ..i18n import text as _
from ..inventory.routes import idem
from ..models import Location
from ..models.core import POSTS
from ..models.handover import HANDOVER_POSTS, LINE_KINDS, MANUAL_KINDS, Handover, HandoverLine
from . import bp, services
from .services import OVERSEERS, HandoverError

EVERYONE = (*HANDOVER_POSTS, *OVERSEERS)
staff_only = post_required(*HANDOVER_POSTS)
everyone = post_required(*EVERYONE)


_HANDOVER = (select(Handover).where(Handover.id == bindparam("handover_id"))
             .options(joinedload(Handover.from_user), joinedload(Handover.to_user)))


def _may_see(handover: Handover) -> bool:
    return current_user.post in OVERSEERS or current_user.post == handover.post


def _handover(handover_id: int) -> Handover:
    """A handover of this site that the user's post may see (its own post's, or any for the lead/manager)."""
    handover = db.session.scalar(_HANDOVER, {"handover_id": handover_id})
    if handover is None or handover.site_id != current_user.current_site_id:
        abort(404)
    if not _may_see(handover):
        abort(403)
    return handover


def _line(line_id: int) -> HandoverLine:
    line = db.session.get(HandoverLine, line_id)
    if line is None:
        abort(404)
    _handover(line.handover_id)
    return line


def _ctx(handover: Handover, errors: dict | None = None, form=None) -> dict:
    site = current_site()
    me = current_user.id
    draft_mine = handover.status == "draft" and handover.from_user_id == me
    lines = services.lines_of(handover)
    return {
        "h": handover, "lines": lines, "counts": services.count_states(handover),
        "pending": services.pending_now(site, handover.post) if draft_mine else [],
        "colleagues": services.colleagues(site, current_user) if draft_mine else [],
        "draft_mine": draft_mine, "reviewing": handover.status == "submitted" and handover.to_user_id == me,
        "overseer": current_user.post in OVERSEERS, "errors": errors or {}, "form": form or {},
        "kinds": {k: LINE_KINDS[k] for k in MANUAL_KINDS},
        "disputed_n": sum(1 for ln in lines if ln.disputed),
    }


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
    """Run one action: a fragment for htmx, else back to the handover page (422 with the message on refusal)."""
    try:
        action()
    except HandoverError as e:
        if fragment and wants_fragment():
            return _fragment(fragment, db.session.get(Handover, handover.id), e, **extra)
        return _page(db.session.get(Handover, handover.id), e, 422)
    if fragment and wants_fragment():
        return _fragment(fragment, db.session.get(Handover, handover.id), **extra)
    if done:
        flash(done)
    return redirect(url_for(".show", handover_id=handover.id))


@bp.get("/")
@everyone
def index():
    """Staff: hand over my shift, or what waits for me. Lead and manager: today's handovers and disputes."""
    site = current_site()
    if current_user.post in OVERSEERS:
        return render_template("handover/index.html", handover_board=services.board_summary(site, site.today()),
                               handover_card=None, posts=HANDOVER_POSTS)
    return _staff_index({}, {}, 200)


@bp.get("/board")
@post_required(*OVERSEERS)
def board():
    """Today's handovers and disputed lines: the lead's and manager's today screen loads this after the page."""
    if not wants_fragment():
        return redirect(url_for(".index"))
    site = current_site()
    return render_template("handover/_board.html", handover_board=services.board_summary(site, site.today()))


def _staff_index(errors: dict, form, status: int):
    """Staff: what waits for me, my handover in progress, or the form to start one; the post's open lines."""
    site = current_site()
    card = services.today_card(site, current_user)
    held, held_open = services.open_lines_of_post(site.id, current_user.post)
    return render_template("handover/index.html", handover_card=card, current=card["current"],
                           colleagues=services.colleagues(site, current_user), held=held, held_open=held_open,
                           errors=errors, form=form), status


@bp.post("/")
@staff_only
def start():
    site = current_site()
    try:
        handover = services.start(site, current_user, request.form.get("to_user_id"), idem())
    except HandoverError as e:
        return _staff_index({e.field or "form": e.message}, request.form, 422)
    return redirect(url_for(".show", handover_id=handover.id))


@bp.get("/<int:handover_id>")
@everyone
def show(handover_id):
    return _page(_handover(handover_id))


@bp.post("/<int:handover_id>/count/<int:location_id>")
@staff_only
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
@staff_only
def fixtures_ok(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.all_intact(current_site(), current_user, handover),
                "handover/_fixtures.html")


@bp.post("/<int:handover_id>/lines")
@staff_only
def add_line(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.add_line(current_site(), current_user, handover,
                                                    request.form.get("kind", ""), request.form.get("text"), idem()),
                "handover/_pending.html")


@bp.post("/<int:handover_id>/submit")
@staff_only
def submit(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.submit(
        current_site(), current_user, handover, request.form.get("to_user_id"), request.form.get("notes"),
        request.form.get("property_checked") == "1"),
        done=_("Handed over. Your colleague reviews it on their phone; your shift closes when they accept."))


@bp.post("/<int:handover_id>/cancel")
@everyone
def cancel(handover_id):
    handover = _handover(handover_id)
    try:
        services.cancel(current_site(), current_user, handover)
    except HandoverError as e:
        return _page(handover, e, 422)
    flash(_("Handover cancelled."))
    return redirect(url_for(".index"))


@bp.post("/<int:handover_id>/accept")
@staff_only
def accept(handover_id):
    handover = _handover(handover_id)
    return _act(handover, lambda: services.accept(current_site(), current_user, handover),
                done=_("Handover accepted. The shift is yours."))


def _line_act(line_id: int, action):
    """One tap on a line: htmx swaps the line (and the accept box along with it), a plain form comes back."""
    line = _line(line_id)
    handover = db.session.get(Handover, line.handover_id)
    try:
        action(line)
    except HandoverError as e:
        if wants_fragment():
            return _fragment("handover/_line.html", handover, e, line_id=line.id, oob=True)
        return _page(handover, e, 422)
    if wants_fragment():
        return _fragment("handover/_line.html", db.session.get(Handover, handover.id), line_id=line.id, oob=True)
    return redirect(url_for(".show", handover_id=handover.id, _anchor=f"line-{line.id}"))


@bp.post("/lines/<int:line_id>/check")
@staff_only
def check(line_id):
    return _line_act(line_id, lambda ln: services.check_fixture(
        current_site(), current_user, ln, request.form.get("condition", ""), request.form.get("note")))


@bp.post("/lines/<int:line_id>/delete")
@staff_only
def delete_line(line_id):
    line = _line(line_id)
    handover = db.session.get(Handover, line.handover_id)
    return _act(handover, lambda: services.delete_line(current_site(), current_user, line), "handover/_pending.html")


@bp.post("/lines/<int:line_id>/dispute")
@staff_only
def dispute(line_id):
    return _line_act(line_id, lambda ln: services.dispute(current_site(), current_user, ln,
                                                          request.form.get("reason")))


@bp.post("/lines/<int:line_id>/undispute")
@staff_only
def undispute(line_id):
    return _line_act(line_id, lambda ln: services.withdraw_dispute(current_site(), current_user, ln))


@bp.post("/lines/<int:line_id>/resolve")
@everyone
def resolve(line_id):
    return _line_act(line_id, lambda ln: services.resolve(current_site(), current_user, ln, request.form.get("note")))


@bp.get("/history")
@post_required(*OVERSEERS)
def history():
    """A post's handovers, newest first; "older" loads the next page in place."""
    post = request.args.get("post", HANDOVER_POSTS[0])
    if post not in HANDOVER_POSTS:
        post = HANDOVER_POSTS[0]
    rows, more = services.history(current_site(), post, request.args.get("before", type=int))
    counts, disputes = services.summaries(rows)
    return render_page_or_fragment("handover/history.html", "handover/_history_rows.html", rows=rows, more=more,
                                   post=post, posts={p: POSTS[p] for p in HANDOVER_POSTS}, counts=counts,
                                   disputes=disputes)
