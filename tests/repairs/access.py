"""Access rules of repairs (see tests/access_rules.py): everyone reports one, opens a repair's page and lists their
own; the lead and the manager assign, record fixed, check, and list every open one, any range and its Excel."""
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.repairs import RepairEvent, RepairPhoto
from hospitality.repairs import services
from tests.access_rules import ANY, LEAD_MANAGER, Rule
from tests.factories import location
from tests.repairs.cast import make_repair

REPORT = {"kind": "fitting", "location_id": "{repair_room_id}", "description": "卫生间水龙头漏水",
          "idem": "matrixrep01"}

MATRIX = {
    ("/repairs/", "GET"): Rule(ANY),
    ("/repairs/open", "GET"): Rule(LEAD_MANAGER),
    ("/repairs/range", "GET"): Rule(LEAD_MANAGER),
    ("/repairs/new", "GET"): Rule(ANY),
    ("/repairs/new", "POST"): Rule(ANY, 302, REPORT, True),
    ("/repairs/<int:repair_id>", "GET"): Rule(ANY),
    ("/repairs/<int:repair_id>/assign", "POST"): Rule(LEAD_MANAGER, 302, {
        "to": "contractor", "company": "鑫达维修", "contact": "李师傅", "phone": "13800138000",
        "idem": "matrixrep02"}, True),
    ("/repairs/<int:repair_id>/fixed", "POST"): Rule(LEAD_MANAGER, 302, {"fix_note": "已更换阀芯",
                                                                          "idem": "matrixrep03"},
                                                     True, ids={"repair_id": "assigned_repair_id"}),
    ("/repairs/<int:repair_id>/check", "POST"): Rule(LEAD_MANAGER, 302, {"outcome": "ok", "idem": "matrixrep04"},
                                                     True, ids={"repair_id": "fixed_repair_id"}),
    # The photo's file is not there: the route is reached, and answers 404 (served photos: tests/repairs).
    ("/repairs/<int:repair_id>/photos/<int:photo_id>", "GET"): Rule(ANY, 404, ids={"photo_id": "repair_photo_id"}),
}


def rows(site: Site, ids: dict) -> dict:
    """A repair the water bar reported in model room 1 (with a photo row whose file is gone), one assigned to
    the property company and one recorded fixed (by the manager test_access makes)."""
    reported = make_repair(site.id, ids["user_id"])
    boss = db.session.scalar(db.select(User).where(User.username == f"{site.code.lower()}-boss"))
    assigned = make_repair(site.id, ids["user_id"], kind="lift", where="gate")
    services.assign(db.session.get(Site, site.id), boss, assigned, to="property")
    done = make_repair(site.id, ids["user_id"], kind="equipment", where="water_bar")
    services.assign(db.session.get(Site, site.id), boss, done, to="cleaners")
    services.fixed(db.session.get(Site, site.id), boss, done, note="好了")
    with write_tx():
        event_id = db.session.scalar(db.select(RepairEvent.id).where(RepairEvent.repair_id == reported.id))
        photo = RepairPhoto(repair_id=reported.id, event_id=event_id, name="matrix-missing.jpg")
        db.session.add(photo)
    return {"repair_id": reported.id, "assigned_repair_id": assigned.id, "fixed_repair_id": done.id,
            "repair_photo_id": photo.id, "repair_room_id": location(site.id, "model_room").id}
