"""What the task screens read, as prebuilt statements of named rows: the open tasks for a post or a person (the today
screens' panel, with the total as a window count), those a person raised, every open one (the lead), those done in a
range, a visit's; and the posts and people a task may be for."""
from datetime import date, datetime, timedelta

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from ..clock import range_bounds
from ..database import Reads, read_panels, select_rows
from ..models import Location, Site, User, manager_sites
from ..models.core import POSTS
from ..models.tasks import ASSIGNEE_POSTS, OPEN_STATES, Task
from ..permissions import can

PANEL_SHOWN = 4  # a today screen: the oldest few, then a link to all
OPEN_SHOWN = 100  # a screen, not an archive: the oldest open tasks first
RAISED_SHOWN = 12  # the newest the person asked for, besides those another list of the page shows
DONE_SHOWN = 200
RANGE_DAYS = 31

_FOR, _BY, _ACC, _DOER = aliased(User), aliased(User), aliased(User), aliased(User)
_COLUMNS = (select(Task.id, Task.kind, Task.status, Task.assignee, Task.assignee_user_id, Task.text,
                   Task.table_label, Task.visit_id, Task.run_id, Task.created_at, Task.created_by_id,
                   Task.raised_post, Task.target_minutes, Task.accepted_at, Task.done_at, Task.on_behalf,
                   Task.cancelled_at, _FOR.name.label("for_name"), _BY.name.label("creator"),
                   _ACC.name.label("accepter"), _DOER.name.label("doer"), Location.name.label("place"))
            .outerjoin(_FOR, _FOR.id == Task.assignee_user_id)
            .join(_BY, _BY.id == Task.created_by_id)
            .outerjoin(_ACC, _ACC.id == Task.accepted_by_id)
            .outerjoin(_DOER, _DOER.id == Task.done_by_id)
            .outerjoin(Location, Location.id == Task.location_id))
_OF_SITE = Task.site_id == bindparam("site_id")
_OPEN = Task.status.in_(OPEN_STATES)
_OLDEST = (Task.created_at, Task.id)
_MINE = or_(Task.assignee == bindparam("post"), Task.assignee_user_id == bindparam("user_id"))

_TASK = _COLUMNS.where(Task.id == bindparam("task_id"), _OF_SITE)
# The panel of a today screen: the oldest open tasks for the post or the person, and how many (a window count).
_PANEL = (_COLUMNS.add_columns(func.count().over().label("total")).where(_OF_SITE, _OPEN, _MINE)
          .order_by(*_OLDEST).limit(bindparam("limit")))
_PANEL_ALL = (_COLUMNS.add_columns(func.count().over().label("total")).where(_OF_SITE, _OPEN)
              .order_by(*_OLDEST).limit(bindparam("limit")))
_RAISED = (_COLUMNS.where(_OF_SITE, Task.created_by_id == bindparam("user_id"))
           .order_by(Task.created_at.desc(), Task.id.desc()).limit(RAISED_SHOWN))
_DONE = (_COLUMNS.where(_OF_SITE, Task.done_at >= bindparam("start"), Task.done_at < bindparam("end"))
         .order_by(Task.done_at.desc(), Task.id.desc()).limit(DONE_SHOWN))
_OF_VISIT = _COLUMNS.where(_OF_SITE, Task.visit_id == bindparam("visit_id")).order_by(*_OLDEST)
_POSTS_AT = select(User.post).where(User.site_id == bindparam("site_id"), User.active.is_(True)).distinct()
# The people of a site: its staff, and the managers who manage it (a manager's own site may be another one).
_PEOPLE = (select(User.id, User.name, User.post)
           .where(User.active.is_(True),
                  or_(User.site_id == bindparam("site_id"),
                      User.id.in_(select(manager_sites.c.user_id)
                                  .where(manager_sites.c.site_id == bindparam("site_id")))))
           .order_by(User.name, User.id))
_POST_ORDER = {post: n for n, post in enumerate(POSTS)}


def task(site_id: int, task_id: int) -> Row | None:
    return select_rows(_TASK, {"site_id": site_id, "task_id": task_id}).first()


def panel(site: Site, user: User, limit: int = PANEL_SHOWN) -> dict:
    """A today screen's task panel in one statement: the oldest open tasks for the post or the person (every open
    one for the lead and the manager) and how many there are."""
    return read_panels(panel_reads(site, user, limit))


def panel_reads(site: Site, user: User, limit: int = PANEL_SHOWN) -> Reads:
    """The panel's read, for a screen that reads its panels at once: `task_rows` and `task_total`."""
    params = {"site_id": site.id, "limit": limit}
    if can(user, "tasks.all"):
        return Reads({"tasks": _PANEL_ALL}, params, _panel_of)
    return Reads({"tasks": _PANEL}, params | {"post": user.post, "user_id": user.id}, _panel_of)


def _panel_of(got: dict) -> dict:
    rows = got["tasks"]
    return {"task_rows": rows, "task_total": rows[0].total if rows else 0}


def mine(site: Site, user: User) -> list[Row]:
    """The open tasks for the user's post or the user, oldest first."""
    return select_rows(_PANEL, {"site_id": site.id, "post": user.post, "user_id": user.id,
                                "limit": OPEN_SHOWN}).all()


def every_open(site: Site) -> list[Row]:
    return select_rows(_PANEL_ALL, {"site_id": site.id, "limit": OPEN_SHOWN}).all()


def every_open_reads(site: Site) -> Reads:
    """every_open() for a screen that reads its panels at once: `tasks_open`."""
    return Reads({"open": _PANEL_ALL}, {"site_id": site.id, "limit": OPEN_SHOWN},
                 lambda got: {"tasks_open": got["open"]})


def raised_by(site: Site, user: User) -> list[Row]:
    """The tasks a person raised, newest first, whatever their state."""
    return select_rows(_RAISED, {"site_id": site.id, "user_id": user.id}).all()


def done_between(site: Site, first: date, last: date) -> list[Row]:
    """The tasks done from the first to the last day of the site's calendar, newest first."""
    start, end = range_bounds(site, first, last)
    return select_rows(_DONE, {"site_id": site.id, "start": start, "end": end}).all()


def of_visit(site_id: int, visit_id: int) -> list[Row]:
    return select_rows(_OF_VISIT, {"site_id": site_id, "visit_id": visit_id}).all()


def posts_at(site_id: int) -> set[str]:
    """The posts a task may be for at the site: those an active person of the site works."""
    return {p for p in select_rows(_POSTS_AT, {"site_id": site_id}).scalars() if p in ASSIGNEE_POSTS}


def people(site_id: int) -> list[Row]:
    """The active people a task may be for, in the posts' order, then by name (rows of id, name, post)."""
    return sorted(select_rows(_PEOPLE, {"site_id": site_id}).all(), key=lambda p: _POST_ORDER.get(p.post, 99))



def minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from one moment to another (never negative)."""
    return max(0, int((end - start) / timedelta(minutes=1)))
