"""Leave as the pages show it: a person's own requests, and the lead's queue with its warnings and roster clashes."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select

from ...database import select_rows
from ...models import Site, User
from ...models.attendance import LEAVE_STATUSES, LeaveRequest, RosterEntry
from ..timing import weekend_days
from .days import Person


@dataclass(frozen=True)
class LeaveView:
    """A leave request as a page shows it, with who asked."""
    id: int
    user: Person
    starts: date
    ends: date
    reason: str
    status: str
    decision_note: str | None
    warning_overridden: bool

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def days(self) -> int:
        return (self.ends - self.starts).days + 1

    @property
    def status_label(self):
        return LEAVE_STATUSES.get(self.status, self.status)


_LEAVE = (select(LeaveRequest.id, LeaveRequest.user_id, User.name, User.post, LeaveRequest.starts, LeaveRequest.ends,
                 LeaveRequest.reason, LeaveRequest.status, LeaveRequest.decision_note,
                 LeaveRequest.warning_overridden)
          .join(User, User.id == LeaveRequest.user_id))
_MINE = (_LEAVE.where(LeaveRequest.user_id == bindparam("user_id"))
         .order_by(LeaveRequest.starts.desc(), LeaveRequest.id.desc()).limit(bindparam("limit")))
_PENDING = (_LEAVE.where(LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status == "pending")
            .order_by(LeaveRequest.starts, LeaveRequest.id))
_DECIDED = (_LEAVE.where(LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status != "pending")
            .order_by(LeaveRequest.id.desc()).limit(bindparam("limit")))
# How many days of each pending request the person is on the roster.
_CLASHES = (select(LeaveRequest.id, func.count(RosterEntry.id).label("days"))
            .join(RosterEntry, (RosterEntry.user_id == LeaveRequest.user_id) & (RosterEntry.day >= LeaveRequest.starts)
                  & (RosterEntry.day <= LeaveRequest.ends))
            .where(LeaveRequest.site_id == bindparam("site_id"), LeaveRequest.status == "pending")
            .group_by(LeaveRequest.id))


def _views(statement, params: dict) -> list[LeaveView]:
    return [LeaveView(r.id, Person(r.user_id, r.name, r.post), r.starts, r.ends, r.reason, r.status,
                      r.decision_note, r.warning_overridden) for r in select_rows(statement, params)]


def my_requests(user: User, limit: int = 30) -> list[LeaveView]:
    """A person's own requests, the latest first."""
    return _views(_MINE, {"user_id": user.id, "limit": limit})


def leave_queue(site: Site, recent: int = 20) -> dict:
    """Pending requests with their weekend warning and roster clashes; the latest decisions below."""
    params = {"site_id": site.id, "limit": recent}
    pending = _views(_PENDING, params)
    return {"pending": pending, "weekends": {lv.id: weekend_days(lv.starts, lv.ends) for lv in pending},
            "clashes": {r.id: r.days for r in select_rows(_CLASHES, params)}, "decided": _views(_DECIDED, params)}
