"""What the attendance pages read (the actions live in services.py and leave.py): prebuilt statements of plain
columns, read by name. Each page reads a fixed number of queries whatever the data size (indexed by site/person
and day). By screen: days (the clock card, the lead's board, who is on duty), roster, sheets, leave."""
from .days import (
    BOARD_LISTS,
    DayEntry,
    Person,
    PersonDay,
    ShiftTimes,
    board_summary,
    card_reads,
    my_shifts,
    on_duty,
    on_duty_ids,
    on_duty_select,
    person_day,
    post_names,
    shift_day,
    today_card,
)
from .leave import LeaveView, leave_queue, my_requests
from .roster import ShiftRow, StripDay, roster_week, rostered_people, site_shifts
from .sheets import SHEET_TOTALS, Sheet, month_bounds, month_overview, month_sheets, month_totals, sheet_people

__all__ = [
    "BOARD_LISTS", "SHEET_TOTALS", "DayEntry", "LeaveView", "Person", "PersonDay", "Sheet", "ShiftRow", "ShiftTimes",
    "StripDay", "board_summary", "card_reads", "leave_queue", "month_bounds", "month_overview", "month_sheets",
    "month_totals", "my_requests", "my_shifts", "on_duty", "on_duty_ids", "on_duty_select", "person_day",
    "post_names", "roster_week", "rostered_people", "sheet_people", "shift_day", "site_shifts", "today_card",
]
