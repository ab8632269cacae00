"""Routes of the checklist engine: a post's routines, htmx answers, the lead's board, the editor."""
import re
from datetime import time, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, gettext

from hospitality.checklists import reads, services
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from tests.factories import make_site, make_user, routine
from tests.harness import Auth, count_rows, counting

HX = {"HX-Request": "true"}
NOTE_NEEDED = "Describe the problem: a failed item needs a note."


@pytest.fixture
def env(app):
    """A site with a water-bar attendant (Chinese), one in English, a lead and a manager."""
    with app.app_context():
        site = make_site()
        make_user(site.id, "water_bar", username="wb")
        make_user(site.id, "water_bar", username="wb_en", locale="en")
        make_user(site.id, "lead", username="lead1")
        make_user(site.id, "manager", username="boss", locale="en")
        tpl = routine(site.id, "water_bar")
        return SimpleNamespace(site=site.id, tpl=tpl.id, items=[i.id for i in tpl.active_items],
                               other=routine(site.id, "model_room").id)


def _answer_all(app, env, username="wb", day=None):
    """Answer every item of the water-bar opening routine through the service."""
    with app.app_context():
        site = db.session.get(Site, env.site)
        user = db.session.scalar(db.select(User).where(User.username == username))
        tpl = db.session.get(ChecklistTemplate, env.tpl)
        for item in tpl.active_items:
            if item.answer_type == "number":
                services.answer_item(site, user, tpl, item, None, "20", None, day=day)
            else:
                services.answer_item(site, user, tpl, item, "1", None, "ok", day=day)
        return reads.find_run(tpl, day or site.today()).id


def test_staff_home_lists_own_routines_only(app, env, client, auth):
    """A water-bar attendant's home shows the water-bar routines and no other post's."""
    auth.login("wb")
    r = client.get("/")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "水吧开吧" in body and "水吧收吧" in body
    assert f'href="/checklists/{env.tpl}"' in body
    assert "样板间开放" not in body and f'href="/checklists/{env.other}"' not in body


def test_fill_page_shows_items(app, env, client, auth):
    """The fill page lists every item of the routine with an answer form each."""
    auth.login("wb")
    r = client.get(f"/checklists/{env.tpl}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "检查水吧台内一切物品和食品,与库存核对" in body and "器具、器皿消毒" in body
    for item_id in env.items:
        assert f'hx-post="/checklists/{env.tpl}/items/{item_id}"' in body
    assert 'id="progress"' in body


def test_fill_page_reads_the_routine_its_items_and_the_run_with_its_answers_in_few_statements(app, env, client,
                                                                                          auth):
    """The fill page reads the session, the routine with its items, the person's shift day (roster and clock-ins at
    once) and the run with its answers: the same statements before the run starts and once every item is answered,
    four on PostgreSQL; the answers show."""
    auth.login("wb")
    client.get(f"/checklists/{env.tpl}")  # the statements are prepared from their second reading
    with counting(app) as before:
        assert client.get(f"/checklists/{env.tpl}").status_code == 200
    _answer_all(app, env)
    with counting(app) as after:
        body = client.get(f"/checklists/{env.tpl}").get_data(as_text=True)
    assert len(after) == len(before), (before, after)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(after) == 4, after
    for item_id in env.items:
        assert f'<li id="item-{item_id}" class="ck-item answered' in body, item_id
    with app.app_context():
        required = len([i for i in db.session.get(ChecklistTemplate, env.tpl).active_items if i.required])
    assert f'<progress value="{required}" max="{required}">' in body


def test_staff_cannot_open_another_posts_routine(app, env, client, auth):
    """A water-bar attendant gets 403 on the model-room routine."""
    auth.login("wb")
    assert client.get(f"/checklists/{env.other}").status_code == 403


def test_htmx_answer_returns_item_fragment_with_oob_progress(app, env, client, auth):
    """An htmx answer returns the item fragment and an out-of-band progress line, and saves it."""
    auth.login("wb")
    item_id = env.items[0]
    r = client.post(f"/checklists/{env.tpl}/items/{item_id}", data={"ok": "1"}, headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith(f'<li id="item-{item_id}"')
    assert re.search(r'<p id="progress"[^>]*hx-swap-oob="true"', body)
    assert f'<progress value="1" max="{len(env.items)}">' in body
    with app.app_context():
        answer = db.session.scalar(db.select(ChecklistAnswer))
        assert answer.item_id == item_id and answer.ok is True


def _note_error(app, locale):
    with app.test_request_context(), force_locale(locale):
        return gettext(NOTE_NEEDED)


@pytest.mark.parametrize("username,locale", [("wb", "zh_Hans"), ("wb_en", "en")])
def test_failed_item_without_note_is_422_in_users_language(app, env, client, auth, username, locale):
    """A failed item without a note is refused with 422, the message under the note field, nothing saved."""
    auth.login(username)
    item_id = env.items[0]
    r = client.post(f"/checklists/{env.tpl}/items/{item_id}", data={"ok": "0", "note": " "}, headers=HX)
    body = r.get_data(as_text=True)
    expected = _note_error(app, locale)
    if locale == "en":
        assert expected == NOTE_NEEDED
    else:
        assert re.search(r"[\u4e00-\u9fff]", expected), "no Chinese translation of the note error"
    assert r.status_code == 422
    assert "<html" not in body
    note_field = re.search(r'<textarea name="note"[^>]*aria-invalid="true"', body)
    message = body.find(f'<small class="error">{expected}</small>')
    assert note_field and note_field.start() < message < body.index("</form>")
    assert count_rows(ChecklistRun, app=app) == 0 and count_rows(ChecklistAnswer, app=app) == 0


def test_plain_post_answer_redirects_to_fill_page(app, env, client, auth):
    """Without htmx an answer is saved and the browser is redirected back to the fill page."""
    auth.login("wb")
    r = client.post(f"/checklists/{env.tpl}/items/{env.items[0]}", data={"ok": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/checklists/{env.tpl}")
    assert count_rows(ChecklistAnswer, ChecklistAnswer.item_id == env.items[0], app=app) == 1


def test_complete_with_missing_items_flashes_error(app, env, client, auth):
    """Completing with unanswered items flashes how many are left and leaves the run open."""
    auth.login("wb_en")
    client.post(f"/checklists/{env.tpl}/items/{env.items[0]}", data={"ok": "1"}, headers=HX)
    r = client.post(f"/checklists/{env.tpl}/complete", follow_redirects=True)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and r.request.path == f"/checklists/{env.tpl}"
    assert 'class="flash error"' in body and f"{len(env.items) - 1} item(s) still to answer." in body
    with app.app_context():
        run = db.session.scalar(db.select(ChecklistRun))
        assert run.completed_at is None
    assert count_rows(AuditLog, AuditLog.action == "complete", app=app) == 0


def test_complete_all_redirects_home_and_card_shows_done(app, env, client, auth):
    """Once every item is answered, completing redirects home and the routine's card shows done."""
    with app.app_context():
        # Due at the end of the day so "done" (not "late") whatever the clock says.
        db.session.get(ChecklistTemplate, env.tpl).due_time = time(23, 59)
        db.session.commit()
    auth.login("wb")
    for item_id in env.items:
        with app.app_context():
            kind = db.session.get(ChecklistItem, item_id).answer_type
        data = {"number": "30"} if kind == "number" else {"ok": "1"}
        assert client.post(f"/checklists/{env.tpl}/items/{item_id}", data=data, headers=HX).status_code == 200
    r = client.post(f"/checklists/{env.tpl}/complete")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    body = client.get("/").get_data(as_text=True)
    card = re.search(rf'<a class="card [^"]*" href="/checklists/{env.tpl}">.*?</a>', body, re.S).group(0)
    assert "st-done" in card and f"{len(env.items)}/{len(env.items)}" in card
    with app.app_context():
        run = db.session.scalar(db.select(ChecklistRun))
        assert run.completed_at is not None and run.failed_count == 0


def test_lead_sees_routine_read_only_and_cannot_answer(app, env, client, auth):
    """The lead sees a post's routine without answer forms, and a posted answer is refused with 403."""
    _answer_all(app, env)
    auth.login("lead1")
    r = client.get(f"/checklists/{env.tpl}")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "器具、器皿消毒" in body and 'class="ck-answer"' in body
    assert "hx-post" not in body and f"/checklists/{env.tpl}/items/" not in body
    assert f"/checklists/{env.tpl}/complete" not in body
    r = client.post(f"/checklists/{env.tpl}/items/{env.items[0]}", data={"ok": "0", "note": "x"}, headers=HX)
    assert r.status_code == 403
    with app.app_context():
        answer = db.session.scalar(db.select(ChecklistAnswer).where(ChecklistAnswer.item_id == env.items[0]))
        assert answer.ok is True and answer.note == "ok"


def test_lead_cannot_complete(app, env, client, auth):
    """The lead cannot complete another post's routine."""
    _answer_all(app, env)
    auth.login("lead1")
    assert client.post(f"/checklists/{env.tpl}/complete").status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(ChecklistRun)).completed_at is None


def test_board_shows_every_posts_routines_with_states(app, env, client, auth):
    """The lead's board lists every post's routines with a state badge and links a started run."""
    run_id = _answer_all(app, env)
    auth.login("lead1")
    r = client.get("/board")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in body
    with app.app_context():
        names = db.session.scalars(db.select(ChecklistTemplate.name).where(
            ChecklistTemplate.site_id == env.site, ChecklistTemplate.kind.in_(("opening", "closing")))).all()
    assert len(names) == 8  # the routines; grooming and inspections have their own board section
    for name in names:
        assert name in body
    assert len(re.findall(r'<mark class="st st-[a-z_]+">', body)) == 8
    assert f'href="/checklists/runs/{run_id}"' in body
    assert f"{len(env.items)}/{len(env.items)}" in body


def test_board_for_yesterday_as_htmx_returns_fragment(app, env, client, auth):
    """An htmx request for yesterday's board returns only the #board fragment for that day."""
    with app.app_context():
        today = db.session.get(Site, env.site).today()
    yesterday = today - timedelta(days=1)
    old_run = _answer_all(app, env, day=yesterday)
    auth.login("lead1")
    r = client.get(f"/board?date={yesterday.isoformat()}", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert body.lstrip().startswith('<div id="board">') and "<html" not in body
    assert f"date={today.isoformat()}" in body  # a "next day" link back to today
    assert f'href="/checklists/runs/{old_run}"' in body
    assert "HX-Request" in r.headers.get("Vary", "")
    today_body = client.get("/board", headers=HX).get_data(as_text=True)
    assert f'href="/checklists/runs/{old_run}"' not in today_body


def test_board_bad_date_falls_back_to_today(app, env, client, auth):
    """A date that does not parse shows today's board."""
    with app.app_context():
        today = db.session.get(Site, env.site).today()
    auth.login("lead1")
    r = client.get("/board?date=2024-13-45")
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f"date={(today - timedelta(days=1)).isoformat()}" in body
    assert f"date={today.isoformat()}" not in body  # no "next day" link on today


def test_staff_cannot_see_board(app, env, client, auth):
    """The board is for the lead and manager only."""
    auth.login("wb")
    assert client.get("/board").status_code == 403


def _item_data(**over):
    data = {"text": "冰块数量", "text_en": "Ice cubes", "answer_type": "number", "required": "y",
            "unit": "块", "min_value": "1", "max_value": "10", "active": "y"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def manager(client, auth, env):
    auth.login("boss")
    return client


def _new_template(app, client):
    r = client.post("/checklists/templates/new", data={
        "name": "水吧午间检查", "name_en": "Midday bar check", "kind": "opening", "post": "water_bar",
        "due_time": "23:59", "active": "y"})
    assert r.status_code == 302
    with app.app_context():
        tpl = db.session.scalar(db.select(ChecklistTemplate).where(ChecklistTemplate.name == "水吧午间检查"))
    assert r.headers["Location"].endswith(f"/checklists/templates/{tpl.id}")
    return tpl


def test_manager_creates_template_and_number_item(app, env, manager):
    """The manager creates a template and adds a number item with its range; both are audited."""
    tpl = _new_template(app, manager)
    assert (tpl.kind, tpl.post, tpl.due_time, tpl.active) == ("opening", "water_bar", time(23, 59), True)
    r = manager.post(f"/checklists/templates/{tpl.id}/items/new", data=_item_data())
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/checklists/templates/{tpl.id}")
    with app.app_context():
        item = db.session.scalar(db.select(ChecklistItem).where(ChecklistItem.template_id == tpl.id))
        assert (item.text, item.answer_type, item.unit, item.min_value, item.max_value, item.required) == (
            "冰块数量", "number", "块", 1, 10, True)
        entities = db.session.scalars(db.select(AuditLog.entity).where(AuditLog.action == "create")).all()
        assert "checklist_template" in entities and "checklist_item" in entities
    body = manager.get(f"/checklists/templates/{tpl.id}").get_data(as_text=True)
    assert "Ice cubes" in body


def test_item_min_above_max_is_422_under_the_field(app, env, manager):
    """An item whose lowest value is above its highest is refused under the lowest-value field."""
    tpl = _new_template(app, manager)
    r = manager.post(f"/checklists/templates/{tpl.id}/items/new", data=_item_data(min_value="9", max_value="3"))
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="min_value"[^>]*aria-invalid="true"', body) or \
        re.search(r'aria-invalid="true"[^>]*id="min_value"', body)
    assert '<small class="error" id="min_value-err">The lowest value is above the highest.</small>' in body
    assert count_rows(ChecklistItem, ChecklistItem.template_id == tpl.id, app=app) == 0


def test_staff_cannot_edit_templates(app, env, client, auth):
    """Only the manager reaches the template editor."""
    auth.login("wb")
    assert client.get("/checklists/templates").status_code == 403
    assert client.post("/checklists/templates/new", data={"name": "x", "kind": "opening",
                                                          "post": "water_bar"}).status_code == 403
    assert count_rows(ChecklistTemplate, ChecklistTemplate.name == "x", app=app) == 0


def test_retired_item_leaves_fill_page_but_old_run_keeps_answer(app, env, manager):
    """A retired item disappears from the fill page while an earlier run still shows its answer."""
    tpl = _new_template(app, manager)
    manager.post(f"/checklists/templates/{tpl.id}/items/new", data=_item_data())
    manager.post(f"/checklists/templates/{tpl.id}/items/new",
                 data=_item_data(text="台面擦净", text_en="Counter wiped", answer_type="check",
                                 unit=None, min_value=None, max_value=None))
    with app.app_context():
        ice, counter = db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.template_id == tpl.id)
                                          .order_by(ChecklistItem.position)).all()
    staff = Auth(app.test_client())
    staff.login("wb")
    r = staff.client.post(f"/checklists/{tpl.id}/items/{ice.id}", data={"number": "7"}, headers=HX)
    assert r.status_code == 200
    with app.app_context():
        run_id = db.session.scalar(db.select(ChecklistRun.id).where(ChecklistRun.template_id == tpl.id))

    r = manager.post(f"/checklists/templates/{tpl.id}/items/{ice.id}", data=_item_data(active=None))
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(ChecklistItem, ice.id).active is False

    fill = staff.client.get(f"/checklists/{tpl.id}").get_data(as_text=True)
    assert "冰块数量" not in fill and f"/items/{ice.id}" not in fill
    assert "台面擦净" in fill
    old = staff.client.get(f"/checklists/runs/{run_id}")
    body = old.get_data(as_text=True)
    assert old.status_code == 200
    assert "冰块数量" in body and re.search(r"7\s*块", body)
    assert "hx-post" not in body


def test_move_up_and_down_reorders_items(app, env, manager):
    """Moving an item up or down swaps it with its neighbour, on screen and in the database."""
    tpl = _new_template(app, manager)
    for text in ("一", "二", "三"):
        manager.post(f"/checklists/templates/{tpl.id}/items/new",
                     data=_item_data(text=text, text_en=None, answer_type="check", unit=None,
                                     min_value=None, max_value=None))

    def order():
        with app.app_context():
            return db.session.scalars(db.select(ChecklistItem.text).where(ChecklistItem.template_id == tpl.id)
                                      .order_by(ChecklistItem.position, ChecklistItem.id)).all()

    with app.app_context():
        ids = dict(db.session.execute(db.select(ChecklistItem.text, ChecklistItem.id)
                                      .where(ChecklistItem.template_id == tpl.id)).all())
    assert order() == ["一", "二", "三"]
    r = manager.post(f"/checklists/templates/{tpl.id}/items/{ids['三']}/move", data={"step": "up"})
    assert r.status_code == 302
    assert order() == ["一", "三", "二"]
    manager.post(f"/checklists/templates/{tpl.id}/items/{ids['一']}/move", data={"step": "down"})
    assert order() == ["三", "一", "二"]
    # At the top already: moving up changes nothing.
    manager.post(f"/checklists/templates/{tpl.id}/items/{ids['三']}/move", data={"step": "up"})
    assert order() == ["三", "一", "二"]
    body = manager.get(f"/checklists/templates/{tpl.id}").get_data(as_text=True)
    positions = [body.index(f"/items/{ids[t]}\"") for t in ("三", "一", "二")]
    assert positions == sorted(positions)
    fill = manager.get(f"/checklists/{tpl.id}").get_data(as_text=True)
    assert fill.index(f'id="item-{ids["三"]}"') < fill.index(f'id="item-{ids["一"]}"') < \
        fill.index(f'id="item-{ids["二"]}"')
