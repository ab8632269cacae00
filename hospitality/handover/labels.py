"""The handover screens' repeated words, translated once per request (a list of lines asks for them per line)."""
from flask import g

from ..i18n import text as _
from ..models.handover import LINE_KINDS, STATUSES
from . import bp


@bp.app_template_global("handover_labels")
def handover_labels() -> dict:
    if "_handover_labels" not in g:
        g._handover_labels = {
            "status": {k: str(v) for k, v in STATUSES.items()},
            "kind": {k: str(v) for k, v in LINE_KINDS.items()},
            "count": {"todo": _("Not counted yet"), "counting": _("Counting"), "matched": _("Matches the book"),
                      "waiting": _("Differs: waiting for security"), "confirmed": _("Differs: confirmed by security")},
            "intact": _("Intact"), "damaged": _("Damaged"), "not_checked": _("Not checked yet"),
            "carried": _("Carried over from the previous handover"), "not_right": _("Not right?"),
            "what_wrong": _("What is not right?"), "dispute": _("Dispute this line"),
            "withdraw": _("Withdraw my dispute"), "resolve": _("Resolve"), "how": _("How was it resolved?"),
            "mark": _("Mark resolved"), "remove": _("Remove"), "what_damaged": _("What is damaged?"),
            "save_note": _("Save the note"), "discrepancy": _("Discrepancy"),
            "count_cls": {"todo": "pending", "counting": "in_progress", "matched": "done", "waiting": "missing",
                          "confirmed": "late"},
            "status_cls": {"draft": "pending", "submitted": "in_progress", "accepted": "done", "cancelled": "late"},
            "handed": _("Handed over"), "started": _("Started"), "disputed_n": _("Disputed lines"),
            "waiting_security": _("waiting for security"), "waiting_manager": _("waiting for the manager"),
        }
    return g._handover_labels
