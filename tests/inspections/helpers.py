"""Shared set-up for the grooming and inspection tests: a seeded site, a roster for today, clock-ins."""
import io
from datetime import datetime, time, timedelta
from types import SimpleNamespace

from PIL import Image
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inspections.seed import seed_templates
from hospitality.models import ChecklistTemplate, Site, User
from hospitality.models.attendance import Attendance, LeaveRequest, RosterEntry, Shift
from tests.inventory.helpers import make_user

HX = {"HX-Request": "true"}


def seeded_site(site_id: int) -> Site:
    """Add the grooming and inspection templates to a site (idempotent)."""
    with write_tx():
        site = db.session.get(Site, site_id)
        seed_templates(site)
    return db.session.get(Site, site_id)


def _shift(site_id: int) -> Shift:
    shift = db.session.scalar(select(Shift).where(Shift.site_id == site_id, Shift.code == "day"))
    if shift is None:
        with write_tx():
            shift = Shift(site_id=site_id, code="day", name="白班", starts=time(8, 30), ends=time(17, 30))
            db.session.add(shift)
    return shift


def roster(site_id: int, user_id: int, day, by_id: int | None = None) -> RosterEntry:
    """Put a person on the day shift of `day` (rows written directly: attendance is another capability)."""
    shift = _shift(site_id)
    user = db.session.get(User, user_id)
    with write_tx():
        entry = RosterEntry(site_id=site_id, user_id=user_id, day=day, shift_id=shift.id, post=user.post,
                            created_by_id=by_id or user_id)
        db.session.add(entry)
    return entry


def leave(site_id: int, user_id: int, day, status: str = "approved") -> None:
    with write_tx():
        db.session.add(LeaveRequest(site_id=site_id, user_id=user_id, starts=day, ends=day, reason="病假",
                                    status=status))


def clock_in(site_id: int, user_id: int, day, at: datetime, late: int = 0) -> None:
    with write_tx():
        db.session.add(Attendance(site_id=site_id, user_id=user_id, day=day, clock_in_at=at, late_minutes=late))


def template(site_id: int, key: str) -> ChecklistTemplate:
    """A seeded template by its seed key (grooming, grooming_security, insp_water_bar, lounge_rounds…)."""
    return db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.site_id == site_id,
                                                             ChecklistTemplate.seed_key == key))


def team(site_id: int, rostered=("water_bar", "model_room", "security", "concierge")) -> SimpleNamespace:
    """A lead and a manager, and one person per post in `rostered` on today's roster; one more off duty."""
    site = seeded_site(site_id)
    day = site.today()
    lead = make_user(site_id, "lead", username=f"lead{site_id}")
    boss = make_user(site_id, "manager", username=f"boss{site_id}")
    staff = {}
    for post in rostered:
        staff[post] = make_user(site_id, post, username=f"{post}{site_id}").id
        roster(site_id, staff[post], day, lead.id)
    roster(site_id, lead.id, day, lead.id)
    off = make_user(site_id, "water_bar", username=f"off{site_id}").id
    return SimpleNamespace(site=site_id, day=day, lead=lead.id, boss=boss.id, staff=staff, off=off,
                           lead_name=lead.username, boss_name=boss.username)


def png(size=(40, 30)) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    return buf


class Upload:
    """A file-like upload for photos.store outside a request."""

    def __init__(self, data: io.BytesIO, filename: str = "p.png"):
        self.data, self.filename = data, filename

    def read(self, n=-1):
        return self.data.read(n)


def yesterday(day):
    return day - timedelta(days=1)
