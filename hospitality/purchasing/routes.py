from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm.attributes import set_committed_value

from ..access import current_site, post_required, site_get_or_404
from ..extensions import db
from ..i18n import text as _
from ..inventory import ledger
from ..inventory.routes import idem, qty_fields
from ..models import FixtureRelease, Item, Location, PurchaseLine, PurchaseRequest, Receipt
from . import bp, services
from .services import PurchaseError

BUYERS = ("water_bar", "manager")


@bp.get("/")
@post_required("water_bar", "lead", "manager")
def index():
    site = current_site()
    pending_first = case((PurchaseRequest.status == "pending", 0), else_=1)
    rows = db.session.scalars(select(PurchaseRequest).where(PurchaseRequest.site_id == site.id)
                              .order_by(pending_first, PurchaseRequest.id.desc()).limit(30)
                              .options(db.selectinload(PurchaseRequest.lines),
                                       db.joinedload(PurchaseRequest.requested_by))).all()
    unsigned = db.session.scalars(select(Receipt).where(Receipt.site_id == site.id, Receipt.signed_at.is_(None))
                                  .order_by(Receipt.id).options(db.joinedload(Receipt.received_by))).all()
    return render_template("purchasing/index.html", requests=rows, unsigned=unsigned)


@bp.route("/new", methods=["GET", "POST"])
@post_required(*BUYERS)
def new():
    site = current_site()
    for_date = services.tomorrow(site)
    proposal = services.propose(site, for_date)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            req = services.create_request(site, current_user, qty_fields(request.form), request.form.get("note"),
                                          for_date, idem(), proposed={i.id: q for i, _s, _n, q in proposal})
        except PurchaseError as e:
            errors, status = {e.field or "qty": e.message}, 422
        else:
            flash(_("Request approved automatically (below the site's limit).") if req.auto_approved
                  else _("Request sent to the manager."))
            return redirect(url_for(".detail", request_id=req.id))
    return render_template("purchasing/new.html", proposal=proposal, for_date=for_date, errors=errors,
                           form=request.form), status


def _request(request_id: int) -> PurchaseRequest:
    return site_get_or_404(PurchaseRequest, request_id)


@bp.get("/<int:request_id>")
@post_required("water_bar", "lead", "manager")
def detail(request_id, errors=None, status=200):
    req = _request(request_id)
    # Lines with their items, and deliveries with who received and signed: a fixed number of queries.
    set_committed_value(req, "lines", db.session.scalars(
        select(PurchaseLine).where(PurchaseLine.request_id == req.id).order_by(PurchaseLine.id)
        .options(db.joinedload(PurchaseLine.item))).all())
    stock = ledger.on_hand(line.item_id for line in req.lines)
    receipts = db.session.scalars(select(Receipt).where(Receipt.request_id == req.id).order_by(Receipt.id)
                                  .options(db.selectinload(Receipt.lines), db.joinedload(Receipt.received_by),
                                           db.joinedload(Receipt.signed_by))).all()
    return render_template("purchasing/detail.html", req=req, stock=stock, receipts=receipts,
                           errors=errors or {}, form=request.form), status


@bp.post("/<int:request_id>/edit")
@post_required(*BUYERS)
def edit(request_id):
    req = _request(request_id)
    try:
        services.update_request(current_site(), current_user, req, request.form.get("version", type=int) or 0,
                                qty_fields(request.form), request.form.get("note"))
    except PurchaseError as e:
        conflict = isinstance(e, services.PurchaseConflict)
        return detail(request_id, errors={e.field or "form": e.message}, status=409 if conflict else 422)
    flash(_("Request updated."))
    return redirect(url_for(".detail", request_id=req.id))


@bp.post("/<int:request_id>/decide")
@post_required("manager")
def decide(request_id):
    req = _request(request_id)
    try:
        req = services.decide(current_site(), current_user, req, request.form.get("version", type=int) or 0,
                              request.form.get("action", ""), qty_fields(request.form), request.form.get("note"))
    except PurchaseError as e:
        conflict = isinstance(e, services.PurchaseConflict)
        return detail(request_id, errors={e.field or "form": e.message}, status=409 if conflict else 422)
    if req.status == "approved":
        # Receiving is the next step: stay on the request, where it is one tap (in full or as approved in part).
        flash(_("Approved; the requester can see it. Receive the delivery here when it arrives."))
        return redirect(url_for(".detail", request_id=req.id))
    flash(_("Decision recorded; the requester can see it."))
    return redirect(url_for(".index"))


@bp.post("/<int:request_id>/receive")
@post_required(*BUYERS)
def receive(request_id):
    req = _request(request_id)
    try:
        services.receive(current_site(), current_user, req, qty_fields(request.form), request.form.get("note"),
                         idem())
    except PurchaseError as e:
        return detail(request_id, errors={e.field or "form": e.message}, status=422)
    flash(_("Received into stock. The manager signs the stock-in."))
    return redirect(url_for(".detail", request_id=req.id))


@bp.post("/receipts/<int:receipt_id>/sign")
@post_required("manager")
def sign(receipt_id):
    receipt = site_get_or_404(Receipt, receipt_id)
    services.sign_receipt(current_site(), current_user, receipt)
    flash(_("Stock-in signed."))
    return redirect(url_for(".detail", request_id=receipt.request_id))


@bp.route("/releases", methods=["GET", "POST"])
@post_required("model_room", "manager", "lead")
def releases():
    site = current_site()
    errors, status = {}, 200
    if request.method == "POST":
        if current_user.post != "model_room":
            abort(403)
        item = db.session.get(Item, request.form.get("item_id", type=int) or 0)
        if item is None or item.site_id != site.id:
            errors, status = {"item_id": _("Choose an item.")}, 422
        else:
            try:
                services.request_release(site, current_user, item, request.form.get("qty", ""),
                                         request.form.get("reason", ""), idem())
            except PurchaseError as e:
                errors, status = {e.field or "form": e.message}, 422
            else:
                flash(_("Release requested; the manager decides."))
                return redirect(url_for(".releases"))
    rows = db.session.scalars(select(FixtureRelease).where(FixtureRelease.site_id == site.id)
                              .order_by(FixtureRelease.id.desc()).limit(50)).all()
    fixtures = db.session.scalars(select(Item).join(Location).where(
        Item.site_id == site.id, Item.kind == "fixture", Item.active.is_(True))
        .order_by(Location.position, Item.position)).all()
    return render_template("purchasing/releases.html", releases=rows, fixtures=fixtures, errors=errors,
                           form=request.form), status


@bp.post("/releases/<int:release_id>/decide")
@post_required("manager")
def decide_release(release_id):
    rel = site_get_or_404(FixtureRelease, release_id)
    try:
        services.decide_release(current_site(), current_user, rel, request.form.get("action") == "approve",
                                request.form.get("note"))
    except PurchaseError as e:
        flash(e.message, "error")
    return redirect(url_for(".releases"))
