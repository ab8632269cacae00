"""Demo tasks and repairs: what the posts asked of each other this morning (one table cleared in 2 minutes, one cleaner
task past its target, a restock the water bar has accepted) and two repairs (a model room's, assigned to a contractor;
the water bar's coffee machine, just reported), so /tasks, /repairs and the today screens have something to show."""
from datetime import timedelta

from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..models import Location, Site, User
from ..models.repairs import Repair, RepairEvent
from ..models.tasks import Task


def seed_demo(site: Site) -> None:
    """Add the demo's tasks and repairs to the caller's transaction (after the demo's people)."""
    people = {u.username: u for u in db.session.scalars(select(User).where(User.site_id == site.id))}
    places = {loc.kind: loc for loc in db.session.scalars(
        select(Location).where(Location.site_id == site.id, Location.active.is_(True)).order_by(Location.position))}
    bar, desk, lead = people["waterbar"], people["concierge"], people["lead"]
    now = utcnow()
    ago = lambda minutes: now - timedelta(minutes=minutes)  # noqa: E731
    negotiation = places.get("negotiation")
    db.session.add_all([
        Task(site_id=site.id, kind="clear_table", location_id=negotiation.id if negotiation else None,
             table_label="3号桌", assignee="cleaner", text="", status="done", created_by_id=bar.id,
             raised_post="water_bar", created_at=ago(95), target_minutes=site.table_clear_minutes or 3,
             done_by_id=bar.id, done_at=ago(93), on_behalf=True),
        Task(site_id=site.id, kind="cleaner", assignee="cleaner", text="洗手间地面有水", status="open",
             created_by_id=desk.id, raised_post="concierge", created_at=ago(40),
             target_minutes=site.task_target_minutes or 30),
        Task(site_id=site.id, kind="restock", assignee="water_bar", text="补充矿泉水和纸杯", status="accepted",
             created_by_id=lead.id, raised_post="lead", created_at=ago(12), accepted_by_id=bar.id,
             accepted_at=ago(10), target_minutes=site.task_target_minutes or 30),
    ])
    room, bar_place = places.get("model_room"), places.get("water_bar")
    if room is not None:
        repair = Repair(site_id=site.id, kind="fitting", location_id=room.id, spot="主卧卫生间", urgent=False,
                        description="洗手盆水龙头松动漏水", status="assigned", reported_by_id=people["modelroom"].id,
                        reported_at=ago(26 * 60), assignee="contractor", company="诚信维修公司", contact="李师傅",
                        phone="13800138000", assigned_at=ago(25 * 60))
        db.session.add(repair)
        db.session.flush()
        db.session.add_all([
            RepairEvent(repair_id=repair.id, site_id=site.id, kind="reported", user_id=people["modelroom"].id,
                        at=ago(26 * 60)),
            RepairEvent(repair_id=repair.id, site_id=site.id, kind="assigned", user_id=lead.id, at=ago(25 * 60),
                        assignee="contractor", who="诚信维修公司 · 李师傅 · 13800138000")])
    if bar_place is not None:
        repair = Repair(site_id=site.id, kind="equipment", location_id=bar_place.id, description="咖啡机不出热水",
                        urgent=True, status="reported", reported_by_id=bar.id, reported_at=ago(30))
        db.session.add(repair)
        db.session.flush()
        db.session.add(RepairEvent(repair_id=repair.id, site_id=site.id, kind="reported", user_id=bar.id,
                                   at=ago(30)))
