"""A task as its card shows it to the person looking (the lists, a today screen, a visit's tasks, the answer to a
tap): what and where, for whom, its age or the minutes it took against its target, and what this person may do."""
from dataclasses import dataclass
from datetime import datetime

from flask import g, get_template_attribute
from flask_login import current_user
from markupsafe import Markup

from ..access import current_site
from ..clock import utcnow
from ..i18n import text as _
from ..models.core import POSTS
from ..models.tasks import ASSIGNEES, KINDS, OPEN_STATES, PERSON, TASK_STATUSES
from . import bp, services
from .reads import minutes


@dataclass(slots=True)  # not frozen: a frozen one costs several times as much to build, a card a row
class Card:
    id: int
    kind: str
    what: str  # the kind and where: "Clear a table · 3 · Negotiation area"
    text: str
    for_label: str
    status: str
    status_label: str
    creator: str
    raised_post: str
    created_at: datetime
    accepter: str | None
    accepted_at: datetime | None
    doer: str | None
    done_at: datetime | None
    on_behalf: bool
    visit_id: int | None
    target: int
    age: int | None  # minutes open so far (an open task)
    took: int | None  # minutes from raised to done
    overdue: bool  # open past its target
    late: bool  # done past its target
    may_accept: bool
    may_done: bool
    may_dispatch: bool


def _words() -> dict:
    if "_task_words" not in g:
        g._task_words = {"kinds": {k: str(v) for k, v in KINDS.items()},
                         "for": {k: str(v) for k, v in ASSIGNEES.items()},
                         "posts": {k: str(v) for k, v in POSTS.items()},
                         "statuses": {k: str(v) for k, v in TASK_STATUSES.items()},
                         "now": utcnow(), "default": current_site().task_target_minutes,
                         # The user itself, not the proxy: each card asks several questions of it.
                         "user": current_user._get_current_object()}
    return g._task_words


@bp.app_template_global("task_words")
def task_words() -> dict:
    """What every card repeats, made once per request: its buttons' words (safe, as the templates' _() gives them)
    and the forms' CSRF field (fields.html's hidden())."""
    if "_task_card_words" not in g:
        g._task_card_words = {
            "on_it": Markup(_("On it")), "done": Markup(_("Done")), "done_cleaner": Markup(_("Done for the cleaner")),
            "hand_on": Markup(_("Hand on or cancel")), "behalf": Markup(_("on behalf of the cleaner")),
            "csrf_field": get_template_attribute("_macros/fields.html", "hidden")()}
    return g._task_card_words


@bp.app_template_global("task_card")
def task_card(row) -> Card:
    """A reads row as the current user's card."""
    w = _words()
    where = " · ".join(p for p in (row.table_label, row.place) if p)
    what = w["kinds"].get(row.kind, row.kind) + (f" · {where}" if where else "")
    for_label = row.for_name if row.assignee == PERSON else w["for"].get(row.assignee, row.assignee)
    target = row.target_minutes or w["default"]
    is_open = row.status in OPEN_STATES
    age = minutes(row.created_at, w["now"]) if is_open else None
    took = minutes(row.created_at, row.done_at) if row.done_at else None
    return Card(row.id, row.kind, what, row.text or "", for_label or "", row.status,
                w["statuses"].get(row.status, row.status), row.creator,
                w["posts"].get(row.raised_post, "") if row.raised_post else "", row.created_at, row.accepter,
                row.accepted_at, row.doer, row.done_at, bool(row.on_behalf), row.visit_id, target, age, took,
                is_open and age > target, took is not None and took > target,
                services.may_accept(w["user"], row), services.may_finish(w["user"], row),
                services.may_dispatch(w["user"], row))
