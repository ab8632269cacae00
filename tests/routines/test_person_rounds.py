"""A cleaning checklist given to a named person: its card on their today screen opens a page they fill in and
complete; someone else may not fill it."""
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import ChecklistItem, ChecklistRun, ChecklistTemplate
from tests.harness import login

from .test_routes import TEMPLATE


def test_a_named_persons_cleaning_checklist_opens_and_is_filled(app, env):
    manager = login(app, env.names["manager"])
    data = TEMPLATE | {"name": "洽谈区深度清洁", "recurrence": "daily", "assignee": "person",
                       "person_id": str(env.users["concierge"])}
    assert manager.post("/checklists/templates/new", data=data).status_code == 302
    with app.app_context():
        t = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.name == "洽谈区深度清洁"))
        item = ChecklistItem(template_id=t.id, position=0, text="沙发除尘", answer_type="check", required=True)
        db.session.add(item)
        db.session.commit()
        tid, item_id = t.id, item.id
    concierge = login(app, env.names["concierge"])
    today = concierge.get("/").text
    assert "洽谈区深度清洁" in today and f"/inspections/areas/{tid}" in today
    page = concierge.get(f"/inspections/areas/{tid}")
    assert page.status_code == 200 and "沙发除尘" in page.text
    assert login(app, env.names["water_bar"]).get(f"/inspections/areas/{tid}").status_code == 403
    assert concierge.post(f"/inspections/areas/{tid}/items/{item_id}", data={"ok": "1"}).status_code == 302
    assert concierge.post(f"/inspections/areas/{tid}/complete").status_code == 302
    with app.app_context():
        run = db.session.scalar(select(ChecklistRun).where(ChecklistRun.template_id == tid))
        assert run is not None and run.completed_at is not None and run.completed_by_id == env.users["concierge"]
