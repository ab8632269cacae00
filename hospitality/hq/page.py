"""Head office's comparison page, served at /hq/ and as head office's "/" (today's route calls it: no capability
imports another's routes)."""
from datetime import date

from flask import Response, render_template, request
from flask_login import current_user

from ..errors import messages
from ..filters import MAX_DAYS, FilterError, day
from ..i18n import text as _
from . import export, reads


def parse_range(args, today: date) -> tuple[date, date]:
    """?start=&end=: site-local days, this month up to today by default, at most MAX_DAYS."""
    raw_start, raw_end = args.get("start", "").strip(), args.get("end", "").strip()
    end = day(raw_end, "end") if raw_end else today
    start = day(raw_start, "start") if raw_start else min(end, today).replace(day=1)
    if end < start:
        raise FilterError(_("The end date is before the start date."), "end")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(_("Choose at most %(n)s days.", n=MAX_DAYS), "end")
    return start, end


def company_and_today() -> tuple[int, date]:
    """The user's company (their home site's) and today at that site."""
    company_id = reads.company_of(current_user.site_id)
    return company_id, reads.home_today(current_user.site_id)


def comparison_page():
    """The company's sites side by side (also head office's "/"); with ?format=xlsx the same rows as Excel (a bad
    range: 422 with the message under its field either way)."""
    company_id, today = company_and_today()
    sort = request.args.get("sort", "")
    sort = sort if sort in reads.COLUMNS else "name"
    try:
        start, end = parse_range(request.args, today)
    except FilterError as e:
        return render_template("hq/index.html", rows=[], start=None, end=None, sort=sort, errors=messages(e),
                               form=request.args), 422
    rows = reads.sort_figures(reads.figures(reads.sites(company_id), start, end, today), sort)
    if request.args.get("format") == "xlsx":
        name = f"hq-{start.isoformat()}-{end.isoformat()}"
        return Response(export.company_xlsx(rows, start, end), mimetype=export.XLSX,
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    return render_template("hq/index.html", rows=rows, start=start, end=end, sort=sort, errors={},
                           form={"start": start.isoformat(), "end": end.isoformat()})
