"""The incident screens' words, translated once per request (the live element and the lists ask per row)."""
from flask import g

from ..i18n import text as _
from ..models.incidents import DRILL_KINDS, EVENT_KINDS, HANDED_TO, KINDS, LEVELS, STATES
from . import bp

# Status colours the rest of the app uses, per state and level.
STATE_CSS = {"open": "missing", "handed": "in_progress", "closed": "done"}


@bp.app_template_global("incident_labels")
def incident_labels() -> dict:
    if "_incident_labels" not in g:
        g._incident_labels = {
            "kinds": {k: str(v) for k, v in KINDS.items()},
            "levels": {k: str(v) for k, v in LEVELS.items()},
            "states": {k: str(v) for k, v in STATES.items()},
            "handed_to": {k: str(v) for k, v in HANDED_TO.items()},
            "events": {k: str(v) for k, v in EVENT_KINDS.items()},
            "drills": {k: str(v) for k, v in DRILL_KINDS.items()},
            "state_css": STATE_CSS,
            "acknowledge": _("Acknowledge"),
            "open": _("Open the incident"),
        }
    return g._incident_labels
