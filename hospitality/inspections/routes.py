"""Grooming checks, area inspections and their tasks: the lead's pages, and each post's tasks."""
from datetime import time

from flask import abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required

from .. import photos
from ..access import current_site, post_required, site_get_or_404
from ..checklists import services as checklists
from ..checklists.services import PHOTO_KIND, ChecklistError
from ..extensions import db
from ..htmx import is_htmx
from ..i18n import text as _
from ..models import ChecklistAnswer, ChecklistItem, ChecklistTemplate, User
from ..models.inspections import ASSIGNEES, Task
from . import bp, services

checkers = post_required(*services.CHECKERS)


def idem() -> str | None:
    """The idempotency key a form carried (one per rendered form)."""
    key = request.form.get("idem", "")
    return key if 8 <= len(key) <= 64 and key.isalnum() else None


def _stored_photo() -> str | None:
    upload = request.files.get("photo")
    return photos.store(upload, PHOTO_KIND) if upload and upload.filename else None


def _answer(save) -> ChecklistError | photos.PhotoError | None:
    """Check and store the photo first, then run the service; a refusal removes the photo again."""
    name = None
    try:
        name = _stored_photo()
        save(name)
    except (ChecklistError, photos.PhotoError) as e:
        photos.remove(PHOTO_KIND, name)
        return e
    except BaseException:
        photos.remove(PHOTO_KIND, name)
        raise
    return None


def _item_of(template: ChecklistTemplate, item_id: int) -> ChecklistItem:
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.template_id != template.id:
        abort(404)
    return item


def _answer_fragment(template, item, run, error, answer_url, **extra):
    answers = checklists.answers_by_item(run)
    return render_template("checklists/_fragments/answer.html", template=template, item=item,
                           answer=answers.get(item.id), error=error, form=request.form, can_answer=True,
                           run=run, answers=answers, oob_progress=True, answer_url=answer_url,
                           with_photos=True, **extra), 422 if error else 200


@bp.get("/")
@checkers
def index():
    site = current_site()
    day = site.today()
    grooming = services.grooming_overview(site, day)
    return render_template("inspections/index.html", day=day, grooming=grooming,
                           groomed=sum(1 for row in grooming if row.done),
                           statuses=services.area_status(site, day), **services.tasks_panel(site, current_user))


@bp.get("/board")
@checkers
def board():
    """The lead's and manager's today screen loads this after the page: grooming checked, rounds, open tasks."""
    if not is_htmx():
        return redirect(url_for(".index"))
    site = current_site()
    panel = services.tasks_panel(site, current_user)  # a lead's or manager's: every open task of the site
    return render_template("inspections/_glance.html", **panel,
                           summary=services.board_summary(site, site.today(), open_tasks=panel["open_total"]))


# Grooming


def _grooming_target(user_id: int) -> tuple[User, ChecklistTemplate | None]:
    person = site_get_or_404(User, user_id)
    return person, services.template_for(services.grooming_templates(current_site().id), person)


def _grooming_url(person):
    return lambda item: url_for(".grooming_answer", user_id=person.id, item_id=item.id)


@bp.get("/grooming/<int:user_id>")
@checkers
def grooming(user_id):
    person, template = _grooming_target(user_id)
    site = current_site()
    day = site.today()
    refusal = None
    try:
        services.check_person(site, current_user, person, day)
    except ChecklistError as e:
        refusal = e.message
    run = services.grooming_run(template, person, day) if template else None
    if template is None or (refusal and run is None):
        message = refusal or _("No grooming checklist is set for this post. Ask your manager.")
        return render_template("inspections/refused.html", person=person, message=message), 422
    return render_template("inspections/grooming.html", template=template, person=person, run=run,
                           answers=checklists.answers_by_item(run), items=template.active_items,
                           can_answer=refusal is None, refusal=refusal, answer_url=_grooming_url(person),
                           with_photos=True, complete_url=url_for(".grooming_complete", user_id=person.id),
                           attendance=services.attendance_of(site, day, [person.id]).get(person.id))


@bp.post("/grooming/<int:user_id>/items/<int:item_id>")
@checkers
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
    run = services.grooming_run(template, person, site.today())
    return _answer_fragment(template, item, run, error, _grooming_url(person))


@bp.post("/grooming/<int:user_id>/complete")
@checkers
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
@login_required
def person(user_id):
    """A person's grooming record: for the lead and the manager, and for the person themself."""
    person = site_get_or_404(User, user_id)
    if current_user.post not in services.CHECKERS and current_user.id != person.id:
        abort(403)
    return render_template("inspections/person.html", person=person,
                           **services.person_record(current_site(), person))


# Area inspections


def _area(template_id: int) -> ChecklistTemplate:
    template = site_get_or_404(ChecklistTemplate, template_id)
    if template.kind not in services.AREA_KINDS:
        abort(404)
    if not services.can_fill(current_user, template):
        abort(403)
    return template


def _slot(template: ChecklistTemplate) -> str:
    """The round asked for (?at=10:00); without one, the next round due (else the last)."""
    slots = services.rounds(template)
    at = request.args.get("at")
    if at is None:
        now = current_site().now().time()
        return next((s for s, due in slots if due is None or due >= now), slots[-1][0])
    if not services.valid_slot(template, at):
        abort(404)
    return at


def _area_url(template, slot):
    args = {"at": slot} if slot else {}
    return lambda item: url_for(".area_answer", template_id=template.id, item_id=item.id, **args)


def _area_ctx(template, slot, run) -> dict:
    due = dict(services.rounds(template)).get(slot)
    return {"template": template, "slot": slot, "run": run, "answers": checklists.answers_by_item(run),
            "tasks_by_answer": services.tasks_by_answer(run), "assignees": ASSIGNEES, "task_form": True,
            "answer_url": _area_url(template, slot), "with_photos": True,
            "due_label": due.strftime("%H:%M") if isinstance(due, time) else ""}


@bp.get("/areas/<int:template_id>")
@login_required
def area(template_id):
    template = _area(template_id)
    slot = _slot(template)
    run = checklists.find_run(template, current_site().today(), slot)
    args = {"at": slot} if slot else {}
    return render_template("inspections/area.html", items=template.active_items, can_answer=True,
                           complete_url=url_for(".area_complete", template_id=template.id, **args),
                           rounds=services.rounds(template), **_area_ctx(template, slot, run))


@bp.post("/areas/<int:template_id>/items/<int:item_id>")
@login_required
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
@login_required
def area_complete(template_id):
    template = _area(template_id)
    slot = _slot(template)
    try:
        services.complete_area(current_site(), current_user, template, slot)
    except ChecklistError as e:
        flash(e.message, "error")
        return redirect(url_for(".area", template_id=template.id, **({"at": slot} if slot else {})))
    flash(_("%(name)s: done.", name=f"{template.label} {slot}".strip()))
    return redirect(url_for(".index" if current_user.post in services.CHECKERS else "today.index"))


# Tasks and photos


def _site_answer(answer_id: int) -> ChecklistAnswer:
    answer = db.session.get(ChecklistAnswer, answer_id)
    if answer is None or answer.run.site_id != current_user.current_site_id:
        abort(404)
    return answer


@bp.post("/answers/<int:answer_id>/tasks")
@login_required
def raise_task(answer_id):
    answer = _site_answer(answer_id)
    template = answer.run.template
    if template.kind not in services.AREA_KINDS:
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
                           tasks_by_answer=services.tasks_by_answer(answer.run), assignees=ASSIGNEES,
                           raised=error is None), 422 if error else 200


@bp.get("/answers/<int:answer_id>/photo")
@login_required
def photo(answer_id):
    """A photo taken during a check: for the lead, the manager, the checklist's post, the person checked and
    the post a task from it went to."""
    answer = _site_answer(answer_id)
    allowed = current_user.post in services.CHECKERS or answer.run.template.post == current_user.post or \
        answer.run.subject_user_id == current_user.id or \
        db.session.scalar(db.select(Task.id).where(Task.answer_id == answer.id,
                                                   Task.assignee == current_user.post).limit(1)) is not None
    if not allowed:
        abort(403)
    if not answer.photo:
        abort(404)
    return send_from_directory(photos.folder(PHOTO_KIND), answer.photo, max_age=365 * 24 * 3600)


@bp.get("/tasks")
@login_required
def tasks():
    site = current_site()
    return render_template("inspections/tasks.html", **services.tasks_panel(site, current_user, services.OPEN_SHOWN),
                           done_tasks=services.recently_done(site, current_user), all_tasks=True)


@bp.post("/tasks/<int:task_id>/done")
@login_required
def task_done(task_id):
    task = site_get_or_404(Task, task_id)
    if not services.can_close(current_user, task):
        abort(403)
    task = services.mark_done(current_site(), current_user, task)
    if not is_htmx():
        flash(_("Task done."))
        return redirect(url_for(".tasks"))
    return render_template("inspections/_task.html", task=services.task_card(task.id))
