"""Access rules of the attendance routes (see tests/access_rules.py) and the rows their URLs need."""
from datetime import timedelta

from hospitality.attendance import services
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.attendance import LeaveRequest, RosterEntry
from hospitality.permissions import post_can
from tests.access_rules import ANY, LEAD_MANAGER, Rule

STAFF = frozenset({"water_bar", "model_room", "concierge", "security", "lead"})  # clock in, ask for leave

MATRIX = {
    ("/attendance/", "GET"): Rule(STAFF),
    # Not on the roster: the clock-in is allowed (flagged); nobody has clocked in, so clocking out is refused.
    ("/attendance/clock-in", "POST"): Rule(STAFF, 302, {"idem": "matrix0101"}, True),
    ("/attendance/clock-out", "POST"): Rule(STAFF, 422, {"idem": "matrix0102"}),
    ("/attendance/board", "GET"): Rule(LEAD_MANAGER),
    ("/attendance/roster", "GET"): Rule(LEAD_MANAGER),
    ("/attendance/roster", "POST"): Rule(LEAD_MANAGER, 302, {
        "user_id": "{user_id}", "shift_id": "{att_shift_id}", "day": "{att_free_day}"}, True),
    ("/attendance/roster/<int:entry_id>/delete", "POST"): Rule(LEAD_MANAGER, 302, writes=True,
                                                               ids={"entry_id": "att_entry_id"}),
    ("/attendance/roster/<int:entry_id>/move", "POST"): Rule(LEAD_MANAGER, 302, {"to_shift_id": "{att_night_id}"},
                                                             True, ids={"entry_id": "att_entry_id"}),
    ("/attendance/roster/copy", "POST"): Rule(LEAD_MANAGER, 302, {"day": "{att_copy_day}"}, True),
    ("/attendance/leave", "GET"): Rule(STAFF),
    ("/attendance/leave", "POST"): Rule(STAFF, 302, {
        "starts": "{att_leave_day}", "ends": "{att_leave_day}", "reason": "家里有事", "idem": "matrix0103"}, True),
    ("/attendance/leave/<int:leave_id>/cancel", "POST"): Rule(STAFF, 302, writes=True,
                                                              ids={"leave_id": "att_own_leave_id"}),
    ("/attendance/leave/queue", "GET"): Rule(LEAD_MANAGER),
    ("/attendance/leave/<int:leave_id>/decide", "POST"): Rule(LEAD_MANAGER, 302, {
        "action": "approve", "override": "1", "note": ""}, True, ids={"leave_id": "att_leave_id"}),
    ("/attendance/sheet", "GET"): Rule(ANY),
    ("/attendance/settings", "GET"): Rule(LEAD_MANAGER),
    ("/attendance/settings", "POST"): Rule(LEAD_MANAGER, 302, {
        "grace_minutes": "7", "name-{att_shift_id}": "白班", "starts-{att_shift_id}": "08:30",
        "ends-{att_shift_id}": "17:30", "active-{att_shift_id}": "1", "name-{att_night_id}": "夜班",
        "starts-{att_night_id}": "17:30", "ends-{att_night_id}": "08:30", "active-{att_night_id}": "1"}, True),
}


def rows(site: Site, ids: dict) -> dict:
    """Shifts; a roster entry to remove and one last week to copy; a colleague's and the actor's own leave."""
    today = site.today()
    staff_id = ids["user_id"]
    actor = db.session.get(User, ids["actor_id"]) if ids.get("actor_id") else None
    owner = actor.id if actor is not None and post_can(actor.post, "attendance.own") else staff_id
    with write_tx():
        shifts = {s.code: s for s in services.default_shifts(db.session.get(Site, site.id))}
        creator = ids.get("actor_id") or staff_id
        entry = RosterEntry(site_id=site.id, user_id=staff_id, day=today + timedelta(days=1),
                            shift_id=shifts["day"].id, post="water_bar", created_by_id=creator)
        db.session.add(entry)
        db.session.add(RosterEntry(site_id=site.id, user_id=staff_id, day=today + timedelta(days=40),
                                   shift_id=shifts["day"].id, post="water_bar", created_by_id=creator))
        leave = LeaveRequest(site_id=site.id, user_id=staff_id, starts=today + timedelta(days=20),
                             ends=today + timedelta(days=20), reason="看病")
        own = LeaveRequest(site_id=site.id, user_id=owner, starts=today + timedelta(days=25),
                           ends=today + timedelta(days=25), reason="回老家")
        db.session.add_all([leave, own])
        db.session.flush()
    return {"att_shift_id": shifts["day"].id, "att_night_id": shifts["night"].id, "att_entry_id": entry.id,
            "att_free_day": (today + timedelta(days=3)).isoformat(),
            "att_copy_day": (today + timedelta(days=47)).isoformat(),
            "att_leave_day": (today + timedelta(days=30)).isoformat(),
            "att_leave_id": leave.id, "att_own_leave_id": own.id}
