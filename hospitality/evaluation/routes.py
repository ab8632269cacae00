"""Staff evaluation's pages: a person's own month (/evaluation/), the manager's list of everyone's month, one
person's items with rewards and penalties, the rule weights, and the Excel for HR; and the weekly meeting sheet."""
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site
from ..errors import RuleError, messages
from ..forms import idem
from ..i18n import text as _
from ..models.evaluation import ADJUSTMENT_KINDS, DEFAULT_WEIGHTS, RULES
from ..permissions import requires
from . import bp, export, reads, services, week


def _month(site):
    return reads.parse_month(request.args.get("month") or request.form.get("month"), site.today())


def _person_page(site, month, m, *, manage: bool, errors=None, form=None, status=200):
    """A person's month; `manage`: the manager's view (who, the form to add, the buttons to remove)."""
    return render_template("evaluation/person.html", month=month, m=m, errors=errors or {}, form=form or {},
                           kinds=ADJUSTMENT_KINDS, manage=manage, this_month=site.today().replace(day=1)), status


@bp.get("/")
@requires("evaluation.own")
def index():
    """The person's own month: each rule's count × weight, the manager's rewards and penalties, the score."""
    site = current_site()
    month = _month(site)
    found = reads.months(site, month, only=current_user.id)
    if not found:
        abort(404)
    return _person_page(site, month, found[0], manage=False)


@bp.get("/team")
@requires("evaluation.manage")
def team():
    """Everyone's month, best score first; a tap opens the person's items (?format=xlsx: the Excel for HR)."""
    site = current_site()
    month = _month(site)
    if request.args.get("format") == "xlsx":
        name = f"evaluation-{month.strftime('%Y-%m')}.xlsx"
        return Response(export.month_book(reads.months(site, month)), mimetype=export.XLSX,
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return render_template("evaluation/team.html", month=month, rows=reads.months(site, month),
                           this_month=site.today().replace(day=1))


@bp.get("/person/<int:user_id>")
@requires("evaluation.manage")
def person(user_id):
    """One person's month as the manager sees it, with the form to add a reward or a penalty."""
    site = current_site()
    month = _month(site)
    found = reads.months(site, month, only=user_id)
    if not found:
        abort(404)
    return _person_page(site, month, found[0], manage=True, form={"kind": "penalty"})


@bp.post("/person/<int:user_id>/adjust")
@requires("evaluation.manage")
def adjust(user_id):
    """Add a reward or a penalty (points and/or yuan, a reason) to the person's month."""
    site = current_site()
    month = _month(site)
    if reads.person_of(site.id, user_id) is None:
        abort(404)
    f = request.form
    try:
        services.add_adjustment(site, current_user, user_id, month, kind=f.get("kind"), points=f.get("points"),
                                yuan=f.get("yuan"), reason=f.get("reason"), idem_key=idem())
    except RuleError as e:
        return _person_page(site, month, reads.months(site, month, only=user_id)[0], manage=True,
                            errors=messages(e), form=f, status=422)
    flash(_("Saved on the person's month."))
    return redirect(url_for(".person", user_id=user_id, month=month.strftime("%Y-%m")))


@bp.post("/adjustment/<int:adjustment_id>/remove")
@requires("evaluation.manage")
def remove(adjustment_id):
    """Take a reward or a penalty back (the audit trail keeps it)."""
    site = current_site()
    a = reads.adjustment(site.id, adjustment_id)
    if a is None:
        abort(404)
    services.remove_adjustment(site, current_user, a)
    flash(_("Removed."))
    return redirect(url_for(".person", user_id=a.user_id, month=a.month.strftime("%Y-%m")))


@bp.route("/settings", methods=["GET", "POST"])
@requires("evaluation.manage")
def settings():
    """The points one occurrence of each rule costs at this site (whole numbers 0–100)."""
    site = current_site()
    if request.method == "POST":
        try:
            services.set_weights(site, current_user, request.form)
        except RuleError as e:
            return render_template("evaluation/settings.html", rules=RULES, defaults=DEFAULT_WEIGHTS,
                                   values=request.form, errors=messages(e)), 422
        flash(_("Weights saved."))
        return redirect(url_for(".team"))
    return render_template("evaluation/settings.html", rules=RULES, defaults=DEFAULT_WEIGHTS,
                           values=reads.weights(site.id), errors={})


@bp.get("/week")
@requires("meeting.view")
def week_sheet():
    """The weekly meeting sheet (周例会): the week's figures and the problems open now (?week=any day of it;
    anything else: this week; ?format=xlsx: the Excel, a sheet of figures and a sheet of problems)."""
    site = current_site()
    today = site.today()
    first = week.monday(request.args.get("week"), today)
    figures, problems = week.sheet(site, first)
    if request.args.get("format") == "xlsx":
        name = f"meeting-{first.isoformat()}.xlsx"
        return Response(export.week_book(site, first, figures, problems), mimetype=export.XLSX,
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return render_template("evaluation/week.html", site=site, first=first, last=first + timedelta(days=6),
                           this_week=week.monday(None, today), f=figures, p=problems)
