"""Visit lists, filters, per-rep figures and exports for the lead and the manager."""
from datetime import date

from flask import Response, abort, render_template, request
from flask_login import current_user, login_required

from ..access import current_site, post_required, site_get_or_404
from ..htmx import is_htmx
from ..models import SalesRep
from ..models.visits import PURPOSES
from . import bp, reports, services

OVERSEE = ("lead", "manager")


def _target() -> str | None:
    """Which part of the page an htmx request asks for (None: the whole page, incl. boosted links)."""
    return request.headers.get("HX-Target") if is_htmx() else None


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, mimetype=reports.XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


def _list_ctx(site, f) -> dict:
    rows, more = reports.page(site, f)
    today = site.today()
    live = f.last >= today and f.page == 1
    # A list that fits on one page is its own summary; a longer one is summed in SQL.
    summary = reports.summary(site, f) if more or f.page > 1 else reports.summary_of(rows)
    return {"rows": rows, "more": more, "f": f, "today": today, "summary": summary,
            "row_labels": reports.row_labels(),
            "live_v": services.version(site.id) if live else None}


@bp.get("/")
@login_required
def index():
    """Today's visits for every post; the lead and the manager filter any range and export it."""
    site = current_site()
    oversee = current_user.post in OVERSEE
    target = _target()
    if target == "visit-list" and request.args.get("v") == str(services.version(site.id)):
        return "", 204  # the list's poll: nothing happened at the site since it was drawn
    export = request.args.get("format") == "xlsx"
    if export and not oversee:
        abort(403)
    try:
        f = reports.parse_filters(site, request.args, oversee)
    except reports.FilterError as e:
        ctx = _page_ctx(site, None, {e.field: e.message})
        if target:  # the filter form asked for the list: show the form with the message instead
            return render_template("visits/_report.html", **ctx), 422, {"HX-Retarget": "#report",
                                                                        "HX-Reswap": "outerHTML"}
        return render_template("visits/index.html", **ctx), 422
    if export:
        return _xlsx(reports.visits_xlsx(site, f), f"visits-{f.first.isoformat()}-{f.last.isoformat()}")
    if target == "more-rows":
        rows, more = reports.page(site, f)
        return render_template("visits/_rows.html", rows=rows, more=more, f=f, today=site.today(),
                               row_labels=reports.row_labels())
    if target == "visit-list":
        return render_template("visits/_list.html", **_list_ctx(site, f))
    return render_template("visits/index.html", **_page_ctx(site, f))


def _page_ctx(site, f, errors=None) -> dict:
    oversee = current_user.post in OVERSEE
    today = site.today()
    ctx = {"f": f, "errors": errors or {}, "form": request.args, "today": today, "oversee": oversee,
           "umbrellas_out": services.umbrellas_out(site.id), "purposes": PURPOSES, "statuses": reports.STATUSES,
           "modes": reports.MODES, "reps": reports.rep_filter(site.id) if oversee else []}
    if f is not None:
        ctx |= _list_ctx(site, f)
    return ctx


def _range(site) -> tuple[date, date, dict]:
    """The per-rep pages' range (this month so far by default), or the error under its field."""
    today = site.today()
    try:
        first, last = reports.parse_range(request.args, today, default_first=today.replace(day=1))
    except reports.FilterError as e:
        return today.replace(day=1), today, {e.field: e.message}
    return first, last, {}


@bp.get("/reps")
@post_required(*OVERSEE)
def reps():
    """Per sales rep: groups, guests, purposes, model rooms, refusals, discrepancies and cost."""
    site = current_site()
    first, last, errors = _range(site)
    if errors:
        return render_template("visits/reps.html", lines=[], first=first, last=last, errors=errors,
                               form=request.args), 422
    lines = reports.rep_figures(site, first, last)
    if request.args.get("format") == "xlsx":
        return _xlsx(reports.reps_xlsx(lines), f"sales-reps-{first.isoformat()}-{last.isoformat()}")
    return render_template("visits/reps.html", lines=lines, first=first, last=last, errors={}, form=request.args,
                           purposes=PURPOSES)


@bp.get("/reps/<int:rep_id>")
@post_required(*OVERSEE)
def rep(rep_id):
    """One rep: their figures, their visits (50 at a time) and the discrepancies after their groups."""
    site = current_site()
    person = site_get_or_404(SalesRep, rep_id)
    first, last, errors = _range(site)
    page = request.args.get("page", "1")
    page = min(int(page), 10_000) if page.isdecimal() and int(page) > 0 else 1  # "²" is a digit, not a number
    f = reports.Filters(first, last, rep=str(person.id), page=page)
    ctx = {"rep": person, "first": first, "last": last, "errors": errors, "form": request.args, "f": f,
           "today": site.today()}
    if errors:
        return render_template("visits/rep.html", line=None, rows=[], more=False, discrepancies=[], **ctx), 422
    [line] = reports.rep_figures(site, first, last, person)
    rows, more = reports.page(site, f)
    return render_template("visits/rep.html", line=line, rows=rows, more=more, row_labels=reports.row_labels(),
                           discrepancies=reports.rep_discrepancies(site, person, first, last), **ctx)
