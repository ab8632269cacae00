"""Routes of grooming checks, area inspections and tasks: pages, htmx fragments, refusals, other sites."""
import re
from html import escape
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select

from hospitality.checklists.services import PHOTO_KIND
from hospitality.extensions import db
from hospitality.inspections import reads, services
from hospitality.models import AuditLog, ChecklistAnswer, ChecklistRun, ChecklistTemplate, Site, User
from hospitality.models.core import utcnow
from hospitality.models.tasks import Task
from tests.factories import clock_in, make_site, png, team, template
from tests.harness import HX, count_rows, login

NOT_ON_DUTY = ("%(name)s is not on duty today (not on the roster, or on leave): only people on duty are "
               "checked.")


def _zh(app, msgid: str, **kw) -> str:
    with app.test_request_context(), force_locale("zh_Hans"):
        return escape(gettext(msgid, **kw))


@pytest.fixture
def env(app):
    """Site A with its team on today's roster (and one person off duty), and site B with its own."""
    with app.app_context():
        a = team(make_site().id)
        b = team(make_site().id)
        ids = SimpleNamespace(a=a, b=b)
        for key, site in (("a", a), ("b", b)):
            grooming = template(site.site, "grooming")
            lounge = template(site.site, "lounge_rounds")
            bar = template(site.site, "insp_water_bar")
            setattr(ids, f"{key}_grooming", grooming.id)
            setattr(ids, f"{key}_gitems", [i.id for i in grooming.active_items])
            setattr(ids, f"{key}_lounge", lounge.id)
            setattr(ids, f"{key}_bar", bar.id)
            setattr(ids, f"{key}_bitems", [i.id for i in bar.active_items])
        return ids


def _wb(env, side="a"):
    return getattr(env, side).staff["water_bar"]


def _fail_bar_item(app, env, note="台面有水渍", side="a") -> int:
    """The lead fails the first water-bar inspection item; returns the answer id."""
    with app.app_context():
        s = getattr(env, side)
        site, lead = db.session.get(Site, s.site), db.session.get(User, s.lead)
        tpl = db.session.get(ChecklistTemplate, getattr(env, f"{side}_bar"))
        return services.answer_area(site, lead, tpl, "", tpl.active_items[0], "0", None, note).id


def _task(app, env, assignee="water_bar", side="a") -> int:
    answer_id = _fail_bar_item(app, env, side=side)
    with app.app_context():
        s = getattr(env, side)
        return services.raise_task(db.session.get(Site, s.site), db.session.get(User, s.lead),
                                   db.session.get(ChecklistAnswer, answer_id), assignee, "擦干台面",
                                   f"idem{side}{assignee}").id


# The lead's page


def test_lead_page_lists_people_on_duty_rounds_and_tasks(app, env):
    """The lead sees each person on duty with their clock-in, every inspection round with its due time, tasks."""
    with app.app_context():
        clock_in(env.a.site, _wb(env), env.a.day, utcnow(), late=12)
        off_name = db.session.get(User, env.a.off).name
        names = [db.session.get(User, uid).name for uid in env.a.staff.values()]
    _task(app, env, "cleaner")
    client = login(app, env.a.lead_name)
    body = client.get("/inspections/").get_data(as_text=True)
    for name in names:
        assert name in body
    assert off_name not in body
    assert _zh(app, "%(n)d min late", n=12) in body
    assert body.count(_zh(app, "not clocked in yet")) == 4  # model room, security, concierge, the lead
    assert f'href="/inspections/grooming/{_wb(env)}"' in body
    for slot in ("10:00", "12:00", "15:00", "17:00"):
        assert f'href="/inspections/areas/{env.a_lounge}?at={slot}"' in body
    assert f'href="/inspections/areas/{env.a_bar}"' in body and "09:30" in body
    assert "擦干台面" in body and 'hx-post="/inspections/tasks/' in body


def test_staff_cannot_open_the_lead_pages(app, env):
    """A water-bar attendant gets 403 on the lead's page, a grooming check, a lead inspection, a colleague's record."""
    client = login(app, f"water_bar{env.a.site}")
    for url in ("/inspections/", f"/inspections/grooming/{env.a.staff['model_room']}",
                f"/inspections/areas/{env.a_bar}", f"/inspections/people/{env.a.staff['model_room']}"):
        assert client.get(url).status_code == 403, url


# Grooming


def test_grooming_page_has_items_photo_inputs_and_attendance(app, env):
    """The check of a person on duty lists the grooming items, each posting to the person's own URL."""
    client = login(app, env.a.lead_name)
    body = client.get(f"/inspections/grooming/{_wb(env)}").get_data(as_text=True)
    assert "刘海不盖眉" in body and _zh(app, "not clocked in yet") in body
    for item_id in env.a_gitems:
        assert f'hx-post="/inspections/grooming/{_wb(env)}/items/{item_id}"' in body
    assert 'hx-encoding="multipart/form-data"' in body
    assert f'action="/inspections/grooming/{_wb(env)}/complete"' in body


def test_grooming_of_someone_off_duty_is_refused_with_a_message(app, env):
    """Opening or answering the check of someone not on duty: 422 with a clear message, nothing saved."""
    with app.app_context():
        name = db.session.get(User, env.a.off).name
    message = _zh(app, NOT_ON_DUTY, name=name)
    client = login(app, env.a.lead_name)
    audit = count_rows(AuditLog, app=app)
    r = client.get(f"/inspections/grooming/{env.a.off}")
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    r = client.post(f"/inspections/grooming/{env.a.off}/items/{env.a_gitems[0]}", data={"ok": "1"}, headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "<html" not in body and message in body
    r = client.post(f"/inspections/grooming/{env.a.off}/items/{env.a_gitems[0]}", data={"ok": "1"})
    assert r.status_code == 302
    assert message in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post(f"/inspections/grooming/{env.a.off}/complete")
    assert r.status_code == 302
    assert count_rows(ChecklistRun, app=app) == 0 and count_rows(ChecklistAnswer, app=app) == 0 \
        and count_rows(AuditLog, app=app) == audit


def test_htmx_grooming_answer_returns_the_item_and_progress(app, env):
    """An htmx answer swaps the item, updates the progress out of band and saves it about the person."""
    client = login(app, env.a.lead_name)
    item_id = env.a_gitems[0]
    r = client.post(f"/inspections/grooming/{_wb(env)}/items/{item_id}", data={"ok": "1"}, headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith(f'<li id="item-{item_id}"')
    assert re.search(r'<p id="progress"[^>]*hx-swap-oob="true"', body)
    with app.app_context():
        run = db.session.scalar(select(ChecklistRun))
        assert run.subject_user_id == _wb(env) and run.slot == f"u{_wb(env)}"


def test_failed_grooming_item_without_note_is_422(app, env):
    """A failed item without a note: 422, the message under the note, nothing saved."""
    client = login(app, env.a.lead_name)
    r = client.post(f"/inspections/grooming/{_wb(env)}/items/{env.a_gitems[0]}", data={"ok": "0", "note": ""},
                    headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'<textarea name="note"[^>]*aria-invalid="true"', body)
    assert _zh(app, "Describe the problem: a failed item needs a note.") in body
    assert count_rows(ChecklistAnswer, app=app) == 0


def test_photo_is_stored_served_to_the_lead_and_refused_to_others(app, env):
    """A photo with a failed item is re-encoded as JPEG, served to the lead; another post gets 403."""
    client = login(app, env.a.lead_name)
    r = client.post(f"/inspections/grooming/{_wb(env)}/items/{env.a_gitems[0]}", headers=HX,
                    data={"ok": "0", "note": "指甲过长", "photo": (png(), "nails.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    with app.app_context():
        answer = db.session.scalar(select(ChecklistAnswer))
        assert answer.photo and answer.photo.endswith(".jpg")
        assert (Path(app.instance_path) / "uploads" / PHOTO_KIND / answer.photo).exists()
    assert f'src="/inspections/answers/{answer.id}/photo"' in r.get_data(as_text=True)
    got = client.get(f"/inspections/answers/{answer.id}/photo")
    assert got.status_code == 200 and got.data[:3] == b"\xff\xd8\xff"
    assert login(app, f"model_room{env.a.site}").get(f"/inspections/answers/{answer.id}/photo").status_code == 403


def test_a_file_that_is_not_a_photo_is_refused_and_leaves_nothing(app, env):
    """A text file as photo: 422 with the photo message, no answer, no file left behind."""
    client = login(app, env.a.lead_name)
    folder = Path(app.instance_path) / "uploads" / PHOTO_KIND
    before = set(folder.iterdir()) if folder.exists() else set()
    r = client.post(f"/inspections/grooming/{_wb(env)}/items/{env.a_gitems[0]}", headers=HX,
                    data={"ok": "0", "note": "x", "photo": (BytesIO(b"not an image"), "x.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert _zh(app, "This is not a photo (JPEG, PNG or WebP).") in r.get_data(as_text=True)
    assert count_rows(ChecklistAnswer, app=app) == 0
    assert (set(folder.iterdir()) if folder.exists() else set()) == before


def test_refused_answer_removes_its_photo(app, env):
    """A good photo sent for someone off duty is not kept."""
    client = login(app, env.a.lead_name)
    folder = Path(app.instance_path) / "uploads" / PHOTO_KIND
    before = set(folder.iterdir()) if folder.exists() else set()
    r = client.post(f"/inspections/grooming/{env.a.off}/items/{env.a_gitems[0]}", headers=HX,
                    data={"ok": "0", "note": "x", "photo": (png(), "p.png")}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert (set(folder.iterdir()) if folder.exists() else set()) == before


def test_complete_grooming_scores_and_returns_to_the_list(app, env):
    """Completing a full check stores the score, says it, and the list shows it."""
    client = login(app, env.a.lead_name)
    for n, item_id in enumerate(env.a_gitems):
        data = {"ok": "0", "note": "工牌歪了"} if n == 0 else {"ok": "1"}
        assert client.post(f"/inspections/grooming/{_wb(env)}/items/{item_id}", data=data,
                           headers=HX).status_code == 200
    r = client.post(f"/inspections/grooming/{_wb(env)}/complete", follow_redirects=True)
    body = r.get_data(as_text=True)
    score = round(100 * (len(env.a_gitems) - 1) / len(env.a_gitems))
    with app.app_context():
        name = db.session.get(User, _wb(env)).name
        assert db.session.scalar(select(ChecklistRun.score)) == score
    assert _zh(app, "Grooming of %(name)s checked: %(score)d%%.", name=name, score=score) in body
    assert f"{score}%" in body


def test_person_record_shows_trend_and_failed_items(app, env):
    """A person's record has a bar per check and the failed items with their notes."""
    client = login(app, env.a.lead_name)
    for n, item_id in enumerate(env.a_gitems):
        data = {"ok": "0", "note": "丝巾未佩戴"} if n == 0 else {"ok": "1"}
        client.post(f"/inspections/grooming/{_wb(env)}/items/{item_id}", data=data, headers=HX)
    client.post(f"/inspections/grooming/{_wb(env)}/complete")
    body = client.get(f"/inspections/people/{_wb(env)}").get_data(as_text=True)
    assert body.count('<rect class="bar') == 1 and "丝巾未佩戴" in body and "<meter" in body


# Area inspections


def test_lounge_round_page_and_unknown_round(app, env):
    """A lounge round opens with the four rounds to pick from; a time that is no round is 404."""
    client = login(app, env.a.lead_name)
    r = client.get(f"/inspections/areas/{env.a_lounge}?at=12:00")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "茶几上无杂物" in body
    assert 'aria-current="page">12:00<' in body
    assert "?at=12:00" in re.search(r'hx-post="([^"]+)"', body).group(1)
    assert client.get(f"/inspections/areas/{env.a_lounge}?at=11:00").status_code == 404
    assert client.get(f"/inspections/areas/{env.a_lounge}").status_code == 200  # the next round due


def test_failed_area_item_offers_a_task_and_raises_it_once(app, env):
    """A failed item's fragment carries the task form; posting it twice with one key raises one task."""
    client = login(app, env.a.lead_name)
    item_id = env.a_bitems[0]
    r = client.post(f"/inspections/areas/{env.a_bar}/items/{item_id}", data={"ok": "0", "note": "杯子未消毒"},
                    headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="assignee"' in body and "杯子未消毒" in body
    with app.app_context():
        answer_id = db.session.scalar(select(ChecklistAnswer.id))
    url = f"/inspections/answers/{answer_id}/tasks"
    assert f'hx-post="{url}"' in body
    for _ in range(2):
        r = client.post(url, data={"assignee": "water_bar", "text": "重新消毒", "idem": "abcdef123456"}, headers=HX)
        assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert body.lstrip().startswith(f'<div id="tasks-{answer_id}"') and "重新消毒" in body
    assert count_rows(Task, app=app) == 1


def test_bad_task_is_422_under_its_field(app, env):
    """An unknown assignee: 422 fragment with the message; no task."""
    answer_id = _fail_bar_item(app, env)
    client = login(app, env.a.lead_name)
    r = client.post(f"/inspections/answers/{answer_id}/tasks", data={"assignee": "boss", "idem": "abcdef999999"},
                    headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and _zh(app, "Choose who should do it.") in body
    assert re.search(r'<select name="assignee"[^>]*aria-invalid="true"', body)
    assert count_rows(Task, app=app) == 0


def test_complete_area_round(app, env):
    """Answering every item and completing closes the round; the list shows it done or late."""
    client = login(app, env.a.lead_name)
    for item_id in env.a_bitems:
        client.post(f"/inspections/areas/{env.a_bar}/items/{item_id}", data={"ok": "1"}, headers=HX)
    r = client.post(f"/inspections/areas/{env.a_bar}/complete")
    assert r.status_code == 302 and r.headers["Location"].endswith("/inspections/")
    with app.app_context():
        run = db.session.scalar(select(ChecklistRun))
        assert run.completed_at is not None and run.score == 100


def test_engine_pages_send_inspections_to_their_own_pages(app, env):
    """The routine URLs do not fill a grooming or inspection template: GET redirects, POST is 404."""
    client = login(app, env.a.lead_name)
    assert client.get(f"/checklists/{env.a_grooming}").headers["Location"].endswith("/inspections/")
    assert client.get(f"/checklists/{env.a_bar}").headers["Location"].endswith(f"/inspections/areas/{env.a_bar}")
    assert client.post(f"/checklists/{env.a_bar}/items/{env.a_bitems[0]}", data={"ok": "1"}).status_code == 404
    assert client.post(f"/checklists/{env.a_grooming}/complete").status_code == 404
    assert count_rows(ChecklistRun, app=app) == 0


# Tasks


def test_post_sees_and_closes_its_task_once(app, env):
    """The water bar sees its task (not the cleaner's), closes it in one tap; a second tap changes nothing."""
    bar_task = _task(app, env, "water_bar")
    with app.app_context():
        lead = db.session.get(User, env.a.lead)
        answer = db.session.scalar(select(ChecklistAnswer))
        services.raise_task(db.session.get(Site, env.a.site), lead, answer, "cleaner", "拖地", "idemcleaner1")
    client = login(app, f"water_bar{env.a.site}")
    body = client.get("/inspections/tasks").get_data(as_text=True)
    assert "擦干台面" in body and "拖地" not in body
    r = client.post(f"/inspections/tasks/{bar_task}/done", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith(f'<li id="task-{bar_task}" class="task done"')
    assert client.post(f"/inspections/tasks/{bar_task}/done", headers=HX).status_code == 200
    assert count_rows(AuditLog, AuditLog.entity == "task", AuditLog.action == "done", app=app) == 1
    assert login(app, f"model_room{env.a.site}").post(f"/inspections/tasks/{bar_task}/done").status_code == 403
    lead_body = login(app, env.a.lead_name).get("/inspections/tasks").get_data(as_text=True)
    assert "拖地" in lead_body


def test_task_card_names_its_round_item_and_people(app, env):
    """A task's card says which round and item it came from and who raised it; once done, who closed it and when,
    and the round's time for a timed inspection."""
    with app.app_context():
        site, lead = db.session.get(Site, env.a.site), db.session.get(User, env.a.lead)
        lounge = db.session.get(ChecklistTemplate, env.a_lounge)
        item = lounge.active_items[0]
        answer = services.answer_area(site, lead, lounge, "12:00", item, "0", None, "沙发有污渍")
        task = services.raise_task(site, lead, answer, "water_bar", None, "idemlounge1200").id
        wb_name = db.session.get(User, _wb(env)).name
        labels = (lounge.name, item.text, lead.name)
    client = login(app, f"water_bar{env.a.site}")
    body = client.get("/inspections/tasks").get_data(as_text=True)
    card = body[body.index(f'<li id="task-{task}"'):]
    card = card[:card.index("</li>")]
    assert f"{labels[0]} 12:00" in card and f"{labels[1]}:</span> 沙发有污渍" in card
    assert _zh(app, "Raised by %(name)s at %(time)s", name=labels[2], time="TIME").split("TIME")[0] in card
    assert 'class="task-done"' in card
    done = client.post(f"/inspections/tasks/{task}/done", headers=HX).get_data(as_text=True)
    assert 'class="task done"' in done and 'class="task-done"' not in done
    assert _zh(app, "done by %(name)s at %(time)s", name=wb_name, time="TIME").split("TIME")[0] in done
    assert f"{labels[0]} 12:00" in done and labels[2] in done


def test_fragments_for_the_today_screens(app, env):
    """_tasks.html and _board.html render from my_tasks and board_summary."""
    _task(app, env, "water_bar")
    with app.test_request_context():
        from flask_login import login_user
        site = db.session.get(Site, env.a.site)
        wb = db.session.get(User, _wb(env))
        login_user(wb)
        html = render_template("inspections/_tasks.html", open_tasks=reads.my_tasks(site, wb))
        assert 'id="tasks"' in html and "擦干台面" in html and "/inspections/tasks/" in html
        empty = render_template("inspections/_tasks.html", open_tasks=[])
        assert 'id="tasks"' not in empty
        board = render_template("inspections/_board.html", summary=reads.board_summary(site, site.today()))
        assert 'id="inspections-board"' in board and "0/5" in board


# Another site's rows


@pytest.mark.parametrize("method,url", [
    ("GET", "/inspections/grooming/{b.staff[water_bar]}"),
    ("POST", "/inspections/grooming/{b.staff[water_bar]}/items/{b_gitem}"),
    ("POST", "/inspections/grooming/{a.staff[water_bar]}/items/{b_gitem}"),  # A's person, B's item
    ("POST", "/inspections/grooming/{b.staff[water_bar]}/complete"),
    ("GET", "/inspections/people/{b.staff[water_bar]}"),
    ("GET", "/inspections/areas/{b_bar}"),
    ("POST", "/inspections/areas/{b_bar}/items/{b_bitem}"),
    ("POST", "/inspections/areas/{a_bar}/items/{b_bitem}"),
    ("POST", "/inspections/areas/{b_bar}/complete"),
    ("POST", "/inspections/answers/{b_answer}/tasks"),
    ("GET", "/inspections/answers/{b_answer}/photo"),
    ("POST", "/inspections/tasks/{b_task}/done"),
])
def test_other_sites_ids_are_404(app, env, method, url):
    """The lead of site A asking for site B's people, templates, answers or tasks gets 404, nothing written."""
    b_task = _task(app, env, side="b")
    client = login(app, env.a.lead_name)
    with app.app_context():
        b_answer = db.session.scalar(select(Task.answer_id).where(Task.id == b_task))
        before = {m.__name__: count_rows(m, app=app) for m in (ChecklistRun, ChecklistAnswer, Task, AuditLog)}
    url = url.format(a=env.a, b=env.b, b_gitem=env.b_gitems[0], b_bar=env.b_bar, b_bitem=env.b_bitems[1],
                     a_bar=env.a_bar, b_answer=b_answer, b_task=b_task)
    r = client.open(url, method=method, data={"ok": "1", "assignee": "cleaner", "text": "x", "idem": "zzzz99999999"})
    assert r.status_code == 404
    assert {m.__name__: count_rows(m, app=app) for m in (ChecklistRun, ChecklistAnswer, Task, AuditLog)} == before
    with app.app_context():
        assert db.session.get(Task, b_task).status == "open"


# The editor


def test_editor_shows_and_saves_rounds_and_posts(app, env):
    """The manager sees a lounge template's times and changes a grooming list's posts in the editor."""
    client = login(app, env.a.boss_name)
    body = client.get(f"/checklists/templates/{env.a_lounge}").get_data(as_text=True)
    assert 'value="10:00 12:00 15:00 17:00"' in body and 'name="grooming_posts"' in body
    r = client.post(f"/checklists/templates/{env.a_lounge}", data={
        "name": "休息室巡检", "kind": "inspection", "post": "lead", "times": "10:00 25:00", "active": "y"})
    assert r.status_code == 422
    assert _zh(app, "Write the times like 10:00 15:00.") in r.get_data(as_text=True)
    r = client.post(f"/checklists/templates/{env.a_grooming}", data={
        "name": "仪容仪表检查", "kind": "grooming", "post": "lead", "grooming_posts": ["water_bar", "concierge"],
        "active": "y"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(ChecklistTemplate, env.a_grooming).for_posts == "water_bar,concierge"
        assert db.session.get(ChecklistTemplate, env.a_lounge).times == "10:00,12:00,15:00,17:00"



def test_staff_see_their_own_grooming_record_and_photo_only(app, env):
    """An attendant opens their own record and its photo; a colleague's record is 403."""
    lead = login(app, env.a.lead_name)
    for n, item_id in enumerate(env.a_gitems):
        data = {"ok": "0", "note": "皮鞋不亮", "photo": (png(), "shoes.png")} if n == 0 else {"ok": "1"}
        lead.post(f"/inspections/grooming/{_wb(env)}/items/{item_id}", data=data, headers=HX,
                  content_type="multipart/form-data")
    lead.post(f"/inspections/grooming/{_wb(env)}/complete")
    with app.app_context():
        answer_id = db.session.scalar(select(ChecklistAnswer.id).where(ChecklistAnswer.photo.is_not(None)))
    own = login(app, f"water_bar{env.a.site}")
    body = own.get(f"/inspections/people/{_wb(env)}").get_data(as_text=True)
    assert "皮鞋不亮" in body and "/checklists/runs/" not in body
    assert own.get(f"/inspections/answers/{answer_id}/photo").status_code == 200
    colleague = login(app, f"model_room{env.a.site}")
    assert colleague.get(f"/inspections/people/{_wb(env)}").status_code == 403
    assert colleague.get(f"/inspections/answers/{answer_id}/photo").status_code == 403


def test_lead_page_shows_the_oldest_tasks_and_links_to_all(app, env):
    """With more open tasks than the page holds, the lead's page shows the oldest and links to the full list."""
    answer_id = _fail_bar_item(app, env)
    with app.app_context():
        site, lead = db.session.get(Site, env.a.site), db.session.get(User, env.a.lead)
        for n in range(reads.PANEL_SHOWN + 3):
            services.raise_task(site, lead, db.session.get(ChecklistAnswer, answer_id), "cleaner", f"第{n}件事",
                                f"manytasks{n:04d}")
    client = login(app, env.a.lead_name)
    body = client.get("/inspections/").get_data(as_text=True)
    assert body.count('class="task"') == reads.PANEL_SHOWN and "第0件事" in body
    assert _zh(app, "All %(n)d open tasks", n=reads.PANEL_SHOWN + 3) in body
    assert client.get("/inspections/tasks").get_data(as_text=True).count('class="task"') == reads.PANEL_SHOWN + 3
