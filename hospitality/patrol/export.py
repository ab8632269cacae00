"""A night's patrol as an Excel workbook: formatting only; the rows come from reads.night_report."""
from .. import spreadsheet
from ..i18n import text as _
from ..models import Site
from ..models.patrol import FLAGS, METHODS, PROBLEMS, REFUSALS
from .reads import ROUND_STATES, NightReport

XLSX = spreadsheet.XLSX


def _outcome(s) -> str:
    if s.incident_id:
        return _("Incident #%(id)s", id=s.incident_id)
    if s.morning_task:
        return _("Done: %(note)s", note=s.task_note or "") if s.task_done_at else _("Task for the morning")
    return ""


def night_book(site: Site, r: NightReport) -> bytes:
    """One row per round (its state), then one per scan of it; refused scans at the end."""
    head = [_("Round"), _("State"), _("Time"), _("Checkpoint"), _("Guard"), _("How"), _("Result"), _("Note"),
            _("Flags"), _("Distance (m)"), _("What became of it")]
    rows = []
    for st in r.statuses:
        rows.append([st.slot, str(ROUND_STATES[st.state]), None, "", "", "", "", "", "", None, ""])
        for s in r.round_scans(st.slot):
            rows.append([st.slot, "", spreadsheet.local(site, s.at), s.checkpoint or "", s.guard,
                         str(METHODS.get(s.method, s.method)),
                         str(PROBLEMS[s.problem]) if s.problem in PROBLEMS else _("All normal"), s.note or "",
                         ", ".join(str(FLAGS[f]) for f in s.flags.split(",") if f in FLAGS), s.distance_m,
                         _outcome(s)])
    for s in r.refused:
        rows.append([s.slot, _("Refused"), spreadsheet.local(site, s.at), s.checkpoint or "", s.guard,
                     str(METHODS.get(s.method, s.method)), str(REFUSALS.get(s.refusal, s.refusal)), "", "", None, ""])
    widths = {2: 17, 3: 14, 7: 30, 8: 20, 10: 20}
    return spreadsheet.book(_("Patrol %(day)s", day=r.day.isoformat()), head, rows, widths, time_cols=(2,))

