"""Visit lists, filters, per-rep figures and exports for the lead and the manager."""
from datetime import date

from flask import Response, abort, render_template, request
from flask_login import current_user

from ..access import current_site, site_get_or_404
from ..database import read_panels
from ..htmx import is_htmx
from ..models import SalesRep
from ..models.visits import PURPOSES
from ..permissions import can, requires
from . import bp, export
from .reads import live as live_reads
from .reads import report


def _target() -> str | None:
    """Which part of the page an htmx request asks for (None: the whole page, incl. boosted links)."""
    return request.headers.get("HX-Target") if is_htmx() else None


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, mimetype=export.XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


def _live(site, f) -> bool:
    """Whether the list polls for changes: its first page, up to today."""
    return f.last >= site.today() and f.page == 1


def _list_reads(site, f) -> list:
    """The list's own reads that can go with a page's others (an unfiltered page and the live version)."""
    return ([] if f.filtered else [report.page_reads(site, f)]) + ([live_reads.version_reads(site.id)]
                                                                    if _live(site, f) else [])


def _list_ctx(site, f, oversee: bool, got: dict | None = None) -> dict:
    """The list's context; `got`: what read_panels() read of _list_reads() with the page's other parts."""
    if got is None:
        parts = _list_reads(site, f)
        got = read_panels(*parts) if parts else {}
    rows, more = got["page"] if "page" in got else report.page(site, f)
    # A list that fits on one page is its own summary; a longer one is summed in SQL.
    summary = report.summary(site, f) if more or f.page > 1 else report.summary_of(rows)
    return {"rows": rows, "more": more, "f": f, "today": site.today(), "summary": summary, "oversee": oversee,
            "row_labels": report.row_labels(), "live_v": got.get("live_v")}


@bp.get("/")
@requires("visits.view")
def index():
    """Today's visits for every post; the lead and the manager filter any range and export it."""
    site = current_site()
    oversee = can(current_user, "visits.report")
    target = _target()
    if target == "visit-list" and request.args.get("v") == str(live_reads.version(site.id)):
        return "", 204  # the list's poll: nothing happened at the site since it was drawn
    export_ = request.args.get("format") == "xlsx"
    if export_ and not oversee:
        abort(403)
    try:
        f = report.parse_filters(site, request.args, oversee)
    except report.FilterError as e:
        ctx = _page_ctx(site, None, oversee, {e.field: e.message})
        if target:  # the filter form asked for the list: show the form with the message instead
            return render_template("visits/_report.html", **ctx), 422, {"HX-Retarget": "#report",
                                                                        "HX-Reswap": "outerHTML"}
        return render_template("visits/index.html", **ctx), 422
    if export_:
        return _xlsx(export.visits_xlsx(site, f), f"visits-{f.first.isoformat()}-{f.last.isoformat()}")
    if target == "more-rows":
        rows, more = report.page(site, f)
        return render_template("visits/_rows.html", rows=rows, more=more, f=f, today=site.today(),
                               row_labels=report.row_labels())
    if target == "visit-list":
        return render_template("visits/_list.html", **_list_ctx(site, f, oversee))
    return render_template("visits/index.html", **_page_ctx(site, f, oversee))


def _page_ctx(site, f, oversee: bool, errors=None) -> dict:
    """The whole page: its parts read at once (one statement on PostgreSQL, but for a filtered list's rows and a
    long list's summary)."""
    parts = [live_reads.umbrellas_out_reads(site.id), *([report.site_reps_reads(site.id)] if oversee else []),
             *(_list_reads(site, f) if f is not None else [])]
    got = read_panels(*parts)
    ctx = {"f": f, "errors": errors or {}, "form": request.args, "today": site.today(), "oversee": oversee,
           "umbrellas_out": got["umbrellas_out"], "purposes": PURPOSES, "statuses": report.STATUSES,
           "modes": report.MODES, "reps": got.get("reps", [])}
    if f is not None:
        ctx |= _list_ctx(site, f, oversee, got)
    return ctx


def _range(site) -> tuple[date, date, dict]:
    """The per-rep pages' range (this month so far by default), or the error under its field."""
    today = site.today()
    try:
        first, last = report.parse_range(request.args, today, default_first=today.replace(day=1))
    except report.FilterError as e:
        return today.replace(day=1), today, {e.field: e.message}
    return first, last, {}


@bp.get("/reps")
@requires("visits.report")
def reps():
    """Per sales rep: groups, guests, purposes, model rooms, refusals, discrepancies and cost."""
    site = current_site()
    first, last, errors = _range(site)
    if errors:
        return render_template("visits/reps.html", lines=[], first=first, last=last, errors=errors,
                               form=request.args), 422
    lines = report.rep_figures(site, first, last)
    if request.args.get("format") == "xlsx":
        return _xlsx(export.reps_xlsx(lines), f"sales-reps-{first.isoformat()}-{last.isoformat()}")
    return render_template("visits/reps.html", lines=lines, first=first, last=last, errors={}, form=request.args,
                           purposes=PURPOSES)


@bp.get("/reps/<int:rep_id>")
@requires("visits.report")
def rep(rep_id):
    """One rep: their figures, their visits (50 at a time) and the discrepancies after their groups."""
    site = current_site()
    person = site_get_or_404(SalesRep, rep_id)
    first, last, errors = _range(site)
    f = report.Filters(first, last, rep=str(person.id), page=report.parse_page(request.args.get("page", "1")))
    ctx = {"rep": person, "first": first, "last": last, "errors": errors, "form": request.args, "f": f,
           "today": site.today()}
    if errors:
        return render_template("visits/rep.html", line=None, rows=[], more=False, discrepancies=[], **ctx), 422
    [line] = report.rep_figures(site, first, last, person)
    rows, more = report.page(site, f)
    return render_template("visits/rep.html", line=line, rows=rows, more=more, row_labels=report.row_labels(),
                           discrepancies=report.rep_discrepancies(site, person, first, last), **ctx)
