"""The stock pages: locations, moves, counts, discrepancies, items, the ledger, consumption and closing the bar."""
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import fields, photos
from ..access import child_get_or_404, current_site, site_get_or_404
from ..forms import apply_form, arg_date, idem, qty_fields
from ..i18n import text as _
from ..models import CountLine, Discrepancy, Item, Location, StockCount, StockMove
from ..models.core import LOCATION_KINDS, utcnow
from ..models.inventory import COUNT_KINDS, LINE_PROBLEMS, REASONS
from ..permissions import can, endpoint_action, requires
from . import bp, export, ledger, services
from .forms import ItemForm
from .ledger import StockError
from .reads import consumption as usage
from .reads import stock as reads


def _problems(req) -> dict[int, dict]:
    """What the count form marked per item: problem-<id>, note-<id> and an optional photo-<id> upload."""
    ids = {*qty_fields(req.form, "problem-"), *qty_fields(req.form, "note-"),
           *(i for i, f in qty_fields(req.files, "photo-").items() if f.filename)}
    out = {}
    for item_id in ids:  # a note or photo without a problem chosen is refused under the field
        photo = req.files.get(f"photo-{item_id}")
        out[item_id] = {"problem": req.form.get(f"problem-{item_id}", ""),
                        "note": req.form.get(f"note-{item_id}", ""),
                        "photo": photo if photo and photo.filename else None}
    return out


def _location(location_id: int) -> Location:
    loc = site_get_or_404(Location, location_id)
    if loc.kind not in reads.STOCK_LOCATION_KINDS:
        abort(404)
    if not services.can_handle(current_user, loc):
        abort(403)
    return loc


@bp.get("/")
@requires("stock.view")
def index():
    site = current_site()
    return render_template("inventory/index.html", kinds=LOCATION_KINDS,
                           locations=reads.stock_locations(site.id, services.worked_kinds(current_user)),
                           discrepancies=reads.open_discrepancies(site.id))


@bp.get("/below-par")
@requires("stock.view")
def below_par():
    """The site's consumables short of their par level, for the phone."""
    return render_template("inventory/below_par.html", rows=reads.below_par(current_site().id))


@bp.get("/loc/<int:location_id>")
@requires("stock.keep")
def location(location_id, errors=None, status=200):
    loc = _location(location_id)
    stock = reads.location_stock(loc.id)
    return render_template("inventory/location.html", location=loc, items=stock.items,
                           stock=stock.on_hand, open_count=reads.open_count(loc.id),
                           count_kinds=COUNT_KINDS, errors=errors or {}, form=request.form), status


@bp.post("/loc/<int:location_id>/count")
@requires("stock.keep")
def start_count(location_id):
    loc = _location(location_id)
    try:
        count = services.start_count(current_site(), current_user, loc, request.form.get("kind", "spot"))
    except StockError as e:
        flash(e.message, "error")
        return redirect(url_for(".location", location_id=loc.id))
    return redirect(url_for(".count", count_id=count.id))


@bp.post("/loc/<int:location_id>/moves")
@requires("stock.keep")
def moves(location_id):
    loc = _location(location_id)
    try:
        services.record_moves(current_site(), current_user, loc, request.form.get("reason", ""),
                              qty_fields(request.form), request.form.get("note"), idem())
    except StockError as e:
        return location(location_id, errors={e.field or "qty": e.message}, status=422)
    flash(_("Recorded."))
    return redirect(url_for(".location", location_id=loc.id))


def _count_for_user(count_id: int) -> StockCount:
    count = site_get_or_404(StockCount, count_id, joinedload(StockCount.location))  # the pages name its place
    if not services.may_see_count(current_user, count):
        abort(403)
    return count


@bp.route("/counts/<int:count_id>", methods=["GET", "POST"])
@requires("stock.count")
def count(count_id):
    count = _count_for_user(count_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            count = services.submit_count(current_site(), current_user, count, qty_fields(request.form),
                                          all_match=request.form.get("all_match") == "1",
                                          problems=_problems(request),
                                          made_at=fields.made_at(request.form.get("made_at"), utcnow()),
                                          book=request.form.get("book", type=int))
        except services.CountConflict as e:  # sent from the phone's outbox after the book moved
            return render_template("errors/_toast.html", code=409, message=e.message), 409
        except services.CountErrors as e:
            errors, status = e.errors, 422
        except StockError as e:
            errors, status = {e.field or "form": e.message}, 422
        else:
            return _after_count(count)
    if count.status == "open":
        items, book, mark = reads.location_stock(count.location_id)
        lines = {}
    else:
        items, book, mark = reads.location_items(count.location_id), {}, None
        lines = {line.item_id: line for line in count.lines}
    return render_template("inventory/count.html", count=count, items=items, book=book, lines=lines, book_mark=mark,
                           errors=errors, form=request.form, kinds=COUNT_KINDS, line_problems=LINE_PROBLEMS), status


# A count made for something else goes back to it: ref_type → (endpoint, its id argument).
COUNT_RETURNS = {"visit": ("visits.detail", "visit_id"), "handover": ("handover.show", "handover_id"),
                 "worker": ("workers.show", "entry_id")}


def count_return_url(count: StockCount) -> str | None:
    """Where the count's purpose lives (the visit, the handover, the worker entry), if it has one that the user's
    post may open (its route's action)."""
    target = COUNT_RETURNS.get(count.ref_type or "")
    if target is None or count.ref_id is None:
        return None
    action = endpoint_action(current_app, target[0])
    if action is not None and not can(current_user, action):
        return None
    return url_for(target[0], **{target[1]: count.ref_id})


def _after_count(count: StockCount):
    if count.status == "discrepancy":
        flash(_("The count differs from the book. Check it with the security guard on duty."), "error")
        return redirect(url_for(".discrepancy", disc_id=reads.discrepancy_of(count.id)))
    flash(_("Count saved: everything matches."))
    # Closing the bar, step 3: the water bar goes on to tomorrow's purchase request.
    if count.kind == "closing" and count.location.kind == "water_bar" and can(current_user, "stock.close_bar"):
        return redirect(url_for("purchasing.new"))
    return redirect(count_return_url(count) or url_for(".location", location_id=count.location_id))


@bp.post("/counts/<int:count_id>/cancel")
@requires("stock.keep")
def cancel_count(count_id):
    count = _count_for_user(count_id)
    try:
        services.cancel_count(current_site(), current_user, count)
    except StockError as e:
        flash(e.message, "error")
    return redirect(url_for(".location", location_id=count.location_id))


@bp.get("/discrepancies/<int:disc_id>")
@requires("stock.view")
def discrepancy(disc_id, errors=None, status=200):
    disc = site_get_or_404(Discrepancy, disc_id)
    lines = [line for line in disc.count.lines if line.difference != 0 or line.problem]
    return render_template("inventory/discrepancy.html", disc=disc, lines=lines, errors=errors or {},
                           form=request.form, back=count_return_url(disc.count)), status


@bp.post("/discrepancies/<int:disc_id>/confirm")
@requires("stock.confirm")
def confirm(disc_id):
    disc = site_get_or_404(Discrepancy, disc_id)
    try:
        services.confirm_discrepancy(current_site(), current_user, disc, request.form.get("note"))
    except StockError as e:
        return discrepancy(disc_id, errors={e.field or "form": e.message}, status=422)
    flash(_("Confirmed. The manager has been told."))
    return redirect(url_for(".discrepancy", disc_id=disc.id))


@bp.post("/discrepancies/<int:disc_id>/close")
@requires("stock.close")
def close(disc_id):
    disc = site_get_or_404(Discrepancy, disc_id)
    try:
        services.close_discrepancy(current_site(), current_user, disc, request.form.get("reason", ""),
                                   request.form.get("note", ""))
    except StockError as e:
        return discrepancy(disc_id, errors={e.field or "form": e.message}, status=422)
    flash(_("Discrepancy closed; the book now matches the count."))
    return redirect(url_for(".discrepancy", disc_id=disc.id))


@bp.get("/items")
@requires("stock.items")
def items():
    rows = reads.site_items(current_site().id)
    return render_template("inventory/items.html", items=rows, stock=ledger.on_hand(i.id for i in rows),
                           prepared=reads.prepared_ids(i.id for i in rows))


@bp.route("/items/new", methods=["GET", "POST"])
@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires("stock.items")
def item_form(item_id=None):
    item = site_get_or_404(Item, item_id) if item_id else None
    site = current_site()
    form = ItemForm(obj=item)
    form.location_id.choices = [(loc.id, loc.name) for loc in reads.stock_locations(site.id)]
    if item is not None:
        del form.initial_qty  # stock changes through the ledger, not the item form
    upload = request.files.get("photo")

    def save():
        # The photo is checked (and stored) first, so a bad one saves nothing.
        name = photos.store(upload, "items") if upload and upload.filename else None
        try:
            saved = services.save_item(
                site, current_user, item, location_id=form.location_id.data, kind=form.kind.data,
                name=form.name.data, name_en=form.name_en.data, unit=form.unit.data, whole=form.whole.data,
                pack_size=form.pack_size.data, par_level=form.par_level.data or 0,
                unit_price=form.unit_price.data or 0, discard_at_close=form.discard_at_close.data,
                expected_qty=form.expected_qty.data, active=form.active.data,
                initial_qty=form.initial_qty.data if form.initial_qty else None, serve_as=form.serve_as.data,
                photo=name, idem_key=idem())
        except BaseException:
            photos.remove("items", name)
            raise
        if name and saved.photo != name:  # a new-item form sent again: its first item keeps its own photo
            photos.remove("items", name)
    ok, status = apply_form(form, save, (StockError, photos.PhotoError), "name")
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".items"))
    recipe = reads.recipe_of(item.id) if item is not None else []
    return render_template("inventory/item_form.html", form=form, item=item, recipe=recipe), status


@bp.get("/items/<int:item_id>/photo")
@requires("stock.view")
def item_photo(item_id):
    """The reference photo of an item, for anyone who works with this site's stock."""
    item = site_get_or_404(Item, item_id)
    if not item.photo:
        abort(404)
    return photos.send("items", item.photo)


@bp.get("/counts/<int:count_id>/lines/<int:line_id>/photo")
@requires("stock.view")
def line_photo(count_id, line_id):
    """A photo taken during a count (what was missing, damaged or moved)."""
    count = site_get_or_404(StockCount, count_id)
    line = child_get_or_404(CountLine, line_id, "count", of=count)
    if not line.photo:
        abort(404)
    return photos.send("counts", line.photo)


@bp.get("/items/<int:item_id>")
@requires("stock.ledger")
def item_ledger(item_id):
    item = site_get_or_404(Item, item_id)
    page = reads.ledger_page(item.id, request.args.get("before", type=int))
    return render_template("inventory/ledger.html", item=item, rows=page.rows, more=page.more,
                           reasons=REASONS, reversed_ids=page.reversed_ids,
                           stock=ledger.on_hand([item.id])[item.id])


@bp.post("/moves/<int:move_id>/reverse")
@requires("stock.reverse")
def reverse(move_id):
    move = site_get_or_404(StockMove, move_id)
    try:
        services.reverse_move(current_site(), current_user, move, request.form.get("note", ""))
    except StockError as e:
        flash(e.message, "error")
    else:
        flash(_("Reversed."))
    return redirect(url_for(".item_ledger", item_id=move.item_id))


def _range():
    site = current_site()
    today = site.today()
    first = arg_date("from", today)
    last = arg_date("to", first)
    if not can(current_user, "stock.any_days"):
        first = last = today  # the bar sees today's; the lead and manager any range
    if last < first:
        first, last = last, first
    return max(first, last - timedelta(days=366)), last


@bp.get("/consumption")
@requires("stock.consumption")
def consumption():
    site = current_site()
    first, last = _range()
    bar_items = reads.bar_consumables(site.id)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        return export.consumption_file(usage.consumption(site, bar_items, first, last), fmt, first, last)
    # One day: a line per item with its counts and variance. A range: a line per item with the days
    # summed and the cost per day as a chart (the day-by-day detail is in the exports).
    if first == last:
        lines = usage.consumption(site, bar_items, first, last)
        items, totals = [], usage.daily_totals(lines)
    else:
        lines = []
        items, totals = usage.range_summary(site, bar_items, first, last)
    # The columns' names translated once, not per cell (a lazy string translates each time it is shown).
    return render_template("inventory/consumption.html", lines=lines, items=items, first=first, last=last,
                           totals=totals, columns={k: str(v) for k, v in usage.COLUMNS.items()})


@bp.route("/close", methods=["GET", "POST"])
@requires("stock.close_bar")
def close_bar():
    """Closing the bar, step 1: discard what was opened; then the closing count; then tomorrow's order."""
    site = current_site()
    bar = reads.water_bar(site.id)
    if bar is None:
        abort(404)
    items = [i for i in reads.location_items(bar.id) if i.discard_at_close]
    errors, status = {}, 200
    if request.method == "POST":
        try:
            quantities = qty_fields(request.form)
            if any(str(v).strip() not in ("", "0") for v in quantities.values()):
                services.record_moves(site, current_user, bar, "discarded", quantities, None, idem(),
                                      ref_type="closing")
        except StockError as e:
            errors, status = {e.field or "qty": e.message}, 422
        else:
            try:
                count = services.start_count(site, current_user, bar, "closing")
            except StockError as e:
                flash(e.message, "error")
                return redirect(url_for(".location", location_id=bar.id))
            return redirect(url_for(".count", count_id=count.id))
    return render_template("inventory/close.html", location=bar, items=items,
                           stock=ledger.on_hand(i.id for i in items), errors=errors, form=request.form), status
