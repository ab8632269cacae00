"""Desk pages: the form (422 under the fields, nothing saved; a double tap once), the log (open ones, a day's,
overdue call-backs flagged, the number masked for security), the card on the today screen of the person it is for,
done in one tap (htmx answers with the card), other people's and other sites' messages refused."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.desk import services
from hospitality.extensions import db
from hospitality.models.messages import DeskMessage
from tests.factories import at, site_of, who
from tests.harness import HX, count_rows, counting, login, snapshot, text

NOW = at(2026, 12, 7, 10, 0)


@pytest.fixture
def frozen():
    with clock.travel_to(NOW, frozen=True):
        yield


def form(env, **over) -> dict:
    return {"kind": "call", "caller_name": "李先生", "caller_phone": "13812345678",
            "for_whom": f"user-{env.users['water_bar']}", "text": "请回电，关于明天的茶歇",
            "call_back_time": "15:30", "call_back_day": "", "idem": "deskform0001"} | over


def taken(app, env, by="concierge", **over) -> int:
    """A message taken through the service (the route's own tests post the form)."""
    args = {"kind": "call", "caller_name": "李先生", "caller_phone": "13812345678",
            "for_whom": f"user-{env.users['water_bar']}", "text": "请回电，关于明天的茶歇"} | over
    with app.test_request_context():
        return services.take(site_of(env), who(env, by), **args).id


def done_at(app, message_id: int):
    with app.app_context():
        return db.session.get(DeskMessage, message_id).done_at


def test_the_form_offers_kinds_people_with_their_posts_and_reps(app, env):
    """The front desk's form: call/message/visitor, each person of the site with their post, the sales reps, and
    not another site's people or reps."""
    html = login(app, env.names["concierge"]).get("/desk/new").text
    for word in ("Phone call", "Message left", "Visitor", "Water bar", "Manager"):
        assert text(app, word) in html
    assert f'value="user-{env.users["water_bar"]}"' in html and f'value="rep-{env.rep}"' in html
    assert "王顾问" in html and "外站顾问" not in html and f'value="user-{env.other_desk}"' not in html
    assert 'value="call" checked' in html


def test_taking_a_message_goes_to_the_log_and_a_double_tap_counts_once(app, env, frozen):
    """Posting the form records the message and shows the log with it; the same form again adds nothing."""
    desk = login(app, env.names["concierge"])
    r = desk.post("/desk/new", data=form(env))
    assert r.status_code == 302 and r.headers["Location"] == "/desk/"
    assert desk.post("/desk/new", data=form(env)).status_code == 302
    assert count_rows(DeskMessage, app=app) == 1
    page = desk.get("/desk/").text
    assert text(app, "Message taken: it is on their today screen.") in page
    assert "请回电，关于明天的茶歇" in page and "13812345678" in page
    assert text(app, "Call back by %(time)s", time="今天 15:30") in page  # today at the site (NOW)


@pytest.mark.parametrize("over, field, message", [
    ({"for_whom": ""}, "for_whom", "Choose who it is for."),
    ({"text": ""}, "text", "Write the message."),
    ({"caller_name": "", "caller_phone": ""}, "caller_name", "Say who called or came: a name or a phone number."),
    ({"caller_phone": "", "call_back_time": "16:00"}, "caller_phone", "Give the number to call back."),
    ({"call_back_time": "09:00"}, "call_back_time", "This time has passed: choose a later one."),
    ({"call_back_time": "", "call_back_day": "2026-12-08"}, "call_back_time", "Give the time to call back by."),
])
def test_a_bad_form_is_422_under_its_field_and_nothing_is_saved(app, env, frozen, over, field, message):
    """A missing recipient, text, caller, number or a bad call-back: 422, the message under that field, the values
    kept (and the form's key), nothing saved."""
    desk = login(app, env.names["concierge"])
    r = desk.post("/desk/new", data=form(env, **over))
    assert r.status_code == 422
    assert f'<small class="error" id="{field}-err">{text(app, message)}</small>' in r.text
    assert 'value="deskform0001"' in r.text
    assert ("请回电，关于明天的茶歇" in r.text) is ("text" not in over)
    assert count_rows(DeskMessage, app=app) == 0


def test_the_log_shows_what_is_open_and_what_a_day_had_done(app, env, frozen):
    """Open messages of every day stay at the top until done; below, ?day= shows that day's done ones (today's by
    default, and for a day that is not one)."""
    with clock.travel_to(NOW - timedelta(days=1), frozen=True):
        taken(app, env, text="昨天的留言")
        old_done = taken(app, env, text="昨天办完的")
        with app.test_request_context():
            services.mark_done(site_of(env), who(env, "water_bar"), db.session.get(DeskMessage, old_done))
    today = taken(app, env, text="今天的留言")
    desk = login(app, env.names["concierge"])
    open_part, day_part = desk.get("/desk/").text.split('id="desk-day"')
    assert "昨天的留言" in open_part and "今天的留言" in open_part and "昨天办完的" not in open_part
    assert text(app, "None done from this day.") in day_part and "今天的留言" not in day_part
    yesterday = desk.get("/desk/?day=2026-12-06").text.split('id="desk-day"')[1]
    assert "昨天办完的" in yesterday and "昨天的留言" not in yesterday
    with app.test_request_context():
        services.mark_done(site_of(env), who(env, "concierge"), db.session.get(DeskMessage, today))
    open_part, day_part = desk.get("/desk/?day=nonsense").text.split('id="desk-day"')
    assert "今天的留言" in day_part and "今天的留言" not in open_part and "昨天的留言" in open_part


def test_an_overdue_call_back_is_flagged_in_the_log(app, env, frozen):
    """Past the promised time the open message is flagged; one done in time is not."""
    late = taken(app, env, call_back_time="10:30", text="要回电的")
    desk = login(app, env.names["concierge"])
    flag = text(app, "Call-back overdue")
    assert flag not in desk.get("/desk/").text
    with clock.travel_to(NOW + timedelta(minutes=31), frozen=True):
        page = desk.get("/desk/").text
        assert page.count(flag) == 1
        assert 'class="task desk-msg overdue"' in page
        with app.test_request_context():
            services.mark_done(site_of(env), who(env, "water_bar"), db.session.get(DeskMessage, late))
        assert flag not in desk.get("/desk/").text


def test_the_callers_number_is_masked_for_security_only(app, env, frozen):
    """The front desk, the lead and the manager read the whole number in the log; security 138****5678."""
    taken(app, env)
    for post in ("concierge", "lead", "manager"):
        page = login(app, env.names[post]).get("/desk/").text
        assert "13812345678" in page, post
    page = login(app, env.names["security"]).get("/desk/").text
    assert "138****5678" in page and "13812345678" not in page
    assert "msg-done" not in page  # security reads the log, it does not mark others' messages done


def test_the_person_it_is_for_sees_it_on_the_today_screen_and_taps_done(app, env, frozen):
    """The water bar's today screen carries its open message (the number whole); one tap answers with the card
    done (htmx), and the section is gone on the next load; the model room's screen never had it."""
    message_id = taken(app, env, call_back_time="15:30")
    bar = login(app, env.names["water_bar"])
    page = bar.get("/").text
    assert text(app, "Messages for you") in page and "请回电，关于明天的茶歇" in page and "13812345678" in page
    assert 'hx-target="closest li"' in page
    assert text(app, "Messages for you") not in login(app, env.names["model_room"]).get("/").text
    r = bar.post(f"/desk/{message_id}/done", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'class="task desk-msg done"' in r.text
    assert "msg-done" not in r.text and text(app, "Done") in r.text
    first = done_at(app, message_id)
    assert first is not None
    assert bar.post(f"/desk/{message_id}/done", headers=HX).status_code == 200  # a second tap
    assert done_at(app, message_id) == first
    assert text(app, "Messages for you") not in bar.get("/").text


def test_the_lead_sees_messages_for_the_lead_on_the_today_screen(app, env, frozen):
    """The lead's (and the manager's) today screen has the section too."""
    taken(app, env, for_whom=f"user-{env.users['lead']}", text="总部来电找领班")
    page = login(app, env.names["lead"]).get("/").text
    assert text(app, "Messages for you") in page and "总部来电找领班" in page


def test_done_without_htmx_goes_back_to_the_log_or_the_today_screen(app, env, frozen):
    """From the log (back=log) the front desk returns to the log; the water bar without htmx to its today screen."""
    rep_message = taken(app, env, for_whom=f"rep-{env.rep}")
    r = login(app, env.names["concierge"]).post(f"/desk/{rep_message}/done", data={"back": "log"})
    assert r.status_code == 302 and r.headers["Location"] == "/desk/"
    own = taken(app, env)
    r = login(app, env.names["water_bar"]).post(f"/desk/{own}/done", data={"back": "log"})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_someone_elses_message_is_refused_and_nothing_written(app, env, frozen):
    """The model room gets 404 for the water bar's message (it does not exist for them), security 403 (it reads the
    log), and nothing is written."""
    message_id = taken(app, env)
    room, guard = login(app, env.names["model_room"]), login(app, env.names["security"])
    with app.app_context():
        before = snapshot()
    assert room.post(f"/desk/{message_id}/done").status_code == 404
    assert guard.post(f"/desk/{message_id}/done", headers=HX).status_code == 403
    with app.app_context():
        assert snapshot() == before


def test_another_sites_messages_do_not_exist(app, env, frozen):
    """Another site's front desk sees none of this site's messages and gets 404 marking one done."""
    message_id = taken(app, env, text="本站的留言")
    other = login(app, env.other_names["concierge"])
    assert "本站的留言" not in other.get("/desk/").text
    with app.app_context():
        before = snapshot()
    r = other.post(f"/desk/{message_id}/done", data={"back": "log"})
    assert r.status_code == 404
    assert text(app, "Not found. It may belong to another site or have been removed.") in r.text
    with app.app_context():
        assert snapshot() == before
    assert f'value="user-{env.users["water_bar"]}"' not in other.get("/desk/new").text


def test_the_logs_statements_do_not_grow_with_its_messages(app, env, frozen):
    """The log reads in the same number of statements with 2 messages as with 12."""
    desk = login(app, env.names["concierge"])

    def statements() -> int:
        with counting(app) as seen:
            assert desk.get("/desk/").status_code == 200
        return len(seen)
    for _ in range(2):
        taken(app, env, call_back_time="16:00")
    few = statements()
    for _ in range(10):
        taken(app, env, for_whom=f"rep-{env.rep}")
    assert statements() == few
    with app.app_context():
        assert len(db.session.scalars(select(DeskMessage.id)).all()) == 12
