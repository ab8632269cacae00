"""Grooming checks, area inspections and their tasks: the lead's pages, and each post's tasks."""
from datetime import time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import photos
from ..access import child_get_or_404, current_site, site_get_or_404
from ..checklists import reads as checklists
from ..checklists.services import PHOTO_KIND, ChecklistError
from ..database import read_panels
from ..errors import RuleError
from ..forms import idem
from ..htmx import is_htmx
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistItem, ChecklistTemplate, User
from ..models.checklists import FILLED_AS_AREA
from ..models.tasks import ASSIGNEES, Task
from ..permissions import can, requires
from ..tasks import reads as task_reads
from . import bp, reads, services


def _stored_photo() -> str | None:
    upload = request.files.get("photo")
    return photos.store(upload, PHOTO_KIND) if upload and upload.filename else None


def _answer(save) -> RuleError | None:
    """Check and store the photo first, then run the service; a refusal removes the photo again."""
    name = None
    try:
        name = _stored_photo()
        save(name)
    except RuleError as e:  # a checklist's rule or the photo said no
        photos.remove(PHOTO_KIND, name)
        return e
    except BaseException:
        photos.remove(PHOTO_KIND, name)
        raise
    return None


def _item_of(template: ChecklistTemplate, item_id: int) -> ChecklistItem:
    return child_get_or_404(ChecklistItem, item_id, "template", of=template)


def _answer_fragment(template, item, run, error, answer_url, **extra):
    answers = checklists.answers_by_item(run)
    return render_template("checklists/_fragments/answer.html", template=template, item=item,
                           answer=answers.get(item.id), error=error, form=request.form, can_answer=True,
                           run=run, answers=answers, oob_progress=True, answer_url=answer_url,
                           with_photos=True, **extra), 422 if error else 200


@bp.get("/")
@requires("inspections.check")
def index():
    site = current_site()
    day = site.today()
    got = read_panels(reads.grooming_reads(site, day), reads.area_status_reads(site, day),
                      reads.tasks_panel_reads(site, current_user))
    grooming, area_rows = got.pop("grooming"), got.pop("area_rows")
    return render_template("inspections/index.html", day=day, grooming=grooming,
                           groomed=sum(1 for row in grooming if row.done),
                           statuses=reads.area_status(site, day, rows=area_rows), **got)


@bp.get("/board")
@requires("inspections.check")
def board():
    """The lead's and manager's today screen loads this after the page: grooming checked, rounds, open tasks."""
    if not is_htmx():
        return redirect(url_for(".index"))
    site = current_site()
    panel = task_reads.panel(site, current_user)  # a lead's or manager's: every open task of the site
    return render_template("inspections/_glance.html", **panel,
                           summary=reads.board_summary(site, site.today(), open_tasks=panel["task_total"]))


# Grooming


def _grooming_target(user_id: int) -> tuple[User, ChecklistTemplate | None]:
    person = site_get_or_404(User, user_id)
    return person, reads.template_for(reads.grooming_templates(current_site().id), person)


def _grooming_url(person):
    return lambda item: url_for(".grooming_answer", user_id=person.id, item_id=item.id)


@bp.get("/grooming/<int:user_id>")
@requires("inspections.check")
def grooming(user_id):
    person, template = _grooming_target(user_id)
    site = current_site()
    day = site.today()
    refusal = None
    try:
        services.check_person(site, current_user, person, day)
    except ChecklistError as e:
        refusal = e.message
    run = reads.grooming_run(template, person, day) if template else None
    if template is None or (refusal and run is None):
        message = refusal or _("No grooming checklist is set for this post. Ask your manager.")
        return render_template("inspections/refused.html", person=person, message=message), 422
    return render_template("inspections/grooming.html", template=template, person=person, run=run,
                           answers=checklists.answers_by_item(run), items=template.active_items,
                           can_answer=refusal is None, refusal=refusal, answer_url=_grooming_url(person),
                           with_photos=True, complete_url=url_for(".grooming_complete", user_id=person.id),
                           attendance=reads.clock_in_of(site, day, person.id))


@bp.post("/grooming/<int:user_id>/items/<int:item_id>")
@requires("inspections.check")
def grooming_answer(user_id, item_id):
    person, template = _grooming_target(user_id)
    if template is None:
        abort(404)
    item = _item_of(template, item_id)
    site = current_site()
    error = _answer(lambda name: services.answer_grooming(
        site, current_user, person, template, item, request.form.get("ok"), request.form.get("number"),
        request.form.get("note"), photo=name))
    if not is_htmx():
        if error:
            flash(error.message, "error")
        return redirect(url_for(".grooming", user_id=person.id))
    run = reads.grooming_run(template, person, site.today())
    return _answer_fragment(template, item, run, error, _grooming_url(person))


@bp.post("/grooming/<int:user_id>/complete")
@requires("inspections.check")
def grooming_complete(user_id):
    person, template = _grooming_target(user_id)
    if template is None:
        abort(404)
    try:
        run = services.complete_grooming(current_site(), current_user, person, template)
    except ChecklistError as e:
        flash(e.message, "error")
        return redirect(url_for(".grooming", user_id=person.id))
    if run.score is not None:
        flash(_("Grooming of %(name)s checked: %(score)d%%.", name=person.name, score=run.score))
    else:
        flash(_("Grooming of %(name)s checked.", name=person.name))
    return redirect(url_for(".index"))


@bp.get("/people/<int:user_id>")
@requires("inspections.record")
def person(user_id):
    """A person's grooming record: for the lead and the manager, and for the person themself."""
    person = site_get_or_404(User, user_id)
    if not services.may_see_record(current_user, person):
        abort(403)
    return render_template("inspections/person.html", person=person,
                           **reads.person_record(current_site(), person))


# Area inspections


def _area(template_id: int) -> ChecklistTemplate:
    template = site_get_or_404(ChecklistTemplate, template_id)
    if template.kind not in FILLED_AS_AREA:
        abort(404)
    if not services.can_fill(current_user, template):
        abort(403)
    return template


class NotDueToday(RuleError):
    """A checklist that repeats on given days (a weekday, a day of the month) has no round today."""


def _slot(template: ChecklistTemplate) -> str:
    """Today's round asked for (?at=10:00); without one, the next round due (else the last). A checklist with no
    round today raises NotDueToday (its page says so)."""
    site = current_site()
    slots = checklists.rounds(template, site.today())
    if not slots:
        raise NotDueToday(_("This checklist is not due today."))
    at = request.args.get("at")
    if at is None:
        now = site.now().time()
        return next((s for s, due in slots if due is None or due >= now), slots[-1][0])
    if not reads.valid_slot(template, at, site.today()):
        abort(404)
    return at


@bp.errorhandler(NotDueToday)
def _not_due_today(error: NotDueToday):
    flash(error.message, "error")
    return redirect(url_for("today.index"))


def _area_url(template, slot):
    args = {"at": slot} if slot else {}
    return lambda item: url_for(".area_answer", template_id=template.id, item_id=item.id, **args)


def _area_ctx(template, slot, run) -> dict:
    due = dict(checklists.rounds(template, current_site().today())).get(slot)
    return {"template": template, "slot": slot, "run": run, "answers": checklists.answers_by_item(run),
            "tasks_by_answer": reads.tasks_by_answer(run), "assignees": ASSIGNEES, "task_form": True,
            "answer_url": _area_url(template, slot), "with_photos": True,
            "due_label": due.strftime("%H:%M") if isinstance(due, time) else ""}


@bp.get("/areas/<int:template_id>")
@requires("inspections.areas")
def area(template_id):
    template = _area(template_id)
    slot = _slot(template)
    run = checklists.find_run(template, current_site().today(), slot)
    args = {"at": slot} if slot else {}
    return render_template("inspections/area.html", items=template.active_items, can_answer=True,
                           complete_url=url_for(".area_complete", template_id=template.id, **args),
                           rounds=checklists.rounds(template, current_site().today()),
                           **_area_ctx(template, slot, run))


@bp.post("/areas/<int:template_id>/items/<int:item_id>")
@requires("inspections.areas")
def area_answer(template_id, item_id):
    template = _area(template_id)
    slot = _slot(template)
    item = _item_of(template, item_id)
    site = current_site()
    error = _answer(lambda name: services.answer_area(
        site, current_user, template, slot, item, request.form.get("ok"), request.form.get("number"),
        request.form.get("note"), photo=name))
    if not is_htmx():
        if error:
            flash(error.message, "error")
        return redirect(url_for(".area", template_id=template.id, **({"at": slot} if slot else {})))
    run = checklists.find_run(template, site.today(), slot)
    ctx = _area_ctx(template, slot, run)
    return _answer_fragment(template, item, run, error, ctx["answer_url"], task_form=True,
                            tasks_by_answer=ctx["tasks_by_answer"], assignees=ASSIGNEES)


@bp.post("/areas/<int:template_id>/complete")
@requires("inspections.areas")
def area_complete(template_id):
    template = _area(template_id)
    slot = _slot(template)
    try:
        services.complete_area(current_site(), current_user, template, slot)
    except ChecklistError as e:
        flash(e.message, "error")
        return redirect(url_for(".area", template_id=template.id, **({"at": slot} if slot else {})))
    flash(_("%(name)s: done.", name=f"{template.label} {slot}".strip()))
    return redirect(url_for(".index" if can(current_user, "inspections.check") else "today.index"))


# Tasks and photos


@bp.post("/answers/<int:answer_id>/tasks")
@requires("inspections.areas")
def raise_task(answer_id):
    answer = child_get_or_404(ChecklistAnswer, answer_id, "run")
    template = answer.run.template
    if template.kind not in FILLED_AS_AREA:
        abort(404)
    if not services.can_fill(current_user, template):
        abort(403)
    error = None
    try:
        services.raise_task(current_site(), current_user, answer, request.form.get("assignee", ""),
                            request.form.get("text"), idem())
    except ChecklistError as e:
        error = e
    if not is_htmx():
        flash(error.message if error else _("Task raised."), "error" if error else "message")
        return redirect(url_for(".area", template_id=template.id,
                                **({"at": answer.run.slot} if answer.run.slot else {})))
    return render_template("inspections/_answer_tasks.html", answer=answer, task_error=error, form=request.form,
                           tasks_by_answer=reads.tasks_by_answer(answer.run), assignees=ASSIGNEES,
                           raised=error is None), 422 if error else 200


@bp.get("/answers/<int:answer_id>/photo")
@requires("inspections.photo")
def photo(answer_id):
    """A photo taken during a check, for those services.may_see_photo() admits."""
    answer = child_get_or_404(ChecklistAnswer, answer_id, "run")
    if not services.may_see_photo(current_user, answer):
        abort(403)
    if not answer.photo:
        abort(404)
    return photos.send(PHOTO_KIND, answer.photo)


@bp.get("/tasks")
@requires("tasks.view")
def tasks():
    site = current_site()
    return render_template("inspections/tasks.html", **reads.tasks_panel(site, current_user, reads.OPEN_SHOWN),
                           done_tasks=reads.recently_done(site, current_user), all_tasks=True)


@bp.post("/tasks/<int:task_id>/done")
@requires("tasks.view")
def task_done(task_id):
    task = site_get_or_404(Task, task_id)
    if not services.can_close(current_user, task):
        abort(403)
    try:
        task = services.mark_done(current_site(), current_user, task)
    except RuleError as e:  # cancelled by the lead meanwhile: the card shows it
        if not is_htmx():
            flash(e.message, "error")
            return redirect(url_for(".tasks"))
        return render_template("inspections/_task.html", task=reads.task_card(task.id, current_user))
    if not is_htmx():
        flash(_("Task done."))
        return redirect(url_for(".tasks"))
    return render_template("inspections/_task.html", task=reads.task_card(task.id, current_user))
