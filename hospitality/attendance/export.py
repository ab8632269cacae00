"""The monthly attendance sheet as an Excel file for head office."""
import io
from datetime import date

from flask import Response
from flask_babel import get_locale

from .. import spreadsheet
from ..access import current_site
from ..clock import to_local
from ..i18n import text as _
from ..models.core import POSTS
from .reads import Sheet, month_bounds

WEEKDAYS = "一二三四五六日"


def weekday(day: date) -> str:
    """The day's short weekday name in the page's language (周一 … 周日)."""
    return day.strftime("%a") if get_locale().language == "en" else "周" + WEEKDAYS[day.weekday()]


def sheet_rows(sheet: Sheet) -> list[list]:
    """One row per day: date, weekday, shift, post, in, out, late min, early min, leave, absent, unrostered."""
    site = current_site()
    rows = []
    for p in sheet.days:
        e, a = p.entry, p.att
        rows.append([
            p.day.isoformat(), weekday(p.day),
            f"{e.shift.name} {e.shift.starts:%H:%M}–{e.shift.ends:%H:%M}" if e else "",
            str(POSTS.get(e.post, e.post)) if e else "",
            to_local(site, a.clock_in_at).strftime("%H:%M") if a else "",
            to_local(site, a.clock_out_at).strftime("%H:%M") if a and a.clock_out_at else "",
            p.late or None, p.early or None,
            _("Leave") if p.leave else "", _("Absent") if p.missing else "",
            _("Unrostered") if p.unrostered else "",
        ])
    return rows


def sheet_xlsx(sheet: Sheet, month: date) -> Response:
    """The sheet as an .xlsx download: the days, then the totals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    first, _last = month_bounds(month)
    wb = Workbook()
    ws = wb.active
    ws.title = first.strftime("%Y-%m")
    bold = Font(bold=True)
    spreadsheet.append(ws, [_("Monthly attendance"), sheet.user.name, sheet.user.badge_no,
                            str(sheet.user.post_label), first.strftime("%Y-%m")])
    ws.append([])
    ws.append([_("Date"), _("Weekday"), _("Shift"), _("Post"), _("Clock-in"), _("Clock-out"), _("Late (min)"),
               _("Left early (min)"), _("Leave"), _("Absent"), _("Unrostered")])
    for cell in ws[3]:
        cell.font = bold
    for row in sheet_rows(sheet):
        spreadsheet.append(ws, row)
    ws.append([])
    t = sheet.totals
    for label, value in ((_("Days rostered"), t["rostered"]), (_("Days worked"), t["worked"]),
                         (_("Days late"), t["late_days"]), (_("Minutes late"), t["late_minutes"]),
                         (_("Days left early"), t["early_days"]), (_("Minutes left early"), t["early_minutes"]),
                         (_("Days on leave"), t["leave_days"]), (_("Days absent"), t["missing"]),
                         (_("Unrostered days"), t["unrostered"])):
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = bold
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["C"].width = 18
    out = io.BytesIO()
    wb.save(out)
    name = f"attendance-{sheet.user.id}-{first:%Y-%m}.xlsx"
    return Response(out.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
