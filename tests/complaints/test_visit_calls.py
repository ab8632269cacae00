"""Follow-up calls after a visit the site chooses to follow up: planned once per visit with the number the guests
left (digits kept, required), by the posts that make calls; on the calls list masked for the front desk with an
audited reveal; not reached counts attempts (a double tap once), satisfied closes it, not satisfied closes it and
registers a complaint about the visit; other sites' visits and calls do not exist. And the monthly report's Excel
export is audited."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.complaints import reads, services
from hospitality.complaints.services import ComplaintError, ComplaintErrors
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import AuditLog, Site, User, Visit
from hospitality.models.complaints import Complaint, ComplaintEvent, FollowUp
from hospitality.visits import services as visits
from tests.factories import make_user, site_of, visit_env, who
from tests.harness import HX, count_rows, in_threads, login, shown_when, snapshot, text

# A Tuesday morning at a Shanghai site: 10:00 local is 02:00 UTC; a call planned then is due on Friday 13 March.
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
DUE = date(2026, 3, 13)
NAME, PHONE, MASKED = "李四", "13900001111", "139****1111"
CALLERS = ("concierge", "lead", "manager")


@pytest.fixture
def env(app):
    return visit_env(app)


@pytest.fixture
def frozen():
    with clock.travel_to(T0, frozen=True):
        yield


def arrival(env, site_id=None, guard_id=None) -> Visit:
    """A group of three security recorded at the gate (of this site, unless told)."""
    site = db.session.get(Site, site_id or env.site)
    guard = db.session.get(User, guard_id or env.users["security"])
    return visits.record_arrival(site, guard, 3, True, "粤B24680", None)


def plan(env, visit: Visit, post: str = "concierge", name=NAME, phone=PHONE) -> FollowUp:
    return services.plan_call(site_of(env), who(env, post), db.session.get(Visit, visit.id), name, phone)


def fresh(fu) -> FollowUp:
    return db.session.get(FollowUp, fu if isinstance(fu, int) else fu.id, populate_existing=True)


def call(env, fu, outcome: str, note=None, idem=None, post: str = "concierge") -> FollowUp:
    return services.call(site_of(env), who(env, post), fresh(fu), outcome, note, idem)


def audit(action: str, entity: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action, AuditLog.entity == entity)
                                   .order_by(AuditLog.id)))


# The rules


def test_a_planned_call_is_due_in_three_days_with_the_number_as_digits(ctx, env, frozen):
    """The front desk plans a call after a visit at 10:00 on 10 March: one call due on 13 March, to the name and the
    number typed with spaces and dashes (kept as its digits), by whom, no complaint; audited on the visit."""
    v = arrival(env)
    fu = fresh(plan(env, v, phone="139 0000-1111"))
    assert (fu.site_id, fu.visit_id, fu.complaint_id, fu.guest_name, fu.guest_phone) == (
        env.site, v.id, None, NAME, PHONE)
    assert (fu.due_on, fu.created_by_id, fu.attempts, fu.outcome, fu.done_at) == (
        DUE, env.users["concierge"], 0, None, None)
    [row] = audit("plan_call", "visit")
    assert (row.entity_id, row.site_id, row.user_id) == (v.id, env.site, env.users["concierge"])
    assert PHONE not in str(row.detail) and NAME not in str(row.detail)


def test_a_visit_is_planned_once_and_a_second_tap_finds_the_first(ctx, env, frozen):
    """Planned twice (a double tap, or a colleague with another number): one call, the first number, one audit row;
    another visit has its own call."""
    v = arrival(env)
    first = plan(env, v)
    again = plan(env, v, "lead", name="王五", phone="13700002222")
    assert again.id == first.id and count_rows(FollowUp) == 1
    assert (fresh(first).guest_name, fresh(first).guest_phone) == (NAME, PHONE)
    assert len(audit("plan_call", "visit")) == 1
    assert plan(env, arrival(env)).id != first.id and count_rows(FollowUp) == 2


def test_planning_racing_itself_plans_one_call(app, env):
    """Two taps on the same visit at the same moment: one call."""
    with app.app_context():
        visit_id = arrival(env).id
    _results, errors = in_threads(app, 2, lambda i: services.plan_call(
        site_of(env), who(env, "concierge"), db.session.get(Visit, visit_id), NAME, PHONE).id)
    assert errors == []
    assert count_rows(FollowUp, FollowUp.visit_id == visit_id, app=app) == 1


@pytest.mark.parametrize("name, phone, wrong", [
    (NAME, "", {"guest_phone"}), (NAME, None, {"guest_phone"}), (NAME, "  ", {"guest_phone"}),
    (NAME, "打我电话", {"guest_phone"}), (NAME, "12345", {"guest_phone"}),
    ("李" * 41, "", {"guest_name", "guest_phone"}),
])
def test_a_number_to_call_is_required_and_checked(ctx, env, name, phone, wrong):
    """No number, blanks, letters or too few digits: refused under the phone (a name too long under the name, both
    at once); nothing is written."""
    v = arrival(env)
    with pytest.raises(ComplaintErrors) as e:
        plan(env, v, name=name, phone=phone)
    assert set(e.value.errors) == wrong
    assert count_rows(FollowUp) == 0 and audit("plan_call", "visit") == []


def test_the_name_is_optional(ctx, env):
    """A number without a name is enough."""
    assert fresh(plan(env, arrival(env), name=" ")).guest_name is None


@pytest.mark.parametrize("post", ["water_bar", "model_room", "security"])
def test_posts_that_make_no_calls_cannot_plan_one(ctx, env, post):
    """The water bar, the model room and security are refused; nothing is written."""
    with pytest.raises(ComplaintError):
        plan(env, arrival(env), post)
    assert count_rows(FollowUp) == 0


@pytest.mark.parametrize("post", CALLERS)
def test_the_front_desk_the_lead_and_the_manager_plan_calls(ctx, env, post):
    """Each post that makes follow-up calls plans one, recorded as theirs."""
    assert fresh(plan(env, arrival(env), post)).created_by_id == env.users[post]


def test_the_visits_page_reads_its_call(ctx, env, frozen):
    """visit_call: None before; the due day, not done, no complaint after."""
    v = arrival(env)
    assert reads.visit_call(v.id) is None
    plan(env, v)
    row = reads.visit_call(v.id)
    assert (row.due_on, row.done_at, row.outcome, row.complaint_id) == (DUE, None, None, None)


def test_the_calls_due_list_the_visits_call_with_the_guest_and_the_visit(ctx, env, frozen):
    """due_calls carries a visit's call with its own name and number, the visit's arrival and party size."""
    v = arrival(env)
    fu = plan(env, v)
    [row] = reads.due_calls(env.site)
    assert (row.id, row.visit_id, row.complaint_id, row.guest_name, row.guest_phone, row.visit_party) == (
        fu.id, v.id, None, NAME, PHONE, 3)
    assert row.visit_at == db.session.get(Visit, v.id).arrived_at


def test_not_reached_counts_attempts_and_a_double_tap_counts_once(ctx, env):
    """Not reached twice with one key (a double tap): one attempt; again with another key: two; still due; audited
    on the visit each time; no complaint's timeline is touched."""
    v = arrival(env)
    fu = plan(env, v)
    call(env, fu, "no_answer", None, "vcall0000001")
    call(env, fu, "no_answer", None, "vcall0000001")
    assert (fresh(fu).attempts, fresh(fu).outcome, fresh(fu).done_at) == (1, "no_answer", None)
    call(env, fu, "no_answer", "关机", "vcall0000002")
    assert (fresh(fu).attempts, fresh(fu).note, fresh(fu).done_at) == (2, "关机", None)
    rows = audit("follow_up", "visit")
    assert [(r.entity_id, r.detail["outcome"], r.detail["attempts"]) for r in rows] == [
        (v.id, "no_answer", 1), (v.id, "no_answer", 2)]
    assert count_rows(ComplaintEvent) == 0 and count_rows(Complaint) == 0
    assert [r.id for r in reads.due_calls(env.site)] == [fu.id]


def test_a_satisfied_guest_closes_the_call_and_nothing_more(ctx, env):
    """Reached and satisfied: done by whom, no complaint; off the calls list; a later tap changes nothing."""
    fu = plan(env, arrival(env))
    call(env, fu, "satisfied", "很满意", "vcall0000003", post="lead")
    call(env, fu, "unsatisfied", "不满意", "vcall0000004")
    got = fresh(fu)
    assert (got.outcome, got.attempts, got.done_by_id, got.complaint_id) == ("satisfied", 1, env.users["lead"], None)
    assert got.done_at is not None and count_rows(Complaint) == 0
    assert reads.due_calls(env.site) == []
    assert reads.visit_call(got.visit_id).outcome == "satisfied"


def test_not_satisfied_needs_what_the_guest_said(ctx, env):
    """Reached, not satisfied, nothing written down: refused under the note; the call stays due, no complaint."""
    fu = plan(env, arrival(env))
    with pytest.raises(ComplaintErrors) as e:
        call(env, fu, "unsatisfied", "  ", "vcall0000005")
    assert set(e.value.errors) == {"note"}
    assert (fresh(fu).attempts, fresh(fu).done_at) == (0, None)
    assert count_rows(Complaint) == 0


def test_a_guest_not_satisfied_becomes_a_complaint_about_the_visit(ctx, env, frozen):
    """Reached, not satisfied: the call is done and a complaint is registered about the visit (by phone, topic
    "other", what the guest said, the call's name and number, by the caller), at step 1 with its deadlines, linked
    from the call; audited as a call and as a registration."""
    v = arrival(env)
    fu = plan(env, v)
    call(env, fu, "unsatisfied", "销售后来一直没联系我", "vcall0000006")
    got = fresh(fu)
    assert got.done_at is not None and got.outcome == "unsatisfied" and got.complaint_id is not None
    c = db.session.get(Complaint, got.complaint_id)
    assert (c.site_id, c.visit_id, c.channel, c.topic, c.said, c.guest_name, c.guest_phone) == (
        env.site, v.id, "phone", "other", "销售后来一直没联系我", NAME, PHONE)
    assert (c.step, c.closed_at, c.registered_by_id, c.idem_key) == (1, None, env.users["concierge"],
                                                                      f"followup{fu.id}")
    assert c.respond_by == (T0 + timedelta(hours=2)).replace(tzinfo=None)
    assert [e.kind for e in db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id))] \
        == ["registered"]
    [call_row] = audit("follow_up", "visit")
    assert (call_row.entity_id, call_row.detail["outcome"]) == (v.id, "unsatisfied")
    assert [r.entity_id for r in audit("register", "complaint")] == [c.id]
    assert reads.visit_call(v.id).complaint_id == c.id


def test_not_satisfied_tapped_twice_registers_one_complaint(ctx, env):
    """The same "not satisfied" sent twice (and once more with another key): one attempt, one complaint."""
    fu = plan(env, arrival(env))
    for idem in ("vcall0000007", "vcall0000007", "vcall0000008"):
        call(env, fu, "unsatisfied", "没人回电", idem)
    assert fresh(fu).attempts == 1 and count_rows(Complaint) == 1


def test_a_call_after_a_missed_one_still_makes_the_complaint(ctx, env):
    """Not reached, then reached and not satisfied: two attempts, one complaint with what the guest said."""
    fu = plan(env, arrival(env))
    call(env, fu, "no_answer", None, "vcall0000009")
    call(env, fu, "unsatisfied", "等太久", "vcall0000010")
    got = fresh(fu)
    assert got.attempts == 2 and db.session.get(Complaint, got.complaint_id).said == "等太久"


def test_the_water_bar_makes_no_visit_calls_and_reveals_no_number(ctx, env):
    """The water bar may not call nor reveal a visit's number: nothing changes, nothing is audited."""
    fu = plan(env, arrival(env))
    with pytest.raises(ComplaintError):
        call(env, fu, "satisfied", None, "vcall0000011", post="water_bar")
    with pytest.raises(ComplaintError):
        services.reveal_call(site_of(env), who(env, "water_bar"), fresh(fu))
    assert (fresh(fu).attempts, fresh(fu).done_at) == (0, None)
    assert audit("reveal_phone", "follow_up") == [] and audit("follow_up", "visit") == []


def test_revealing_a_calls_number_is_audited(ctx, env):
    """The front desk reveals a visit's call number: the digits, and an audit row naming the call and the person;
    a complaint's call reveals the complaint's number."""
    fu = plan(env, arrival(env), phone="139-0000-1111")
    assert services.reveal_call(site_of(env), who(env, "concierge"), fresh(fu)) == PHONE
    [row] = audit("reveal_phone", "follow_up")
    assert (row.entity_id, row.site_id, row.user_id) == (fu.id, env.site, env.users["concierge"])
    c = services.register(site_of(env), who(env, "concierge"), guest_name="张三", guest_phone="13812345678",
                          channel="onsite", topic="waiting", said="等了很久")
    with write_tx():
        db.session.add(FollowUp(site_id=env.site, complaint_id=c.id, due_on=DUE))
    theirs = db.session.scalar(select(FollowUp).where(FollowUp.complaint_id == c.id))
    assert services.reveal_call(site_of(env), who(env, "lead"), theirs) == "13812345678"
    assert len(audit("reveal_phone", "follow_up")) == 2


# The pages


def section(client, visit_id: int) -> str:
    """A visit's satisfaction section as htmx loads it."""
    r = client.get(f"/guests/visits/{visit_id}", headers=HX)
    assert r.status_code == 200
    return r.text


def site_tz(app, env):
    """The site's time zone (the pages show times in it)."""
    with app.app_context():
        return db.session.get(Site, env.site).tz


def visit_id_of(app, env) -> int:
    with app.test_request_context():
        return arrival(env).id


def planned(app, env, visit_id: int, post: str = "concierge") -> int:
    with app.test_request_context():
        return plan(env, db.session.get(Visit, visit_id), post).id


@pytest.mark.parametrize("post", CALLERS)
def test_the_section_offers_the_call_to_the_posts_that_make_calls(app, env, post):
    """The front desk, the lead and the manager read "Call them within three days" with a name, a phone and the
    button; the water bar and security do not."""
    visit_id = visit_id_of(app, env)
    html = section(login(app, env.names[post]), visit_id)
    assert text(app, "Call them within three days") in html and "gf-plan-btn" in html
    assert 'name="guest_phone"' in html and 'name="guest_name"' in html
    assert f'hx-post="/guests/visits/{visit_id}/follow-up"' in html
    for other in ("water_bar", "security"):
        assert "gf-plan-btn" not in section(login(app, env.names[other]), visit_id), other


def test_planning_on_the_page_swaps_the_section_with_the_day_due(app, env):
    """The front desk's tap (htmx) answers with the section: "Follow-up call due" and the day, no form; a second post
    (without htmx: the whole page) plans nothing more; the section read later still says the day."""
    visit_id = visit_id_of(app, env)
    desk = login(app, env.names["concierge"])
    with clock.travel_to(T0):
        r = desk.post(f"/guests/visits/{visit_id}/follow-up", headers=HX,
                      data={"guest_name": NAME, "guest_phone": "139 0000 1111"})
        assert r.status_code == 200 and "<html" not in r.text and '<section id="guest-feedback"' in r.text
        assert text(app, "Follow-up call due %(d)s", d="2026年3月13日 周五") in r.text
        assert "gf-plan-btn" not in r.text
        again = desk.post(f"/guests/visits/{visit_id}/follow-up", data={"guest_name": "王五",
                                                                       "guest_phone": "13700002222"})
    assert again.status_code == 200 and "<html" in again.text
    with app.app_context():
        [fu] = db.session.scalars(select(FollowUp)).all()
        assert (fu.visit_id, fu.guest_phone, fu.due_on) == (visit_id, PHONE, DUE)
    assert text(app, "Follow-up call due %(d)s", d="2026年3月13日 周五") in section(desk, visit_id)


@pytest.mark.parametrize("phone, message", [("", "Give the number to call."),
                                            ("打我电话", "Enter a phone number (digits only).")])
def test_a_missing_or_wrong_number_is_422_under_it_and_nothing_is_saved(app, env, phone, message):
    """No number or letters: 422, the section with the form open, the message under the phone, the name kept;
    nothing saved."""
    visit_id = visit_id_of(app, env)
    r = login(app, env.names["concierge"]).post(f"/guests/visits/{visit_id}/follow-up", headers=HX,
                                                data={"guest_name": NAME, "guest_phone": phone})
    assert r.status_code == 422 and "<html" not in r.text
    assert f'<small class="error" id="guest_phone-err">{text(app, message)}</small>' in r.text
    assert 'aria-describedby="guest_phone-err"' in r.text
    assert '<details class="gf-plan" open>' in r.text and f'value="{NAME}"' in r.text
    assert count_rows(FollowUp, app=app) == 0


@pytest.mark.parametrize("post", ["water_bar", "model_room", "security"])
def test_posts_that_make_no_calls_are_403_and_nothing_is_written(app, env, post):
    """The water bar, the model room and security posting the form: 403, nothing written."""
    visit_id = visit_id_of(app, env)
    r = login(app, env.names[post]).post(f"/guests/visits/{visit_id}/follow-up",
                                         data={"guest_name": NAME, "guest_phone": PHONE})
    assert r.status_code == 403 and count_rows(FollowUp, app=app) == 0


def test_the_calls_list_shows_the_visit_masked_for_the_front_desk(app, env):
    """The front desk's 回访 list: the visit's call titled with its arrival and party size, linked to the visit, the
    name and number masked with a "Show number" button posting to the call's reveal; not overdue yet."""
    visit_id = visit_id_of(app, env)
    fu = planned(app, env, visit_id)
    with app.app_context():
        arrived = db.session.get(Visit, visit_id).arrived_at
    local = shown_when(app, arrived, site_tz(app, env))
    html = login(app, env.names["concierge"]).get("/complaints/follow-ups").text
    assert f'<a href="/visits/{visit_id}">{text(app, "Visit of %(t)s · %(n)s ppl", t=local, n=3)}</a>' in html
    assert "李*" in html and NAME not in html and MASKED in html and PHONE not in html
    assert f'hx-post="/complaints/follow-ups/{fu}/reveal"' in html and f'hx-target="#num-fu{fu}"' in html
    assert text(app, "Show number") in html and "st-missing" not in html


@pytest.mark.parametrize("post", ["lead", "manager"])
def test_the_lead_and_the_manager_read_the_visits_guest_whole(app, env, post):
    """The lead and the manager read the name and a tel: link with the whole number, no "Show number"."""
    planned(app, env, visit_id_of(app, env))
    html = login(app, env.names[post]).get("/complaints/follow-ups").text
    assert NAME in html and f'href="tel:{PHONE}"' in html and MASKED not in html
    assert text(app, "Show number") not in html


def test_show_number_answers_the_number_and_is_audited_a_plain_post_reveals_nothing(app, env):
    """htmx's tap returns the number fragment (tel: link) and writes "reveal_phone" on the call; a plain post goes
    back to the list and writes nothing; the water bar is 403."""
    fu = planned(app, env, visit_id_of(app, env))
    desk = login(app, env.names["concierge"])
    plain = desk.post(f"/complaints/follow-ups/{fu}/reveal")
    assert plain.status_code == 302 and plain.headers["Location"] == "/complaints/follow-ups"
    assert count_rows(AuditLog, AuditLog.action == "reveal_phone", app=app) == 0
    r = desk.post(f"/complaints/follow-ups/{fu}/reveal", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    assert f'<a class="phone-full" href="tel:{PHONE}">{PHONE}</a>' in r.text
    with app.app_context():
        [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal_phone")).all()
        assert (row.entity, row.entity_id, row.user_id, row.site_id) == (
            "follow_up", fu, env.users["concierge"], env.site)
    assert login(app, env.names["water_bar"]).post(f"/complaints/follow-ups/{fu}/reveal",
                                                   headers=HX).status_code == 403
    assert count_rows(AuditLog, AuditLog.action == "reveal_phone", app=app) == 1


def test_recording_the_visits_calls_on_the_list(app, env):
    """Not reached (the same form twice: one attempt), not satisfied without a note (422 under it), then not
    satisfied with what the guest said: off the list, a complaint about the visit the lead finds in 投诉, and the
    visit's section says how the call went."""
    visit_id = visit_id_of(app, env)
    fu = planned(app, env, visit_id)
    desk = login(app, env.names["concierge"])
    for _tap in range(2):
        r = desk.post(f"/complaints/follow-ups/{fu}", data={"outcome": "no_answer", "idem": "vcallroute01"})
        assert r.status_code == 302 and r.headers["Location"] == "/complaints/follow-ups"
    assert text(app, "%(n)s attempts", n=1) in desk.get("/complaints/follow-ups").text
    r = desk.post(f"/complaints/follow-ups/{fu}", data={"outcome": "unsatisfied", "note": "", "idem": "vcallroute02"})
    assert r.status_code == 422 and f'id="note-err">{text(app, "Write what the guest said.")}' in r.text
    assert count_rows(Complaint, app=app) == 0
    assert desk.post(f"/complaints/follow-ups/{fu}", data={
        "outcome": "unsatisfied", "note": "销售一直没回电", "idem": "vcallroute03"}).status_code == 302
    assert text(app, "No calls due.") in desk.get("/complaints/follow-ups").text
    with app.app_context():
        c = db.session.scalars(select(Complaint)).one()
        assert (c.visit_id, c.said, c.channel, c.topic) == (visit_id, "销售一直没回电", "phone", "other")
    listed = login(app, env.names["lead"]).get("/complaints/").text
    assert f'href="/complaints/{c.id}"' in listed and "销售一直没回电" in listed
    html = section(desk, visit_id)
    assert text(app, "Reached: not satisfied") in html and "gf-plan-btn" not in html


def test_another_sites_visit_and_call_are_404_and_nothing_is_written(app, env):
    """This site's manager and front desk planning a call after another site's visit, revealing or recording its
    call: 404 (htmx too), nothing written, nothing audited; its call is not on this site's list."""
    with app.test_request_context():
        theirs = arrival(env, env.other, env.other_guard)
        boss = make_user(env.other, "manager")
        fu = services.plan_call(db.session.get(Site, env.other), db.session.get(User, boss.id), theirs, "外站客人",
                                "13600003333").id
        visit_id = theirs.id
        before = snapshot()
    for post in ("manager", "concierge"):
        me = login(app, env.names[post])
        for url, data in ((f"/guests/visits/{visit_id}/follow-up", {"guest_name": NAME, "guest_phone": PHONE}),
                          (f"/complaints/follow-ups/{fu}/reveal", {}),
                          (f"/complaints/follow-ups/{fu}", {"outcome": "unsatisfied", "note": "x",
                                                            "idem": "vcallother01"})):
            for headers in ({}, HX):
                assert me.post(url, data=data, headers=headers).status_code == 404, (post, url, headers)
        html = me.get("/complaints/follow-ups").text
        assert "外站客人" not in html and "外*" not in html and "136****3333" not in html
    with app.app_context():
        now = snapshot()
    skip = ("login_sessions", "audit_log")
    assert {k: v for k, v in now.items() if k not in skip} == {k: v for k, v in before.items() if k not in skip}
    with app.app_context():
        assert count_rows(AuditLog, AuditLog.action.in_(("reveal_phone", "follow_up"))) == 0


# The export


def test_the_month_reports_excel_is_audited_and_its_page_is_not(app, env):
    """The manager's Excel of March writes one "export" row on "complaints" naming the month and the person; reading
    the report's page writes none."""
    boss = login(app, env.names["manager"])
    assert boss.get("/complaints/report?month=2026-03").status_code == 200
    assert count_rows(AuditLog, AuditLog.action == "export", app=app) == 0
    r = boss.get("/complaints/report?month=2026-03&format=xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    with app.app_context():
        [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
        assert (row.entity, row.entity_id, row.site_id, row.user_id) == ("complaints", None, env.site,
                                                                         env.users["manager"])
        assert row.detail == {"what": "month_report", "month": "2026-03"}
