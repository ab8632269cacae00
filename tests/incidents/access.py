"""Access rules of incidents (see tests/access_rules.py): everyone reports and reads one; the lead, the manager and
security acknowledge, act and see what is open; the lead and the manager close, list, count, export and record
drills."""
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.incidents import IncidentEvent, IncidentPhoto
from tests.access_rules import ANY, LEAD_MANAGER, Rule
from tests.factories import location, make_incident

WATCH = frozenset({"lead", "manager", "security"})
REPORT = {"kind": "suspicious", "location_id": "{gate_id}", "level": "urgent", "description": "门口有推销人员",
          "idem": "matrixinc01"}

MATRIX = {
    ("/incidents/", "GET"): Rule(LEAD_MANAGER),
    ("/incidents/counts", "GET"): Rule(LEAD_MANAGER),
    ("/incidents/drills", "GET"): Rule(LEAD_MANAGER),
    ("/incidents/drills", "POST"): Rule(LEAD_MANAGER, 302, {"day": "{incident_today}", "kind": "fire",
                                                            "others": "保洁两人", "idem": "matrixdrill1"}, True),
    ("/incidents/new", "GET"): Rule(ANY),
    ("/incidents/new", "POST"): Rule(ANY, 302, REPORT, True),
    ("/incidents/open", "GET"): Rule(WATCH),
    ("/incidents/<int:incident_id>", "GET"): Rule(ANY),
    # An urgent incident the water bar reported: the others acknowledge it, hand it over, close it.
    ("/incidents/<int:incident_id>/acknowledge", "POST"): Rule(WATCH, 302, writes=True),
    ("/incidents/<int:incident_id>/hand", "POST"): Rule(WATCH, 302, {"to": "police", "hand_note": "110 已出警",
                                                                     "idem": "matrixinc03"}, True),
    ("/incidents/<int:incident_id>/close", "POST"): Rule(LEAD_MANAGER, 302, {"outcome": "已劝离"}, True),
    # Whoever reported an incident adds to it (the actor's own report), as the lead, the manager and security may.
    ("/incidents/<int:incident_id>/actions", "POST"): Rule(ANY, 302, {"note": "已拍照留存", "idem": "matrixinc02"},
                                                           True, ids={"incident_id": "own_incident_id"}),
    # The photo's file is not there: the route is reached, and answers 404 (served photos: tests/incidents).
    ("/incidents/<int:incident_id>/photos/<int:photo_id>", "GET"): Rule(ANY, 404,
                                                                        ids={"photo_id": "incident_photo_id"}),
}


def rows(site: Site, ids: dict) -> dict:
    """An urgent incident the water bar reported at the gate, with a photo row whose file is gone, and one the actor
    reported (the water bar's when there is no actor)."""
    gate = location(site.id, "gate").id
    watched = make_incident(site.id, ids["user_id"], level="urgent")
    own = make_incident(site.id, ids["actor_id"] or ids["user_id"], kind="damage", where="water_bar")
    with write_tx():
        event_id = db.session.scalar(db.select(IncidentEvent.id).where(IncidentEvent.incident_id == watched.id))
        photo = IncidentPhoto(incident_id=watched.id, event_id=event_id, name="matrix-missing.jpg")
        db.session.add(photo)
    return {"incident_id": watched.id, "own_incident_id": own.id, "gate_id": gate, "incident_photo_id": photo.id,
            "incident_today": site.today().isoformat()}
