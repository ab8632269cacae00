"""Worker register pages: register a crew, count before, in, out, count after; lists for the lead."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site, site_get_or_404
from ..errors import messages
from ..forms import arg_date, idem
from ..htmx import is_htmx, render_page_or_fragment
from ..i18n import text as _
from ..models.workers import WORKER_PURPOSES, WorkerEntry
from ..permissions import can, requires
from ..repairs import reads as repair_reads
from ..visits.reads.detail import room_choices
from . import bp, reads, services
from .reads import STEP_CSS, STEPS
from .services import MAX_CREW, WorkerError

SHOWN_ROWS = 3  # name/phone rows shown at first; the rest fold under "more workers"


@bp.get("/inside")
@requires("workers.view")
def inside():
    """The 'workers in the model rooms' panel: 204 while unchanged for the poll, else the fragment."""
    panel = reads.inside_panel(current_site())
    if is_htmx() and request.args.get("v") == panel["workers_v"]:
        return "", 204
    return render_page_or_fragment("workers/inside.html", "workers/_inside.html", **panel)


@bp.get("/")
@requires("workers.view")
def index():
    site = current_site()
    today = site.today()
    day = arg_date("date", today) if can(current_user, "workers.history") else today
    rooms = room_choices(site.id)
    room_id = request.args.get("room", type=int)
    room_id = room_id if any(r.id == room_id for r in rooms) else None
    company = (request.args.get("company") or "").strip()[:80]
    crews = reads.day_crews(site, day, room_id, company)
    fragment = is_htmx() and request.headers.get("HX-Target") == "worker-list"
    return render_template("workers/_list.html" if fragment else "workers/index.html", crews=crews, day=day,
                           today=today, rooms=rooms, room_id=room_id, company=company,
                           companies=[] if fragment else reads.companies(site), steps=STEPS, step_css=STEP_CSS)


@bp.route("/new", methods=["GET", "POST"])
@requires("workers.doors")
def new():
    site = current_site()
    errors, status = {}, 200
    # "Register the crew" on a repair's page: the crew comes for it (linked when registered).
    repair_id = request.values.get("repair_id", type=int)
    repair = repair_reads.repair(site.id, repair_id) if repair_id else None
    if request.method == "POST":
        f = request.form
        try:
            entry = services.register(
                site, current_user, location_id=f.get("location_id"), company=f.get("company", ""),
                names=[f.get(f"name-{n}", "") for n in range(MAX_CREW)],
                phones=[f.get(f"phone-{n}", "") for n in range(MAX_CREW)],
                purpose=f.get("purpose", ""), purpose_note=f.get("purpose_note"),
                supervisor_id=f.get("supervisor_id"), supervisor_name=f.get("supervisor_name"), idem_key=idem(),
                repair_id=f.get("repair_id"))
        except WorkerError as e:
            errors, status = messages(e), 422
        else:
            flash(_("Workers registered. Count the room before they go in."))
            return redirect(url_for(".show", entry_id=entry.id))
    form = request.form if request.method == "POST" else {
        "location_id": request.args.get("room", ""),
        "supervisor_id": str(current_user.id) if can(current_user, "workers.escort") else ""}
    if repair is not None and request.method == "GET":
        form |= {"location_id": str(repair.location_id), "company": repair.company or "", "purpose": "repair",
                 "purpose_note": (repair.spot or repair.description)[:200]}
    # A row with an error or a value stays open, so nothing typed is hidden under the fold.
    used = [n for n in range(MAX_CREW) if form.get(f"name-{n}") or form.get(f"phone-{n}")
            or f"name-{n}" in errors or f"phone-{n}" in errors]
    return render_template("workers/new.html", form=form, errors=errors, rooms=room_choices(site.id),
                           supervisors=reads.supervisors(site.id), purposes=WORKER_PURPOSES,
                           companies=reads.companies(site), rows=MAX_CREW,
                           shown=max(SHOWN_ROWS, max(used, default=-1) + 1), repair=repair,
                           idem_key=request.form.get("idem") or None), status


def _show_ctx(entry: WorkerEntry, errors=None, form=None) -> dict:
    return {"crew": reads.crew_story(entry), "entry": entry, "errors": errors or {}, "form": form or {},
            "steps": STEPS, "step_css": STEP_CSS, "minutes": reads.minutes,
            "repair": repair_reads.of_crew(entry.crew_id)}  # the repair the crew came for, if any


@bp.get("/<int:entry_id>")
@requires("workers.view")
def show(entry_id):
    """The whole story of a registration: who, for what, supervised by whom, both counts, times."""
    entry = site_get_or_404(WorkerEntry, entry_id)
    return render_template("workers/show.html", **_show_ctx(entry))


def _refused(entry: WorkerEntry, e: WorkerError):
    template = "workers/_crew.html" if _fragment() else "workers/show.html"
    return render_template(template, **_show_ctx(entry, messages(e), request.form)), 422


def _fragment() -> bool:
    """A tap on the crew card swaps just the card."""
    return is_htmx() and request.headers.get("HX-Target") == "crew"


def _done(entry: WorkerEntry, message: str):
    if _fragment():
        return render_template("workers/_crew.html", **_show_ctx(site_get_or_404(WorkerEntry, entry.id)))
    flash(message)
    return redirect(url_for(".show", entry_id=entry.id))


def _to_count(entry: WorkerEntry, count):
    """Counting is a page of its own: an htmx tap navigates there instead of swapping the card."""
    url = url_for("inventory.count", count_id=count.id)
    if is_htmx():
        return "", 204, {"HX-Location": url}
    return redirect(url)


def _act(entry_id: int, rule, after):
    """Run one rule on an entry of this site: a refusal re-renders with its message, else `after`."""
    entry = site_get_or_404(WorkerEntry, entry_id)
    try:
        result = rule(current_site(), current_user, entry)
    except WorkerError as e:
        return _refused(entry, e)
    return after(entry, result)


@bp.post("/<int:entry_id>/count-in")
@requires("workers.count")
def count_in(entry_id):
    return _act(entry_id, services.count_before, _to_count)


@bp.post("/<int:entry_id>/in")
@requires("workers.doors")
def go_in(entry_id):
    return _act(entry_id, services.go_in, lambda entry, _r: _done(entry, _("In. Supervise them while they work.")))


@bp.post("/<int:entry_id>/out")
@requires("workers.doors")
def out(entry_id):
    """Who ticked leaves; when the last one is out the model room counts the room (security hands over)."""
    entry = site_get_or_404(WorkerEntry, entry_id)
    # The card's form says which were ticked (none ticked is a mistake); without it everyone inside leaves.
    ids = [int(v) for v in request.form.getlist("who") if v.isdigit()] if "who_sent" in request.form else None
    site = current_site()
    try:
        still = services.leave(site, current_user, entry, ids)
    except WorkerError as e:
        return _refused(entry, e)
    if still:
        return _done(entry, _("Recorded. Still inside: %(names)s.", names="、".join(m.name for m in still)))
    if can(current_user, "workers.count"):
        try:
            return _to_count(entry, services.count_after(site, current_user, entry))
        except WorkerError as e:  # someone else is counting the room: they left all the same
            flash(e.message, "error")
            return _done(entry, _("They have left."))
    return _done(entry, _("They have left. The model room attendant counts the room now."))


@bp.post("/<int:entry_id>/count-out")
@requires("workers.count")
def count_out(entry_id):
    return _act(entry_id, services.count_after, _to_count)


@bp.post("/<int:entry_id>/cancel")
@requires("workers.doors")
def cancel(entry_id):
    return _act(entry_id, services.cancel, lambda entry, _r: _done(entry, _("Registration cancelled.")))

