"""The repair screens' words, translated once per request (the lists ask per row), and a repair's age."""
from flask import g, get_template_attribute

from ..clock import utcnow
from ..i18n import text as _
from ..models.repairs import ASSIGNEES, EVENT_KINDS, KINDS, STATES
from . import bp
from .reads import OVERDUE, OVERDUE_URGENT

# Status colours the rest of the app uses, per state.
STATE_CSS = {"reported": "missing", "assigned": "in_progress", "fixed": "pending", "checked": "done"}


@bp.app_template_global("repair_labels")
def repair_labels() -> dict:
    if "_repair_labels" not in g:
        g._repair_labels = {
            "kinds": {k: str(v) for k, v in KINDS.items()},
            "states": {k: str(v) for k, v in STATES.items()},
            "assignees": {k: str(v) for k, v in ASSIGNEES.items()},
            "events": {k: str(v) for k, v in EVENT_KINDS.items()},
            "state_css": STATE_CSS,
            "urgent": _("Urgent"),
            "overdue": _("Waiting long"),
            "open": _("Open the repair"),
        }
    return g._repair_labels


class _Badges(dict):
    """The state badges by (status, urgent): _macros.html's state_badge, rendered the first time each is asked for."""

    def __missing__(self, key: tuple[str, bool]):
        status, urgent = key
        badge = self[key] = get_template_attribute("repairs/_macros.html", "state_badge")(status, urgent)
        return badge


@bp.app_template_global("repair_badges")
def repair_badges() -> _Badges:
    """The state badges of this request, for a list to look up per row (badges[r.status, r.urgent]): a macro call a
    row cost the range's 25 rows more than the rest of their state cell."""
    if "_repair_badges" not in g:
        g._repair_badges = _Badges()
    return g._repair_badges


@bp.app_template_global("repair_age")
def repair_age(reported_at, urgent: bool = False) -> tuple[str, bool]:
    """How long an open repair has waited, as staff say it (3天 / 5小时), and whether that is long for it."""
    waited = utcnow() - reported_at
    days, hours = waited.days, waited.seconds // 3600
    text = _("%(n)s d", n=days) if days else _("%(n)s h", n=hours)
    return text, waited > (OVERDUE_URGENT if urgent else OVERDUE)
