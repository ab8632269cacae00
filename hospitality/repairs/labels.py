"""The repair screens' words, translated once per request (the lists ask per row), and a repair's age."""
from flask import g

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


@bp.app_template_global("repair_age")
def repair_age(reported_at, urgent: bool = False) -> tuple[str, bool]:
    """How long an open repair has waited, as staff say it (3天 / 5小时), and whether that is long for it."""
    waited = utcnow() - reported_at
    days, hours = waited.days, waited.seconds // 3600
    text = _("%(n)s d", n=days) if days else _("%(n)s h", n=hours)
    return text, waited > (OVERDUE_URGENT if urgent else OVERDUE)
