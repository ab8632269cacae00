"""A message as its card shows it to the person looking (the log, their today screen, the answer to "done"): the
caller's number whole or masked, whether the call-back is overdue, whether this person may mark it done."""
from dataclasses import dataclass
from datetime import datetime

from flask import g
from flask_login import current_user

from ..clock import utcnow
from ..i18n import text as _
from ..models.core import POSTS
from ..models.messages import KINDS
from . import bp, services


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    kind: str
    kind_label: str
    caller: str
    phone: str
    for_label: str
    text: str
    call_back_by: datetime | None
    overdue: bool
    taken_by: str
    taken_at: datetime
    done_by: str | None
    done_at: datetime | None
    may_done: bool


def _words() -> dict:
    if "_desk_words" not in g:
        g._desk_words = {"kinds": {k: str(v) for k, v in KINDS.items()}, "rep": _("Sales rep"), "now": utcnow()}
    return g._desk_words


@bp.app_template_global("desk_card")
def desk_card(row) -> Card:
    """A reads row as the current user's card."""
    w = _words()
    for_label = (f"{row.for_name} · {POSTS.get(row.for_post, row.for_post)}" if row.for_user_id
                 else f"{row.rep_name} · {w['rep']}")
    return Card(row.id, row.kind, w["kinds"].get(row.kind, row.kind), row.caller_name or "",
                services.phone_for(current_user, row), for_label, row.text, row.call_back_by,
                services.overdue(row, w["now"]), row.taken_by, row.taken_at, row.done_by, row.done_at,
                row.done_at is None and services.may_finish(current_user, row))
