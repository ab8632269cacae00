"""Opening and closing routines: fill one in, read a run; the manager edits the checklists."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..access import child_get_or_404, current_site, site_get_or_404
from ..forms import apply_form, idem
from ..htmx import is_htmx
from ..i18n import text as _
from ..models import ChecklistItem, ChecklistRun, ChecklistTemplate
from ..models.checklists import ROUTINE_KINDS
from ..models.core import POSTS
from ..permissions import can, requires
from . import bp, editor, reads, services
from .forms import ItemForm, TemplateForm


def _routine(template_id: int) -> ChecklistTemplate:
    """A routine to fill in here; grooming checks and inspections are filled in on their own pages (404)."""
    template = site_get_or_404(ChecklistTemplate, template_id)
    if template.kind not in ROUTINE_KINDS:
        abort(404)
    return template


def _day():
    """The day whose runs the person fills: their night shift's until it ends (as their today screen shows)."""
    from ..attendance.reads import shift_day  # here: attendance's reads import the checklists' (circular at load)
    return shift_day(current_site(), current_user)


def _may_answer(template: ChecklistTemplate) -> bool:
    """Whether the user may fill this template (of this site) in, or only read it (who oversees routines); 403 if
    neither."""
    if services.is_own(current_user, template):
        return True
    if can(current_user, "routines.oversee"):
        return False
    abort(403)


@bp.get("/<int:template_id>")
@requires("routines.fill")
def fill(template_id):
    template = site_get_or_404(ChecklistTemplate, template_id, joinedload(ChecklistTemplate.items))
    if template.kind not in ROUTINE_KINDS:  # several runs a day, or one per person: their own pages
        return redirect(url_for("inspections.index") if template.kind == "grooming"
                        else url_for("inspections.area", template_id=template_id))
    can_answer = _may_answer(template)
    run, answers = reads.run_and_answers(template, _day())
    return render_template("checklists/fill.html", template=template, run=run, answers=answers,
                           can_answer=can_answer, items=template.active_items)


@bp.post("/<int:template_id>/items/<int:item_id>")
@requires("routines.fill")
def answer(template_id, item_id):
    template = _routine(template_id)
    if not _may_answer(template):
        abort(403)
    item = child_get_or_404(ChecklistItem, item_id, "template", of=template)
    error, status, day = None, 200, _day()
    try:
        services.answer_item(current_site(), current_user, template, item, request.form.get("ok"),
                             request.form.get("number"), request.form.get("note"), day)
    except services.ChecklistError as e:
        error, status = e, 422
    if not is_htmx():
        if error:
            flash(error.message, "error")
        return redirect(url_for(".fill", template_id=template.id))
    run = reads.find_run(template, day)
    answers = reads.answers_by_item(run)
    return render_template("checklists/_fragments/answer.html", template=template, item=item,
                           answer=answers.get(item.id), error=error, form=request.form,
                           can_answer=True, run=run, answers=answers, oob_progress=True), status


@bp.post("/<int:template_id>/complete")
@requires("routines.fill")
def complete(template_id):
    template = _routine(template_id)
    if not _may_answer(template):
        abort(403)
    try:
        services.complete_run(current_site(), current_user, template, _day())
    except services.ChecklistError as e:
        flash(e.message, "error")
        return redirect(url_for(".fill", template_id=template.id))
    flash(_("%(name)s: done.", name=template.label))
    return redirect(url_for("today.index"))


@bp.get("/runs/<int:run_id>")
@requires("routines.fill")
def run(run_id):
    run = site_get_or_404(ChecklistRun, run_id)
    template = site_get_or_404(ChecklistTemplate, run.template_id)
    _may_answer(template)  # 403 unless theirs or overseen
    answers = reads.answers_by_item(run)
    # Retired items stay on the runs that answered them.
    return render_template("checklists/run.html", template=template, run=run, answers=answers,
                           items=[i for i in template.items if i.active or i.id in answers])


@bp.get("/templates")
@requires("checklists.edit")
def templates():
    return render_template("checklists/templates.html", templates=reads.all_templates(current_site().id))


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@requires("checklists.edit")
def template(template_id=None):
    tpl = site_get_or_404(ChecklistTemplate, template_id) if template_id else None
    form = TemplateForm(obj=tpl)
    site = current_site()
    form.location_id.choices = [("", "—")] + [(str(loc.id), loc.name) for loc in reads.locations(site.id)]
    form.person_id.choices = [("", "—")] + [(str(p.id), f"{p.name} · {POSTS.get(p.post, p.post)}")
                                            for p in reads.people(site.id)]
    from ..attendance.reads import site_shifts  # here: attendance's reads import the checklist engine's
    form.shift_id.choices = [("", _("Any shift"))] + [
        (str(s.id), f"{s.name} {s.starts:%H:%M}–{s.ends:%H:%M}") for s in site_shifts(site.id)
        if s.active or (tpl is not None and tpl.shift_id == s.id)]
    if tpl is not None and not form.is_submitted():
        form.times.data = " ".join((tpl.times or "").split(","))
        form.grooming_posts.data = tpl.post_list
        _recurrence_fields(form, tpl)
    saved = {}
    ok, status = apply_form(form, lambda: saved.setdefault("tpl", editor.save_template(
        site, tpl, name=form.name.data, name_en=form.name_en.data, kind=form.kind.data,
        post=form.post.data, due_time=form.due_time.data, active=form.active.data, times=form.times.data,
        location_id=int(form.location_id.data) if (form.location_id.data or "").isdigit() else None,
        for_posts=form.grooming_posts.data or [], recurrence=editor.parse_recurrence(
            form.recurrence.data or "daily", weekdays=form.weekdays.data or [], weekday=form.weekday.data,
            month_day=form.month_day.data, first_half=form.first_half.data, second_half=form.second_half.data),
        assignee=form.assignee.data or "post",
        person_id=int(form.person_id.data) if (form.person_id.data or "").isdigit() else None,
        shift_id=int(form.shift_id.data) if (form.shift_id.data or "").isdigit() else None, idem_key=idem())),
        (services.ChecklistError,), "name")
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".template", template_id=saved["tpl"].id))
    return render_template("checklists/template.html", form=form, template=tpl,
                           item_form=ItemForm(formdata=None)), status


def _recurrence_fields(form: TemplateForm, tpl: ChecklistTemplate) -> None:
    """The recurrence's days into the field its kind uses (on_days: see models/checklists.py period_of)."""
    days = [d for d in (tpl.on_days or "").split(",") if d]
    form.person_id.data = str(tpl.person_id or "")
    form.shift_id.data = str(tpl.shift_id or "")
    if tpl.recurrence == "weekdays":
        form.weekdays.data = days
    elif tpl.recurrence == "weekly" and days:
        form.weekday.data = days[0]
    elif tpl.recurrence == "monthly" and days:
        form.month_day.data = days[0]
    elif tpl.recurrence == "half_month" and len(days) == 2:
        form.first_half.data, form.second_half.data = days


@bp.route("/templates/<int:template_id>/items/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>/items/<int:item_id>", methods=["GET", "POST"])
@requires("checklists.edit")
def item(template_id, item_id=None):
    tpl = site_get_or_404(ChecklistTemplate, template_id)
    it = child_get_or_404(ChecklistItem, item_id, "template", of=tpl) if item_id is not None else None
    form = ItemForm(obj=it)
    ok, status = apply_form(form, lambda: editor.save_item(
        current_site(), tpl, it, text=form.text.data, text_en=form.text_en.data,
        answer_type=form.answer_type.data, required=form.required.data, unit=form.unit.data,
        min_value=form.min_value.data, max_value=form.max_value.data, active=form.active.data, idem_key=idem()),
        (services.ChecklistError,), "text")
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".template", template_id=tpl.id))
    return render_template("checklists/item.html", form=form, template=tpl, item=it), status


@bp.post("/templates/<int:template_id>/items/<int:item_id>/move")
@requires("checklists.edit")
def move(template_id, item_id):
    tpl = site_get_or_404(ChecklistTemplate, template_id)
    it = child_get_or_404(ChecklistItem, item_id, "template", of=tpl)
    step = -1 if request.form.get("step") == "up" else 1
    try:
        editor.move_item(current_site(), tpl, it, step, idem())
    except services.ChecklistError as e:
        flash(e.message, "error")
    return redirect(url_for(".template", template_id=tpl.id))
