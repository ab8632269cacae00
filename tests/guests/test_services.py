"""Guest rules: one satisfaction answer per visit (staff's tap or the guests' own), the QR link's token (new after it
expires, refused once answered), the alert an unsatisfied answer raises until handled or made a complaint, the VIP
notices' save rules, and what the reads count."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.extensions import db
from hospitality.guests import reads, services
from hospitality.guests.services import GuestError, GuestErrors, LinkGone
from hospitality.i18n import text
from hospitality.models import AuditLog, Site, Visit, VisitEvent
from hospitality.models.complaints import Complaint
from hospitality.models.guests import FeedbackLink, GuestFeedback, VipNotice
from hospitality.visits import services as visits
from hospitality.visits.reads import live
from tests.factories import make_user, site_of, visit_env, who
from tests.harness import count_rows, in_threads

# A Tuesday morning at a Shanghai site: 10:00 local is 02:00 UTC.
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def env(app):
    return visit_env(app)


def arrive(env, plate=None, size=3) -> Visit:
    return visits.record_arrival(site_of(env), who(env, "security"), size, bool(plate), plate, None)


def tap(env, visit, rating="satisfied", remark=None, post="concierge") -> GuestFeedback:
    return services.staff_feedback(site_of(env), who(env, post), db.session.get(Visit, visit.id), rating, remark)


def token_of(env, visit) -> str:
    return services.link(site_of(env), who(env, "concierge"), db.session.get(Visit, visit.id)).token


def events(visit, kind) -> int:
    return count_rows(VisitEvent, VisitEvent.visit_id == visit.id, VisitEvent.kind == kind)


def fresh(fb) -> GuestFeedback:
    return db.session.get(GuestFeedback, fb.id, populate_existing=True)


def test_staff_tap_records_one_answer_with_its_timeline_row(ctx, env):
    """The concierge taps "satisfied" with a remark: the answer names the post, the visit's timeline and the audit
    trail have a row each."""
    v = arrive(env)
    fb = fresh(tap(env, v, "satisfied", "  很满意  "))
    assert (fb.rating, fb.remark, fb.source, fb.post, fb.recorded_by_id) == (
        "satisfied", "很满意", "staff", "concierge", env.users["concierge"])
    assert events(v, "feedback") == 1
    assert count_rows(AuditLog, AuditLog.action == "feedback", AuditLog.entity_id == v.id) == 1


def test_a_second_answer_is_refused_and_the_first_stands(ctx, env):
    """The model room taps after the concierge: refused, the first answer unchanged, no second timeline row."""
    v = arrive(env)
    tap(env, v, "very_satisfied")
    with pytest.raises(GuestError) as e:
        tap(env, v, "unsatisfied", post="model_room")
    assert e.value.message == text("This group's satisfaction was recorded already.")
    assert [f.rating for f in db.session.scalars(select(GuestFeedback))] == ["very_satisfied"]
    assert events(v, "feedback") == 1


@pytest.mark.parametrize("post", ["water_bar", "security"])
def test_a_post_that_does_not_record_satisfaction_is_refused(ctx, env, post):
    """The water bar and security do not tap satisfaction: refused, nothing written."""
    v = arrive(env)
    with pytest.raises(GuestError) as e:
        tap(env, v, post=post)
    assert e.value.message == text("Your post does not record guests' satisfaction.")
    assert count_rows(GuestFeedback) == 0 and events(v, "feedback") == 0


@pytest.mark.parametrize("post", ["model_room", "lead", "manager"])
def test_the_model_room_and_the_overseers_may_tap(ctx, env, post):
    """Besides the concierge, the model room, the lead and the manager record a group's satisfaction."""
    assert tap(env, arrive(env), "neutral", post=post).post == post


def test_a_wrong_rating_and_a_long_remark_are_reported_together(ctx, env):
    """An unknown rating and 201 characters of remark: both fields refused at once, nothing written; 200 is fine."""
    v = arrive(env)
    with pytest.raises(GuestErrors) as e:
        tap(env, v, "great", "好" * 201)
    assert e.value.errors == {"rating": text("Choose how satisfied the guests were."),
                              "remark": text("At most %(n)s characters.", n=200)}
    assert count_rows(GuestFeedback) == 0
    assert tap(env, v, "unsatisfied", "好" * 200).remark == "好" * 200


def test_the_qr_link_is_kept_while_valid_and_renewed_after_it_expires(ctx, env):
    """Asked twice the same day: one token; after 24 hours unused the next ask gives a new token valid another day,
    and the old one no longer opens the page."""
    v = arrive(env)
    with clock.travel_to(T0, frozen=True):
        first = token_of(env, v)
        assert token_of(env, v) == first
        assert services.open_link(first).visit_id == v.id
        link = db.session.scalar(select(FeedbackLink))
        assert link.expires_at - link.created_at == timedelta(hours=24) and len(first) >= 20
    with clock.travel_to(T0 + timedelta(hours=24, minutes=1), frozen=True):
        with pytest.raises(LinkGone) as e:
            services.open_link(first)
        assert e.value.reason == "expired"
        second = token_of(env, v)
        assert second != first and services.open_link(second).visit_id == v.id
        with pytest.raises(LinkGone) as e:
            services.open_link(first)
        assert e.value.reason == "unknown"
    assert count_rows(FeedbackLink) == 1


def test_no_qr_link_once_the_group_answered(ctx, env):
    """Staff tapped already: asking for the code is refused, no link is made."""
    v = arrive(env)
    tap(env, v)
    with pytest.raises(GuestError):
        token_of(env, v)
    assert count_rows(FeedbackLink) == 0


def test_the_guests_answer_once_through_their_link(ctx, env):
    """The guests answer: source "guest", nobody recorded it, the link is used; the next answer is refused as used."""
    v = arrive(env)
    token = token_of(env, v)
    fb = fresh(services.guest_answer(token, "unsatisfied", "等太久"))
    assert (fb.source, fb.recorded_by_id, fb.post, fb.remark) == ("guest", None, None, "等太久")
    assert db.session.scalar(select(FeedbackLink.used_at)) is not None
    assert events(v, "feedback") == 1
    with pytest.raises(LinkGone) as e:
        services.guest_answer(token, "very_satisfied", None)
    assert e.value.reason == "used"
    with pytest.raises(LinkGone) as e:
        services.open_link(token)
    assert e.value.reason == "used"
    assert count_rows(GuestFeedback) == 1 and fresh(fb).rating == "unsatisfied"


def test_the_guests_link_after_staff_tapped_is_answered_already(ctx, env):
    """The code was shown, then staff tapped anyway: the guests' answer is refused as answered, staff's stands."""
    v = arrive(env)
    token = token_of(env, v)
    tap(env, v, "satisfied")
    with pytest.raises(LinkGone) as e:
        services.guest_answer(token, "unsatisfied", None)
    assert e.value.reason == "used"
    assert [f.source for f in db.session.scalars(select(GuestFeedback))] == ["staff"]


def test_unknown_and_odd_tokens_do_not_open(ctx, env):
    """An unknown, an empty and an over-long token are all "unknown"."""
    token_of(env, arrive(env))
    for token in ("nope", "", "x" * 33, "x" * 5000):
        with pytest.raises(LinkGone) as e:
            services.open_link(token)
        assert e.value.reason == "unknown"


def test_a_bad_rating_from_the_guests_leaves_the_link_open(ctx, env):
    """No rating picked: refused under the rating, the link still answers."""
    v = arrive(env)
    token = token_of(env, v)
    with pytest.raises(GuestErrors) as e:
        services.guest_answer(token, None, "x")
    assert set(e.value.errors) == {"rating"}
    assert db.session.scalar(select(FeedbackLink.used_at)) is None
    assert services.guest_answer(token, "satisfied", None).source == "guest"


def test_staff_and_guests_answering_at_once_record_one_answer(app, env):
    """Staff tap while the guests send theirs: exactly one answer and one timeline row; the other is refused."""
    with app.test_request_context():
        v = arrive(env)
        token = token_of(env, v)

    def work(i):
        if i == 0:
            return tap(env, v, "satisfied").id
        return services.guest_answer(token, "unsatisfied", None).id

    results, errors = in_threads(app, 2, work, request=True)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], GuestError)
    assert count_rows(GuestFeedback, app=app) == 1
    with app.app_context():
        assert events(v, "feedback") == 1


def test_an_unsatisfied_answer_alerts_the_lead_and_the_manager_until_handled(ctx, env):
    """The live element's version moves with the answer; its unsatisfied count is 1 for the lead and the manager, 0
    for the water bar; handled, it is 0 again, the version moves again, and a second tap changes nothing."""
    site = site_of(env)
    v = arrive(env)
    before = live.live_state(site, "lead").version
    fb = tap(env, v, "unsatisfied", "茶水太慢")
    assert live.live_state(site, "lead").version > before
    assert [live.live_state(site, p).unsatisfied for p in ("lead", "manager", "water_bar")] == [1, 1, 0]
    assert [a.remark for a in reads.alerts(site.id)] == ["茶水太慢"]
    at = live.live_state(site, "manager").version
    services.handle(site, who(env, "lead"), fresh(fb))
    assert fresh(fb).handled_by_id == env.users["lead"] and fresh(fb).handled_at is not None
    assert live.live_state(site, "manager").version > at and live.live_state(site, "manager").unsatisfied == 0
    assert reads.alerts(site.id) == []
    services.handle(site, who(env, "manager"), fresh(fb))
    assert fresh(fb).handled_by_id == env.users["lead"] and events(v, "feedback_handled") == 1


def test_a_satisfied_answer_raises_no_alert_and_needs_no_handling(ctx, env):
    """"So-so" is not an alert; handling it or making it a complaint is refused."""
    site = site_of(env)
    fb = tap(env, arrive(env), "neutral", "一般")
    assert live.live_state(site, "lead").unsatisfied == 0 and reads.alerts(site.id) == []
    for action in (services.handle, services.to_complaint):
        with pytest.raises(GuestError) as e:
            action(site, who(env, "manager"), fresh(fb))
        assert e.value.message == text("Only an unsatisfied answer needs handling.")
    assert count_rows(Complaint) == 0


def test_an_unsatisfied_answer_becomes_a_complaint_about_the_visit(ctx, env):
    """Made a complaint: it is about the visit, says the guests' remark, the answer points to it and is handled; a
    second tap finds the same complaint."""
    site = site_of(env)
    v = arrive(env)
    token = token_of(env, v)
    fb = services.guest_answer(token, "unsatisfied", "没人接待")
    c = services.to_complaint(site, who(env, "manager"), fresh(fb))
    assert (c.visit_id, c.said, c.step, c.channel) == (v.id, "没人接待", 1, "message")
    assert fresh(fb).complaint_id == c.id and fresh(fb).handled_at is not None
    assert live.live_state(site, "lead").unsatisfied == 0
    assert services.to_complaint(site, who(env, "lead"), fresh(fb)).id == c.id
    assert count_rows(Complaint) == 1 and events(v, "feedback_handled") == 1


def test_a_complaint_from_a_tap_without_remark_says_the_rating(ctx, env):
    """Staff tapped "unsatisfied" without a remark: the complaint says "Unsatisfied", taken on site."""
    fb = tap(env, arrive(env), "unsatisfied")
    c = services.to_complaint(site_of(env), who(env, "lead"), fresh(fb))
    assert (c.said, c.channel) == (text("Unsatisfied"), "onsite")


def vip(env, vip_=None, **form):
    data = {"plate": None, "phone": None, "note": "王总，带到贵宾室"} | form
    return services.save_vip(site_of(env), who(env, "manager"), vip=vip_, **data)


def test_a_vip_needs_a_plate_or_a_phone_and_a_note(ctx, env):
    """Neither plate nor phone: refused under the plate; no note: refused under the note; a phone alone is enough."""
    with pytest.raises(GuestErrors) as e:
        vip(env, plate="  ", phone="")
    assert e.value.errors == {"plate": text("Give a plate or a phone number.")}
    with pytest.raises(GuestErrors) as e:
        vip(env, plate="粤B12345", note=" ")
    assert e.value.errors == {"note": text("Write how to greet them.")}
    assert count_rows(VipNotice) == 0
    assert (vip(env, phone="13900001111").phone, count_rows(VipNotice)) == ("13900001111", 1)


def test_a_vip_plate_is_normalised_and_a_wrong_one_refused(ctx, env):
    """"粤b·12345" is saved as 粤B12345; a plate with an O and a phone of letters are refused under their fields."""
    assert vip(env, plate="粤b·12345").plate == "粤B12345"
    with pytest.raises(GuestErrors) as e:
        vip(env, plate="粤BO1234", phone="call me")
    assert set(e.value.errors) == {"plate", "phone"}
    assert count_rows(VipNotice) == 1


def test_a_plate_has_one_notice_retired_ones_come_back(ctx, env):
    """A second notice for the same plate is refused; retired, the plate's notice is gone from the gate's lookup,
    and adding it again brings the same row back with the new note."""
    site = site_of(env)
    first = vip(env, plate="粤B12345")
    assert reads.vip_note(site.id, "粤B12345") == "王总，带到贵宾室"
    with pytest.raises(GuestErrors) as e:
        vip(env, plate="粤 B12345", note="另一个")
    assert e.value.errors == {"plate": text("This plate has a VIP notice already.")}
    vip(env, db.session.get(VipNotice, first.id), plate="粤B12345", active=False)
    assert reads.vip_note(site.id, "粤B12345") is None
    again = vip(env, plate="粤B12345", note="李总，泡好茶")
    assert again.id == first.id and again.active and reads.vip_note(site.id, "粤B12345") == "李总，泡好茶"
    assert count_rows(VipNotice) == 1


def test_a_notice_cannot_take_another_notices_plate(ctx, env):
    """Editing a notice to a plate another one holds (even retired) is refused; its own plate is fine."""
    a = vip(env, plate="粤B12345")
    b = vip(env, plate="粤B54321", note="张总")
    vip(env, db.session.get(VipNotice, a.id), plate="粤B12345", active=False)
    with pytest.raises(GuestErrors) as e:
        vip(env, db.session.get(VipNotice, b.id), plate="粤B12345", note="张总")
    assert set(e.value.errors) == {"plate"}
    assert vip(env, db.session.get(VipNotice, b.id), plate="粤B54321", note="张总，VIP").note == "张总，VIP"


def test_vip_plates_are_per_site(ctx, env):
    """Another site may mark the same plate; each site's lookup reads its own note."""
    vip(env, plate="粤B12345")
    theirs = make_user(env.other, "manager")
    services.save_vip(db.session.get(Site, env.other), theirs, plate="粤B12345", phone=None,
                      note="外站的贵宾")
    assert reads.vip_note(env.site, "粤B12345") == "王总，带到贵宾室"
    assert reads.vip_note(env.other, "粤B12345") == "外站的贵宾"


def test_satisfaction_counts_per_rep_post_day_and_keeps_remarks(ctx, env):
    """Three answers on two days: per rep (greeted by 王顾问 or nobody), per post ("guest" for the guests' own), per
    day, the share satisfied, and the remarks newest first."""
    site = site_of(env)
    with clock.travel_to(T0, frozen=True):
        greeted = visits.greet(site, who(env, "concierge"), arrive(env), "first", env.rep)
        tap(env, greeted, "very_satisfied", "很好")
    with clock.travel_to(T0 + timedelta(hours=1), frozen=True):
        services.guest_answer(token_of(env, arrive(env)), "unsatisfied", "太慢")
    with clock.travel_to(T0 + timedelta(days=1), frozen=True):
        tap(env, arrive(env), "satisfied", post="model_room")
    day = date(2026, 3, 10)
    s = reads.satisfaction(site, day, day + timedelta(days=1))
    assert (s.overall.total, s.overall.satisfied_pct) == (3, 67)
    assert {rep: t.counts for rep, t in s.by_rep.items()} == {
        "王顾问": {"very_satisfied": 1}, "": {"unsatisfied": 1, "satisfied": 1}}
    assert {p: t.total for p, t in s.by_post.items()} == {"concierge": 1, "guest": 1, "model_room": 1}
    assert {d: t.total for d, t in s.by_day.items()} == {day: 2, day + timedelta(days=1): 1}
    assert [r.remark for r in s.remarks] == ["太慢", "很好"]
    assert reads.satisfaction(site, day + timedelta(days=2), day + timedelta(days=3)).overall.total == 0
