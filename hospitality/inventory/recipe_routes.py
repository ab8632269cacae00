"""Recipes (the manager) and preparing from them (the water bar): 冲泡 a pot of tea, 切 a fruit plate."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site, site_get_or_404
from ..forms import idem, qty_fields
from ..i18n import text as _
from ..models import Item, Visit
from ..permissions import requires
from . import bp, ledger, recipes, services
from .ledger import StockError
from .reads import stock as reads


def _visit_id() -> int | None:
    """The visit the serve form sent the attendant from (prepared, they go back to it), if it is this site's."""
    raw = request.values.get("visit_id", "")
    if not raw.isdigit():
        return None
    return site_get_or_404(Visit, int(raw)).id


@bp.route("/prepare", methods=["GET", "POST"])
@requires("stock.prepare")
def prepare():
    """The bar's prepared items with their recipes: a count and 制作 each."""
    site = current_site()
    visit_id = _visit_id()
    errors, status, posted = {}, 200, None
    if request.method == "POST":
        item = site_get_or_404(Item, request.form.get("item_id", type=int) or 0)
        if not services.can_handle(current_user, item.location):
            abort(403)
        posted = item.id
        try:
            prep = recipes.prepare(site, current_user, item, request.form.get("qty", ""), idem())
        except StockError as e:
            errors, status = {e.field or "qty": e.message}, 422
        else:
            flash(_("Prepared %(n)s %(unit)s of %(item)s.", n=ledger.fmt(prep.qty), unit=item.unit,
                     item=item.label))
            if visit_id:
                return redirect(url_for("visits.detail", visit_id=visit_id))
            return redirect(url_for(".prepare"))
    items = reads.preparable(site.id, services.worked_kinds(current_user))
    return render_template("inventory/prepare.html", items=items, errors=errors,
                           posted=posted, form=request.form, visit_id=visit_id,
                           chosen=request.args.get("item_id", type=int)), status


@bp.route("/items/<int:item_id>/recipe", methods=["GET", "POST"])
@requires("stock.recipes")
def recipe(item_id):
    """The manager says what one unit of a prepared item is made of."""
    item = site_get_or_404(Item, item_id)
    if item.kind != "consumable":
        abort(404)
    errors, status = {}, 200
    lines = {line.raw_item_id: line.qty for line in reads.recipe_of(item.id)}
    if request.method == "POST":
        try:
            recipes.save_recipe(current_site(), current_user, item, qty_fields(request.form))
        except services.CountErrors as e:
            errors, status = e.errors, 422
        except StockError as e:
            errors, status = {e.field or "form": e.message}, 422
        else:
            flash(_("Saved."))
            return redirect(url_for(".items"))
    return render_template("inventory/recipe.html", item=item, choices=reads.ingredient_choices(item),
                           lines=lines, errors=errors, form=request.form), status
