"""Handover pages through the test client: each phone its own login, htmx taps answer with fragments."""
import re
from datetime import UTC
from html import escape

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.handover import reads, services
from hospitality.models import AuditLog, Site, StockCount, User
from hospitality.models.handover import Handover, HandoverLine
from tests.factories import fresh, handover_env, ready_water_bar, site_of, submitted_water_bar, who
from tests.harness import count_rows, login

HX = {"HX-Request": "true"}


@pytest.fixture
def env(app):
    return handover_env(app)


def msg(app, msgid: str, **kw) -> str:
    """A message as the default (Chinese) page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return escape(gettext(msgid, **kw))


def test_start_a_handover_and_land_on_it(app, env):
    """The outgoing attendant chooses the colleague and lands on the new handover page."""
    phone = login(app, env.names["wb_out"])
    page = phone.get("/handover/")
    assert page.status_code == 200 and 'name="to_user_id"' in page.text
    r = phone.post("/handover/", data={"to_user_id": env.users["wb_in"], "idem": "startkey01"})
    assert r.status_code == 302
    hid = int(re.search(r"/handover/(\d+)$", r.headers["Location"]).group(1))
    again = phone.post("/handover/", data={"to_user_id": env.users["wb_in"], "idem": "startkey01"})
    assert again.headers["Location"] == r.headers["Location"]  # a double tap saves once
    page = phone.get(f"/handover/{hid}")
    assert page.status_code == 200 and "count-btn" in page.text and "submit-handover" in page.text
    assert count_rows(Handover, app=app) == 1


def test_handing_over_to_yourself_is_refused(app, env):
    """A handover to yourself: 422, the message under the field, nothing saved."""
    phone = login(app, env.names["wb_out"])
    r = phone.post("/handover/", data={"to_user_id": env.users["wb_out"], "idem": "startkey02"})
    assert r.status_code == 422
    assert msg(app, "You cannot hand over to yourself: choose the colleague who takes over.") in r.text
    assert 'aria-invalid="true"' in r.text
    assert count_rows(Handover, app=app) == 0 and count_rows(AuditLog, AuditLog.entity == "handover", app=app) == 0


def test_the_count_starts_from_the_handover_and_comes_back(app, env):
    """Count now opens the ordinary count page; "all match" returns to the handover, which shows it matched."""
    with app.app_context():
        h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    phone = login(app, env.names["wb_out"])
    r = phone.post(f"/handover/{h.id}/count/{env.bar}")
    assert r.status_code == 302 and "/stock/counts/" in r.headers["Location"]
    back = phone.post(r.headers["Location"], data={"all_match": "1"})
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/handover/{h.id}")
    page = phone.get(f"/handover/{h.id}")
    assert "ho-count-matched" in page.text
    assert count_rows(StockCount, StockCount.ref_type == "handover", StockCount.ref_id == h.id, app=app) == 1


def test_counting_a_location_of_another_post_is_refused(app, env):
    """The water bar cannot count a model room for its handover: 422 with a message, no count."""
    with app.app_context():
        h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    phone = login(app, env.names["wb_out"])
    r = phone.post(f"/handover/{h.id}/count/{env.room}")
    assert r.status_code == 422 and "<html" in r.text
    assert count_rows(StockCount, app=app) == 0


def test_submit_refused_until_the_count_reconciles(app, env):
    """Submitting before counting: 422, the message at the count section, still a draft."""
    with app.app_context():
        h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    phone = login(app, env.names["wb_out"])
    r = phone.post(f"/handover/{h.id}/submit", data={"to_user_id": env.users["wb_in"], "property_checked": "1",
                                                     "notes": "无"})
    assert r.status_code == 422
    assert msg(app, "Count %(place)s before handing over.", place="水吧") in r.text
    assert "无" in r.text  # the notes typed are kept
    with app.app_context():
        assert fresh(h.id).status == "draft"


def test_fixture_check_swaps_the_line(app, env):
    """Tapping intact / damaged swaps just the line; damaged without a note asks for one with 422."""
    with app.app_context():
        h = services.start(site_of(env), who(env, "mr_out"), env.users["mr_in"], None)
        vase, lamp = [ln.id for ln in h.lines if ln.kind == "fixture"]
    phone = login(app, env.names["mr_out"])
    r = phone.post(f"/handover/lines/{vase}/check", data={"condition": "damaged"}, headers=HX)
    assert r.status_code == 422 and "<html" not in r.text and f'id="line-{vase}"' in r.text
    assert msg(app, "Say what is damaged.") in r.text
    r = phone.post(f"/handover/lines/{vase}/check", data={"condition": "damaged", "note": "瓶口缺口"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith("<li") and "瓶口缺口" in r.text
    r = phone.post(f"/handover/{h.id}/fixtures", headers=HX)
    assert r.status_code == 200 and 'id="ho-fixtures"' in r.text and "<html" not in r.text
    with app.app_context():
        assert {ln.condition for ln in fresh(h.id).lines if ln.kind == "fixture"} == {"damaged", "intact"}


def test_add_and_remove_a_pending_line(app, env):
    """Adding a line swaps the pending list; an empty one is 422 with the message; removing it swaps it back."""
    with app.app_context():
        h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    phone = login(app, env.names["wb_out"])
    r = phone.post(f"/handover/{h.id}/lines", data={"kind": "key", "text": " ", "idem": "lineidem1"}, headers=HX)
    assert r.status_code == 422 and 'id="ho-pending"' in r.text
    assert msg(app, "Write what the next shift needs to know.") in r.text
    assert count_rows(HandoverLine, app=app) == 0
    r = phone.post(f"/handover/{h.id}/lines", data={"kind": "key", "text": "仓库钥匙在前台", "idem": "lineidem2"},
                   headers=HX)
    assert r.status_code == 200 and "仓库钥匙在前台" in r.text and "<html" not in r.text
    phone.post(f"/handover/{h.id}/lines", data={"kind": "key", "text": "仓库钥匙在前台", "idem": "lineidem2"},
               headers=HX)
    assert count_rows(HandoverLine, app=app) == 1
    with app.app_context():
        line_id = db.session.scalar(select(HandoverLine.id))
    r = phone.post(f"/handover/lines/{line_id}/delete", headers=HX)
    assert r.status_code == 200 and "仓库钥匙在前台" not in r.text
    assert count_rows(HandoverLine, app=app) == 0


def test_incoming_reviews_disputes_and_accepts(app, env):
    """The incoming phone disputes a line (the line and the accept button swap), accepts once, twice is refused."""
    with app.app_context():
        h = submitted_water_bar(env)
        key = next(ln.id for ln in h.lines if ln.kind == "key")
    incoming = login(app, env.names["wb_in"])
    today = incoming.get("/handover/")
    assert f"/handover/{h.id}" in today.text and "ho-incoming" in today.text
    page = incoming.get(f"/handover/{h.id}")
    assert "accept-btn" in page.text and "dispute-btn" in page.text and "一切正常" in page.text
    r = incoming.post(f"/handover/lines/{key}/dispute", data={"reason": ""}, headers=HX)
    assert r.status_code == 422 and msg(app, "Say what is not right.") in r.text
    r = incoming.post(f"/handover/lines/{key}/dispute", data={"reason": "钥匙不在领班处"}, headers=HX)
    assert r.status_code == 200 and "钥匙不在领班处" in r.text and 'hx-swap-oob="true"' in r.text
    assert msg(app, "Accept (disputed lines: %(n)s)", n=1) in r.text
    r = incoming.post(f"/handover/{h.id}/accept")
    assert r.status_code == 302
    r = incoming.post(f"/handover/{h.id}/accept")
    assert r.status_code == 422
    with app.app_context():
        at = fresh(h.id).accepted_at.replace(tzinfo=UTC).astimezone(site_of(env).tz)
    assert msg(app, "You already accepted this handover at %(time)s.", time=at.strftime("%H:%M")) in r.text
    assert count_rows(AuditLog, AuditLog.action == "accept", app=app) == 1


def test_the_outgoing_phone_shows_who_it_waits_for(app, env):
    """After handing over, the outgoing attendant's page says it waits for the colleague."""
    with app.app_context():
        h = submitted_water_bar(env)
    outgoing = login(app, env.names["wb_out"])
    page = outgoing.get("/handover/")
    assert "ho-mine" in page.text and f"/handover/{h.id}" in page.text
    assert "accept-btn" not in outgoing.get(f"/handover/{h.id}").text


def test_the_lead_resolves_a_disputed_line(app, env):
    """The lead sees the disputed line on the board and resolves it with a note (the line swaps)."""
    with app.app_context():
        h = submitted_water_bar(env)
        key = next(ln for ln in h.lines if ln.kind == "key")
        services.dispute(site_of(env), who(env, "wb_in"), key, "钥匙不在领班处")
        services.accept(site_of(env), who(env, "wb_in"), fresh(h.id))
    lead = login(app, env.names["lead"])
    board = lead.get("/handover/")
    assert "ho-disputed" in board.text and f"#line-{key.id}" in board.text
    r = lead.post(f"/handover/lines/{key.id}/resolve", data={"note": ""}, headers=HX)
    assert r.status_code == 422 and msg(app, "Write how it was resolved.") in r.text
    r = lead.post(f"/handover/lines/{key.id}/resolve", data={"note": "在保安室找到"}, headers=HX)
    assert r.status_code == 200 and "在保安室找到" in r.text and "state-resolved" in r.text
    assert "ho-disputed" not in lead.get("/handover/").text


def test_staff_resolving_a_disputed_line_is_refused(app, env):
    """The incoming attendant cannot close a dispute themselves: 422, the line stays open."""
    with app.app_context():
        h = submitted_water_bar(env)
        key = next(ln for ln in h.lines if ln.kind == "key")
        services.dispute(site_of(env), who(env, "wb_in"), key, "不对")
        services.accept(site_of(env), who(env, "wb_in"), fresh(h.id))
    r = login(app, env.names["wb_in"]).post(f"/handover/lines/{key.id}/resolve", data={"note": "好了"})
    assert r.status_code == 422 and msg(app, "A disputed line is resolved by the lead.") in r.text
    with app.app_context():
        assert db.session.get(HandoverLine, key.id).state == "open"


def test_history_pages_load_older_in_place(app, env):
    """The manager's history of a post: a full page, and older handovers as a fragment for htmx."""
    with app.app_context():
        for n in range(reads.HISTORY_PAGE + 2):
            h = services.start(site_of(env), who(env, "sec_out" if n % 2 == 0 else "sec_in"),
                               env.users["sec_in" if n % 2 == 0 else "sec_out"], None)
            services.cancel(site_of(env), who(env, "lead"), h)
    boss = login(app, env.names["boss"])
    page = boss.get("/handover/history?post=security")
    assert page.status_code == 200 and page.text.count("ho-card") == reads.HISTORY_PAGE
    older = re.search(r'hx-get="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    frag = boss.get(older, headers=HX)
    assert frag.status_code == 200 and "<html" not in frag.text and frag.text.count("ho-card") == 2
    assert boss.get("/handover/history?post=nonsense").status_code == 200


def test_another_posts_handover_is_403(app, env):
    """A model-room attendant cannot open or act on the water bar's handover."""
    with app.app_context():
        h = submitted_water_bar(env)
        key = next(ln.id for ln in h.lines if ln.kind == "key")
    phone = login(app, env.names["mr_in"])
    assert phone.get(f"/handover/{h.id}").status_code == 403
    assert phone.post(f"/handover/{h.id}/accept").status_code == 403
    assert phone.post(f"/handover/lines/{key}/dispute", data={"reason": "x"}).status_code == 403


def test_other_sites_handovers_are_404(app, env):
    """Another site's handover and its lines do not exist for this site's people; nothing is written."""
    with app.app_context():
        other_site = db.session.get(Site, env.other)
        o_out = db.session.get(User, env.o_users["wb_out"])
        h = services.start(other_site, o_out, env.o_users["wb_in"], None)
        line = services.add_line(other_site, o_out, h, "key", "外站钥匙", None)
    phones = {k: login(app, env.names[k]) for k in ("wb_in", "boss")}
    before = count_rows(AuditLog, app=app)
    for who_, urls in (("wb_in", [("get", f"/handover/{h.id}"), ("post", f"/handover/{h.id}/accept"),
                                  ("post", f"/handover/{h.id}/submit"), ("post", f"/handover/{h.id}/lines"),
                                  ("post", f"/handover/{h.id}/count/{env.bar}"),
                                  ("post", f"/handover/lines/{line.id}/dispute"),
                                  ("post", f"/handover/lines/{line.id}/delete")]),
                       ("boss", [("get", f"/handover/{h.id}"), ("post", f"/handover/{h.id}/cancel"),
                                 ("post", f"/handover/lines/{line.id}/resolve")])):
        phone = phones[who_]
        for method, url in urls:
            r = getattr(phone, method)(url, data={"reason": "x", "note": "x", "text": "x", "kind": "key"})
            assert r.status_code == 404, (who_, url, r.status_code)
    assert count_rows(AuditLog, app=app) == before
    with app.app_context():
        assert fresh(h.id).status == "draft"


def test_ready_handover_submits_from_the_form(app, env):
    """With the count matched, the form hands over and the page says it waits for the colleague."""
    with app.app_context():
        h = ready_water_bar(env)
    phone = login(app, env.names["wb_out"])
    r = phone.post(f"/handover/{h.id}/submit", data={"to_user_id": env.users["wb_in"], "property_checked": "1",
                                                     "notes": "交接完毕"})
    assert r.status_code == 302
    page = phone.get(f"/handover/{h.id}")
    assert "ho-status-submitted" in page.text and "交接完毕" in page.text


BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def _has_header(html: str) -> bool:
    return '<header class="bar">' in html and "<html" in html


def test_boosted_history_tab_and_refused_boosted_post_get_the_whole_page(app, env):
    """A post's tab in the history is a boosted link: the page with its header comes back, not the rows alone;
    a refused post made by a boosted form gets the handover page with its header and the message."""
    boss = login(app, env.names["boss"])
    assert _has_header(boss.get("/handover/history?post=security", headers=BOOSTED).text)
    assert not _has_header(boss.get("/handover/history?post=security", headers=HX).text)
    with app.app_context():
        h = ready_water_bar(env)
    phone = login(app, env.names["wb_out"])
    r = phone.post(f"/handover/{h.id}/lines", data={"kind": "key", "text": "", "idem": "boostline01"},
                   headers=BOOSTED)
    assert r.status_code == 422 and _has_header(r.text) and 'class="error"' in r.text
    part = phone.post(f"/handover/{h.id}/lines", data={"kind": "key", "text": "", "idem": "boostline02"},
                      headers=HX)
    assert part.status_code == 422 and not _has_header(part.text) and 'id="ho-pending"' in part.text


def test_clock_card_speaks_of_the_handover_only_once_there_is_one(app, env):
    """Right after clocking in the water bar's today screen says nothing about an unaccepted handover; once the
    handover is submitted it says it waits for acceptance; once accepted, nothing again."""
    waiting = msg(app, "Your shift handover is not accepted yet: clock out once your colleague has accepted it.")
    phone = login(app, env.names["wb_out"])
    assert phone.post("/attendance/clock-in", data={"idem": "clockin0001"}).status_code == 302
    home = phone.get("/").text
    assert 'id="clock"' in home and "clock-out" in home
    assert "handover-open" not in home and waiting not in home
    with app.app_context():
        h = ready_water_bar(env)
    home = phone.get("/").text
    assert "handover-draft" in home and waiting not in home
    with app.app_context():
        services.submit(site_of(env), who(env, "wb_out"), fresh(h.id), env.users["wb_in"], "", True)
    assert waiting in phone.get("/").text
    with app.app_context():
        services.accept(site_of(env), who(env, "wb_in"), fresh(h.id))
    home = phone.get("/").text
    assert "handover-open" not in home and waiting not in home
