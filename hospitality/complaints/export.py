"""The month's classification report (分类统计表) as an Excel workbook: counts only, never a guest's name or phone."""
from .. import spreadsheet
from ..i18n import text as _
from ..models.complaints import RESPONSIBLE, TOPICS
from .reads import MonthReport

XLSX = spreadsheet.XLSX


def month_book(r: MonthReport) -> bytes:
    head = [_("Classification"), _("Item"), _("Complaints")]
    rows = [[_("Topic"), str(label), r.by_topic.get(key, 0)] for key, label in TOPICS.items()]
    rows += [[_("Responsible post"), str(label), r.by_post.get(key, 0)] for key, label in RESPONSIBLE.items()
             if key != "none"]
    rows += [[_("Judgement"), _("Founded"), r.founded], [_("Judgement"), _("Not founded"), r.unfounded],
             [_("Judgement"), _("Not judged yet"), r.undecided], [_("Total"), "", r.total],
             [_("Closed"), "", r.closed], [_("Average hours to close"), "", r.avg_close_hours],
             [_("Follow-up calls reached"), "", r.calls_reached],
             [_("Satisfied (%)"), "", r.satisfaction]]
    return spreadsheet.book(_("Complaints %(month)s", month=r.first.strftime("%Y-%m")), head, rows, {0: 20, 1: 22})
