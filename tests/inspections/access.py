"""Access rules of the grooming and inspection routes (merged into tests/test_access.py's MATRIX).

rows(): the site's grooming and inspection templates, its water-bar attendant (ids["user_id"]) on today's
roster, a failed water-bar inspection item and a task from it for the water bar.
"""
from datetime import time

from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inspections import reads, services
from hospitality.inspections.seed import seed_templates
from hospitality.models import ChecklistTemplate, Site, User
from hospitality.models.attendance import RosterEntry, Shift
from tests.access_rules import ANY, LEAD_MANAGER, Rule

PERSON = {"user_id": "insp_person_id"}
GROOM_ITEM = PERSON | {"item_id": "insp_grooming_item_id"}
AREA = {"template_id": "insp_area_template_id"}
AREA_ITEM = AREA | {"item_id": "insp_area_item_id"}
ANSWER = {"answer_id": "insp_answer_id"}
BAR_TASK = frozenset({"water_bar", "lead", "manager"})

MATRIX = {
    ("/inspections/", "GET"): Rule(LEAD_MANAGER),
    # The lead's and manager's today screen loads it with htmx; a plain GET goes to the inspections page.
    ("/inspections/board", "GET"): Rule(LEAD_MANAGER, 302),
    ("/inspections/grooming/<int:user_id>", "GET"): Rule(LEAD_MANAGER, ids=PERSON),
    ("/inspections/grooming/<int:user_id>/items/<int:item_id>", "POST"): Rule(
        LEAD_MANAGER, 302, {"ok": "1"}, True, ids=GROOM_ITEM),
    # Nothing answered yet: completing is refused (a message, back to the check), nothing written.
    ("/inspections/grooming/<int:user_id>/complete", "POST"): Rule(LEAD_MANAGER, 302, ids=PERSON),
    # Staff see their own record only (test_routes.py); this one is another attendant's.
    ("/inspections/people/<int:user_id>", "GET"): Rule(LEAD_MANAGER, ids=PERSON),
    ("/inspections/areas/<int:template_id>", "GET"): Rule(LEAD_MANAGER, ids=AREA),
    ("/inspections/areas/<int:template_id>/items/<int:item_id>", "POST"): Rule(
        LEAD_MANAGER, 302, {"ok": "1"}, True, ids=AREA_ITEM),
    ("/inspections/areas/<int:template_id>/complete", "POST"): Rule(LEAD_MANAGER, 302, ids=AREA),
    ("/inspections/answers/<int:answer_id>/tasks", "POST"): Rule(
        LEAD_MANAGER, 302, {"assignee": "cleaner", "text": "叫保洁擦干", "idem": "matrixinsp01"}, True, ids=ANSWER),
    # The failed answer has no photo: those who may see it get 404 (served photos: test_routes.py).
    ("/inspections/answers/<int:answer_id>/photo", "GET"): Rule(BAR_TASK, 404, ids=ANSWER),
    ("/inspections/tasks", "GET"): Rule(ANY),
    ("/inspections/tasks/<int:task_id>/done", "POST"): Rule(BAR_TASK, 302, writes=True,
                                                           ids={"task_id": "insp_task_id"}),
}


def rows(site: Site, ids: dict) -> dict:
    with write_tx():
        seed_templates(db.session.get(Site, site.id))
        rostered = db.session.scalar(select(RosterEntry.id).where(RosterEntry.user_id == ids["user_id"],
                                                                  RosterEntry.day == site.today()))
        if rostered is None:  # another capability's rows may have put them on the roster already
            # Reuse the site's shift when attendance's rows made one: an extra shift would change their forms.
            shift = db.session.scalar(select(Shift).where(Shift.site_id == site.id).order_by(Shift.id).limit(1))
            if shift is None:
                shift = Shift(site_id=site.id, code="insp", name="白班", starts=time(8, 30), ends=time(17, 30))
                db.session.add(shift)
                db.session.flush()
            db.session.add(RosterEntry(site_id=site.id, user_id=ids["user_id"], day=site.today(),
                                       shift_id=shift.id, post="water_bar", created_by_id=ids["user_id"]))
    site = db.session.get(Site, site.id)
    person = db.session.get(User, ids["user_id"])
    grooming = reads.template_for(reads.grooming_templates(site.id), person)
    bar = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.site_id == site.id,
                                                            ChecklistTemplate.seed_key == "insp_water_bar"))
    answer = services.answer_area(site, person, bar, "", bar.active_items[0], "0", None, "台面有水渍")
    task = services.raise_task(site, person, answer, "water_bar", "擦干台面", f"insptask{site.code}")
    return {"insp_person_id": person.id, "insp_grooming_item_id": grooming.active_items[0].id,
            "insp_area_template_id": bar.id, "insp_area_item_id": bar.active_items[1].id,
            "insp_answer_id": answer.id, "insp_task_id": task.id}
