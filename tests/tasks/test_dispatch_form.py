"""The lead's "hand on or cancel" picks load into a task's card when opened: the list carries none of them."""
from hospitality.extensions import db
from hospitality.models import User
from tests.harness import HX, login

from .conftest import raised


def test_the_picks_load_when_opened_and_hand_the_task_on(app, env):
    task_id = raised(app, env, by="concierge", kind="restock", text="补充纸杯")
    lead = login(app, env.names["lead"])
    page = lead.get("/tasks/").text
    assert f'hx-get="/tasks/{task_id}/dispatch"' in page and 'name="for_whom"' not in page
    picks = lead.get(f"/tasks/{task_id}/dispatch", headers=HX)
    with app.app_context():
        concierge = db.session.get(User, env.users["concierge"])
        person = f'value="user-{concierge.id}"'
    assert picks.status_code == 200 and 'name="for_whom"' in picks.text and person in picks.text
    assert "<html" not in picks.text  # a fragment for htmx
    assert "<html" in lead.get(f"/tasks/{task_id}/dispatch").text  # its own page without JavaScript
    r = lead.post(f"/tasks/{task_id}/dispatch", data={"for_whom": "model_room"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<li id="tk-{task_id}"')
    # Staff do not hand tasks on; another site's task is not found.
    assert login(app, env.names["water_bar"]).get(f"/tasks/{task_id}/dispatch").status_code == 403
    other = raised(app, env, site=env.other, kind="cleaner", text="外站任务")
    assert lead.get(f"/tasks/{other}/dispatch").status_code == 404
