"""Visit lists, filters, per-rep figures and exports for the lead and the manager."""
from flask import render_template
from flask_login import current_user, login_required

from ..access import current_site
from ..forms import arg_date
from . import bp, services


@bp.get("/")
@login_required
def index():
    site = current_site()
    today = site.today()
    day = arg_date("date", today) if current_user.post in ("lead", "manager") else today
    return render_template("visits/index.html", visits=services.day_visits(site, day), day=day, today=today,
                           umbrellas_out=services.umbrellas_out(site.id))
