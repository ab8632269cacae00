"""The incident list and the monthly counts per kind as Excel workbooks: formatting only; the rows come from reads."""
from .. import spreadsheet
from ..i18n import text as _
from ..models import Site
from ..models.incidents import HANDED_TO, KINDS, LEVELS, STATES
from ..spreadsheet import local
from .reads import Filters, export_rows

XLSX = spreadsheet.XLSX


def _minutes(start, end) -> int | None:
    return int((end - start).total_seconds() // 60) if start and end else None


def incidents_xlsx(site: Site, f: Filters) -> bytes:
    head = [_("Reported at"), _("Kind"), _("How serious"), _("Where"), _("What happened"), _("Reported by"),
            _("Acknowledged at"), _("Acknowledged by"), _("Minutes to acknowledge"), _("State"), _("Handed to"),
            _("Closed at"), _("Closed by"), _("Outcome"), _("Visit")]
    rows = [[local(site, r.reported_at), str(KINDS.get(r.kind, r.kind)), str(LEVELS.get(r.level, r.level)), r.place,
             r.description, r.reporter, local(site, r.acknowledged_at), r.acknowledger or "",
             _minutes(r.reported_at, r.acknowledged_at), str(STATES.get(r.status, r.status)),
             str(HANDED_TO[r.handed_to]) if r.handed_to in HANDED_TO else "", local(site, r.closed_at),
             r.closer or "", r.outcome or "", r.visit_id or ""] for r in export_rows(site, f)]
    widths = {0: 17, 1: 16, 3: 12, 4: 40, 6: 17, 11: 17, 13: 30}
    return spreadsheet.book(_("Incidents"), head, rows, widths, time_cols=(0, 6, 11))


def counts_xlsx(year: int, table: dict[str, list[int]]) -> bytes:
    head = [_("Kind"), *[_("Month %(m)s", m=m) for m in range(1, 13)], _("Total")]
    rows = [[str(label), *table.get(kind, [0] * 12), sum(table.get(kind, ()))] for kind, label in KINDS.items()]
    rows.append([_("Total"), *[sum(col) for col in zip(*(table.get(k, [0] * 12) for k in KINDS), strict=True)],
                 sum(sum(v) for v in table.values())])
    return spreadsheet.book(_("Incidents %(year)s", year=year), head, rows, {0: 18})
