"""Access rules of the night patrol (see tests/access_rules.py): anyone may open a checkpoint's code (the rule then
admits only the rostered); security, the lead and the manager see the rounds, tap a checkpoint and pass problems on;
the lead and the manager read the night report; the manager alone keeps the checkpoints and prints their codes.

Here the patrol's rounds run all day and the actor is on its roster, so that whenever the matrix runs a code opens
the scan form: who is refused by the roster or the hours is tested in tests/patrol/test_routes.py."""
from datetime import time, timedelta

from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.attendance import RosterEntry, Shift
from hospitality.models.patrol import Checkpoint, PatrolScan
from hospitality.patrol import reads
from tests.access_rules import ANY, LEAD_MANAGER, MANAGER, Rule

ROUNDS = frozenset({"security", "lead", "manager"})
SCAN = {"ok": "1", "idem": "matrixpatrol1"}
SCAN_IDS = {"scan_id": "patrol_scan_id"}
POINT_IDS = {"checkpoint_id": "patrol_checkpoint_id"}

MATRIX = {
    ("/patrol", "GET"): Rule(ROUNDS),
    ("/patrol/glance", "GET"): Rule(LEAD_MANAGER),
    # The manager's GET is the "set the position here" page; everyone else's the scan form.
    ("/c/<token>", "GET"): Rule(ANY, ids={"token": "patrol_token"}),
    ("/c/<token>", "POST"): Rule(ANY, 302, SCAN, True, ids={"token": "patrol_token"}),
    ("/patrol/checkpoints/<int:checkpoint_id>/tap", "GET"): Rule(ROUNDS, ids=POINT_IDS),
    ("/patrol/checkpoints/<int:checkpoint_id>/tap", "POST"): Rule(ROUNDS, 302, SCAN, True, ids=POINT_IDS),
    ("/patrol/scans/<int:scan_id>", "GET"): Rule(ROUNDS, ids=SCAN_IDS),
    ("/patrol/scans/<int:scan_id>/incident", "POST"): Rule(ROUNDS, 302, writes=True, ids=SCAN_IDS),
    ("/patrol/scans/<int:scan_id>/morning", "POST"): Rule(ROUNDS, 302, writes=True, ids=SCAN_IDS),
    ("/patrol/scans/<int:scan_id>/done", "POST"): Rule(ROUNDS, 302, {"note": "已关灯"}, True,
                                                       ids={"scan_id": "patrol_task_id"}),
    # The problem has no photo: the route is reached, and answers 404 (served photos: tests/patrol/test_routes.py).
    ("/patrol/scans/<int:scan_id>/photo", "GET"): Rule(ROUNDS, 404, ids=SCAN_IDS),
    ("/patrol/night", "GET"): Rule(LEAD_MANAGER),
    ("/patrol/night/round", "GET"): Rule(LEAD_MANAGER),  # a round's scans (a page without htmx)
    ("/patrol/checkpoints", "GET"): Rule(MANAGER),
    ("/patrol/checkpoints", "POST"): Rule(MANAGER, 302, {"name": "新巡逻点", "location_id": "{patrol_place_id}"},
                                          True),
    # The site has its patrol already: setting it up again adds nothing.
    ("/patrol/setup", "POST"): Rule(MANAGER, 302),
    ("/patrol/checkpoints/<int:checkpoint_id>", "POST"): Rule(MANAGER, 302, {
        "name": "大堂东门", "location_id": "{patrol_place_id}", "active": "1"}, True, ids=POINT_IDS),
    ("/patrol/checkpoints/<int:checkpoint_id>/place", "POST"): Rule(MANAGER, 302, {
        "lat": "22.5431", "lng": "114.0579", "accuracy": "8"}, True, ids=POINT_IDS),
    ("/patrol/checkpoints/sheet", "GET"): Rule(MANAGER),
}


def rows(site: Site, ids: dict) -> dict:
    """Rounds all day long with the actor on their roster; a problem found (not passed on) and one left for the
    morning, both by the water-bar colleague."""
    patrol = reads.template(site.id)
    point = db.session.scalar(select(Checkpoint).where(Checkpoint.site_id == site.id)
                              .order_by(Checkpoint.position).limit(1))
    today = site.today()
    with write_tx():
        all_day = Shift(site_id=site.id, code="patrol24", name="全天巡逻", starts=time(0), ends=time(0))
        db.session.add(all_day)
        db.session.flush()
        db.session.get(type(patrol), patrol.id).shift_id = all_day.id
        if ids["actor_id"]:  # yesterday and tomorrow too: a case run across midnight still finds the roster
            db.session.add_all([RosterEntry(site_id=site.id, user_id=ids["actor_id"], day=today + timedelta(days=d),
                                            shift_id=all_day.id, post="security", created_by_id=ids["actor_id"])
                                for d in (-1, 0, 1)])
        found = [PatrolScan(site_id=site.id, day=today, slot="00:00", checkpoint_id=point.id, user_id=ids["user_id"],
                            method="tap", status="problem", problem="lights", note=note, morning_task=task)
                 for note, task in (("大堂灯没关", False), ("大堂空调没关", True))]
        db.session.add_all(found)
        db.session.flush()
    return {"patrol_token": point.token, "patrol_checkpoint_id": point.id, "patrol_place_id": point.location_id,
            "patrol_scan_id": found[0].id, "patrol_task_id": found[1].id}
