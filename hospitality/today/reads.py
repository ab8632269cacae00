"""What each post's today screen and the routines board show: a composition of the capabilities' own reads."""
from datetime import date, time
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, or_, select

from ..attendance import reads as attendance
from ..auth import services as auth
from ..checklists import reads as checklists
from ..database import Reads, read_panels
from ..desk import reads as desk
from ..handover import reads as handover
from ..incidents import reads as incidents
from ..inventory import services as inventory
from ..inventory.reads import stock as stock_reads
from ..models import PurchaseRequest, Site, User
from ..models.core import POSTS
from ..patrol import reads as patrol
from ..permissions import can
from ..routines import reads as routines
from ..tasks import reads as tasks
from ..visits.reads import report as visit_reports
from ..visits.reads.live import panel_reads as live_reads
from ..workers import reads as workers

URGENCY = {"overdue": 0, "missing": 0, "in_progress": 1, "pending": 2, "late": 3, "done": 3}


class BoardRow(NamedTuple):
    """One post's routines on the board."""
    post: str
    label: str
    statuses: list


def board(site: Site, day: date) -> list[BoardRow]:
    """The state of every routine of the site on a day, grouped by post in screen order (one pass)."""
    statuses = checklists.day_status(site, day, checklists.routines(site.id))
    rows = []
    for post, label in POSTS.items():
        of_post = [s for s in statuses if s.template.post == post]
        if of_post:
            rows.append(BoardRow(post, label, of_post))
    return rows


_PENDING_REQUESTS = select(func.count().label("n")).select_from(PurchaseRequest).where(
    PurchaseRequest.site_id == bindparam("site_id"), PurchaseRequest.status == "pending")


def stock_panel_reads(site: Site, user: User) -> list[Reads]:
    """What the stock capability shows on a post's screen: its locations and what waits on it (its open
    discrepancies: panel_reads)."""
    reads = []
    kinds = list(inventory.worked_kinds(user)) if can(user, "stock.keep") else []
    if kinds:
        reads.append(stock_reads.locations_reads(site.id, kinds))
    if can(user, "purchases.decide"):
        reads.append(Reads({"pending": _PENDING_REQUESTS}, {"site_id": site.id},
                           lambda got: {"pending_requests": got["pending"][0].n}))
    return reads


def panel_reads(site: Site, user: User) -> list[Reads]:
    """The cards whose reads go to the database together (read_panels: one statement): the live element, the
    calls and messages for this person, the clock card, a post's open tasks and its handover in progress, the open
    discrepancies, the workers in the model rooms, the open incidents, what patrols left for the morning, the stock
    tiles and the purchase requests waiting, the linen still away, for the lead and manager the day's visit figures,
    and the manager's sites."""
    overseer = can(user, "today.board")
    reads = [live_reads(site, user.post), desk.mine_reads(site.id, user.id), *stock_panel_reads(site, user)]
    if overseer:
        reads.append(visit_reports.day_reads(site, site.today()))
        if can(user, "sites.switch"):  # the sites to switch to, on the manager's screen (today/manager.html)
            reads.append(auth.managed_sites_reads(user))
    if can(user, "attendance.own"):
        reads.append(attendance.card_reads(site, user))
    if not overseer:
        reads.append(tasks.panel_reads(site, user))
        reads.append(handover.card_reads(site, user))
        if can(user, "patrol.rounds"):  # security: the patrol, and what patrols left for the morning
            reads += [patrol.template_reads(site.id), patrol.tasks_reads(site.id)]
    if can(user, "today.discrepancies"):
        reads.append(stock_reads.discrepancies_reads(site.id))
    if can(user, "workers.doors"):
        reads.append(workers.inside_reads(site))
    if can(user, "incidents.watch") and not overseer:  # the lead's and manager's load after the page
        reads.append(incidents.open_reads(site.id))
    return reads + routines.linen_reads(site, user)


def shift_panels(site: Site, user: User, own_rounds: list, panels: dict) -> dict:
    """The other cards every post's screen carries around its routines: its own rounds (their statuses given),
    security's patrol (from the screen's panels); and for the lead and manager the day at a glance."""
    overseer = can(user, "today.board")
    out = routines.today_panel(site, user, own_rounds)  # rounds given to the post or person
    if can(user, "patrol.rounds") and not overseer:  # security: tonight's round; the others' night report
        out |= patrol.panel(site, panels.pop("patrol_template"))
    # For the lead and manager, the rest of their day at a glance (attendance, inspections and tasks, handovers,
    # workers, the routines board) loads as fragments of those capabilities right after the page; the day's visit
    # figures come with panel_reads.
    return out


# A staff screen's checklists in one read: the post's routines of the person's shift and its own rounds
# (routines.own_round_templates: the lounge rounds given to the post, the checklists given to the person), each
# marked, with their runs and counts (checklists.plain_with_runs: plain rows, read with the screen's other panels).
# The conditions stay in their capabilities' statements (checklists/reads.py keeps the shift's rule, routines/reads.py
# the own rounds').
_OWN_ROUNDS_WHERE = routines.OWN_ROUNDS_WHERE
_STAFF_CHECKLISTS = checklists.plain_with_runs(
    or_(and_(checklists.POST_ROUTINES_WHERE, checklists.ON_PERSONS_SHIFT_WHERE), _OWN_ROUNDS_WHERE),
    case((_OWN_ROUNDS_WHERE, True), else_=False).label("own"), counts=True)
# The lead's and manager's: their post's routines (of any shift) and what is given to them by name.
_OVERSEER_CHECKLISTS = checklists.plain_with_runs(
    or_(checklists.POST_ROUTINES_WHERE, routines.GIVEN_BY_NAME_WHERE),
    case((routines.GIVEN_BY_NAME_WHERE, True), else_=False).label("own"), counts=True)


def checklist_reads(site: Site, user: User, day: date) -> Reads:
    """The read of a post's routines and of its own rounds on a day (see _STAFF_CHECKLISTS and
    _OVERSEER_CHECKLISTS), for a screen that reads its panels at once: `checklist_rows`."""
    statement = _OVERSEER_CHECKLISTS if can(user, "today.board") else _STAFF_CHECKLISTS
    return checklists.plain_reads(statement, day, {"site_id": site.id, "user_id": user.id, "post": user.post,
                                                   "day": day}, "checklist_rows")


def checklist_statuses(site: Site, day: date, rows: list) -> tuple[list, list]:
    """The statuses on a day of a post's routines and of its own rounds, from checklist_reads' rows."""
    statuses = checklists.day_status_of_rows(site, day, rows)
    own_ids = {r.tid for r in rows if r.own}
    return ([s for s in statuses if s.template.id not in own_ids],
            [s for s in statuses if s.template.id in own_ids])


def screen(site: Site, user: User) -> tuple[str, dict]:
    """The user's today screen: its template (the lead's and manager's own, or the staff's) and its context."""
    day = site.today()
    # The post's routines and the rounds given to the post or the person (one read for both sections) come with
    # the other panels, read for today.
    panels = {"stock_locations": []} | read_panels(*panel_reads(site, user), checklist_reads(site, user, day))
    # The routines are those of the shift the person works (the clock card's day): after midnight a night guard's
    # are still those of the night, which began the day before, and are read for that day.
    routine_day = panels["att_clock"]["day"] if "att_clock" in panels else day
    if routine_day != day:
        panels |= read_panels(checklist_reads(site, user, routine_day))
    statuses, own_rounds = checklist_statuses(site, routine_day, panels.pop("checklist_rows"))
    if can(user, "today.board"):
        # A lead or manager may have routines of their own (the manager can add them); the routines board of
        # every post loads after the page (/board).
        template, ctx = f"today/{user.post}.html", {"day": day, "today": day, "statuses": statuses}
    else:
        # What is due now comes first; finished routines sink to the bottom.
        statuses.sort(key=lambda s: (URGENCY[s.state], s.template.due_time or time.max))
        template, ctx = "today/staff.html", {"statuses": statuses, "day": day, "routine_day": routine_day}
    shift = shift_panels(site, user, own_rounds, panels)
    return template, ctx | panels | shift
