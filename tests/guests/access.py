"""Access rules of the guest pages (see tests/access_rules.py): every post reads a visit's satisfaction section; the
concierge, the model room, the lead and the manager tap it and show its QR code; the concierge, the lead and the
manager plan a follow-up call after it; the lead and the manager handle the unsatisfied answers and read the
satisfaction figures; the manager alone keeps the VIP notices.

The guests' page /f/<token> is PUBLIC (no login): opened it answers 200 to anyone; the matrix posts a refused answer
(422, nothing written), since a PUBLIC rule's anonymous post must not write. The anonymous answer that does write,
no cookie, 404/410 and the rate limit are in tests/guests/test_routes.py."""
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.guests import services
from hospitality.models import Site, User
from hospitality.models.guests import VipNotice
from hospitality.visits import services as visits
from tests.access_rules import ANY, LEAD_MANAGER, MANAGER, PUBLIC, Rule

FEEDBACK = frozenset({"concierge", "model_room", "lead", "manager"})
CALLERS = frozenset({"concierge", "lead", "manager"})  # complaints.follow_up
PLAN_CALL = {"guest_name": "王先生", "guest_phone": "139 0000 1111"}
VIP = {"plate": "粤B66666", "phone": "", "note": "王总，请到贵宾室"}
GUEST_PAGE = {"token": "gf_token"}

MATRIX = {
    ("/guests/visits/<int:visit_id>", "GET"): Rule(ANY),
    # The world's group has no answer yet: an allowed tap records one (the page comes back, 200), the code makes a link.
    ("/guests/visits/<int:visit_id>", "POST"): Rule(FEEDBACK, 200, {"rating": "satisfied"}, True),
    ("/guests/visits/<int:visit_id>/qr", "POST"): Rule(FEEDBACK, 200, writes=True),
    # A follow-up call after the world's group, by the posts that make the calls: the page comes back with the day due.
    ("/guests/visits/<int:visit_id>/follow-up", "POST"): Rule(CALLERS, 200, PLAN_CALL, True),
    ("/guests/alerts", "GET"): Rule(LEAD_MANAGER),
    # An unsatisfied answer of another group, not handled yet.
    ("/guests/feedback/<int:feedback_id>/handled", "POST"): Rule(LEAD_MANAGER, 302, writes=True),
    ("/guests/feedback/<int:feedback_id>/complaint", "POST"): Rule(LEAD_MANAGER, 302, writes=True),
    ("/guests/satisfaction", "GET"): Rule(LEAD_MANAGER),
    ("/guests/vips", "GET"): Rule(MANAGER),
    ("/guests/vips", "POST"): Rule(MANAGER, 302, VIP, True),
    ("/guests/vips/<int:vip_id>", "POST"): Rule(MANAGER, 302, VIP | {"plate": "粤B77777", "active": "1"}, True),
    ("/f/<token>", "GET"): Rule(PUBLIC, ids=GUEST_PAGE),
    ("/f/<token>", "POST"): Rule(PUBLIC, 422, {"rating": "excellent"}, ids=GUEST_PAGE),
}


def rows(site: Site, ids: dict) -> dict:
    """Two more groups recorded at the gate: one whose guests answered "unsatisfied" through their code, one with a
    code shown and not answered yet; and a VIP notice for 粤B77777."""
    guard = db.session.scalar(select(User).where(User.site_id == site.id, User.post == "security").order_by(User.id)
                              .limit(1))
    boss = db.session.scalar(select(User).where(User.site_id == site.id, User.post == "manager").order_by(User.id)
                             .limit(1))
    left = visits.record_arrival(site, guard, 2, False, None, None)
    feedback = services.guest_answer(services.link(site, guard, left).token, "unsatisfied", "等了很久")
    waiting = visits.record_arrival(db.session.get(Site, site.id), guard, 4, False, None, None)
    token = services.link(db.session.get(Site, site.id), guard, waiting).token
    with write_tx():
        vip = VipNotice(site_id=site.id, plate="粤B77777", note="李总", created_by_id=boss.id)
        db.session.add(vip)
    return {"feedback_id": feedback.id, "gf_token": token, "vip_id": vip.id}
