"""Complaint rules: register (checked, photos, a double tap once), the six steps in their order and by whom, the
founded and unfounded paths, deadlines and what is overdue, the follow-up call, the reveal of a number, masking."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hospitality import clock, fields, photos
from hospitality.complaints import services
from hospitality.complaints.services import ComplaintError, ComplaintErrors
from hospitality.extensions import db
from hospitality.i18n import text
from hospitality.models import AuditLog, Site, User
from hospitality.models.complaints import Complaint, ComplaintEvent, ComplaintPhoto, ComplaintRemedy, FollowUp
from hospitality.visits import services as visits
from tests.factories import Upload, png, site_of, visit_env, who
from tests.harness import count_rows, in_threads

# A Tuesday morning at a Shanghai site: 10:00 local is 02:00 UTC.
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
GUEST = {"guest_name": "张三", "guest_phone": "13812345678", "channel": "onsite", "topic": "waiting",
         "said": "等了二十分钟没人接待"}


@pytest.fixture
def env(app):
    return visit_env(app)


def register(env, post: str = "water_bar", **over) -> Complaint:
    return services.register(site_of(env), who(env, post), **(GUEST | over))


def fresh(c) -> Complaint:
    return db.session.get(Complaint, c if isinstance(c, int) else c.id, populate_existing=True)


def kinds(c) -> list[str]:
    return list(db.session.scalars(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == c.id)
                                   .order_by(ComplaintEvent.id)))


def boss(env):
    return who(env, "manager")


def judged(env, c, founded: str = "1") -> Complaint:
    return services.judge(site_of(env), boss(env), fresh(c), founded, "接待确实迟了")


def investigated(env, c) -> Complaint:
    services.add_note(site_of(env), who(env, "lead"), fresh(c), "监控显示前台离岗", people="前台小李")
    return services.finish_investigation(site_of(env), who(env, "lead"), fresh(c))


def chosen(env, c) -> Complaint:
    services.propose(site_of(env), who(env, "concierge"), fresh(c), "赠送饮品并致歉")
    remedy = db.session.scalar(select(ComplaintRemedy.id).where(ComplaintRemedy.complaint_id == c.id))
    return services.choose(site_of(env), boss(env), fresh(c), str(remedy))


def carried(env, c, confirmed: str = "1", said=None) -> Complaint:
    return services.carry_out(site_of(env), who(env, "concierge"), fresh(c), "已当面致歉并赠送饮品", confirmed, said)


def reviewed(env, c, post: str = "concierge") -> Complaint:
    return services.review(site_of(env), boss(env), fresh(c), "前台离岗无人替岗", post, "离岗须有人替岗")


def closed(env, founded: str = "1") -> Complaint:
    """A complaint taken through every step (founded: all six; unfounded: judged, answered, reviewed)."""
    c = judged(env, register(env), founded)
    if founded == "1":
        c = chosen(env, investigated(env, c))
    return reviewed(env, carried(env, c))


def test_register_records_the_complaint_its_timeline_and_the_audit(ctx, env):
    """The water bar registers what a guest said: who, channel, topic, step 1, a "registered" step and an audit row."""
    c = fresh(register(env))
    assert (c.guest_name, c.guest_phone, c.channel, c.topic, c.said) == ("张三", "13812345678", "onsite", "waiting",
                                                                          "等了二十分钟没人接待")
    assert (c.step, c.founded, c.closed_at, c.registered_by_id) == (1, None, None, env.users["water_bar"])
    assert kinds(c) == ["registered"]
    assert count_rows(AuditLog, AuditLog.action == "register", AuditLog.entity_id == c.id) == 1


def test_every_wrong_field_is_reported_at_once_and_nothing_is_saved(ctx, env):
    """No topic, an unknown channel, nothing said, a phone of letters: each has its message; nothing is written."""
    with pytest.raises(ComplaintErrors) as e:
        register(env, topic="", channel="fax", said="  ", guest_phone="call me")
    assert set(e.value.errors) == {"topic", "channel", "said", "guest_phone"}
    assert count_rows(Complaint) == 0 and count_rows(ComplaintEvent) == 0
    assert count_rows(AuditLog, AuditLog.entity == "complaint") == 0


def test_who_complained_is_required_a_visit_or_a_name_or_a_phone(ctx, env):
    """Neither a visit nor a name nor a phone: refused under the name; any one of the three is enough."""
    with pytest.raises(ComplaintErrors) as e:
        register(env, guest_name="", guest_phone=None)
    assert set(e.value.errors) == {"guest_name"}
    assert count_rows(Complaint) == 0
    assert register(env, guest_name=None, guest_phone="13900001111").guest_name is None
    assert register(env, guest_name="李四", guest_phone="").guest_phone is None
    v = visits.record_arrival(site_of(env), who(env, "security"), 2, False, None, None)
    assert register(env, guest_name=None, guest_phone=None, visit_id=str(v.id)).visit_id == v.id


def test_a_visit_of_another_site_is_refused(ctx, env):
    """A visit of another site cannot be tied to a complaint: refused under its field, nothing saved."""
    theirs = visits.record_arrival(db.session.get(Site, env.other), db.session.get(User, env.other_guard), 2, False,
                                   None, None)
    with pytest.raises(ComplaintErrors) as e:
        register(env, visit_id=str(theirs.id))
    assert set(e.value.errors) == {"visit_id"}
    assert count_rows(Complaint) == 0


def test_a_double_tap_registers_once(ctx, env):
    """The same form sent twice (its key): one complaint, one "registered" step, one audit row."""
    first = register(env, idem_key="cptap0000001")
    again = register(env, idem_key="cptap0000001", said="第二次点")
    assert first.id == again.id
    assert count_rows(Complaint) == 1 and count_rows(ComplaintEvent) == 1
    assert count_rows(AuditLog, AuditLog.action == "register") == 1


def test_concurrent_double_taps_register_one_complaint(app, env):
    """Four requests with the same key at the same moment: one complaint, one step."""
    def work(_i):
        return register(env, "concierge", idem_key="cprace000001").id

    results, errors = in_threads(app, 4, work, request=True)
    assert not errors and len(set(results)) == 1
    assert count_rows(Complaint, app=app) == 1 and count_rows(ComplaintEvent, app=app) == 1


def test_photos_are_stored_with_the_registered_step(ctx, env):
    """Two photos: stored re-encoded as JPEG, each a row of the "registered" step."""
    c = register(env, files=[Upload(png(), "a.png"), Upload(png(), "b.png")])
    rows = db.session.scalars(select(ComplaintPhoto).where(ComplaintPhoto.complaint_id == c.id)).all()
    step = db.session.scalar(select(ComplaintEvent.id).where(ComplaintEvent.complaint_id == c.id))
    assert len(rows) == 2 and {p.event_id for p in rows} == {step}
    assert all((photos.folder(services.PHOTO_KIND) / p.name).exists() for p in rows)


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(ctx, env):
    """A text file among the photos: refused under the photos field, no complaint, no file left behind."""
    folder = photos.folder(services.PHOTO_KIND)
    before = set(folder.iterdir())
    with pytest.raises(ComplaintError) as e:
        register(env, files=[Upload(png(), "ok.png"), Upload(io.BytesIO(b"not an image"), "x.txt")])
    assert e.value.field == "photos"
    assert count_rows(Complaint) == 0 and count_rows(ComplaintPhoto) == 0 and set(folder.iterdir()) == before


def test_more_than_four_photos_are_refused(ctx, env):
    """Five photos at once: refused under the photos field, nothing saved."""
    with pytest.raises(ComplaintErrors) as e:
        register(env, files=[Upload(png(), f"{n}.png") for n in range(5)])
    assert set(e.value.errors) == {"photos"} and count_rows(Complaint) == 0


def test_the_founded_path_runs_all_six_steps_in_order(ctx, env):
    """Judged founded, investigated (a note, then finished), a remedy proposed and chosen, carried out and accepted,
    reviewed: closed, each step a row of the timeline."""
    c = judged(env, register(env))
    assert (fresh(c).step, fresh(c).founded) == (2, True) and fresh(c).judged_at is not None
    c = investigated(env, c)
    assert fresh(c).step == 3
    c = chosen(env, c)
    assert fresh(c).step == 4 and [r.chosen for r in fresh(c).remedies] == [True]
    c = carried(env, c)
    assert (fresh(c).step, fresh(c).guest_confirmed) == (5, True)
    c = fresh(reviewed(env, c))
    assert (c.step, c.cause, c.responsible_post, c.preventive) == (6, "前台离岗无人替岗", "concierge", "离岗须有人替岗")
    assert c.closed_at is not None
    assert kinds(c) == ["registered", "judged", "note", "investigated", "remedy", "chosen", "carried_out", "reviewed"]


def test_the_unfounded_path_goes_from_the_judgement_to_the_reply(ctx, env):
    """Judged unfounded: no investigation (refused), the reply is carried out at once, then the review closes it; a
    responsible post of "none" is stored as none."""
    c = judged(env, register(env), "0")
    with pytest.raises(ComplaintError):
        services.add_note(site_of(env), who(env, "lead"), fresh(c), "查看监控")
    with pytest.raises(ComplaintError):
        services.finish_investigation(site_of(env), who(env, "lead"), fresh(c))
    c = carried(env, c)
    assert fresh(c).step == 5
    c = fresh(reviewed(env, c, post="none"))
    assert (c.step, c.founded, c.responsible_post) == (6, False, None) and c.closed_at is not None
    assert kinds(c) == ["registered", "judged", "carried_out", "reviewed"]


def test_a_step_out_of_turn_is_refused_and_writes_nothing(ctx, env):
    """At each step, the steps that are not next are refused with "not open now", and the timeline is unchanged."""
    s, lead, manager = site_of(env), who(env, "lead"), boss(env)
    c = register(env)
    out_of_turn = {
        1: [lambda c: services.add_note(s, lead, c, "x"), lambda c: services.finish_investigation(s, lead, c),
            lambda c: services.propose(s, lead, c, "x"), lambda c: services.choose(s, manager, c, "1"),
            lambda c: services.carry_out(s, lead, c, "x", "1", None),
            lambda c: services.review(s, manager, c, "x", "none", "x")],
        2: [lambda c: services.judge(s, manager, c, "1", "x"), lambda c: services.propose(s, lead, c, "x"),
            lambda c: services.carry_out(s, lead, c, "x", "1", None),
            lambda c: services.review(s, manager, c, "x", "none", "x")],
        3: [lambda c: services.add_note(s, lead, c, "x"), lambda c: services.carry_out(s, lead, c, "x", "1", None),
            lambda c: services.review(s, manager, c, "x", "none", "x")],
        4: [lambda c: services.propose(s, lead, c, "x"), lambda c: services.review(s, manager, c, "x", "none", "x")],
        5: [lambda c: services.carry_out(s, lead, c, "x", "1", None),
            lambda c: services.judge(s, manager, c, "1", "x")],
    }
    advance = {1: lambda c: judged(env, c), 2: lambda c: investigated(env, c), 3: lambda c: chosen(env, c),
               4: lambda c: carried(env, c), 5: lambda c: reviewed(env, c)}
    for step in range(1, 6):
        assert fresh(c).step == step
        before = kinds(c)
        for act in out_of_turn[step]:
            with pytest.raises(ComplaintError):
                act(fresh(c))
        assert kinds(c) == before and fresh(c).step == step
        c = advance[step](c)
    with pytest.raises(ComplaintError) as e:  # closed: nothing more
        services.judge(s, manager, fresh(c), "1", "x")
    assert e.value.message == text("This complaint is closed.")


def test_finishing_an_investigation_needs_a_note(ctx, env):
    """"Investigation finished" with no note yet is refused; after a note it moves to the remedies."""
    c = judged(env, register(env))
    with pytest.raises(ComplaintError):
        services.finish_investigation(site_of(env), who(env, "lead"), fresh(c))
    assert fresh(c).step == 2
    assert investigated(env, c).step == 3


@pytest.mark.parametrize("post", ["lead", "concierge", "water_bar"])
def test_the_managers_steps_are_refused_to_others(ctx, env, post):
    """Judging, choosing the remedy and the review are the manager's: refused to the lead, the front desk and the
    water bar, and nothing changes."""
    s, person = site_of(env), who(env, post)
    c = register(env)
    with pytest.raises(ComplaintError):
        services.judge(s, person, fresh(c), "1", "我觉得成立")
    assert fresh(c).step == 1
    c = investigated(env, judged(env, c))
    services.propose(s, who(env, "lead"), fresh(c), "致歉")
    remedy = db.session.scalar(select(ComplaintRemedy.id))
    with pytest.raises(ComplaintError):
        services.choose(s, person, fresh(c), str(remedy))
    assert fresh(c).step == 3
    c = carried(env, services.choose(s, boss(env), fresh(c), str(remedy)))
    with pytest.raises(ComplaintError):
        services.review(s, person, fresh(c), "原因", "none", "措施")
    assert fresh(c).step == 5 and fresh(c).closed_at is None


def test_the_water_bar_does_not_investigate_or_carry_out(ctx, env):
    """The work of steps 3 to 5 is the lead's, the manager's and the front desk's: refused to the water bar."""
    s, bar = site_of(env), who(env, "water_bar")
    c = judged(env, register(env))
    with pytest.raises(ComplaintError):
        services.add_note(s, bar, fresh(c), "我看到了")
    c = judged(env, register(env), "0")
    with pytest.raises(ComplaintError):
        services.carry_out(s, bar, fresh(c), "解释过了", "1", None)
    assert count_rows(ComplaintEvent, ComplaintEvent.kind.in_(("note", "carried_out"))) == 0


def test_required_fields_of_each_step_are_field_errors_and_nothing_is_saved(ctx, env):
    """Judge without a choice or reason, a note without text, a remedy without text, a carry-out without what was
    done or the guest's answer, a review without cause, post or prevention: every field named, nothing written."""
    s, lead, manager = site_of(env), who(env, "lead"), boss(env)
    c = register(env)
    with pytest.raises(ComplaintErrors) as e:
        services.judge(s, manager, fresh(c), "maybe", " ")
    assert set(e.value.errors) == {"founded", "reason"}
    c = judged(env, c)
    with pytest.raises(ComplaintErrors) as e:
        services.add_note(s, lead, fresh(c), "", incident_id="999999")
    assert set(e.value.errors) == {"note", "incident_id"}
    c = investigated(env, c)
    with pytest.raises(ComplaintErrors) as e:
        services.propose(s, lead, fresh(c), "  ")
    assert set(e.value.errors) == {"remedy"}
    with pytest.raises(ComplaintError) as e:
        services.choose(s, manager, fresh(c), "999999")
    assert e.value.field == "remedy_id"
    c = chosen(env, c)
    with pytest.raises(ComplaintErrors) as e:
        services.carry_out(s, lead, fresh(c), "", None, None)
    assert set(e.value.errors) == {"done", "confirmed"}
    c = carried(env, c)
    with pytest.raises(ComplaintErrors) as e:
        services.review(s, manager, fresh(c), "", "gardener", "")
    assert set(e.value.errors) == {"cause", "responsible_post", "preventive"}
    assert fresh(c).step == 5 and count_rows(FollowUp) == 0
    assert kinds(c) == ["registered", "judged", "note", "investigated", "remedy", "chosen", "carried_out"]


def test_a_guest_who_does_not_accept_must_be_quoted(ctx, env):
    """Not accepted without what the guest said: refused under that field; with it, recorded as not accepted."""
    c = chosen(env, investigated(env, judged(env, register(env))))
    with pytest.raises(ComplaintErrors) as e:
        carried(env, c, "0", " ")
    assert set(e.value.errors) == {"guest_said"} and fresh(c).step == 4
    c = fresh(carried(env, c, "0", "客户仍要求经理出面"))
    assert (c.step, c.guest_confirmed) == (5, False)
    note = db.session.scalar(select(ComplaintEvent.note).where(ComplaintEvent.kind == "carried_out"))
    assert "客户仍要求经理出面" in note


def test_a_double_tap_on_a_step_records_it_once(ctx, env):
    """The judgement and a note sent twice with the same key: one step each, the second tap does nothing."""
    s, manager, lead = site_of(env), boss(env), who(env, "lead")
    c = register(env)
    services.judge(s, manager, fresh(c), "1", "成立", "cpjudge00001")
    services.judge(s, manager, fresh(c), "1", "成立", "cpjudge00001")
    services.add_note(s, lead, fresh(c), "调监控", idem_key="cpnote000001")
    services.add_note(s, lead, fresh(c), "调监控", idem_key="cpnote000001")
    assert kinds(c) == ["registered", "judged", "note"]
    assert count_rows(AuditLog, AuditLog.action == "judged") == 1


def test_concurrent_double_taps_on_a_step_record_one(app, env):
    """A note sent four times at once with one key: one note, no error."""
    with app.test_request_context():
        c = judged(env, register(env)).id

    def work(_i):
        return services.add_note(site_of(env), who(env, "lead"), fresh(c), "调监控", idem_key="cpnote000002").id

    results, errors = in_threads(app, 4, work, request=True)
    assert not errors and results == [c] * 4
    assert count_rows(ComplaintEvent, ComplaintEvent.kind == "note", app=app) == 1


def test_deadlines_follow_the_sites_settings(ctx, env):
    """Registered with the defaults (2 hours, 7 days); after the manager sets 4 hours and 10 days, new complaints
    take those, the earlier one keeps its own."""
    s = site_of(env)
    assert (s.complaint_respond_hours, s.complaint_close_days) == (2, 7)
    with clock.travel_to(T0, frozen=True):
        first = fresh(register(env))
        services.settings(s, boss(env), "4", "10")
        second = fresh(register(env))
    at = T0.replace(tzinfo=None)
    assert (first.registered_at, first.respond_by, first.close_by) == (at, at + timedelta(hours=2),
                                                                       at + timedelta(days=7))
    assert (second.respond_by, second.close_by) == (at + timedelta(hours=4), at + timedelta(days=10))
    assert (fresh(first).respond_by, fresh(first).close_by) == (at + timedelta(hours=2), at + timedelta(days=7))


def test_bad_settings_are_refused_under_their_fields(ctx, env):
    """0 hours, 73 hours, a word, 61 days: refused under each field; the site keeps its deadlines."""
    s = site_of(env)
    for hours, days in (("0", "61"), ("73", "0"), ("两", "")):
        with pytest.raises(ComplaintErrors) as e:
            services.settings(s, boss(env), hours, days)
        assert set(e.value.errors) == {"respond_hours", "close_days"}
    s = db.session.get(Site, env.site, populate_existing=True)
    assert (s.complaint_respond_hours, s.complaint_close_days) == (2, 7)
    assert count_rows(AuditLog, AuditLog.action == "complaint_settings") == 0


def test_overdue_at_the_right_moments(ctx, env):
    """Not judged within 2 hours: "respond" from 2 hours past; judged, it is on time until 7 days past, then
    "close"; closed, never overdue."""
    with clock.travel_to(T0, frozen=True):
        c = fresh(register(env))
    at = T0.replace(tzinfo=None)
    assert services.overdue(c, at + timedelta(hours=2)) is None
    assert services.overdue(c, at + timedelta(hours=2, seconds=1)) == "respond"
    with clock.travel_to(T0 + timedelta(hours=3), frozen=True):
        c = fresh(judged(env, c))
    assert services.overdue(c, at + timedelta(hours=3)) is None
    assert services.overdue(c, at + timedelta(days=7)) is None
    assert services.overdue(c, at + timedelta(days=7, minutes=1)) == "close"
    c = closed(env)
    assert services.overdue(fresh(c), clock.utcnow() + timedelta(days=30)) is None


def test_a_late_first_response_flags_close_too_when_both_passed(ctx, env):
    """Still at step 1 past both deadlines: the first response is what is flagged (it is the older duty)."""
    with clock.travel_to(T0, frozen=True):
        c = fresh(register(env))
    assert services.overdue(c, T0.replace(tzinfo=None) + timedelta(days=8)) == "respond"


def test_the_review_makes_a_follow_up_call_due_in_three_days(ctx, env):
    """Closing at 10:00 on 10 March (Shanghai): one call due on 13 March, not made yet."""
    with clock.travel_to(T0, frozen=True):
        c = closed(env)
    [fu] = db.session.scalars(select(FollowUp)).all()
    assert (fu.complaint_id, fu.site_id, fu.due_on) == (c.id, env.site, datetime(2026, 3, 13).date())
    assert (fu.attempts, fu.outcome, fu.done_at) == (0, None, None)


def follow_up(c) -> FollowUp:
    return db.session.scalar(select(FollowUp).where(FollowUp.complaint_id == c.id).execution_options(
        populate_existing=True))


def test_no_answer_counts_the_attempts_and_the_call_stays_due(ctx, env):
    """Two calls not answered: 2 attempts, still due; each is a row of the timeline."""
    c = closed(env)
    desk = who(env, "concierge")
    services.call(site_of(env), desk, follow_up(c), "no_answer", None, "cpcall00001")
    services.call(site_of(env), desk, follow_up(c), "no_answer", "关机", "cpcall00002")
    fu = follow_up(c)
    assert (fu.attempts, fu.outcome, fu.done_at) == (2, "no_answer", None)
    assert kinds(c)[-2:] == ["follow_up", "follow_up"] and fresh(c).closed_at is not None


def test_a_double_tap_on_not_reached_counts_one_attempt(ctx, env):
    """"Not reached" sent twice with the same key: one attempt, one row of the timeline, no error."""
    c = closed(env)
    desk = who(env, "concierge")
    services.call(site_of(env), desk, follow_up(c), "no_answer", None, "cpcall00003")
    services.call(site_of(env), desk, follow_up(c), "no_answer", None, "cpcall00003")
    assert follow_up(c).attempts == 1 and kinds(c).count("follow_up") == 1


def test_a_satisfied_guest_closes_the_call(ctx, env):
    """Reached and satisfied: the call is done by whom, the complaint stays closed; a second tap changes nothing."""
    c = closed(env)
    desk = who(env, "concierge")
    services.call(site_of(env), desk, follow_up(c), "satisfied", "满意", "cpcall00004")
    services.call(site_of(env), desk, follow_up(c), "unsatisfied", "不满意", "cpcall00005")
    fu = follow_up(c)
    assert (fu.outcome, fu.attempts, fu.done_by_id) == ("satisfied", 1, env.users["concierge"])
    assert fu.done_at is not None and fresh(c).closed_at is not None and fresh(c).step == 6


def test_an_unsatisfied_guest_reopens_the_complaint(ctx, env):
    """Reached, not satisfied (what they said is required): the call is done, the complaint is open again at step
    2 with a new closing deadline from the site's settings, its remedy no longer chosen, "reopened" on the
    timeline; it is then investigated and closed again, with a new call due."""
    with clock.travel_to(T0, frozen=True):
        c = closed(env)
    with pytest.raises(ComplaintErrors) as e:
        services.call(site_of(env), who(env, "lead"), follow_up(c), "unsatisfied", " ")
    assert set(e.value.errors) == {"note"} and follow_up(c).done_at is None
    with clock.travel_to(T0 + timedelta(days=2), frozen=True):
        services.call(site_of(env), who(env, "lead"), follow_up(c), "unsatisfied", "饮品还是没送到")
    c = fresh(c)
    assert (c.step, c.closed_at, c.founded) == (2, None, True)
    assert c.close_by == (T0 + timedelta(days=9)).replace(tzinfo=None)
    assert [r.chosen for r in c.remedies] == [False]
    assert kinds(c)[-2:] == ["follow_up", "reopened"]
    assert follow_up(c).done_at is not None and follow_up(c).outcome == "unsatisfied"
    reviewed(env, carried(env, chosen(env, services.finish_investigation(site_of(env), who(env, "lead"), c))))
    assert fresh(c).closed_at is not None and count_rows(FollowUp) == 2


def test_a_call_needs_an_outcome_and_the_right_post(ctx, env):
    """No outcome: refused under it; the water bar makes no calls; nothing changes."""
    c = closed(env)
    with pytest.raises(ComplaintErrors) as e:
        services.call(site_of(env), who(env, "concierge"), follow_up(c), "maybe", None)
    assert set(e.value.errors) == {"outcome"}
    with pytest.raises(ComplaintError):
        services.call(site_of(env), who(env, "water_bar"), follow_up(c), "satisfied", None)
    assert follow_up(c).attempts == 0 and "follow_up" not in kinds(c)


def test_reveal_returns_the_number_and_audits_who_saw_it(ctx, env):
    """The front desk reveals a number for a call: the whole number, and an audit row "reveal_phone" naming the
    person; the water bar may not."""
    c = register(env)
    assert services.reveal(site_of(env), who(env, "concierge"), fresh(c)) == "13812345678"
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal_phone")).all()
    assert (row.entity, row.entity_id, row.site_id, row.user_id) == ("complaint", c.id, env.site,
                                                                     env.users["concierge"])
    with pytest.raises(ComplaintError):
        services.reveal(site_of(env), who(env, "water_bar"), fresh(c))
    assert count_rows(AuditLog, AuditLog.action == "reveal_phone") == 1


@pytest.mark.parametrize("phone, masked", [("13812345678", "138****5678"), ("138 1234 5678", "138****5678"),
                                           ("021-5555-1234", "021****1234"), ("1234567", "****"), ("", ""),
                                           (None, "")])
def test_mask_phone(phone, masked):
    """Enough to tell two numbers apart, not enough to call."""
    assert fields.mask_phone(phone) == masked


@pytest.mark.parametrize("name, masked", [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王", "王*"), ("", ""), (None, "")])
def test_mask_name(name, masked):
    """The family name only."""
    assert services.mask_name(name) == masked
