"""Rows into the Excel and CSV exports: text someone typed (a note, a name, what happened) is never taken for a
formula when the manager opens the file (CSV/formula injection); and the one-sheet workbook the lists export."""
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def append(ws, values) -> None:
    """ws.append(values), with every text cell kept as text: openpyxl stores a string that starts with "=" as a
    formula, which Excel would run."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def csv_safe(values) -> list:
    """A CSV row whose text cells cannot start a formula in a spreadsheet (a leading apostrophe, as OWASP advises);
    numbers stay numbers."""
    return [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in values]


def local(site, value):
    """A stored UTC time as the site's wall clock, without a zone (Excel has none); None stays None."""
    from .clock import to_local
    return to_local(site, value).replace(tzinfo=None) if value else None


def book(title: str, head: list[str], rows, widths: dict[int, int], time_cols=()) -> bytes:
    """A one-sheet workbook: the head row frozen, column widths by index, times in time_cols as dates and times."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    append(ws, head)
    for row in rows:
        append(ws, row)
    ws.freeze_panes = "A2"
    for n, width in widths.items():
        ws.column_dimensions[chr(ord("A") + n)].width = width
    for col in time_cols:
        for cell in ws[chr(ord("A") + col)][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
