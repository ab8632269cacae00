from datetime import date, time

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..access import current_site, post_required
from ..attendance import reports as attendance
from ..checklists import services as checklists
from ..extensions import db
from ..forms import arg_date
from ..handover import services as handover
from ..htmx import render_page_or_fragment
from ..inspections import services as inspections
from ..inventory import services as inventory
from ..models import PurchaseRequest
from ..models.core import POSTS, STAFF_POSTS
from ..visits import reports as visit_reports
from ..visits.services import live_panel
from ..workers import queries as workers
from . import bp

URGENCY = {"overdue": 0, "missing": 0, "in_progress": 1, "pending": 2, "late": 3, "done": 3}


def board_rows(statuses):
    """Routines of every post on a day, grouped by post in screen order."""
    rows = []
    for post, label in POSTS.items():
        of_post = [s for s in statuses if s.template.post == post]
        if of_post:
            rows.append((post, label, of_post))
    return rows


def day_statuses(site, day: date):
    """The state of every routine of the site on a day (one pass for the board and 'mine')."""
    return checklists.day_status(site, day, checklists.routines(site.id))


def stock_panel(site) -> dict:
    """What the stock capability shows on a post's screen: its locations and what waits on it."""
    post = current_user.post
    panel = {"stock_locations": inventory.stock_tiles(site.id, current_user)
             if post in ("water_bar", "model_room", "lead", "manager") else []}
    if post in ("security", "lead", "manager"):
        panel["discrepancies"] = inventory.open_discrepancies(site.id)
    if post == "manager":
        panel["pending_requests"] = db.session.scalar(
            select(func.count()).select_from(PurchaseRequest)
            .where(PurchaseRequest.site_id == site.id, PurchaseRequest.status == "pending"))
    return panel


def shift_panels(site) -> dict:
    """The cards every post's screen carries around its routines: the clock, the handover, workers in the
    model rooms, open tasks; and for the lead and manager the day at a glance."""
    post = current_user.post
    if post in ("lead", "manager"):
        panels = {}
    else:
        panels = {"handover_card": handover.today_card(site, current_user),
                  **inspections.tasks_panel(site, current_user)}
    if post != "manager":
        panels["att_clock"] = attendance.today_card(site, current_user)
    if post in ("model_room", "security"):
        panels |= workers.inside_panel(site)
    if post in ("lead", "manager"):
        # The rest of their day at a glance (attendance, inspections and tasks, handovers, workers, the
        # routines board) loads as fragments of those capabilities right after the page.
        panels["visit_figures"] = visit_reports.day_figures(site, site.today())
    return panels


@bp.get("/")
@login_required
def index():
    site = current_site()
    day = site.today()
    if current_user.post in STAFF_POSTS:
        statuses = checklists.day_status(site, day, checklists.routines(site.id, current_user.post))
        # What is due now comes first; finished routines sink to the bottom.
        statuses.sort(key=lambda s: (URGENCY[s.state], s.template.due_time or time.max))
        return render_template("today/staff.html", statuses=statuses, day=day, **stock_panel(site),
                               **live_panel(site, current_user.post), **shift_panels(site))
    # A lead or manager may have routines of their own (the manager can add them); the routines board of
    # every post loads after the page (/board).
    mine = checklists.day_status(site, day, checklists.routines(site.id, current_user.post))
    return render_template(f"today/{current_user.post}.html", day=day, today=day, statuses=mine,
                           **stock_panel(site),
                           **live_panel(site, current_user.post), **shift_panels(site))


@bp.get("/board")
@post_required("lead", "manager")
def board():
    site = current_site()
    today = site.today()
    day = arg_date("date", today)
    return render_page_or_fragment("today/board.html", "today/_board.html",
                                   rows=board_rows(day_statuses(site, day)), day=day, today=today)
