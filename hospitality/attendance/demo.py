"""Demo attendance: shifts, two weeks of roster behind and one ahead with realistic clock-ins, and leave."""
import random
from datetime import timedelta

from ..audit import record
from ..clock import to_utc
from ..extensions import db
from ..models import Site, User
from ..models.attendance import Attendance, LeaveRequest, RosterEntry
from ..models.core import utcnow
from ..permissions import post_can
from .services import default_shifts, site_now
from .timing import early_minutes, late_minutes, window

# Each post's first person's fixed weekday off (0 = Monday), never at a weekend (the seeds); a second person of
# the post takes another weekday.
DAYS_OFF = {"water_bar": 1, "model_room": 2, "concierge": 3, "security": 0, "lead": 4}
# The shift of a post's first, second… person (the last one for the rest); by default everyone works days. The
# first guard works days (so the arrival flow can be tried by day), a second guard nights.
SHIFTS_BY_RANK = {"security": ("day", "night")}
# Today the demo leaves these posts to clock in themselves, so the button and "absent" can be seen.
CLOCK_THEMSELVES = ("water_bar", "concierge")


def seed_demo(site: Site, staff: list[User], lead: User) -> None:
    """Add the demo's attendance to the caller's transaction (like the rest of the demo seed)."""
    rnd = random.Random(site.id)
    if not site.grace_minutes:
        site.grace_minutes = 5
    by_code = {s.code: s for s in default_shifts(site)}
    now = site_now(site)
    today = now.date()
    # (user, shift code, weekday off), in the order given: the n-th person of a post is n.
    plan, seen = [], {}
    for user in [*staff, *([] if any(u.id == lead.id for u in staff) else [lead])]:
        if not post_can(user.post, "attendance.own"):
            continue  # the manager is not rostered
        n = seen[user.post] = seen.get(user.post, -1) + 1
        codes = SHIFTS_BY_RANK.get(user.post, ("day",))
        code = codes[min(n, len(codes) - 1)]
        plan.append((user, code, (DAYS_OFF.get(user.post, 4) + 2 * n) % 5))
    people = {user.post: user for user, _code, _off in reversed(plan)}  # the first person of each post

    def weekday_ahead(start: int, avoid: int) -> object:
        for n in range(start, start + 7):
            d = today + timedelta(days=n)
            if d.weekday() < 5 and d.weekday() != avoid:
                return d
        return today + timedelta(days=start)

    away = weekday_ahead(2, DAYS_OFF["concierge"]) if "concierge" in people else None
    if away is not None:
        db.session.add(LeaveRequest(site_id=site.id, user_id=people["concierge"].id, starts=away, ends=away,
                                    reason="家里有事", status="approved", decided_by_id=lead.id,
                                    decided_at=utcnow(), decision_note="已安排顶班"))
    if "water_bar" in people:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        db.session.add(LeaveRequest(site_id=site.id, user_id=people["water_bar"].id, starts=saturday,
                                    ends=saturday + timedelta(days=1), reason="亲戚结婚", status="pending"))
    for n in range(-14, 8):
        day = today + timedelta(days=n)
        for user, code, day_off in plan:
            post = user.post
            if day.weekday() == day_off or (user is people.get("concierge") and day == away):
                continue
            shift = by_code[code]
            entry = RosterEntry(site_id=site.id, user_id=user.id, day=day, shift_id=shift.id, post=post,
                                created_by_id=lead.id)
            db.session.add(entry)
            db.session.flush()
            start, end = window(site, day, shift)
            if day > today or (day == today and post in CLOCK_THEMSELVES) or start > now:
                continue
            roll = rnd.random()
            if roll < 0.04 and day < today:
                continue  # absent
            arrive = start + timedelta(minutes=rnd.randint(2, 25) if roll > 0.85 else -rnd.randint(3, 12))
            if arrive > now:
                continue
            leave_at = end + timedelta(minutes=-rnd.randint(5, 40) if roll > 0.95 else rnd.randint(0, 20))
            out = leave_at if leave_at <= now else None
            db.session.add(Attendance(
                site_id=site.id, user_id=user.id, day=day, roster_id=entry.id, clock_in_at=to_utc(arrive),
                clock_out_at=to_utc(out) if out else None, late_minutes=late_minutes(site, day, shift, arrive),
                early_minutes=early_minutes(site, day, shift, out) if out else 0))
    db.session.flush()
    record("seed_demo", "attendance", None, site_id=site.id, user_id=lead.id)
