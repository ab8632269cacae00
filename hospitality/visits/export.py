"""The visit lists and per-rep figures as Excel workbooks: formatting only; the rows come from reads.report."""
from .. import spreadsheet
from ..i18n import text as _
from ..models import Site
from ..models.visits import PURPOSES
from .reads.report import Filters, RepLine, export_rows

XLSX = spreadsheet.XLSX


def visits_xlsx(site: Site, f: Filters) -> bytes:
    head = [_("Arrived"), _("Greeted"), _("First served"), _("Left"), _("Car left"), _("Minutes to greeting"),
            _("Minutes to serving"), _("Minutes on site"), _("Party"), _("Came"), _("Plate"), _("Purpose"),
            _("Sales rep"), _("Model rooms"), _("Served"), _("Consumable cost")]
    widths = {0: 17, 1: 17, 2: 17, 3: 17, 4: 17, 10: 11, 12: 10, 13: 18, 14: 30}
    return spreadsheet.book(_("Visits"), head, export_rows(site, f), widths, time_cols=range(5))


def reps_xlsx(lines: list[RepLine]) -> bytes:
    head = [_("Sales rep"), _("Groups"), _("Guests"), *[str(label) for label in PURPOSES.values()], _("not asked"),
            _("Model-room visits"), _("Refused without a rep"), _("Discrepancies open"),
            _("Discrepancies closed"), _("Consumable cost")]
    rows = [[rl.rep.name if rl.rep else _("No sales rep"), rl.groups, rl.guests,
             *[rl.purposes.get(k, 0) for k in PURPOSES], rl.purposes.get(None, 0), rl.rooms, rl.refused,
             rl.disc_open, rl.disc_closed, float(rl.cost)] for rl in lines]
    return spreadsheet.book(_("Sales reps"), head, rows, {0: 14})
