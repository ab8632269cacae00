"""The repairs of a range as an Excel workbook: formatting only; the rows come from reads."""
from .. import spreadsheet
from ..i18n import text as _
from ..models import Site
from ..models.repairs import ASSIGNEES, KINDS, STATES
from ..spreadsheet import local
from .reads import Filters, export_rows

XLSX = spreadsheet.XLSX


def _hours(start, end) -> float | None:
    return round((end - start).total_seconds() / 3600, 1) if start and end else None


def repairs_xlsx(site: Site, f: Filters) -> bytes:
    head = [_("Reported at"), _("Kind"), _("Where"), _("Where exactly"), _("What is wrong"), _("Urgent"),
            _("Reported by"), _("State"), _("Assigned to"), _("Company or person"), _("Contact"), _("Phone"),
            _("Assigned at"), _("Fixed at"), _("Checked at"), _("Hours to check")]
    rows = [[local(site, r.reported_at), str(KINDS.get(r.kind, r.kind)), r.place, r.spot or "", r.description,
             _("Yes") if r.urgent else "", r.reporter, str(STATES.get(r.status, r.status)),
             str(ASSIGNEES[r.assignee]) if r.assignee in ASSIGNEES else "", r.fixer or r.company or "",
             r.contact or "", r.phone or "", local(site, r.assigned_at), local(site, r.fixed_at),
             local(site, r.checked_at), _hours(r.reported_at, r.checked_at)] for r in export_rows(site, f)]
    widths = {0: 17, 1: 14, 2: 12, 3: 16, 4: 40, 9: 20, 12: 17, 13: 17, 14: 17}
    return spreadsheet.book(_("Repairs"), head, rows, widths, time_cols=(0, 12, 13, 14))
