"""Guest pages: a visit's satisfaction section (the staff tap, the QR code), the guests' public page (no login, no
cookie, once, 404/410/422, escaped, limited, rate-limited, never a 500), the unsatisfied alert on the live element
and its handling, VIP notes on the live rows and the gate's plate lookup, the satisfaction figures, other sites' ids,
and the live element's query budget."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, ngettext
from markupsafe import escape
from sqlalchemy import select

from hospitality import clock, create_app
from hospitality.extensions import db, limiter
from hospitality.guests import services
from hospitality.guests.routes import PUBLIC_LIMIT
from hospitality.models import Site, User, Visit, VisitEvent
from hospitality.models.complaints import Complaint
from hospitality.models.core import POSTS
from hospitality.models.guests import RATINGS, SOURCES, FeedbackLink, GuestFeedback, VipNotice
from hospitality.visits import services as visits
from tests.factories import make_user, site_of, visit_env, who
from tests.harness import HX, count_rows, counting, login, snapshot, text
from tests.visits.test_live import queries, version_of

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 at a Shanghai site
SECTION = '<section id="guest-feedback"'


@pytest.fixture
def env(app):
    return visit_env(app)


def arrive(app, env, plate=None) -> int:
    with app.test_request_context():
        return visits.record_arrival(site_of(env), who(env, "security"), 3, bool(plate), plate, None).id


def token_for(app, env, visit_id: int) -> str:
    with app.test_request_context():
        return services.link(site_of(env), who(env, "concierge"), db.session.get(Visit, visit_id)).token


def answered(app, env, visit_id: int, rating="unsatisfied", remark=None) -> int:
    """The guests' own answer through the service (the page is tested on its own)."""
    with app.test_request_context():
        return services.guest_answer(token_for(app, env, visit_id), rating, remark).id


def label(app, lazy) -> str:
    with app.test_request_context(), force_locale("zh_Hans"):
        return str(escape(str(lazy)))


def unsatisfied_line(app, n: int) -> str:
    with app.test_request_context(), force_locale("zh_Hans"):
        return str(escape(ngettext("%(num)s group left unsatisfied", "%(num)s groups left unsatisfied", n)))


def feedback_row(app) -> GuestFeedback:
    with app.app_context():
        return db.session.scalar(select(GuestFeedback))


# A visit's section: the staff tap and the QR code


def test_the_section_offers_the_picks_and_the_code_to_whoever_records_satisfaction(app, env):
    """The concierge's section has the four picks, a remark and the QR button; the water bar's says "not yet"."""
    v = arrive(app, env)
    html = login(app, env.names["concierge"]).get(f"/guests/visits/{v}", headers=HX).text
    assert html.startswith(SECTION)
    assert all(f'value="{r}"' in html for r in RATINGS) and 'name="remark"' in html and "gf-qr-btn" in html
    bar = login(app, env.names["water_bar"]).get(f"/guests/visits/{v}", headers=HX).text
    assert text(app, "Not recorded yet.") in bar and 'name="rating"' not in bar and "gf-qr-btn" not in bar
    page = login(app, env.names["concierge"]).get(f"/guests/visits/{v}")
    assert "<html" in page.text and SECTION in page.text  # a plain GET is the whole page


def test_the_staff_tap_swaps_the_section_and_a_second_is_refused(app, env):
    """The model room taps: the section comes back with the answer; the concierge's later tap is 422 and shows the
    answer that stands."""
    v = arrive(app, env)
    r = login(app, env.names["model_room"]).post(f"/guests/visits/{v}", data={"rating": "very_satisfied",
                                                                             "remark": "讲解清楚"}, headers=HX)
    assert r.status_code == 200 and r.text.startswith(SECTION)
    assert 'class="gf-answer"' in r.text and "讲解清楚" in r.text and label(app, RATINGS["very_satisfied"]) in r.text
    again = login(app, env.names["concierge"]).post(f"/guests/visits/{v}", data={"rating": "unsatisfied"},
                                                    headers=HX)
    assert again.status_code == 422 and again.text.startswith(SECTION)
    assert "讲解清楚" in again.text and 'name="rating"' not in again.text
    fb = feedback_row(app)
    assert (fb.rating, fb.post) == ("very_satisfied", "model_room") and count_rows(GuestFeedback, app=app) == 1


@pytest.mark.parametrize("post", ["water_bar", "security"])
def test_a_post_that_may_not_tap_is_403(app, env, post):
    """The water bar and security cannot post a rating nor ask for the code; nothing is written."""
    v = arrive(app, env)
    phone = login(app, env.names[post])
    assert phone.post(f"/guests/visits/{v}", data={"rating": "satisfied"}, headers=HX).status_code == 403
    assert phone.post(f"/guests/visits/{v}/qr", headers=HX).status_code == 403
    assert count_rows(GuestFeedback, app=app) == 0 and count_rows(FeedbackLink, app=app) == 0


def test_a_missing_rating_and_a_long_remark_are_422_under_their_fields(app, env):
    """No pick and 201 characters: 422, both messages, the remark kept in its field; nothing saved."""
    v = arrive(app, env)
    r = login(app, env.names["concierge"]).post(f"/guests/visits/{v}", data={"remark": "慢" * 201}, headers=HX)
    assert r.status_code == 422
    assert text(app, "Choose how satisfied the guests were.") in r.text
    assert text(app, "At most %(n)s characters.", n=200) in r.text and 'value="' + "慢" * 201 + '"' in r.text
    assert count_rows(GuestFeedback, app=app) == 0


def test_the_qr_code_shows_the_public_url_until_the_group_answers(app, env):
    """The code's fragment holds an SVG and the URL of the public page under it; the URL opens the page; once the
    group has answered, asking again is 409."""
    v = arrive(app, env)
    desk = login(app, env.names["concierge"])
    r = desk.post(f"/guests/visits/{v}/qr", headers=HX)
    assert r.status_code == 200 and r.text.startswith(SECTION) and "<svg" in r.text
    url = re.search(r'<small class="gf-url">([^<]+)</small>', r.text).group(1)
    with app.app_context():
        token = db.session.scalar(select(FeedbackLink.token).where(FeedbackLink.visit_id == v))
    assert url == f"http://localhost/f/{token}"
    assert app.test_client().get(url).status_code == 200
    assert desk.post(f"/guests/visits/{v}/qr", headers=HX).text.count(token) >= 1  # the same code while unused
    answered(app, env, v, "satisfied")
    r = desk.post(f"/guests/visits/{v}/qr", headers=HX)
    assert r.status_code == 409 and text(app, "This group's satisfaction was recorded already.") in r.text
    section = desk.get(f"/guests/visits/{v}", headers=HX).text
    assert label(app, RATINGS["satisfied"]) in section and "gf-qr-btn" not in section


# The guests' public page


def test_the_public_page_answers_once_without_login_or_cookie(app, env):
    """A phone with no session opens the page (no cookie set), sends "unsatisfied" with a remark and reads thanks;
    the answer is the guests' own, with a timeline row; opening or sending again is 410 "answered already"."""
    v = arrive(app, env)
    token = token_for(app, env, v)
    guest = app.test_client()
    r = guest.get(f"/f/{token}")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert text(app, "How satisfied are you with our service today?") in r.text
    assert 'name="csrf_token"' not in r.text and "<script" not in r.text
    r = guest.post(f"/f/{token}", data={"rating": "unsatisfied", "remark": "没人倒水"})
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert text(app, "Thank you!") in r.text
    fb = feedback_row(app)
    assert (fb.visit_id, fb.rating, fb.remark, fb.source, fb.recorded_by_id) == (v, "unsatisfied", "没人倒水", "guest",
                                                                                 None)
    assert count_rows(VisitEvent, VisitEvent.kind == "feedback", app=app) == 1
    for again in (guest.get(f"/f/{token}"), guest.post(f"/f/{token}", data={"rating": "very_satisfied"})):
        assert again.status_code == 410 and "Set-Cookie" not in again.headers
        assert text(app, "Thank you: this group has answered already.") in again.text
    assert count_rows(GuestFeedback, app=app) == 1 and feedback_row(app).rating == "unsatisfied"


def test_an_unknown_link_is_404_and_an_expired_one_410(app, env):
    """A made-up token: 404 with a clear page; a token older than a day: 410 "expired", nothing written."""
    guest = app.test_client()
    r = guest.get("/f/made-up-token")
    assert r.status_code == 404 and text(app, "This link is not valid.") in r.text and "Set-Cookie" not in r.headers
    v = arrive(app, env)
    with clock.travel_to(T0):
        token = token_for(app, env, v)
    with clock.travel_to(T0 + timedelta(hours=24, minutes=1)):
        for r in (guest.get(f"/f/{token}"), guest.post(f"/f/{token}", data={"rating": "satisfied"})):
            assert r.status_code == 410 and text(app, "This link has expired.") in r.text
    assert count_rows(GuestFeedback, app=app) == 0


def test_a_missing_rating_is_422_and_the_remark_comes_back_escaped(app, env):
    """No pick: 422 with the message, the remark kept in the field as text (HTML escaped), the link still open."""
    v = arrive(app, env)
    token = token_for(app, env, v)
    guest = app.test_client()
    remark = '<script>alert(1)</script>"'
    r = guest.post(f"/f/{token}", data={"rating": "excellent", "remark": remark})
    assert r.status_code == 422 and text(app, "Choose how satisfied the guests were.") in r.text
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in r.text
    assert count_rows(GuestFeedback, app=app) == 0
    assert guest.post(f"/f/{token}", data={"rating": "satisfied"}).status_code == 200


def test_a_remark_past_200_characters_is_422_and_200_is_kept(app, env):
    """201 characters: 422 under the remark; 200: saved whole."""
    v = arrive(app, env)
    token = token_for(app, env, v)
    guest = app.test_client()
    r = guest.post(f"/f/{token}", data={"rating": "neutral", "remark": "长" * 201})
    assert r.status_code == 422 and text(app, "At most %(n)s characters.", n=200) in r.text
    assert guest.post(f"/f/{token}", data={"rating": "neutral", "remark": "长" * 200}).status_code == 200
    assert feedback_row(app).remark == "长" * 200


def test_a_remark_with_html_is_shown_as_text_to_staff(app, env):
    """The guests' remark with markup reads as text on the alerts page, the visit's section and the satisfaction
    page."""
    v = arrive(app, env)
    answered(app, env, v, "unsatisfied", '<img src=x onerror="alert(1)">')
    lead = login(app, env.names["lead"])
    for url in ("/guests/alerts", f"/guests/visits/{v}", "/guests/satisfaction"):
        html = lead.get(url).text
        assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html, url


@pytest.mark.parametrize("data", [
    {"rating": "satisfied", "remark": "x" * 2_000_000},  # past the form's memory limit
    {"rating": ["satisfied", "unsatisfied"], "remark": ["a", "b"]},
    {"rating": "\x00\xff", "remark": "\x00\x01\x7f\u202e"},
    {"rating": "satisfied", "remark": b"\xff\xfe\x00binary".decode("latin-1")},
], ids=["huge", "repeated", "control", "binary"])
def test_odd_form_fields_are_never_a_500(app, env, data):
    """Huge, repeated, control and binary fields: an answer or a refusal, never a server error."""
    token = token_for(app, env, arrive(app, env))
    r = app.test_client().post(f"/f/{token}", data=data)
    assert r.status_code in (200, 413, 422), r.status_code
    assert count_rows(GuestFeedback, app=app) == (1 if r.status_code == 200 else 0)


def test_raw_binary_bodies_and_odd_tokens_are_never_a_500(app, env):
    """A binary body of a made-up type, and tokens of odd characters or length: never a server error."""
    token = token_for(app, env, arrive(app, env))
    guest = app.test_client()
    r = guest.post(f"/f/{token}", data=bytes(range(256)) * 64, content_type="application/octet-stream")
    assert r.status_code == 422
    r = guest.post(f"/f/{token}", data=b"rating=%FF%FE&remark=%00%C3%28",
                   content_type="application/x-www-form-urlencoded")
    assert r.status_code == 422
    for bad in ("%00", "x" * 5000, "%E4%BD%A0%E5%A5%BD", "..%2F..%2Fetc", "'%20OR%201=1"):
        assert guest.get(f"/f/{bad}").status_code == 404, bad
    assert count_rows(GuestFeedback, app=app) == 0


@pytest.fixture
def limited_app(app, database_url):
    """A second app on the same database with the rate limit on (the suite's app has it off)."""
    was_enabled = limiter.enabled
    made = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                       "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                       "DEMO_CLOCK": None})
    limiter.reset()
    yield made
    limiter.reset()
    limiter.enabled = was_enabled  # the limiter is one object shared by every app in this process
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_public_page_is_rate_limited_per_address(limited_app, app, env):
    """Past 30 requests a minute from one address: 429 with a readable page; another address still gets through.
    The app has CSRF on here: the guests' form needs no token."""
    assert PUBLIC_LIMIT.startswith("30 per minute")
    token = token_for(app, env, arrive(app, env))
    guest = limited_app.test_client()
    router = {"REMOTE_ADDR": "192.0.2.7"}
    for _ in range(29):
        assert guest.get(f"/f/{token}", environ_base=router).status_code == 200
    assert guest.post(f"/f/{token}", data={"rating": "satisfied"}, environ_base=router).status_code == 200
    r = guest.get(f"/f/{token}", environ_base=router)
    assert r.status_code == 429 and "<html" in r.text
    assert text(app, "Too many attempts. Please wait a minute and try again.") in r.text
    assert guest.get(f"/f/{token}", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 410
    assert count_rows(GuestFeedback, app=app) == 1


# The alert on the live element, its handling


def test_an_unsatisfied_group_alerts_the_lead_and_the_manager_on_the_next_poll(app, env):
    """The lead's and manager's live elements, polled with the version they hold, change and show "1 group left
    unsatisfied" linking to the alerts; the water bar's and the concierge's show no such line."""
    v = arrive(app, env)
    phones = {p: login(app, env.names[p]) for p in ("lead", "manager", "water_bar", "concierge")}
    held = {p: version_of(c.get("/visits/live", headers=HX).text) for p, c in phones.items()}
    answered(app, env, v, "unsatisfied", "太吵")
    line = unsatisfied_line(app, 1)
    for post in ("lead", "manager"):
        r = phones[post].get(f"/visits/live?{held[post]}", headers=HX)
        assert r.status_code == 200 and line in r.text and 'href="/guests/alerts"' in r.text
    for post in ("water_bar", "concierge"):
        r = phones[post].get("/visits/live", headers=HX)
        assert line not in r.text and "/guests/alerts" not in r.text
    answered(app, env, arrive(app, env), "unsatisfied")
    assert unsatisfied_line(app, 2) in phones["lead"].get("/visits/live", headers=HX).text


def test_the_alerts_page_lists_the_group_and_handled_stops_the_alert(app, env):
    """The lead's alerts page shows the remark with both buttons; "Handled" goes back to it, empty, and the
    manager's live element has no alert line any more."""
    v = arrive(app, env, "粤B12345")
    fb = answered(app, env, v, "unsatisfied", "停车难")
    lead, boss = login(app, env.names["lead"]), login(app, env.names["manager"])
    held = version_of(boss.get("/visits/live", headers=HX).text)
    page = lead.get("/guests/alerts").text
    assert "停车难" in page and "粤B12345" in page and "gf-complaint" in page and "gf-handled" in page
    r = lead.post(f"/guests/feedback/{fb}/handled")
    assert r.status_code == 302 and r.headers["Location"] == "/guests/alerts"
    page = lead.get("/guests/alerts").text
    assert text(app, "Handled.") in page and text(app, "No unsatisfied guests waiting.") in page
    r = boss.get(f"/visits/live?{held}", headers=HX)
    assert r.status_code == 200 and "/guests/alerts" not in r.text
    assert feedback_row(app).handled_by_id == env.users["lead"]


def test_make_it_a_complaint_opens_the_complaint_about_the_visit(app, env):
    """"Make it a complaint": the complaint's page, about the visit, saying the remark; the alert is gone; a double
    tap lands on the same complaint."""
    v = arrive(app, env)
    fb = answered(app, env, v, "unsatisfied", "顾问迟到半小时")
    boss = login(app, env.names["manager"])
    r = boss.post(f"/guests/feedback/{fb}/complaint")
    assert r.status_code == 302
    with app.app_context():
        c = db.session.scalar(select(Complaint))
        assert (c.visit_id, c.said, c.site_id) == (v, "顾问迟到半小时", env.site)
    assert r.headers["Location"] == f"/complaints/{c.id}"
    page = boss.get(r.headers["Location"]).text
    assert "顾问迟到半小时" in page and f'href="/visits/{v}"' in page
    assert boss.post(f"/guests/feedback/{fb}/complaint").headers["Location"] == f"/complaints/{c.id}"
    assert count_rows(Complaint, app=app) == 1
    assert "/guests/alerts" not in boss.get("/visits/live", headers=HX).text
    assert f'href="/complaints/{c.id}"' in boss.get(f"/guests/visits/{v}", headers=HX).text


def test_a_satisfied_answer_cannot_be_handled_or_made_a_complaint(app, env):
    """Only an unsatisfied answer needs handling: 409, nothing written."""
    fb = answered(app, env, arrive(app, env), "satisfied")
    lead = login(app, env.names["lead"])
    for action in ("handled", "complaint"):
        r = lead.post(f"/guests/feedback/{fb}/{action}")
        assert r.status_code == 409 and text(app, "Only an unsatisfied answer needs handling.") in r.text
    assert count_rows(Complaint, app=app) == 0 and feedback_row(app).handled_at is None


# VIP notices


def test_the_manager_adds_a_vip_and_every_post_sees_the_note_on_the_live_row(app, env):
    """A VIP plate saved by the manager: when security records it, each post's live row shows ★ VIP and the note;
    another plate's row does not."""
    boss = login(app, env.names["manager"])
    r = boss.post("/guests/vips", data={"plate": "粤b 88888", "phone": "", "note": "王总，请到贵宾室"})
    assert r.status_code == 302 and r.headers["Location"] == "/guests/vips"
    assert "粤B88888" in boss.get("/guests/vips").text
    arrive(app, env, "粤B88888")
    arrive(app, env, "粤B12345")
    for post in ("concierge", "water_bar", "model_room", "security", "lead", "manager"):
        html = login(app, env.names[post]).get("/visits/live", headers=HX).text
        rows = re.findall(r"<li[^>]*>(.*?)</li>", html, re.S)
        [vip_row] = [row for row in rows if "粤B88888" in row]
        assert "★ VIP" in vip_row and "王总，请到贵宾室" in vip_row, post
        [other] = [row for row in rows if "粤B12345" in row]
        assert "VIP" not in other


def test_the_gates_plate_lookup_shows_the_vip_note(app, env):
    """Security types a VIP's plate in the arrival form: the hint shows ★ VIP and the note; a retired notice does
    not."""
    boss = login(app, env.names["manager"])
    boss.post("/guests/vips", data={"plate": "粤B88888", "note": "李总<br>常客"})
    guard = login(app, env.names["security"])
    r = guard.get("/visits/plate?plate=粤B%2088888", headers=HX)
    assert r.status_code == 200 and "★ VIP" in r.text and "李总&lt;br&gt;常客" in r.text
    assert "VIP" not in guard.get("/visits/plate?plate=粤B12345", headers=HX).text
    with app.app_context():
        vip_id = db.session.scalar(select(VipNotice.id))
    # The edit form as posted with its "in use" box unticked: the notice is retired.
    assert boss.post(f"/guests/vips/{vip_id}", data={"plate": "粤B88888", "note": "李总"}).status_code == 302
    assert "VIP" not in guard.get("/visits/plate?plate=粤B88888", headers=HX).text


@pytest.mark.parametrize("form, field, message", [
    ({"plate": "", "phone": ""}, "plate", "Give a plate or a phone number."),
    ({"plate": "粤BO1234"}, "plate", "Not a valid plate, e.g. 粤B12345 or 粤BD12345 (no letters I or O)."),
    ({"plate": "粤B12345", "note": ""}, "note", "Write how to greet them."),
    ({"phone": "call me"}, "phone", "Enter a phone number (digits only)."),
], ids=["nothing", "plate", "note", "phone"])
def test_a_wrong_vip_form_is_422_with_its_message(app, env, form, field, message):
    """Each mistake: 422, the message under its field, the typed values kept, nothing saved."""
    boss = login(app, env.names["manager"])
    r = boss.post("/guests/vips", data={"note": "贵宾"} | form)
    assert r.status_code == 422 and text(app, message) in r.text
    assert f'aria-describedby="{field}-err"' in r.text or f'id="{field}-err"' in r.text
    assert count_rows(VipNotice, app=app) == 0


def test_a_duplicate_plate_is_refused_and_a_retired_one_comes_back(app, env):
    """The same plate twice: 422; retired through its edit form, then added again: the one notice is in use again
    with the new note."""
    boss = login(app, env.names["manager"])
    assert boss.post("/guests/vips", data={"plate": "粤B88888", "note": "王总"}).status_code == 302
    r = boss.post("/guests/vips", data={"plate": "粤B88888", "note": "又是王总"})
    assert r.status_code == 422 and text(app, "This plate has a VIP notice already.") in r.text
    with app.app_context():
        vip_id = db.session.scalar(select(VipNotice.id))
    r = boss.post(f"/guests/vips/{vip_id}", data={"plate": "粤B88888", "note": "王总"})
    assert r.status_code == 302 and text(app, "retired") in boss.get("/guests/vips").text
    assert boss.post("/guests/vips", data={"plate": "粤B88888", "note": "王总回来了"}).status_code == 302
    with app.app_context():
        [(active, note)] = db.session.execute(select(VipNotice.active, VipNotice.note)).all()
    assert (active, note) == (True, "王总回来了")
    r = boss.post(f"/guests/vips/{vip_id}", data={"plate": "粤BO", "note": "x", "active": "1"})
    assert r.status_code == 422 and "<details" in r.text and " open>" in r.text  # the failed notice is opened


# Satisfaction


def test_the_satisfaction_page_counts_per_rep_post_and_day(app, env):
    """Two answers today (the concierge's and the guests' own): 2 answered, 50% satisfied, a row per post, the
    remark; another month is empty."""
    v1, v2 = arrive(app, env), arrive(app, env)
    login(app, env.names["concierge"]).post(f"/guests/visits/{v1}", data={"rating": "satisfied", "remark": "好"})
    answered(app, env, v2, "unsatisfied", "不好")
    lead = login(app, env.names["lead"])
    with counting(app) as seen:
        html = re.sub(r">\s+<", "><", lead.get("/guests/satisfaction").text)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(seen) == 2, seen  # the session; per day, per post and rep, and the remarks at once
    assert text(app, "%(n)s groups answered, %(p)s%% satisfied", n=2, p=50) in html
    with app.test_request_context(), force_locale("zh_Hans"):
        concierge, guests = str(escape(str(POSTS["concierge"]))), str(escape(str(SOURCES["guest"])))
    assert f'<th scope="row">{concierge}</th><td>1</td><td>100%</td><td>0</td>' in html
    assert f'<th scope="row">{guests}</th><td>1</td><td>0%</td><td>1</td>' in html
    assert "好" in html and "不好" in html
    empty = lead.get("/guests/satisfaction?from=2020-01-01&to=2020-01-31").text
    assert text(app, "%(n)s groups answered, %(p)s%% satisfied", n=0, p=0) in empty
    assert lead.get("/guests/satisfaction?from=2020-01-01&to=2024-01-01").status_code == 400
    assert lead.get("/guests/satisfaction?from=nonsense").status_code in (200, 400)


# Other sites


def test_another_sites_rows_are_404_and_nothing_is_written(app, env):
    """A manager of this site asking for the other site's visit, answer and VIP notice: 404 everywhere, no write."""
    with app.app_context():
        boss = make_user(env.other, "manager")
        guard = db.session.get(User, env.other_guard)
        theirs = visits.record_arrival(db.session.get(Site, env.other), guard, 2, True, "粤B55555", None)
        theirs_id = theirs.id
        token = services.link(db.session.get(Site, env.other), boss, theirs).token
    with app.test_request_context():
        fb = services.guest_answer(token, "unsatisfied", "外站").id
        other_vip = services.save_vip(db.session.get(Site, env.other), db.session.get(User, boss.id),
                                      plate="粤B55555", phone=None, note="外站贵宾").id
    me = login(app, env.names["manager"])
    with app.app_context():
        before = snapshot()
    for method, url, data in (
            ("GET", f"/guests/visits/{theirs_id}", {}),
            ("POST", f"/guests/visits/{theirs_id}", {"rating": "satisfied"}),
            ("POST", f"/guests/visits/{theirs_id}/qr", {}),
            ("POST", f"/guests/feedback/{fb}/handled", {}),
            ("POST", f"/guests/feedback/{fb}/complaint", {}),
            ("POST", f"/guests/vips/{other_vip}", {"plate": "粤B55555", "note": "改", "active": "1"})):
        r = me.open(url, method=method, data=data)
        assert r.status_code == 404, (method, url, r.status_code)
    with app.app_context():
        assert snapshot() == before
    html = me.get("/guests/alerts").text + me.get("/guests/vips").text + me.get("/guests/satisfaction").text
    assert "外站" not in html and "粤B55555" not in html
    assert "/guests/alerts" not in me.get("/visits/live", headers=HX).text


# The live element's budget


def _live_queries(app, client) -> int:
    with counting(app) as seen:
        r = client.get("/visits/live", headers=HX)
    assert r.status_code == 200
    return len(queries(seen))


def test_the_live_element_costs_the_same_with_1_or_10_vips_and_answers(app, env):
    """The lead's, the manager's and the concierge's element: the same number of queries with one VIP arrival and
    one unsatisfied answer as with ten of each."""
    boss = login(app, env.names["manager"])
    phones = {p: login(app, env.names[p]) for p in ("lead", "concierge")} | {"manager": boss}

    def add(n0, n1):
        for i in range(n0, n1):
            plate = f"粤B{20000 + i}"
            boss.post("/guests/vips", data={"plate": plate, "note": f"贵宾{i}"})
            answered(app, env, arrive(app, env, plate), "unsatisfied", f"意见{i}")

    add(0, 1)
    one = {p: _live_queries(app, c) for p, c in phones.items()}
    assert unsatisfied_line(app, 1) in phones["lead"].get("/visits/live", headers=HX).text
    add(1, 10)
    ten = {p: _live_queries(app, c) for p, c in phones.items()}
    assert one == ten, (one, ten)
    html = phones["concierge"].get("/visits/live", headers=HX).text
    assert html.count("★ VIP") == 10 and unsatisfied_line(app, 10) in phones["manager"].get(
        "/visits/live", headers=HX).text
