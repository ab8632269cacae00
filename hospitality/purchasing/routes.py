"""The purchasing pages: requests, the manager's decision, receiving and signing, and fixture releases."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..access import current_site, site_get_or_404
from ..forms import idem, qty_fields
from ..i18n import text as _
from ..models import FixtureRelease, PurchaseRequest, Receipt
from ..permissions import can, requires
from . import bp, reads, services
from .services import PurchaseError


@bp.get("/")
@requires("purchases.view")
def index():
    site = current_site()
    return render_template("purchasing/index.html", requests=reads.requests(site.id),
                           unsigned=reads.unsigned_receipts(site.id))


@bp.route("/new", methods=["GET", "POST"])
@requires("purchases.ask")
def new():
    site = current_site()
    for_date = services.tomorrow(site)
    proposal = reads.propose(site, for_date)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            req = services.create_request(site, current_user, qty_fields(request.form), request.form.get("note"),
                                          for_date, idem(), proposed={p.item.id: p.qty for p in proposal})
        except PurchaseError as e:
            errors, status = {e.field or "qty": e.message}, 422
        else:
            flash(_("Request approved automatically (below the site's limit).") if req.auto_approved
                  else _("Request sent to the manager."))
            return redirect(url_for(".detail", request_id=req.id))
    return render_template("purchasing/new.html", proposal=proposal, for_date=for_date, errors=errors,
                           form=request.form), status


def _request(request_id: int) -> PurchaseRequest:
    """A request of this site, with who asked and who decided (its page names both)."""
    return site_get_or_404(PurchaseRequest, request_id, joinedload(PurchaseRequest.requested_by),
                           joinedload(PurchaseRequest.decided_by))


@bp.get("/<int:request_id>")
@requires("purchases.view")
def detail(request_id, errors=None, status=200):
    req = _request(request_id)
    page = reads.request_page(req)
    return render_template("purchasing/detail.html", req=req, stock=page.stock, receipts=page.receipts,
                           errors=errors or {}, form=request.form), status


@bp.post("/<int:request_id>/edit")
@requires("purchases.ask")
def edit(request_id):
    req = _request(request_id)
    try:
        services.update_request(current_site(), current_user, req, request.form.get("version", type=int) or 0,
                                qty_fields(request.form), request.form.get("note"), idem())
    except PurchaseError as e:
        conflict = isinstance(e, services.PurchaseConflict)
        return detail(request_id, errors={e.field or "form": e.message}, status=409 if conflict else 422)
    flash(_("Request updated."))
    return redirect(url_for(".detail", request_id=req.id))


@bp.post("/<int:request_id>/decide")
@requires("purchases.decide")
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
@requires("purchases.receive")
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
@requires("purchases.sign")
def sign(receipt_id):
    receipt = site_get_or_404(Receipt, receipt_id)
    services.sign_receipt(current_site(), current_user, receipt)
    flash(_("Stock-in signed."))
    return redirect(url_for(".detail", request_id=receipt.request_id))


@bp.route("/releases", methods=["GET", "POST"])
@requires("fixtures.view")
def releases():
    site = current_site()
    errors, status = {}, 200
    if request.method == "POST":
        if not can(current_user, "fixtures.ask"):
            abort(403)
        item = reads.chosen_item(site.id, request.form.get("item_id", type=int) or 0)
        if item is None:
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
    return render_template("purchasing/releases.html", releases=reads.releases(site.id),
                           fixtures=reads.fixtures(site.id), errors=errors,
                           form=request.form), status


@bp.post("/releases/<int:release_id>/decide")
@requires("fixtures.decide")
def decide_release(release_id):
    rel = site_get_or_404(FixtureRelease, release_id)
    try:
        services.decide_release(current_site(), current_user, rel, request.form.get("action") == "approve",
                                request.form.get("note"))
    except PurchaseError as e:
        flash(e.message, "error")
    return redirect(url_for(".releases"))
