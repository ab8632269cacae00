"""The evaluation's Excel for HR: one row per person, each rule's count and points, rewards and penalties; and the
weekly meeting sheet's: a sheet of the week's figures and a sheet of the open problems."""
import io
from datetime import date, timedelta

from ..i18n import text as _
from ..models.evaluation import RULES
from ..spreadsheet import XLSX, append, book, local

__all__ = ["XLSX", "month_book", "week_book"]


def month_book(months: list) -> bytes:
    head = [_("Name"), _("Post")]
    for label in RULES.values():
        head += [str(label), _("Points")]
    head += [_("Rewards and penalties (points)"), _("Yuan"), _("Reasons"), _("Score")]
    rows = []
    for m in months:
        row = [m.person.name, str(m.person.post_label)]
        for i in m.items:
            row += [i.count, -i.points]
        row += [m.adjusted, m.yuan, "; ".join(a.reason for a in m.adjustments), m.score]
        rows.append(row)
    return book(_("Evaluation"), head, rows, {1: 14, 2: 12, len(head): 8})


def week_book(site, first: date, f, p) -> bytes:
    """Two sheets: the week's figures (name, value) and the problems open now (kind, what, since, state)."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = _("Figures")[:31]
    append(ws, [_("Week"), f"{first.isoformat()} – {(first + timedelta(days=6)).isoformat()}"])
    for label, value in ((_("Groups"), f.groups), (_("Guests"), f.guests), (_("Consumable cost"), float(f.cost)),
                         (_("Discrepancies opened"), f.discrepancies), (_("Late"), f.late), (_("Absent"), f.absent),
                         (_("Routines on time"), f.routines_on_time), (_("Routines late"), f.routines_late),
                         (_("Routines missed"), f.routines_missed), (_("Complaints opened"), f.complaints_opened),
                         (_("Complaints closed"), f.complaints_closed), (_("Incidents"), f.incidents),
                         (_("Urgent incidents"), f.urgent), (_("Open tasks"), f.tasks_open),
                         (_("Overdue tasks"), f.tasks_overdue), (_("Open repairs"), f.repairs_open)):
        append(ws, [label, value])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 22, 24
    ps = wb.create_sheet(_("Open problems")[:31])
    append(ps, [_("Kind"), _("What"), _("Since"), _("State")])
    late = {"respond": _("First response overdue"), "close": _("Closing overdue")}
    rows = ([(_("Discrepancy"), f"{d.location_name} · {d.counted_by}", d.opened_at, d.status) for d in p.discrepancies]
            + [(_("Complaint"), c.said, c.registered_at, late.get(due, "")) for c, due in p.complaints]
            + [(_("Repair"), f"{r.place}: {r.description}", r.reported_at, r.status) for r in p.repairs]
            + [(_("Overdue task"), t.text, t.created_at, t.for_name or "") for t in p.tasks]
            + [(_("Urgent incident"), f"{i.place}: {i.description}", i.reported_at, i.status) for i in p.incidents])
    for kind, what, since, state in rows:
        append(ps, [kind, what, local(site, since), state])
    for col, width in (("A", 12), ("B", 48), ("C", 17), ("D", 16)):
        ps.column_dimensions[col].width = width
    for cell in ps["C"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
