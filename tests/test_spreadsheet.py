"""Exports keep typed text as text: nothing a user wrote becomes a formula in the manager's spreadsheet."""
import io

from openpyxl import Workbook, load_workbook

from hospitality import spreadsheet


def test_text_starting_with_equals_stays_text_in_excel():
    """A cell typed "=1+1" is saved and read back as the text "=1+1"; numbers and other text are untouched."""
    wb = Workbook()
    spreadsheet.append(wb.active, ["=1+1", "-3 瓶", 5, -2.5, "普通"])
    out = io.BytesIO()
    wb.save(out)
    cells = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [c.value for c in cells] == ["=1+1", "-3 瓶", 5, -2.5, "普通"]
    assert [c.data_type for c in cells] == ["s", "s", "n", "n", "s"]


def test_csv_text_cannot_start_a_formula():
    """In CSV, text starting with = + - @ or a tab gets a leading apostrophe; numbers stay numbers."""
    assert spreadsheet.csv_safe(["=cmd", "+1", "-x", "@SUM(A1)", "\tx", "ok", -3, 2.5]) == \
        ["'=cmd", "'+1", "'-x", "'@SUM(A1)", "'\tx", "ok", -3, 2.5]
