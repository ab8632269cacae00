"""The manager's day: today's figures, what waits for the manager, attendance and routines now, and the trends of
the last 7 or 30 days (?days=), each figure linking to its list."""
from flask import render_template, request

from ..access import current_site
from ..clock import utcnow
from ..permissions import requires
from . import bp, reads


@bp.get("/")
@requires("cockpit.view")
def index():
    """One phone screen of the manager's current site (?days=7|30 for the trends; anything else: 7)."""
    site = current_site()
    day, now = site.today(), utcnow()
    raw = request.args.get("days", "")
    days = int(raw) if raw in {str(d) for d in reads.TREND_DAYS} else reads.TREND_DAYS[0]
    return render_template("cockpit/index.html", site=site, day=day, days=days, trend_days=reads.TREND_DAYS,
                           visits=reads.visits_today(site, day), waiting=reads.waiting(site, now),
                           attendance=reads.attendance_now(site, day), routines=reads.routines_today(site, day),
                           inspections=reads.inspections_today(site, day), trends=reads.trends(site, day, days))
