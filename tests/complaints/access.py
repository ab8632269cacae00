"""Access rules of complaints (see tests/access_rules.py): everyone registers one and reads the ones they registered;
the lead, the manager and the front desk list them, work on them (investigate, propose, carry out) and make the
follow-up calls; the manager alone judges, chooses the remedy, reviews and sets the deadlines; the lead and the manager
read the monthly report.

Each step's route is tried on a complaint standing at that step, so an allowed post's POST moves it on (302) and
writes; the step-1 complaint is the actor's own, so that every post may open it."""
from sqlalchemy import select

from hospitality.complaints import services
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.complaints import ComplaintEvent, ComplaintPhoto, ComplaintRemedy, FollowUp
from tests.access_rules import ANY, LEAD_MANAGER, MANAGER, Rule

DESK = frozenset({"lead", "manager", "concierge"})  # list, work, follow-up calls
NEW = {"topic": "waiting", "channel": "onsite", "said": "等了很久没人接待", "guest_name": "王女士",
       "idem": "matrixcpnew01"}

MATRIX = {
    ("/complaints/", "GET"): Rule(DESK),
    ("/complaints/glance", "GET"): Rule(DESK),
    ("/complaints/new", "GET"): Rule(ANY),
    ("/complaints/new", "POST"): Rule(ANY, 302, NEW, True),
    ("/complaints/<int:complaint_id>", "GET"): Rule(ANY),
    ("/complaints/<int:complaint_id>/judge", "POST"): Rule(MANAGER, 302, {"founded": "1", "reason": "属实",
                                                                          "idem": "matrixcpjudge"}, True),
    ("/complaints/<int:complaint_id>/notes", "POST"): Rule(DESK, 302, {"note": "调看监控", "idem": "matrixcpnote1"},
                                                           True, ids={"complaint_id": "cp_judged_id"}),
    ("/complaints/<int:complaint_id>/investigated", "POST"): Rule(DESK, 302, {"idem": "matrixcpdone1"}, True,
                                                                  ids={"complaint_id": "cp_judged_id"}),
    ("/complaints/<int:complaint_id>/remedies", "POST"): Rule(DESK, 302, {"remedy": "致歉", "idem": "matrixcprem1"},
                                                              True, ids={"complaint_id": "cp_remedies_id"}),
    ("/complaints/<int:complaint_id>/choose", "POST"): Rule(MANAGER, 302, {"remedy_id": "{cp_remedy_id}",
                                                                           "idem": "matrixcppick1"}, True,
                                                            ids={"complaint_id": "cp_remedies_id"}),
    ("/complaints/<int:complaint_id>/carried-out", "POST"): Rule(DESK, 302, {
        "done": "已当面致歉", "confirmed": "1", "idem": "matrixcpcarry"}, True, ids={"complaint_id": "cp_chosen_id"}),
    ("/complaints/<int:complaint_id>/review", "POST"): Rule(MANAGER, 302, {
        "cause": "前台离岗", "responsible_post": "concierge", "preventive": "离岗须替岗", "idem": "matrixcprev1"}, True,
        ids={"complaint_id": "cp_carried_id"}),
    # The photo's file is not there: the route is reached, and answers 404 (served photos: tests/complaints).
    ("/complaints/<int:complaint_id>/photos/<int:photo_id>", "GET"): Rule(ANY, 404,
                                                                         ids={"photo_id": "cp_photo_id"}),
    # A plain POST (no htmx) goes back to the page and reveals nothing (htmx's reveal: tests/complaints).
    ("/complaints/<int:complaint_id>/reveal", "POST"): Rule(DESK, 302),
    # The same for a call's number: a plain POST goes back to the calls list, nothing written (htmx's reveal and its
    # audit row: tests/complaints/test_visit_calls.py).
    ("/complaints/follow-ups/<int:follow_up_id>/reveal", "POST"): Rule(DESK, 302),
    ("/complaints/follow-ups", "GET"): Rule(DESK),
    ("/complaints/follow-ups/<int:follow_up_id>", "POST"): Rule(DESK, 302, {"outcome": "no_answer",
                                                                            "idem": "matrixcpcall1"}, True),
    ("/complaints/report", "GET"): Rule(LEAD_MANAGER),
    ("/complaints/settings", "GET"): Rule(MANAGER),
    ("/complaints/settings", "POST"): Rule(MANAGER, 302, {"respond_hours": "3", "close_days": "5"}, True),
}


def rows(site: Site, ids: dict) -> dict:
    """One complaint at each step: the actor's own at step 1 (with a photo row whose file is gone), then judged
    founded with a note, with a remedy proposed, with it chosen, carried out, and one closed with its call due."""
    boss = db.session.scalar(select(User).where(User.site_id == site.id, User.post == "manager").order_by(User.id)
                             .limit(1))
    me = db.session.get(User, ids["actor_id"] or ids["user_id"])

    def new(user: User):
        return services.register(site, user, guest_name="张先生", guest_phone="13812345678", channel="onsite",
                                 topic="waiting", said="等了很久没人接待")

    own = new(me)
    with write_tx():
        event_id = db.session.scalar(select(ComplaintEvent.id).where(ComplaintEvent.complaint_id == own.id))
        photo = ComplaintPhoto(complaint_id=own.id, event_id=event_id, name="matrix-missing.jpg")
        db.session.add(photo)
    at = []
    for n in range(5):  # at[n] goes n + 2 steps further than registered
        c = services.judge(site, boss, new(boss), "1", "属实")
        c = services.add_note(site, boss, c, "调看监控")
        if n >= 1:
            c = services.propose(site, boss, services.finish_investigation(site, boss, c), "致歉并赠饮品")
        if n >= 2:
            remedy = db.session.scalar(select(ComplaintRemedy.id).where(ComplaintRemedy.complaint_id == c.id))
            c = services.choose(site, boss, c, str(remedy))
        if n >= 3:
            c = services.carry_out(site, boss, c, "已当面致歉", "1", None)
        if n >= 4:
            c = services.review(site, boss, c, "前台离岗", "concierge", "离岗须替岗")
        at.append(c)
    return {"complaint_id": own.id, "cp_photo_id": photo.id, "cp_judged_id": at[0].id, "cp_remedies_id": at[1].id,
            "cp_remedy_id": db.session.scalar(select(ComplaintRemedy.id)
                                              .where(ComplaintRemedy.complaint_id == at[1].id)),
            "cp_chosen_id": at[2].id, "cp_carried_id": at[3].id,
            "follow_up_id": db.session.scalar(select(FollowUp.id).where(FollowUp.complaint_id == at[4].id))}
