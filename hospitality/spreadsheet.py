"""Rows into the Excel and CSV exports: text someone typed (a note, a name, what happened) is never taken for a
formula when the manager opens the file (CSV/formula injection)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
