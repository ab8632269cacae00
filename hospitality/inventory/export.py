"""Daily consumption as a CSV or Excel file: the page's day lines, one row per day and item."""
import csv
import io
from datetime import date

from flask import Response

from .. import spreadsheet
from ..i18n import text as _
from .reads.consumption import COLUMNS, FLOW, DayLine

EXPORT = ("date", "item", "unit", "opening", "received", "prepared", "served", "prep_used", "discarded",
          "damaged", "moved_out", "closing", "expected_closing", "variance", "outside", "cost")


def _n(v):
    return None if v is None else float(v)


def _values(dl: DayLine) -> dict:
    return {"date": dl.day.isoformat(), "item": dl.item.label, "unit": dl.item.unit, "opening": _n(dl.opening),
            **{r: _n(dl.flow[r]) for r in FLOW}, "closing": _n(dl.closing),
            "expected_closing": _n(dl.expected_closing), "variance": _n(dl.variance),
            "outside": _n(dl.outside_change), "cost": _n(dl.cost)}


def consumption_file(lines: list[DayLine], fmt: str, first: date, last: date) -> Response:
    """The lines as a download: fmt "csv" or "xlsx"."""
    # The page's column names (COLUMNS): the sheet reads 开岗库存 where the page does.
    head = [str(COLUMNS[k]) for k in EXPORT]
    rows = [[v[k] for k in EXPORT] for v in map(_values, lines)]
    name = f"consumption-{first.isoformat()}-{last.isoformat()}"
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
        csv.writer(buf).writerows([head, *map(spreadsheet.csv_safe, rows)])
        return Response(buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = _("Daily consumption")[:31]
    spreadsheet.append(ws, head)
    for row in rows:
        spreadsheet.append(ws, row)
    out = io.BytesIO()
    wb.save(out)
    return Response(out.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
