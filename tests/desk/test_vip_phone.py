"""VIP phones on the desk log: numbers are kept as their digits (fields.phone), so a caller whose number the manager
marked VIP is recognised however either was typed; the card shows ★ VIP and the note on the log, on the today screen
of the person it is for and in the done card; a retired notice, another site's notice, a notice without a phone and
a message without one never match; each message is one card."""
import re

import pytest
from sqlalchemy import select

from hospitality import clock, fields
from hospitality.database import write_tx
from hospitality.desk import services
from hospitality.errors import RuleError
from hospitality.extensions import db
from hospitality.guests import services as guests
from hospitality.models import Site, User
from hospitality.models.guests import VipNotice
from hospitality.models.messages import DeskMessage
from tests.factories import at, make_user, site_of, who
from tests.harness import HX, count_rows, counting, login

NOW = at(2026, 12, 7, 10, 0)  # a Monday morning at a Shanghai site
NOTE = "王总，请到贵宾室"
VIP_MARK = "★ VIP"


@pytest.fixture
def frozen():
    with clock.travel_to(NOW, frozen=True):
        yield


def vip(app, env, *, phone="138 1234 5678", plate=None, note=NOTE, site_id=None, active=True) -> int:
    """A VIP notice the manager saves (of this site unless told), the phone as the manager typed it."""
    with app.test_request_context():
        site = db.session.get(Site, site_id or env.site)
        boss = who(env, "manager") if site_id is None else make_user(site_id, "manager")
        return guests.save_vip(site, db.session.get(User, boss.id), plate=plate, phone=phone, note=note,
                               active=active).id


def taken(app, env, **over) -> int:
    """A call the front desk takes for the water bar, the caller's number as the front desk typed it."""
    args = {"kind": "call", "caller_name": "王先生", "caller_phone": "138-1234-5678",
            "for_whom": f"user-{env.users['water_bar']}", "text": "请回电，关于明天的茶歇"} | over
    with app.test_request_context():
        return services.take(site_of(env), who(env, "concierge"), **args).id


def cards(html: str) -> dict[int, str]:
    """The message cards of a page by message id (a message listed twice fails here)."""
    found = re.findall(r'<li class="task desk-msg[^"]*" data-id="(\d+)">(.*?)</li>', html, re.S)
    ids = [int(i) for i, _body in found]
    assert len(ids) == len(set(ids)), f"a message shown twice: {ids}"
    return {int(i): body for i, body in found}


@pytest.mark.parametrize("raw, digits", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
    (" 138 1234-5678 ", "13812345678"), ("+86 138 1234 5678", "+8613812345678"), ("021-6123 4567", "02161234567"),
    ("", None), ("   ", None), (None, None),
])
def test_a_phone_is_kept_as_its_digits(ctx, raw, digits):
    """Spaces and dashes are dropped, a leading + kept; nothing typed is None."""
    assert fields.phone(raw, "phone") == digits


@pytest.mark.parametrize("raw", ["打我电话", "12345", "138*1234*5678", "++8613812345678", "1381234567890123456789"])
def test_a_wrong_phone_is_refused_under_its_field(ctx, raw):
    """Letters, too few or too many digits, other signs: refused under the field named."""
    with pytest.raises(RuleError) as e:
        fields.phone(raw, "caller_phone")
    assert e.value.field == "caller_phone"


@pytest.mark.parametrize("raw, masked", [("13812345678", "138****5678"), ("138-1234-5678", "138****5678"),
                                         ("1234567", "****"), ("", ""), (None, "")])
def test_mask_phone(raw, masked):
    """Enough to tell two numbers apart, not enough to call."""
    assert fields.mask_phone(raw) == masked


def test_the_desk_and_the_vip_notice_store_the_digits(app, env):
    """The front desk typed dashes, the manager spaces: both are stored as 13812345678."""
    vip_id, message_id = vip(app, env), taken(app, env)
    with app.app_context():
        assert db.session.get(VipNotice, vip_id).phone == "13812345678"
        assert db.session.get(DeskMessage, message_id).caller_phone == "13812345678"


def test_a_vip_callers_card_shows_the_mark_and_the_note_on_the_log(app, env, frozen):
    """The log's card of the VIP's call carries ★ VIP and the note; another caller's card neither."""
    vip(app, env)
    theirs = taken(app, env)
    other = taken(app, env, caller_name="赵女士", caller_phone="13900001111")
    for post in ("concierge", "lead", "manager"):
        shown = cards(login(app, env.names[post]).get("/desk/").text)
        assert VIP_MARK in shown[theirs] and NOTE in shown[theirs], post
        assert VIP_MARK not in shown[other] and NOTE not in shown[other], post


def test_security_reads_the_mark_with_the_number_masked(app, env, frozen):
    """Security's log: ★ VIP and the note, the number still 138****5678."""
    vip(app, env)
    message_id = taken(app, env)
    card = cards(login(app, env.names["security"]).get("/desk/").text)[message_id]
    assert VIP_MARK in card and NOTE in card
    assert "138****5678" in card and "13812345678" not in card


def test_the_person_it_is_for_reads_the_mark_and_the_done_card_keeps_it(app, env, frozen):
    """The water bar's today screen carries the VIP's message with the mark and the note; its done card (htmx) too;
    the done message stays marked on the day's log."""
    vip(app, env)
    message_id = taken(app, env)
    bar = login(app, env.names["water_bar"])
    card = cards(bar.get("/").text)[message_id]
    assert VIP_MARK in card and NOTE in card
    r = bar.post(f"/desk/{message_id}/done", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text
    done = cards(r.text)[message_id]
    assert VIP_MARK in done and NOTE in done
    day = cards(login(app, env.names["concierge"]).get("/desk/").text)[message_id]
    assert VIP_MARK in day


def test_a_retired_notice_marks_no_call(app, env, frozen):
    """The manager retired the notice: the caller's card is plain."""
    vip(app, env, active=False)
    message_id = taken(app, env)
    card = cards(login(app, env.names["concierge"]).get("/desk/").text)[message_id]
    assert VIP_MARK not in card and NOTE not in card


def test_another_sites_vip_marks_no_call_here(app, env, frozen):
    """The same number is a VIP of another site: this site's card is plain."""
    vip(app, env, site_id=env.other, note="外站贵宾")
    message_id = taken(app, env)
    card = cards(login(app, env.names["concierge"]).get("/desk/").text)[message_id]
    assert VIP_MARK not in card and "外站贵宾" not in card


def test_no_number_on_either_side_is_no_match(app, env, frozen):
    """A VIP known by plate only, and a visitor who left no number: the visitor's card is plain."""
    vip(app, env, phone="", plate="粤B88888")
    message_id = taken(app, env, kind="visitor", caller_phone="")
    card = cards(login(app, env.names["concierge"]).get("/desk/").text)[message_id]
    assert VIP_MARK not in card and NOTE not in card


def test_a_number_on_two_vip_notices_is_still_one_card(app, env, frozen):
    """A VIP with two cars has two notices with the same phone: the caller's message is one card on the log and on
    the today screen, not one per notice."""
    vip(app, env, plate="粤B88888")
    vip(app, env, plate="粤B99999", note="王总的第二辆车")
    message_id = taken(app, env)
    log = cards(login(app, env.names["concierge"]).get("/desk/").text)
    assert list(log) == [message_id] and VIP_MARK in log[message_id]
    today = cards(login(app, env.names["water_bar"]).get("/").text)
    assert list(today) == [message_id]


def test_the_logs_statements_do_not_grow_with_vip_notices(app, env, frozen):
    """The log reads in as many statements with one VIP caller as with six VIP callers among its messages."""
    desk = login(app, env.names["concierge"])

    def statements() -> int:
        with counting(app) as seen:
            assert desk.get("/desk/").status_code == 200
        return len(seen)
    vip(app, env, phone="13800000000")
    taken(app, env, caller_phone="13800000000")
    few = statements()
    for n in range(1, 6):
        vip(app, env, phone=f"1380000000{n}", note=f"贵宾{n}")
        taken(app, env, caller_phone=f"1380000000{n}")
    assert statements() == few
    html = desk.get("/desk/").text
    assert html.count(VIP_MARK) == 6 and all(f"贵宾{n}" in html for n in range(1, 6))
    assert count_rows(DeskMessage, app=app) == 6


def test_a_notice_changed_to_the_callers_number_marks_the_call(app, env, frozen):
    """The manager adds the phone to a plate's notice afterwards: the open message is marked from then on."""
    vip_id = vip(app, env, phone="", plate="粤B88888")
    message_id = taken(app, env)
    assert VIP_MARK not in cards(login(app, env.names["concierge"]).get("/desk/").text)[message_id]
    with app.test_request_context():
        notice = db.session.get(VipNotice, vip_id)
        guests.save_vip(site_of(env), who(env, "manager"), plate="粤B88888", phone="13812345678", note=NOTE,
                        vip=notice)
    assert VIP_MARK in cards(login(app, env.names["concierge"]).get("/desk/").text)[message_id]
    with app.app_context(), write_tx():
        assert db.session.scalar(select(VipNotice.phone).where(VipNotice.id == vip_id)) == "13812345678"
