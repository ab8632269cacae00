"""Head office's pages: the company's sites side by side for a range (?start=&end=, ?sort=), one site's figures with
its daily trends, and the company-wide Excel. Read-only: nothing here writes, and no page carries a form that acts."""
from flask import abort, render_template, request

from ..cockpit import reads as cockpit
from ..errors import messages
from ..filters import FilterError
from ..permissions import requires
from . import bp, reads
from .page import company_and_today, comparison_page, parse_range


@bp.get("/")
@requires("hq.view")
def index():
    """The comparison, or with ?format=xlsx the company-wide Excel of the same range and order."""
    return comparison_page()


@bp.get("/sites/<int:site_id>")
@requires("hq.view")
def site(site_id: int):
    """One site of the company, read-only: its figures for the range and its daily trends (another company's: 404)."""
    company_id, today = company_and_today()
    found = reads.site(company_id, site_id)
    if found is None:
        abort(404)
    try:
        start, end = parse_range(request.args, today)
    except FilterError as e:
        return render_template("hq/site.html", site=found, figures=None, trends=[], start=None, end=None,
                               errors=messages(e), form=request.args), 422
    figures = reads.figures([found], start, end, today)[0]
    trends = cockpit.trends(reads.site_object(site_id), end, (end - start).days + 1)
    return render_template("hq/site.html", site=found, figures=figures, trends=trends, start=start, end=end,
                           errors={}, form={"start": start.isoformat(), "end": end.isoformat()})
