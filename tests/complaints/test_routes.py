"""Complaint pages: registering (422 under the field, nothing saved), the step forms, who sees a guest's name and number
whole, who sees which complaint, other sites' ids (404, nothing written), the list's filters and paging, the monthly
report and its Excel, the deadlines' settings, the today glance, and query counts that stay flat as data grows."""
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from hospitality import clock
from hospitality.complaints import services
from hospitality.extensions import db
from hospitality.models import AuditLog, Site
from hospitality.models.complaints import (
    RESPONSIBLE,
    TOPICS,
    Complaint,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintRemedy,
    FollowUp,
)
from tests.factories import Upload, make_user, png, site_of, visit_env, who
from tests.harness import HX, count_rows, counting, login, msg, snapshot, text

PHONE, MASKED = "13812345678", "138****5678"
FORM = {"topic": "waiting", "channel": "onsite", "said": "等了二十分钟没人接待", "guest_name": "张三",
        "guest_phone": PHONE, "idem": "cpform000001"}
# 10:00 on 10 March 2026 at a Shanghai site.
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def env(app):
    return visit_env(app)


def make(env, post: str = "water_bar", *, site_id=None, user=None, **over) -> int:
    """A complaint registered through the service (in a request context of the caller's app)."""
    site = db.session.get(Site, site_id) if site_id else site_of(env)
    kw = {"guest_name": "张三", "guest_phone": PHONE, "channel": "onsite", "topic": "waiting",
          "said": "等了二十分钟没人接待"} | over
    return services.register(site, user or who(env, post), **kw).id


def step(fn, env, cid, *args, site_id=None, user=None, post="manager"):
    """Run one step's service on complaint `cid` as `post` (the manager unless told)."""
    site = db.session.get(Site, site_id) if site_id else site_of(env)
    return fn(site, user or who(env, post), db.session.get(Complaint, cid, populate_existing=True), *args)


def close(env, cid, *, founded="1", post_resp="concierge", site_id=None, user=None):
    """Take a complaint through its steps to closed, as the manager (or `user`)."""
    kw = {"site_id": site_id, "user": user}
    step(services.judge, env, cid, founded, "属实", **kw)
    if founded == "1":
        step(services.add_note, env, cid, "调看监控", **kw)
        step(services.finish_investigation, env, cid, **kw)
        step(services.propose, env, cid, "致歉并赠饮品", **kw)
        remedy = db.session.scalar(select(ComplaintRemedy.id).where(ComplaintRemedy.complaint_id == cid))
        step(services.choose, env, cid, str(remedy), **kw)
    step(services.carry_out, env, cid, "已当面致歉", "1", None, **kw)
    step(services.review, env, cid, "前台离岗", post_resp, "离岗须替岗", **kw)


def follow_up_id(cid: int) -> int:
    return db.session.scalar(select(FollowUp.id).where(FollowUp.complaint_id == cid))


def list_part(html: str) -> str:
    """The range list of the index page (the open ones above it are another section)."""
    return html.split('<section id="cp-list">', 1)[1]


def test_registering_goes_to_the_complaints_page_once(app, env):
    """The water bar's form has the topics and channels; posting it (twice: a double tap) records one complaint and
    shows its page with what the guest said, step "Registered" and who registered it."""
    bar = login(app, env.names["water_bar"])
    form = bar.get("/complaints/new").text
    for word in ("Waiting", "Drinks and food", "By phone", "Through a sales rep"):
        assert text(app, word) in form
    r = bar.post("/complaints/new", data=FORM)
    assert r.status_code == 302
    assert bar.post("/complaints/new", data=FORM).headers["Location"] == r.headers["Location"]
    page = bar.get(r.headers["Location"]).text
    assert text(app, "Complaint registered. The manager judges it next.") in page
    assert "等了二十分钟没人接待" in page and text(app, "Registered") in page
    assert count_rows(Complaint, app=app) == 1 and count_rows(ComplaintEvent, app=app) == 1


@pytest.mark.parametrize("over, field, message", [
    ({"topic": ""}, "topic", "Choose from the list."),
    ({"channel": "fax"}, "channel", "Choose from the list."),
    ({"said": "  "}, "said", "Write what the guest said."),
    ({"guest_name": "", "guest_phone": ""}, "guest_name",
     "Say who complained: pick the visit, or give a name or a phone number."),
    ({"guest_phone": "打我电话"}, "guest_phone", "Enter a phone number (digits only)."),
])
def test_a_bad_registration_is_422_under_its_field(app, env, over, field, message):
    """Each mistake: 422, the message next to its field, what was typed kept, nothing saved."""
    bar = login(app, env.names["water_bar"])
    r = bar.post("/complaints/new", data=FORM | over)
    assert r.status_code == 422
    assert f'<small class="error" id="{field}-err">{text(app, message)}</small>' in r.text
    if field not in ("topic", "channel"):  # the picks are a group of radio buttons; a text field points to it
        assert f'aria-describedby="{field}-err"' in r.text
    assert "cpform000001" in r.text  # the same key: a corrected form sent twice is still one complaint
    assert count_rows(Complaint, app=app) == 0 and count_rows(ComplaintEvent, app=app) == 0


def test_a_file_that_is_not_a_photo_is_422_and_nothing_is_saved(app, env):
    """A PDF among the photos is refused under the photo field; the text typed stays."""
    r = login(app, env.names["concierge"]).post(
        "/complaints/new", data=FORM | {"photos": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 422
    assert f'id="photos-err">{text(app, "This is not a photo (JPEG, PNG or WebP).")}' in r.text
    assert "等了二十分钟没人接待" in r.text
    assert count_rows(Complaint, app=app) == 0 and count_rows(ComplaintPhoto, app=app) == 0


def test_a_photo_is_served_to_who_may_see_the_complaint(app, env):
    """A registered photo is served to its registrant and the lead; under another complaint of the site it is 404."""
    bar = login(app, env.names["water_bar"])
    r = bar.post("/complaints/new", data=FORM | {"photos": (png(), "p.png")}, content_type="multipart/form-data")
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context():
        pid = db.session.scalar(select(ComplaintPhoto.id))
        other = make(env, "lead")
    assert f"/complaints/{cid}/photos/{pid}" in bar.get(f"/complaints/{cid}").text
    for person in (bar, login(app, env.names["lead"])):
        got = person.get(f"/complaints/{cid}/photos/{pid}")
        assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert login(app, env.names["lead"]).get(f"/complaints/{other}/photos/{pid}").status_code == 404


@pytest.mark.parametrize("post", ["water_bar", "concierge"])
def test_the_number_and_name_are_masked_for_the_desk_and_the_bar(app, env, post):
    """The water bar (its own complaint) and the front desk see 张* and 138****5678; the whole number is nowhere in
    the page; only the front desk has the "Show number" button."""
    with app.test_request_context():
        cid = make(env, "water_bar")
    html = login(app, env.names[post]).get(f"/complaints/{cid}").text
    assert MASKED in html and PHONE not in html
    assert "张*" in html and "张三" not in html
    assert (text(app, "Show number") in html) is (post == "concierge")


@pytest.mark.parametrize("post", ["lead", "manager"])
def test_the_lead_and_manager_see_the_name_and_number_whole(app, env, post):
    """The lead and the manager see the guest's name and a tel: link with the whole number."""
    with app.test_request_context():
        cid = make(env, "water_bar")
    html = login(app, env.names[post]).get(f"/complaints/{cid}").text
    assert f'href="tel:{PHONE}"' in html and "张三" in html and MASKED not in html


def test_the_desk_reveals_a_number_in_place_and_it_is_audited(app, env):
    """htmx's reveal returns the number as a fragment and records who saw it; a plain post reveals nothing."""
    with app.test_request_context():
        cid = make(env, "water_bar")
    desk = login(app, env.names["concierge"])
    r = desk.post(f"/complaints/{cid}/reveal", headers=HX)
    assert r.status_code == 200 and f'href="tel:{PHONE}"' in r.text and "<html" not in r.text
    plain = desk.post(f"/complaints/{cid}/reveal")
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/complaints/{cid}")
    with app.app_context():
        [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal_phone")).all()
        assert (row.entity_id, row.user_id) == (cid, env.users["concierge"])
    assert login(app, env.names["water_bar"]).post(f"/complaints/{cid}/reveal", headers=HX).status_code == 403


def test_posts_outside_the_desk_see_only_the_complaints_they_registered(app, env):
    """The water bar opens its own complaint, not the concierge's (404); the model room neither of them; the
    front desk opens both."""
    with app.test_request_context():
        own, theirs = make(env, "water_bar"), make(env, "concierge")
    bar, room, desk = (login(app, env.names[p]) for p in ("water_bar", "model_room", "concierge"))
    assert bar.get(f"/complaints/{own}").status_code == 200
    assert bar.get(f"/complaints/{theirs}").status_code == 404
    assert room.get(f"/complaints/{own}").status_code == 404
    assert desk.get(f"/complaints/{own}").status_code == 200 and desk.get(f"/complaints/{theirs}").status_code == 200


OTHER_SITE = [
    ("GET", "/complaints/{c}"), ("POST", "/complaints/{c}/judge"), ("POST", "/complaints/{c}/notes"),
    ("POST", "/complaints/{c}/investigated"), ("POST", "/complaints/{c}/remedies"),
    ("POST", "/complaints/{c}/choose"), ("POST", "/complaints/{c}/carried-out"), ("POST", "/complaints/{c}/review"),
    ("GET", "/complaints/{c}/photos/{p}"), ("POST", "/complaints/{c}/reveal"), ("POST", "/complaints/{o}/reveal"),
    ("POST", "/complaints/follow-ups/{f}"), ("GET", "/complaints/{o}"),
]


@pytest.mark.parametrize("method, path", OTHER_SITE, ids=lambda v: v)
def test_another_sites_complaint_photo_and_call_are_404(app, env, method, path):
    """A manager of site A asking for site B's complaint, its photo or its follow-up call gets 404 (htmx too), and
    nothing is written."""
    with app.test_request_context():
        theirs = make_user(env.other, "manager")
        opened = make(env, site_id=env.other, user=theirs, files=[Upload(png(), "p.png")])
        done = make(env, site_id=env.other, user=theirs)
        close(env, done, site_id=env.other, user=theirs)
        ids = {"c": opened, "o": done, "p": db.session.scalar(select(ComplaintPhoto.id)), "f": follow_up_id(done)}
        before = snapshot()
    boss = login(app, env.names["manager"])
    r = boss.open(path.format(**ids), method=method, headers=HX, data={
        "founded": "1", "reason": "x", "note": "x", "remedy": "x", "done": "x", "confirmed": "1", "cause": "x",
        "responsible_post": "none", "preventive": "x", "outcome": "satisfied", "idem": "othersite0001"})
    assert r.status_code == 404
    with app.app_context():
        now = snapshot()
    skip = ("login_sessions", "audit_log")
    assert {k: v for k, v in now.items() if k not in skip} == {k: v for k, v in before.items() if k not in skip}
    with app.app_context():
        assert count_rows(AuditLog, AuditLog.action == "reveal_phone") == 0


def test_the_steps_on_the_page_from_judgement_to_closing(app, env):
    """The manager judges (a missing reason is 422 under it, nothing saved), the lead investigates and proposes, the
    manager chooses, the front desk carries it out, the manager reviews: the page shows each step's form to who
    does it, and at the end the review and a call due."""
    with app.test_request_context():
        cid = make(env, "water_bar")
    boss, lead, desk = (login(app, env.names[p]) for p in ("manager", "lead", "concierge"))
    url = f"/complaints/{cid}"
    assert "judge-btn" in boss.get(url).text and "judge-btn" not in lead.get(url).text
    r = boss.post(f"{url}/judge", data={"founded": "1", "reason": "", "idem": "cpjudge00001"})
    assert r.status_code == 422
    assert f'id="reason-err">{text(app, "Give the reason.")}' in r.text
    assert count_rows(ComplaintEvent, ComplaintEvent.kind == "judged", app=app) == 0
    assert boss.post(f"{url}/judge", data={"founded": "1", "reason": "属实", "idem": "cpjudge00002"}).status_code == 302
    page = lead.get(url).text
    assert "note-btn" in page and "investigated-btn" in page
    r = lead.post(f"{url}/investigated", data={"idem": "cpinv0000001"})
    assert r.status_code == 422 and text(app, "Write at least one investigation note first.") in r.text
    assert lead.post(f"{url}/notes", data={"note": "监控显示前台离岗", "people": "前台小李",
                                           "idem": "cpnote000001"}).status_code == 302
    assert lead.post(f"{url}/investigated", data={"idem": "cpinv0000002"}).status_code == 302
    assert lead.post(f"{url}/remedies", data={"remedy": "赠送饮品并致歉", "idem": "cprem0000001"}).status_code == 302
    assert "choose-btn" not in lead.get(url).text and "propose-btn" in lead.get(url).text
    with app.app_context():
        remedy = db.session.scalar(select(ComplaintRemedy.id))
    assert "choose-btn" in boss.get(url).text
    assert boss.post(f"{url}/choose", data={"remedy_id": str(remedy), "idem": "cppick000001"}).status_code == 302
    r = desk.post(f"{url}/carried-out", data={"done": "已致歉", "confirmed": "0", "idem": "cpcarry00001"})
    assert r.status_code == 422 and f'id="guest_said-err">{text(app, "Write what the guest said.")}' in r.text
    assert desk.post(f"{url}/carried-out", data={"done": "已致歉", "confirmed": "1",
                                                 "idem": "cpcarry00002"}).status_code == 302
    assert "review-btn" not in desk.get(url).text
    assert boss.post(f"{url}/review", data={"cause": "前台离岗无人替岗", "responsible_post": "concierge",
                                            "preventive": "离岗须替岗", "idem": "cprev0000001"}).status_code == 302
    page = boss.get(url).text
    assert text(app, "Complaint closed. A follow-up call is due within three days.") in page
    assert "前台离岗无人替岗" in page and "cp-next" not in page
    assert f"#{cid}" in desk.get("/complaints/follow-ups").text


def test_a_step_out_of_turn_on_the_page_is_refused(app, env):
    """A review posted while the complaint waits for its judgement: 422 with "not open now", nothing changes."""
    with app.test_request_context():
        cid = make(env, "water_bar")
    r = login(app, env.names["manager"]).post(f"/complaints/{cid}/review", data={
        "cause": "x", "responsible_post": "none", "preventive": "x", "idem": "cprev0000002"})
    assert r.status_code == 422 and text(app, "This step is not open now: reload the page.") in r.text
    with app.app_context():
        assert db.session.get(Complaint, cid).step == 1 and count_rows(FollowUp) == 0


def test_follow_up_calls_on_their_page(app, env):
    """The front desk sees the call due with the number masked; not reached counts an attempt; not satisfied without
    what the guest said is 422 under it; satisfied takes it off the list."""
    with app.test_request_context():
        cid = make(env, "water_bar")
        close(env, cid)
        fu = follow_up_id(cid)
    desk = login(app, env.names["concierge"])
    html = desk.get("/complaints/follow-ups").text
    assert MASKED in html and PHONE not in html and "call-btn" in html
    assert desk.post(f"/complaints/follow-ups/{fu}", data={"outcome": "no_answer", "idem": "cpcall000001"}
                     ).status_code == 302
    assert text(app, "%(n)s attempts", n=1) in desk.get("/complaints/follow-ups").text
    r = desk.post(f"/complaints/follow-ups/{fu}", data={"outcome": "unsatisfied", "note": "", "idem": "cpcall000002"})
    assert r.status_code == 422 and f'id="note-err">{text(app, "Write what the guest said.")}' in r.text
    assert desk.post(f"/complaints/follow-ups/{fu}", data={"outcome": "satisfied", "note": "满意",
                                                           "idem": "cpcall000003"}).status_code == 302
    assert text(app, "No calls due.") in desk.get("/complaints/follow-ups").text


def test_the_list_filters_by_topic_and_overdue(app, env):
    """Of three complaints, ?topic=drinks lists the drinks one, ?state=overdue the one not judged in time."""
    with app.test_request_context():
        s = site_of(env)
        with clock.travel_to(clock.now() - timedelta(hours=3)):
            late = make(env, "water_bar", topic="parking")
        drinks = make(env, "water_bar", topic="drinks")
        make(env, "water_bar", topic="waiting")
        since = (s.today() - timedelta(days=2)).isoformat()
    boss = login(app, env.names["manager"])
    rows = list_part(boss.get(f"/complaints/?from={since}&topic=drinks").text)
    assert rows.count("cp-card") == 1 and f"/complaints/{drinks}" in rows
    rows = list_part(boss.get(f"/complaints/?from={since}&state=overdue").text)
    assert rows.count("cp-card") == 1 and f"/complaints/{late}" in rows
    assert text(app, "First response overdue") in rows
    assert list_part(boss.get(f"/complaints/?from={since}").text).count("cp-card") == 3


def test_the_list_pages(app, env):
    """31 complaints: the first page holds 30 and a "More" link to the next, which holds the last one."""
    with app.test_request_context():
        for _ in range(31):
            make(env, "concierge")
    desk = login(app, env.names["concierge"])
    first = list_part(desk.get("/complaints/").text)
    assert first.count("cp-card") == 30
    link = re.search(r'href="([^"]*page=1[^"]*)"', first).group(1).replace("&amp;", "&")
    assert list_part(desk.get(link).text).count("cp-card") == 1


def label(app, lazy) -> str:
    """A label of the models (a lazy string) as the default (Chinese) page says it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return str(lazy)


def march_report(app, env) -> None:
    """March 2026 at site A: waiting founded closed in 5 h (concierge; its call satisfied), drinks unfounded closed
    in 10 h then reopened by an unsatisfied call, waiting founded closed in 3 h (water bar; not reached), parking
    not judged; site B's and April's complaints do not count."""
    with app.test_request_context():
        with clock.travel_to(T0, frozen=True):
            a, b, d, _c = (make(env, topic=t) for t in ("waiting", "drinks", "waiting", "parking"))
            make(env, site_id=env.other, user=make_user(env.other, "water_bar"), topic="parking")
        with clock.travel_to(T0 + timedelta(hours=5), frozen=True):
            close(env, a, post_resp="concierge")
        with clock.travel_to(T0 + timedelta(hours=10), frozen=True):
            close(env, b, founded="0", post_resp="none")
        with clock.travel_to(T0 + timedelta(hours=3), frozen=True):
            close(env, d, post_resp="water_bar")
        with clock.travel_to(T0 + timedelta(days=1), frozen=True):
            desk = who(env, "concierge")
            for cid, outcome in ((a, "satisfied"), (b, "unsatisfied"), (d, "no_answer")):
                services.call(site_of(env), desk, db.session.get(FollowUp, follow_up_id(cid)), outcome, "回访记录")
        with clock.travel_to(T0 + timedelta(days=30), frozen=True):
            make(env, topic="waiting")


def test_the_monthly_report_counts(app, env):
    """By topic, by responsible post, founded or not, closed, average hours to close, calls reached and satisfied."""
    march_report(app, env)
    boss = login(app, env.names["manager"])
    with counting(app) as seen:
        html = boss.get("/complaints/report?month=2026-03").text
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(seen) == 2, seen  # the session; the month's groups, closing times and calls at once
    assert text(app, "%(n)s complaints: %(f)s founded, %(u)s not founded, %(d)s not judged yet; %(c)s closed",
                n=4, f=2, u=1, d=1, c=2) in html
    assert text(app, "%(h)s hours to close on average", h=4.0) in html
    assert text(app, "Follow-up calls: %(n)s reached, %(p)s%% satisfied", n=2, p=50) in html
    for lazy, n in ((TOPICS["waiting"], 2), (TOPICS["drinks"], 1), (TOPICS["parking"], 1), (TOPICS["sales"], 0),
                    (RESPONSIBLE["concierge"], 1), (RESPONSIBLE["water_bar"], 1), (RESPONSIBLE["security"], 0)):
        assert f"<td>{escape(label(app, lazy))}</td><td>{n}</td>" in html, label(app, lazy)
    assert "张三" not in html and PHONE not in html
    april = login(app, env.names["lead"]).get("/complaints/report?month=2026-04").text
    assert text(app, "No follow-up call reached a guest this month.") in april


def test_the_monthly_report_in_excel_has_the_counts_and_no_guest(app, env):
    """The Excel of March opens in openpyxl with the same counts, and no guest's name or number in any cell."""
    march_report(app, env)
    r = login(app, env.names["manager"]).get("/complaints/report?month=2026-03&format=xlsx")
    assert r.status_code == 200 and "complaints-2026-03.xlsx" in r.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(r.data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    rows = [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
    for needle in ("张三", "张*", PHONE, MASKED, "5678"):
        assert not any(needle in str(c) for c in cells), needle
    expect = [(msg(app, "Topic"), label(app, TOPICS["waiting"]), 2),
              (msg(app, "Topic"), label(app, TOPICS["drinks"]), 1),
              (msg(app, "Responsible post"), label(app, RESPONSIBLE["concierge"]), 1),
              (msg(app, "Judgement"), msg(app, "Founded"), 2), (msg(app, "Judgement"), msg(app, "Not founded"), 1),
              (msg(app, "Total"), None, 4), (msg(app, "Closed"), None, 2),
              (msg(app, "Average hours to close"), None, 4), (msg(app, "Follow-up calls reached"), None, 2),
              (msg(app, "Satisfied (%)"), None, 50)]
    got = [tuple(r[:3]) for r in rows]
    for row in expect:
        assert row in got, (row, got)


def test_settings_refuse_bad_numbers_under_their_fields(app, env):
    """0 hours and 61 days: 422, both messages under their fields, nothing saved; 4 and 10 are saved."""
    boss = login(app, env.names["manager"])
    r = boss.post("/complaints/settings", data={"respond_hours": "0", "close_days": "61"})
    assert r.status_code == 422
    assert f'id="respond_hours-err">{text(app, "Enter a number of hours from %(low)s to %(high)s.", low=1, high=72)}' \
        in r.text
    assert f'id="close_days-err">{text(app, "Enter a number of days from %(low)s to %(high)s.", low=1, high=60)}' \
        in r.text
    with app.app_context():
        s = db.session.get(Site, env.site)
        assert (s.complaint_respond_hours, s.complaint_close_days) == (2, 7)
    assert boss.post("/complaints/settings", data={"respond_hours": "4", "close_days": "10"}).status_code == 302
    with app.app_context():
        s = db.session.get(Site, env.site)
        assert (s.complaint_respond_hours, s.complaint_close_days) == (4, 10)


def test_the_today_glance_flags_an_overdue_complaint(app, env):
    """Staff screens have "Register a complaint"; the lead's today loads the glance, which flags the complaint not
    judged in time and shows the other one at its step."""
    with app.test_request_context():
        with clock.travel_to(clock.now() - timedelta(hours=3)):
            late = make(env, "water_bar", topic="parking")
        fresh_one = make(env, "water_bar", topic="drinks")
    assert "register-complaint" in login(app, env.names["water_bar"]).get("/").text
    lead = login(app, env.names["lead"])
    assert 'hx-get="/complaints/glance"' in lead.get("/").text
    glance = lead.get("/complaints/glance", headers=HX).text
    assert glance.startswith('<section id="complaints-glance"')
    cards = re.findall(r'<a class="card cp-card[^"]*" href="/complaints/(\d+)">(.*?)</a>', glance, re.S)
    flagged = {int(cid): "st-missing" in body and text(app, "First response overdue") in body for cid, body in cards}
    assert flagged == {late: True, fresh_one: False}


def _queries(app, client, url: str) -> int:
    client.get(url)  # warm: first-use work (templates, prepared statements) is not what grows
    with counting(app) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_the_lists_queries_stay_flat_from_1_to_30_complaints(app, env):
    """The list with its open section makes as many queries for 30 complaints as for 1."""
    with app.test_request_context():
        make(env, "concierge")
    desk = login(app, env.names["concierge"])
    one = _queries(app, desk, "/complaints/")
    with app.test_request_context():
        for _ in range(29):
            make(env, "concierge")
    assert list_part(desk.get("/complaints/").text).count("cp-card") == 30
    assert _queries(app, desk, "/complaints/") == one


def test_the_complaint_pages_queries_stay_flat_with_its_timeline(app, env):
    """A complaint's page at the remedies makes as many queries with 30 notes and 30 remedies as another with one of
    each, and with 30 complaints on the site as with 1."""
    def at_remedies(notes: int) -> int:
        cid = make(env, "water_bar")
        step(services.judge, env, cid, "1", "属实")
        for n in range(notes):
            step(services.add_note, env, cid, f"第{n}条")
        step(services.finish_investigation, env, cid)
        for n in range(notes):
            step(services.propose, env, cid, f"方案{n}")
        return cid

    with app.test_request_context():
        small = at_remedies(1)
    boss = login(app, env.names["manager"])
    one = _queries(app, boss, f"/complaints/{small}")
    with app.test_request_context():
        big = at_remedies(30)
        for _ in range(28):
            make(env, "concierge")
    assert boss.get(f"/complaints/{big}").text.count('class="pick"') == 30
    assert _queries(app, boss, f"/complaints/{big}") == one
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert one == 2  # the session; the complaint, its steps, their photos and the remedies (database.read_panels)
