"""The company-wide Excel for a range: one row per site, the comparison's columns."""
from datetime import date

from ..i18n import text as _
from ..spreadsheet import XLSX, book  # noqa: F401 (XLSX: the routes' mimetype)


def head() -> list[str]:
    return [_("Site"), _("Code"), _("Groups"), _("Guests"), _("Consumable cost"), _("Cost per group"),
            _("Discrepancies opened"), _("Losses"), _("Late rate"), _("Absent rate"), _("Routines on time"),
            _("Guests satisfied"), _("Complaints"), _("Incidents")]


def company_xlsx(rows, first: date, last: date) -> bytes:
    def num(v):
        return None if v is None else float(v) if not isinstance(v, int) else v
    body = ([r.name, r.code, r.groups, r.guests, float(r.cost), num(r.cost_per_group), r.discrepancies,
             float(r.losses), r.late_pct, r.absent_pct, r.on_time_pct, r.satisfied_pct, r.complaints, r.incidents]
            for r in rows)
    return book(f"{first.isoformat()}~{last.isoformat()}", head(), body, {0: 24, 1: 10})
