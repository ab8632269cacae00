"""Desk rules: take a message (every field checked, for a person of the site or a sales rep, a call-back time,
a double tap once), mark it done (whose, once), overdue call-backs, and who sees the caller's number whole."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.database import write_tx
from hospitality.desk import reads, services
from hospitality.desk.services import DeskError, DeskErrors
from hospitality.extensions import db
from hospitality.models import AuditLog, Site, User
from hospitality.models.messages import DeskMessage
from tests.factories import at, make_user, site_of, who
from tests.harness import count_rows, in_threads

NOW = at(2026, 12, 7, 10, 0)  # a Monday morning at a Shanghai site


@pytest.fixture
def frozen():
    with clock.travel_to(NOW, frozen=True):
        yield


def take(env, by="concierge", **over) -> DeskMessage:
    args = {"kind": "call", "caller_name": "李先生", "caller_phone": "13812345678",
            "for_whom": f"user-{env.users['water_bar']}", "text": "请回电，关于明天的茶歇"} | over
    return services.take(site_of(env), who(env, by), **args)


def message(message_id: int) -> DeskMessage:
    return db.session.get(DeskMessage, message_id, populate_existing=True)


def test_take_records_the_message_and_an_audit_row_without_the_number(ctx, env, frozen):
    """The front desk takes a call for the water bar: kind, caller, for whom, text, taker, time; audited, the
    caller's number not in the audit trail."""
    m = message(take(env, call_back_time="15:30").id)
    assert (m.kind, m.caller_name, m.caller_phone, m.for_user_id, m.for_rep_id, m.text) == (
        "call", "李先生", "13812345678", env.users["water_bar"], None, "请回电，关于明天的茶歇")
    assert m.taken_by_id == env.users["concierge"] and m.taken_at == clock.utcnow() and m.done_at is None
    assert m.call_back_by == datetime(2026, 12, 7, 7, 30)  # 15:30 in Shanghai, stored as UTC
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "take")).one()
    assert audit.entity_id == m.id and audit.detail["call_back"] is True
    assert "13812345678" not in str(audit.detail) and "李先生" not in str(audit.detail)


def test_a_message_for_a_sales_rep(ctx, env, frozen):
    """A sales rep has no login: the message is for the rep (for_rep_id), no person's."""
    m = message(take(env, by="lead", kind="visitor", for_whom=f"rep-{env.rep}", caller_phone="").id)
    assert (m.kind, m.for_user_id, m.for_rep_id, m.caller_phone) == ("visitor", None, env.rep, None)


def test_every_wrong_field_is_reported_at_once_and_nothing_is_saved(ctx, env, frozen):
    """An unknown kind, a bad number, another site's person, no text, a time that is not one: each its message."""
    with pytest.raises(DeskErrors) as e:
        take(env, kind="fax", caller_phone="call me", for_whom=f"user-{env.other_bar}", text="  ",
             call_back_time="25:99")
    assert set(e.value.errors) == {"kind", "caller_phone", "for_whom", "text", "call_back_time"}
    assert count_rows(DeskMessage) == 0 and count_rows(AuditLog, AuditLog.action == "take") == 0


@pytest.mark.parametrize("for_whom", ["", "user-", "user-abc", "rep-0", "user-99999999999", "someone-1",
                                      "rep-{other_rep}", "user-{other_desk}", "rep-{rep}x"])
def test_for_whom_must_be_a_person_or_rep_of_the_site(ctx, env, frozen, for_whom):
    """Nobody, a malformed pick, an id past any column's range, another site's rep or person: refused."""
    with pytest.raises(DeskErrors) as e:
        take(env, for_whom=for_whom.format(other_rep=env.other_rep, other_desk=env.other_desk, rep=env.rep))
    assert list(e.value.errors) == ["for_whom"]


def test_an_inactive_person_is_not_offered_nor_accepted(ctx, env, frozen):
    """Someone who left is not among the people and a message for them is refused."""
    gone = make_user(env.site, "water_bar", active=False)
    assert gone.id not in {p.id for p in reads.people(env.site)}
    with pytest.raises(DeskErrors):
        take(env, for_whom=f"user-{gone.id}")


def test_a_manager_of_the_site_from_another_site_may_receive_messages(ctx, env, frozen):
    """The people of a site include a manager who manages it, whose own site is another one."""
    boss = make_user(env.other, "manager")
    with write_tx():
        db.session.get(User, boss.id).managed_sites.append(db.session.get(Site, env.site))
    people = reads.people(env.site)
    assert boss.id in {p.id for p in people}
    assert [p.post for p in people][:2] == ["water_bar", "model_room"]  # in the posts' order
    assert message(take(env, for_whom=f"user-{boss.id}").id).for_user_id == boss.id


def test_who_called_needs_a_name_or_a_number_and_a_call_back_needs_the_number(ctx, env, frozen):
    """Neither name nor number: refused under the name; a call-back promised without a number: under the phone."""
    with pytest.raises(DeskErrors) as e:
        take(env, caller_name="", caller_phone="")
    assert list(e.value.errors) == ["caller_name"]
    with pytest.raises(DeskErrors) as e:
        take(env, caller_phone="", call_back_time="16:00")
    assert list(e.value.errors) == ["caller_phone"]
    assert take(env, caller_phone="").caller_phone is None  # a name alone is enough without a call-back


def test_call_back_today_or_on_a_date_within_a_month(ctx, env, frozen):
    """HH:MM is today; with a date, that day; past, more than 31 days ahead, or a date without a time: refused."""
    assert take(env, call_back_time="10:05").call_back_by == datetime(2026, 12, 7, 2, 5)
    assert take(env, call_back_time="09:00", call_back_day="2026-12-08").call_back_by == datetime(2026, 12, 8, 1, 0)
    for day, hm in (("", "09:59"), ("2026-12-06", "18:00"), ("2027-01-08", "10:01"), ("2026-12-08", ""),
                    ("tomorrow", "10:00")):
        with pytest.raises(DeskErrors) as e:
            take(env, call_back_time=hm, call_back_day=day)
        assert list(e.value.errors) == ["call_back_time"], (day, hm)
    assert count_rows(DeskMessage) == 2


def test_posts_that_do_not_take_messages_are_refused(ctx, env):
    """The water bar, the model room and security do not take messages (the rule is the service's too)."""
    for post in ("water_bar", "model_room", "security"):
        with pytest.raises(DeskError):
            take(env, by=post)
    assert count_rows(DeskMessage) == 0


def test_a_double_tap_records_it_once(ctx, env, frozen):
    """The same form posted twice (the same key) is one message."""
    first = take(env, idem_key="desk00000001")
    again = take(env, idem_key="desk00000001", text="另一条")
    assert first.id == again.id and count_rows(DeskMessage) == 1


def test_a_double_tap_racing_itself_records_it_once(app, env):
    """Two posts of one form at the same moment (two threads, one key): one message, both answered with it."""
    def work(_i):
        return take(env, idem_key="deskrace0001", call_back_time="").id
    results, errors = in_threads(app, 2, work, request=True)
    assert not errors and len(set(results)) == 1
    assert count_rows(DeskMessage, app=app) == 1


def test_the_person_it_is_for_marks_it_done_once(ctx, env, frozen):
    """The water bar taps done: who and when recorded; a second tap changes nothing."""
    m = take(env)
    services.mark_done(site_of(env), who(env, "water_bar"), m)
    done = message(m.id)
    assert done.done_by_id == env.users["water_bar"] and done.done_at == clock.utcnow()
    with clock.travel_to(NOW + timedelta(minutes=5), frozen=True):
        services.mark_done(site_of(env), who(env, "concierge"), m)
    assert (message(m.id).done_at, message(m.id).done_by_id) == (done.done_at, env.users["water_bar"])
    assert count_rows(AuditLog, AuditLog.action == "done") == 1


def test_only_the_person_it_is_for_and_the_front_desk_mark_it_done(ctx, env, frozen):
    """The model room and security may not mark the water bar's message done; the front desk, the lead and the
    manager may (a sales rep's message has nobody else to do it)."""
    m = take(env)
    for post in ("model_room", "security"):
        with pytest.raises(DeskError):
            services.mark_done(site_of(env), who(env, post), m)
    assert message(m.id).done_at is None
    for post in ("concierge", "lead", "manager"):
        assert services.may_finish(who(env, post), m)
    rep_message = take(env, for_whom=f"rep-{env.rep}")
    services.mark_done(site_of(env), who(env, "concierge"), rep_message)
    assert message(rep_message.id).done_by_id == env.users["concierge"]


def test_a_call_back_is_overdue_once_its_time_passed_until_done(ctx, env, frozen):
    """Before the promised time: not overdue; after: overdue; done: no longer; none promised: never."""
    m = take(env, call_back_time="11:00")
    assert not services.overdue(message(m.id), clock.utcnow())
    later = clock.utcnow() + timedelta(hours=1, minutes=1)
    assert services.overdue(message(m.id), later)
    assert not services.overdue(message(take(env).id), later)
    services.mark_done(site_of(env), who(env, "water_bar"), m)
    assert not services.overdue(message(m.id), later)


def test_the_number_is_whole_for_those_who_need_it_and_masked_for_the_others(ctx, env, frozen):
    """The person it is for, the front desk, the lead and the manager read 13812345678; security 138****5678."""
    m = message(take(env).id)
    for post in ("water_bar", "concierge", "lead", "manager"):
        assert services.phone_for(who(env, post), m) == "13812345678", post
    for post in ("security", "model_room"):
        assert services.phone_for(who(env, post), m) == "138****5678", post


def test_reads_mine_open_and_day(ctx, env, frozen):
    """A person's open messages (theirs, of this site, not done); the site's open ones, promised call-backs first;
    the ones taken on a day of the site's calendar and done."""
    plain = take(env)
    promised = take(env, call_back_time="12:00")
    for_lead = take(env, for_whom=f"user-{env.users['lead']}")
    done = take(env)
    services.mark_done(site_of(env), who(env, "water_bar"), done)
    assert [r.id for r in reads.mine(env.site, env.users["water_bar"])] == [promised.id, plain.id]
    assert [r.id for r in reads.mine(env.other, env.users["water_bar"])] == []
    assert [r.id for r in reads.open_messages(env.site)] == [promised.id, plain.id, for_lead.id]
    assert reads.open_messages(env.other) == []
    site = site_of(env)
    assert [r.id for r in reads.day_done(site, site.today())] == [done.id]
    assert reads.day_done(site, site.today() - timedelta(days=1)) == []
    row = reads.message(env.site, for_lead.id)
    assert (row.for_name, row.for_post, row.taken_by) == (who(env, "lead").name, "lead", who(env, "concierge").name)
    assert reads.message(env.other, for_lead.id) is None
