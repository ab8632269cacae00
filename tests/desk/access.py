"""Access rules of the desk (see tests/access_rules.py): the front desk, the lead and the manager take messages;
they and security read the log; everyone marks done a message that is for them."""
from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.messages import DeskMessage
from tests.access_rules import ANY, Rule

TAKE = frozenset({"concierge", "lead", "manager"})
VIEW = TAKE | {"security"}
MESSAGE = {"kind": "call", "caller_name": "李先生", "caller_phone": "13800000000", "for_whom": "user-{user_id}",
           "text": "请回电", "idem": "matrixdesk01"}

MATRIX = {
    ("/desk/", "GET"): Rule(VIEW),
    ("/desk/new", "GET"): Rule(TAKE),
    ("/desk/new", "POST"): Rule(TAKE, 302, MESSAGE, True),
    # A message for the actor (the water bar's when there is no actor): whoever it is for marks it done.
    ("/desk/<int:message_id>/done", "POST"): Rule(ANY, 302, writes=True, ids={"message_id": "own_message_id"}),
}


def rows(site: Site, ids: dict) -> dict:
    """An open call for the actor, taken by the site's water-bar person (the row is the rule's, not the form's)."""
    with write_tx():
        m = DeskMessage(site_id=site.id, kind="call", caller_name="张女士", caller_phone="13900000000",
                        for_user_id=ids["actor_id"] or ids["user_id"], text="请回电", taken_by_id=ids["user_id"],
                        taken_at=utcnow())
        db.session.add(m)
    return {"own_message_id": m.id}
