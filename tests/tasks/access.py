"""Access rules of the task routes (see tests/access_rules.py): every post raises tasks, sees its own and marks them
done; the lead and the manager hand them on and cancel them; the manager sets the targets.

rows(): a task for the actor (the water bar's person when there is no actor) and a cleaner's task the actor raised.
"""
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.tasks import PERSON, Task
from tests.access_rules import ANY, LEAD_MANAGER, MANAGER, Rule

OWN = {"task_id": "own_task_id"}
RAISED = {"task_id": "raised_task_id"}
RAISE = {"kind": "cleaner", "for_whom": "cleaner", "text": "洗手间拖地", "idem": "matrixtask01"}

MATRIX = {
    ("/tasks/", "GET"): Rule(ANY),
    ("/tasks/new", "GET"): Rule(ANY),
    ("/tasks/new", "POST"): Rule(ANY, 302, RAISE, True),
    # A task for the actor: accepted by them; the cleaner's task they raised: done on the cleaner's behalf.
    ("/tasks/<int:task_id>/accept", "POST"): Rule(ANY, 302, writes=True, ids=OWN),
    ("/tasks/<int:task_id>/done", "POST"): Rule(ANY, 302, writes=True, ids=RAISED),
    ("/tasks/<int:task_id>/dispatch", "GET"): Rule(LEAD_MANAGER, ids=OWN),
    ("/tasks/<int:task_id>/dispatch", "POST"): Rule(LEAD_MANAGER, 302, {"for_whom": "cleaner"}, True, ids=OWN),
    ("/tasks/done", "GET"): Rule(LEAD_MANAGER),
    ("/tasks/raised", "GET"): Rule(ANY),
    ("/tasks/<int:task_id>/cancel", "POST"): Rule(LEAD_MANAGER, 302, writes=True, ids=OWN),
    ("/tasks/visits/<int:visit_id>", "GET"): Rule(ANY),
    ("/tasks/visits/<int:visit_id>", "POST"): Rule(ANY, 302, {"table_label": "3", "idem": "matrixtask02"}, True),
    ("/tasks/settings", "GET"): Rule(MANAGER),
    ("/tasks/settings", "POST"): Rule(MANAGER, 302, {"table_minutes": "5", "task_minutes": "20"}, True),
}


def rows(site: Site, ids: dict) -> dict:
    who = ids["actor_id"] or ids["user_id"]
    post = db.session.get(User, who).post
    with write_tx():
        own = Task(site_id=site.id, kind="other", assignee=PERSON, assignee_user_id=who, text="把伞架搬进来",
                   created_by_id=ids["user_id"], raised_post="water_bar", target_minutes=30)
        raised = Task(site_id=site.id, kind="cleaner", assignee="cleaner", text="擦玻璃门", created_by_id=who,
                      raised_post=post, target_minutes=30)
        db.session.add_all([own, raised])
    return {"own_task_id": own.id, "raised_task_id": raised.id}
