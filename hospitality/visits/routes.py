"""The visit screens of the floor: record an arrival, the live element, a visit's page and its actions."""
from functools import lru_cache

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..access import current_site, site_get_or_404
from ..forms import apply_form, idem, qty_fields
from ..guests import reads as guest_reads
from ..htmx import is_htmx, wants_fragment
from ..i18n import text as _
from ..models import RoomVisit, Visit
from ..models.visits import PURPOSES
from ..permissions import requires
from . import bp, services
from .forms import ArrivalForm
from .reads import detail as visit_reads
from .reads import live as live_reads
from .services import VisitError


def _render_serve_parts(choices, form, errors) -> dict:
    macros = current_app.jinja_env.get_template("visits/_serve_items.html").module
    return {"drinks": macros.drinks(choices), "rows": macros.rows(choices, form, errors)}


@lru_cache(maxsize=64)
def _clean_serve_parts(choices: tuple) -> dict:
    return _render_serve_parts(choices, {}, {})


def serve_parts(choices, form, errors) -> dict:
    """The serve form's drink options and quantity rows: a clean form's are the same for every group served
    from the same list of items (their ids, names and units are the cache key), so they render once."""
    if not form and not errors:
        return _clean_serve_parts(tuple(choices))
    return _render_serve_parts(choices, form, errors)


def _fragment() -> bool:
    """An action tapped on the visit card swaps just the card."""
    return is_htmx() and request.headers.get("HX-Target") == "visit"


def _detail_ctx(visit: Visit, errors=None, form=None) -> dict:
    return {**visit_reads.page(current_site(), visit, current_user.post), "serve_parts": serve_parts,
            "errors": errors or {}, "form": form or {}, "purposes": PURPOSES}


def _act(visit_id: int, action):
    """Run one action on a visit of this site: the card for htmx, a redirect for a plain form."""
    visit = site_get_or_404(Visit, visit_id, joinedload(Visit.rep))
    try:
        action(visit)
    except VisitError as e:
        errors = {e.field or "form": e.message}
        template = "visits/_visit.html" if _fragment() else "visits/detail.html"
        return render_template(template, **_detail_ctx(visit, errors, request.form)), 422
    if _fragment():
        visit = site_get_or_404(Visit, visit_id, joinedload(Visit.rep))
        return render_template("visits/_visit.html", **_detail_ctx(visit))
    return redirect(url_for(".detail", visit_id=visit_id))


@bp.route("/new", methods=["GET", "POST"])
@requires("visits.register")
def new():
    site = current_site()
    form = ArrivalForm()
    created = []
    ok, status = apply_form(form, lambda: created.append(services.record_arrival(
        site, current_user, request.form.get("party_size_n") or form.party_size.data, form.by_car.data == "1",
        form.plate.data, idem())), (VisitError,), "party_size")
    if ok:
        flash(_("Arrival recorded. The other posts can see it now."))
        return redirect(url_for(".detail", visit_id=created[0].id))
    if not form.is_submitted():
        form.idem.data = None
    return render_template("visits/new.html", form=form), status


@bp.get("/plate")
@requires("visits.register")
def plate():
    """Active search on the plate field: who this car is, if it has been here before, and a VIP's note."""
    if not is_htmx():
        return redirect(url_for(".new"))
    site = current_site()
    try:
        plate = services.normalize_plate(request.args.get("plate"))
    except VisitError:
        plate = None
    return render_template("visits/_plate.html", last=visit_reads.known_plate(site, plate),
                           vip=guest_reads.vip_note(site.id, plate))


# The live list replaces itself whole. Said by the response rather than by hx-swap/hx-target on the <ul>: those
# would be inherited by every row's link (CONVENTIONS.md, Lessons), and overriding them per row costs each poll bytes.
LIVE_SWAP = {"HX-Reswap": "outerHTML"}


@bp.get("/live")
@requires("visits.view")
def live():
    """The live element: 204 while nothing changed for the site, else the tiny list."""
    site = current_site()
    v = request.args.get("v", type=int)
    due = request.args.get("d", type=int) or 0
    state = live_reads.live_state(site, current_user.post)
    if v is not None and state.version == v and not live_reads.due_passed(due):
        return "", 204
    panel = live_reads.live_panel(site, current_user.post, state)
    if not wants_fragment():
        return render_template("visits/live.html", **panel)
    return render_template("visits/_live.html", **panel), LIVE_SWAP


@bp.get("/<int:visit_id>")
@requires("visits.view")
def detail(visit_id):
    visit = visit_reads.get_visit(current_user.current_site_id, visit_id)
    if visit is None:
        abort(404)
    return render_template("visits/detail.html", **_detail_ctx(visit))


@bp.post("/<int:visit_id>/seen")
@requires("visits.acknowledge")
def seen(visit_id):
    visit = site_get_or_404(Visit, visit_id)
    services.acknowledge(current_site(), current_user, visit)
    if is_htmx() and request.headers.get("HX-Target") != "visit":  # a row's button in the live list
        return (render_template("visits/_live.html", **live_reads.live_panel(current_site(), current_user.post)),
                {**LIVE_SWAP, "HX-Retarget": "#visits-live"})
    return _act(visit_id, lambda v: None)


@bp.post("/<int:visit_id>/greet")
@requires("visits.greet")
def greet(visit_id):
    return _act(visit_id, lambda v: services.greet(current_site(), current_user, v, request.form.get("purpose", ""),
                                                   request.form.get("rep_id")))


@bp.post("/<int:visit_id>/serve")
@requires("visits.serve")
def serve(visit_id):
    return _act(visit_id, lambda v: services.serve(current_site(), current_user, v, qty_fields(request.form),
                                                   idem(), request.form.getlist("guest")))


@bp.post("/<int:visit_id>/refill")
@requires("visits.serve")
def refill(visit_id):
    return _act(visit_id, lambda v: services.refill(current_site(), current_user, v, idem()))


@bp.post("/<int:visit_id>/umbrellas")
@requires("visits.umbrellas")
def lend(visit_id):
    return _act(visit_id, lambda v: services.lend_umbrellas(current_site(), current_user, v,
                                                            request.form.get("qty"), idem()))


@bp.post("/<int:visit_id>/umbrellas/return")
@requires("visits.umbrellas")
def give_back(visit_id):
    """Some or all of the group's umbrellas come back."""
    return _act(visit_id, lambda v: services.return_umbrellas(current_site(), current_user, v,
                                                              request.form.get("return_qty"), idem()))


@bp.post("/<int:visit_id>/rooms")
@requires("visits.rooms")
def admit(visit_id):
    return _act(visit_id, lambda v: services.admit(current_site(), current_user, v, request.form.get("location_id"),
                                                   request.form.get("rep_id"), idem()))


@bp.post("/rooms/<int:room_visit_id>/leave")
@requires("visits.rooms")
def leave_room(room_visit_id):
    """The group left the room: straight to the count after the visit (一客一盘点)."""
    rv = site_get_or_404(RoomVisit, room_visit_id)
    try:
        _rv, count = services.leave_room(current_site(), current_user, rv)
    except VisitError as e:
        flash(e.message, "error")
        return redirect(url_for(".detail", visit_id=rv.visit_id))
    return redirect(url_for("inventory.count", count_id=count.id))


@bp.post("/<int:visit_id>/depart")
@requires("visits.depart")
def depart(visit_id):
    return _act(visit_id, lambda v: services.depart(current_site(), current_user, v))


@bp.post("/<int:visit_id>/car-left")
@requires("visits.car_left")
def car_left(visit_id):
    return _act(visit_id, lambda v: services.car_left(current_site(), current_user, v))


@bp.post("/<int:visit_id>/correct")
@requires("visits.correct")
def correct(visit_id):
    return _act(visit_id, lambda v: services.correct(current_site(), current_user, v,
                                                     request.form.get("party_size"), request.form.get("purpose")))
