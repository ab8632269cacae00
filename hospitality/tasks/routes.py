"""Task pages: raise one in two taps (quick picks, for whom), the list (mine, those I raised, and for the lead every
open one with its age, dispatch and cancel, done ones of a range), one tap to accept or finish, a visit's tasks with
"clear the table" when the group leaves, and the site's targets."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site, site_get_or_404, site_places
from ..errors import RuleError, messages
from ..forms import arg_date, idem
from ..htmx import render_page_or_fragment, wants_fragment
from ..i18n import text as _
from ..models import Visit
from ..models.core import POSTS
from ..models.tasks import ASSIGNEES, OPEN_STATES, Task
from ..permissions import can, requires
from . import bp, reads, services


def _for_choices(site_id: int, with_people: bool = True) -> dict:
    """Whom a task may be for: the cleaners, the posts someone works at the site, and (for the form) the people."""
    posts = reads.posts_at(site_id)
    out = {"post_choices": [("cleaner", ASSIGNEES["cleaner"])] + [(p, ASSIGNEES[p]) for p in ASSIGNEES
                                                                   if p in posts]}
    if with_people:
        out["people_choices"] = [(f"user-{p.id}", f"{p.name} · {POSTS[p.post]}") for p in reads.people(site_id)]
    return out


def _new_ctx(site, form, errors, visit=None) -> dict:
    places = site_places(site.id)
    return {"form": form, "errors": errors, "kinds": services.RAISED_KINDS, "visit": visit,
            "places": [(p.id, p.name) for p in places],
            "rooms": [(p.id, p.name) for p in places if p.kind == "model_room"], **_for_choices(site.id)}


@bp.route("/new", methods=["GET", "POST"])
@requires("tasks.raise")
def new():
    """Raise a task: tap a quick pick (it goes to its usual post unless another is picked) or write one."""
    site = current_site()
    if request.method == "POST":
        f = request.form
        try:
            services.raise_task(site, current_user, kind=f.get("kind"), for_whom=f.get("for_whom"),
                                text=f.get("text"), location_id=f.get("location_id"),
                                table_label=f.get("table_label"), idem_key=idem())
        except RuleError as e:
            return render_template("tasks/new.html", **_new_ctx(site, f, messages(e)), idem_key=f.get("idem")), 422
        flash(_("Task raised: it is on their list now."))
        return redirect(url_for(".index"))
    return render_template("tasks/new.html", **_new_ctx(site, {"kind": request.args.get("kind", "")}, {}),
                           idem_key=None)


@bp.get("/")
@requires("tasks.view")
def index():
    """Mine (my post's and mine), those I raised; for the lead and the manager every open task and those done in a
    range (?from=&to=, today by default)."""
    site = current_site()
    today = site.today()
    ctx = {"mine": reads.mine(site, current_user), "today": today}
    if can(current_user, "tasks.all"):
        # Those done over a range load after the page (tasks.done_list): a day's are as many cards again.
        mine = {r.id for r in ctx["mine"]}  # the lead's own post's tasks are listed once, under "mine"
        ctx |= {"every_open": [r for r in reads.every_open(site) if r.id not in mine],
                "done_args": {k: request.args[k] for k in ("from", "to") if request.args.get(k)}}
    return render_template("tasks/index.html", **ctx)


@bp.get("/raised")
@requires("tasks.view")
def raised_list():
    """What I asked for, newest first, with its state and the minutes it took (loaded after the task page): not those
    the page lists already (open ones for my post or me; for the lead and the manager every open one)."""
    site = current_site()
    every = can(current_user, "tasks.all")
    rows = [r for r in reads.raised_by(site, current_user)
            if not (r.status in OPEN_STATES and (every or services.is_for(current_user, r)))]
    return render_page_or_fragment("tasks/raised.html", "tasks/_raised.html", raised=rows)


@bp.get("/done")
@requires("tasks.all")
def done_list():
    """The tasks done from ?from= to ?to= (today by default, at most RANGE_DAYS), newest first, with the minutes each
    took: a section of the task page, or a page of its own."""
    site = current_site()
    today = site.today()
    last = min(arg_date("to", today), today)
    first = min(arg_date("from", last), last)
    first = max(first, last - timedelta(days=reads.RANGE_DAYS - 1))
    return render_page_or_fragment("tasks/done.html", "tasks/_done.html", done=reads.done_between(site, first, last),
                                   first=first, last=last, today=today)


def _task_row(task_id: int):
    site = current_site()
    row = reads.task(site.id, task_id)
    if row is None:
        abort(404)
    return site, row


def _after(task_id: int, action):
    """Run one tap on a task: its card again for htmx (with the refusal, 422), else back to the list."""
    site, row = _task_row(task_id)
    error = None
    try:
        action(site, site_get_or_404(Task, task_id))
    except RuleError as e:
        error = e.message
    if wants_fragment():
        return render_template("tasks/_card.html", row=reads.task(site.id, task_id), error=error), \
            422 if error else 200
    flash(error or _("Saved."), "error" if error else "message")
    return redirect(url_for(".index"))


@bp.post("/<int:task_id>/accept")
@requires("tasks.view")
def accept(task_id):
    _site, row = _task_row(task_id)
    if not services.is_for(current_user, row):
        abort(403)
    return _after(task_id, lambda site, task: services.accept(site, current_user, task))


@bp.post("/<int:task_id>/done")
@requires("tasks.view")
def done(task_id):
    """Done in one tap by its post or person; a cleaner's by the lead, the manager or the post that raised it."""
    _site, row = _task_row(task_id)
    if not services.concerns(current_user, row):
        abort(403)
    return _after(task_id, lambda site, task: services.finish(site, current_user, task))


@bp.route("/<int:task_id>/dispatch", methods=["GET", "POST"])
@requires("tasks.dispatch")
def dispatch(task_id):
    """GET: the picks to hand it on and the cancel button (loaded into the card when opened); POST: hand it on."""
    if request.method == "GET":
        site, row = _task_row(task_id)
        return render_page_or_fragment("tasks/dispatch.html", "tasks/_dispatch.html", row=row,
                                       **_for_choices(site.id))
    return _after(task_id, lambda site, task: services.dispatch(site, current_user, task, request.form.get("for_whom")))


@bp.post("/<int:task_id>/cancel")
@requires("tasks.dispatch")
def cancel(task_id):
    return _after(task_id, lambda site, task: services.cancel(site, current_user, task))


def _visit_ctx(visit: Visit, errors=None, form=None) -> dict:
    return {"visit": visit, "rows": reads.of_visit(visit.site_id, visit.id), "errors": errors or {},
            "form": form or {}}


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@requires("tasks.view")
def visit_tasks(visit_id):
    """A visit's tasks (loaded after the visit's page): how long the table took. POST: one tap when the group has
    left, the cleaners clear its table (or the negotiation area), linked to the visit."""
    visit = site_get_or_404(Visit, visit_id)
    if request.method == "GET":
        return render_page_or_fragment("tasks/visit.html", "tasks/_visit.html", **_visit_ctx(visit))
    if not can(current_user, "tasks.raise"):
        abort(403)
    f = request.form
    try:
        services.raise_task(current_site(), current_user, kind="clear_table", for_whom="cleaner",
                            table_label=f.get("table_label"), location_id=f.get("location_id"), visit=visit,
                            idem_key=idem())
    except RuleError as e:
        return render_page_or_fragment("tasks/visit.html", "tasks/_visit.html", 422,
                                       **_visit_ctx(visit, messages(e), f))
    if not wants_fragment():
        flash(_("Task raised: it is on their list now."))
        return redirect(url_for("visits.detail", visit_id=visit.id))
    return render_template("tasks/_visit.html", **_visit_ctx(visit))


@bp.route("/settings", methods=["GET", "POST"])
@requires("tasks.settings")
def settings():
    """The manager's targets: minutes to clear a table after a group leaves, and for any other task."""
    site = current_site()
    if request.method == "POST":
        f = request.form
        try:
            services.set_targets(site, current_user, f.get("table_minutes"), f.get("task_minutes"))
        except RuleError as e:
            return render_template("tasks/settings.html", site=site, form=f, errors=messages(e)), 422
        flash(_("Targets saved: they apply to tasks raised from now on."))
        return redirect(url_for(".index"))
    return render_template("tasks/settings.html", site=site, form={}, errors={})
