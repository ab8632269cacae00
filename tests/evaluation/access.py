"""Access rules of staff evaluation (see tests/access_rules.py): everyone rostered sees their own month; the manager
sees everyone's, weighs the rules, adds and removes rewards and penalties, exports; the lead and the manager read
the weekly meeting sheet."""
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.evaluation import EvaluationAdjustment
from tests.access_rules import LEAD_MANAGER, MANAGER, Rule

ROSTERED = frozenset({"water_bar", "model_room", "concierge", "security", "lead"})
WEIGHTS = {"late": "3", "left_early": "2", "absent": "10", "grooming": "2", "routine_late": "1",
           "routine_missed": "3", "discrepancy": "5", "task_overdue": "2"}
PENALTY = {"kind": "penalty", "points": "2", "yuan": "20", "reason": "迟到未报备", "idem": "matrixeval01"}

MATRIX = {
    ("/evaluation/", "GET"): Rule(ROSTERED),
    ("/evaluation/team", "GET"): Rule(MANAGER),
    ("/evaluation/person/<int:user_id>", "GET"): Rule(MANAGER),
    ("/evaluation/person/<int:user_id>/adjust", "POST"): Rule(MANAGER, 302, PENALTY, True),
    ("/evaluation/adjustment/<int:adjustment_id>/remove", "POST"): Rule(MANAGER, 302, writes=True),
    ("/evaluation/settings", "GET"): Rule(MANAGER),
    ("/evaluation/settings", "POST"): Rule(MANAGER, 302, WEIGHTS, True),
    ("/evaluation/week", "GET"): Rule(LEAD_MANAGER),
}


def rows(site: Site, ids: dict) -> dict:
    """A penalty on the site's water-bar person this month."""
    with write_tx():
        a = EvaluationAdjustment(site_id=site.id, user_id=ids["user_id"], month=site.today().replace(day=1),
                                 kind="penalty", points=1, yuan=0, reason="矩阵", created_by_id=ids["user_id"])
        db.session.add(a)
    return {"adjustment_id": a.id}
