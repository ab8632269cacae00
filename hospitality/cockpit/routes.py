"""The manager's day: today's figures, what waits for the manager, attendance and routines now, the month's
consumables spend against its budget, and the trends of the last 7 or 30 days (?days=), each figure linking to its
list; and the budget form."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site
from ..clock import utcnow
from ..errors import RuleError, messages
from ..i18n import text as _
from ..permissions import requires
from . import bp, reads, services


@bp.get("/")
@requires("cockpit.view")
def index():
    """One phone screen of the manager's current site (?days=7|30 for the trends; anything else: 7)."""
    site = current_site()
    day, now = site.today(), utcnow()
    raw = request.args.get("days", "")
    days = int(raw) if raw in {str(d) for d in reads.TREND_DAYS} else reads.TREND_DAYS[0]
    return render_template("cockpit/index.html", site=site, day=day, days=days, trend_days=reads.TREND_DAYS,
                           **reads.day_panels(site, day, now, trend_days=days))


def _budget_page(site, form: dict, errors: dict, status: int = 200):
    first, last = services.month_range(site.today())
    return render_template("cockpit/budget.html", site=site, form=form, errors=errors, first=first, last=last,
                           months=reads.months(site, first, last)), status


@bp.route("/budget", methods=["GET", "POST"])
@requires("budget.set")
def budget():
    """The consumables budget: a month (this one by default, or ?month=YYYY-MM) and its amount in yuan; the months
    from last month to a year ahead with the budget that applies to each."""
    site = current_site()
    if request.method == "POST":
        f = request.form
        try:
            b = services.set_budget(site, current_user, month=f.get("month"), amount=f.get("amount"))
        except RuleError as e:
            return _budget_page(site, f, messages(e), 422)
        flash(_("Budget for %(month)s set: ¥%(amount)s.", month=b.month.strftime("%Y-%m"), amount=b.amount))
        return redirect(url_for(".budget"))
    return _budget_page(site, {"month": request.args.get("month") or site.today().strftime("%Y-%m")}, {})
