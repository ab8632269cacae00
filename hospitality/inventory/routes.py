import csv
import io
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import photos
from ..access import current_site, post_required, site_get_or_404
from ..extensions import db
from ..forms import apply_form, arg_date
from ..i18n import text as _
from ..models import CountLine, Discrepancy, Item, Location, StockCount, StockMove
from ..models.inventory import COUNT_KINDS, LINE_PROBLEMS, REASONS
from . import bp, ledger, recipes, reports, services
from .forms import ItemForm
from .ledger import StockError

STOCK_POSTS = ("water_bar", "model_room", "security", "lead", "manager")
stock_staff = post_required(*STOCK_POSTS)


def qty_fields(form, prefix: str = "qty-") -> dict[int, str]:
    """The per-item quantity inputs of a form (qty-<id>), ignoring malformed names."""
    out = {}
    for key, value in form.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            out[int(key[len(prefix):])] = value
    return out


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


def idem() -> str | None:
    """The idempotency key a form carried (one per rendered form)."""
    key = request.form.get("idem", "")
    return key if 8 <= len(key) <= 64 and key.isalnum() else None


def _location(location_id: int) -> Location:
    loc = site_get_or_404(Location, location_id)
    if loc.kind not in services.STOCK_LOCATION_KINDS:
        abort(404)
    if not services.can_handle(current_user, loc):
        abort(403)
    return loc


@bp.get("/")
@stock_staff
def index():
    site = current_site()
    return render_template("inventory/index.html", locations=services.stock_locations(site.id, current_user),
                           discrepancies=services.open_discrepancies(site.id))


@bp.get("/loc/<int:location_id>")
@post_required("water_bar", "model_room", "lead", "manager")
def location(location_id, errors=None, status=200):
    loc = _location(location_id)
    items = services.location_items(loc.id)
    return render_template("inventory/location.html", location=loc, items=items,
                           stock=ledger.on_hand(i.id for i in items), open_count=services.open_count(loc.id),
                           count_kinds=COUNT_KINDS, errors=errors or {}, form=request.form), status


@bp.post("/loc/<int:location_id>/count")
@post_required("water_bar", "model_room", "lead", "manager")
def start_count(location_id):
    loc = _location(location_id)
    try:
        count = services.start_count(current_site(), current_user, loc, request.form.get("kind", "spot"))
    except StockError as e:
        flash(e.message, "error")
        return redirect(url_for(".location", location_id=loc.id))
    return redirect(url_for(".count", count_id=count.id))


@bp.post("/loc/<int:location_id>/moves")
@post_required("water_bar", "model_room", "lead", "manager")
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
    count = site_get_or_404(StockCount, count_id)
    if not services.can_handle(current_user, count.location) and current_user.post != "security":
        abort(403)
    return count


@bp.route("/counts/<int:count_id>", methods=["GET", "POST"])
@post_required("water_bar", "model_room", "lead", "manager", "security")
def count(count_id):
    count = _count_for_user(count_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            count = services.submit_count(current_site(), current_user, count, qty_fields(request.form),
                                          all_match=request.form.get("all_match") == "1",
                                          problems=_problems(request))
        except services.CountErrors as e:
            errors, status = e.errors, 422
        except StockError as e:
            errors, status = {e.field or "form": e.message}, 422
        else:
            return _after_count(count)
    items = services.location_items(count.location_id)
    book = ledger.on_hand(i.id for i in items) if count.status == "open" else {}
    lines = {} if count.status == "open" else {line.item_id: line for line in count.lines}
    return render_template("inventory/count.html", count=count, items=items, book=book, lines=lines,
                           errors=errors, form=request.form, kinds=COUNT_KINDS, line_problems=LINE_PROBLEMS), status


# A count made for something else goes back to it: ref_type → (endpoint, its id argument).
COUNT_RETURNS = {"visit": ("visits.detail", "visit_id"), "handover": ("handover.show", "handover_id"),
                 "worker": ("workers.show", "entry_id")}


def count_return_url(count: StockCount) -> str | None:
    """Where the count's purpose lives (the visit, the handover, the worker entry), if it has one."""
    target = COUNT_RETURNS.get(count.ref_type or "")
    if target is None or count.ref_id is None:
        return None
    return url_for(target[0], **{target[1]: count.ref_id})


def _after_count(count: StockCount):
    if count.status == "discrepancy":
        disc = db.session.scalar(select(Discrepancy).where(Discrepancy.count_id == count.id))
        flash(_("The count differs from the book. Check it with the security guard on duty."), "error")
        return redirect(url_for(".discrepancy", disc_id=disc.id))
    flash(_("Count saved: everything matches."))
    if count.kind == "closing" and count.location.kind == "water_bar" and current_user.post == "water_bar":
        return redirect(url_for("purchasing.new"))
    return redirect(count_return_url(count) or url_for(".location", location_id=count.location_id))


@bp.post("/counts/<int:count_id>/cancel")
@post_required("water_bar", "model_room", "lead", "manager")
def cancel_count(count_id):
    count = _count_for_user(count_id)
    try:
        services.cancel_count(current_site(), current_user, count)
    except StockError as e:
        flash(e.message, "error")
    return redirect(url_for(".location", location_id=count.location_id))


@bp.get("/discrepancies/<int:disc_id>")
@stock_staff
def discrepancy(disc_id, errors=None, status=200):
    disc = site_get_or_404(Discrepancy, disc_id)
    lines = [line for line in disc.count.lines if line.difference != 0 or line.problem]
    return render_template("inventory/discrepancy.html", disc=disc, lines=lines, errors=errors or {},
                           form=request.form, back=count_return_url(disc.count)), status


@bp.post("/discrepancies/<int:disc_id>/confirm")
@post_required("security")
def confirm(disc_id):
    disc = site_get_or_404(Discrepancy, disc_id)
    try:
        services.confirm_discrepancy(current_site(), current_user, disc, request.form.get("note"))
    except StockError as e:
        return discrepancy(disc_id, errors={e.field or "form": e.message}, status=422)
    flash(_("Confirmed. The manager has been told."))
    return redirect(url_for(".discrepancy", disc_id=disc.id))


@bp.post("/discrepancies/<int:disc_id>/close")
@post_required("manager")
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
@post_required("manager")
def items():
    rows = db.session.scalars(select(Item).join(Location).where(Item.site_id == current_site().id)
                              .order_by(Location.position, Item.position, Item.id)).all()
    return render_template("inventory/items.html", items=rows, stock=ledger.on_hand(i.id for i in rows),
                           prepared=recipes.prepared_ids(i.id for i in rows))


@bp.route("/items/new", methods=["GET", "POST"])
@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@post_required("manager")
def item_form(item_id=None):
    item = site_get_or_404(Item, item_id) if item_id else None
    site = current_site()
    form = ItemForm(obj=item)
    form.location_id.choices = [(loc.id, loc.name) for loc in services.stock_locations(site.id)]
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
                initial_qty=form.initial_qty.data if form.initial_qty else None, serve_as=form.serve_as.data)
            if name:
                services.set_item_photo(site, saved, name)
        except BaseException:
            photos.remove("items", name)
            raise
    ok, status = apply_form(form, save, (StockError, photos.PhotoError), "name")
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".items"))
    recipe = recipes.recipe_of(item.id) if item is not None else []
    return render_template("inventory/item_form.html", form=form, item=item, recipe=recipe), status


@bp.get("/items/<int:item_id>/photo")
@stock_staff
def item_photo(item_id):
    """The reference photo of an item, for anyone who works with this site's stock."""
    item = site_get_or_404(Item, item_id)
    if not item.photo:
        abort(404)
    return send_from_directory(photos.folder("items"), item.photo, max_age=365 * 24 * 3600)


@bp.get("/counts/<int:count_id>/lines/<int:line_id>/photo")
@stock_staff
def line_photo(count_id, line_id):
    """A photo taken during a count (what was missing, damaged or moved)."""
    count = site_get_or_404(StockCount, count_id)
    line = db.session.get(CountLine, line_id)
    if line is None or line.count_id != count.id or not line.photo:
        abort(404)
    return send_from_directory(photos.folder("counts"), line.photo, max_age=365 * 24 * 3600)


@bp.get("/items/<int:item_id>")
@post_required("lead", "manager")
def item_ledger(item_id):
    item = site_get_or_404(Item, item_id)
    before = request.args.get("before", type=int)
    q = select(StockMove).where(StockMove.item_id == item.id)
    if before:
        q = q.where(StockMove.id < before)
    rows = db.session.scalars(q.order_by(StockMove.id.desc()).limit(51)
                              .options(db.joinedload(StockMove.user))).all()
    reversed_ids = set(db.session.scalars(select(StockMove.reverses_id).where(
        StockMove.reverses_id.in_([r.id for r in rows]))))
    return render_template("inventory/ledger.html", item=item, rows=rows[:50], more=len(rows) > 50,
                           reasons=REASONS, reversed_ids=reversed_ids,
                           stock=ledger.on_hand([item.id])[item.id])


@bp.post("/moves/<int:move_id>/reverse")
@post_required("manager")
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
    if current_user.post == "water_bar":
        first = last = today  # the bar sees today's; the lead and manager any range
    if last < first:
        first, last = last, first
    return max(first, last - timedelta(days=366)), last


@bp.get("/consumption")
@post_required("water_bar", "lead", "manager")
def consumption():
    site = current_site()
    first, last = _range()
    bar_items = [i for i in db.session.scalars(
        select(Item).join(Location).where(Item.site_id == site.id, Item.kind == "consumable",
                                          Location.kind == "water_bar").order_by(Item.position, Item.id))]
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(reports.consumption(site, bar_items, first, last), fmt, first, last)
    # One day: a line per item with its counts and variance. A range: a line per item with the days
    # summed and the cost per day as a chart (the day-by-day detail is in the exports).
    if first == last:
        lines = reports.consumption(site, bar_items, first, last)
        items, totals = [], reports.daily_totals(lines)
    else:
        lines = []
        items, totals = reports.range_summary(site, bar_items, first, last)
    return render_template("inventory/consumption.html", lines=lines, items=items, first=first, last=last,
                           totals=totals, columns=reports.COLUMNS)


EXPORT = ("date", "item", "unit", "opening", "received", "prepared", "served", "prep_used", "discarded",
          "damaged", "moved_out", "closing", "expected_closing", "variance", "outside", "cost")


def _export(lines, fmt, first, last):
    # The page's column names (reports.COLUMNS): the sheet reads 开岗库存 where the page does.
    head = [str(reports.COLUMNS[k]) for k in EXPORT]

    def n(v):
        return None if v is None else float(v)

    def values(dl) -> dict:
        return {"date": dl.day.isoformat(), "item": dl.item.label, "unit": dl.item.unit, "opening": n(dl.opening),
                **{r: n(dl.flow[r]) for r in reports.FLOW}, "closing": n(dl.closing),
                "expected_closing": n(dl.expected_closing), "variance": n(dl.variance),
                "outside": n(dl.outside_change), "cost": n(dl.cost)}
    rows = [[v[k] for k in EXPORT] for v in map(values, lines)]
    name = f"consumption-{first.isoformat()}-{last.isoformat()}"
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
        csv.writer(buf).writerows([head, *rows])
        return Response(buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = _("Daily consumption")[:31]
    ws.append(head)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return Response(out.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


@bp.route("/close", methods=["GET", "POST"])
@post_required("water_bar")
def close_bar():
    """Closing the bar, step 1: discard what was opened; then the closing count; then tomorrow's order."""
    site = current_site()
    bars = [loc for loc in services.stock_locations(site.id) if loc.kind == "water_bar"]
    if not bars:
        abort(404)
    bar = bars[0]
    items = [i for i in services.location_items(bar.id) if i.discard_at_close]
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
