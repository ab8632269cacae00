"""Task pages: the form (two taps: a quick pick raises at once; 422 under the fields, nothing saved; a double tap
once), the list (mine, raised by me, every open one for the lead with overdue ones marked), one tap to accept or finish
(htmx answers with the card), who may tap what, other sites' tasks 404, a visit's tasks with "clear the table", the
today screens' panel and the targets."""
from datetime import timedelta

import pytest

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import AuditLog
from hospitality.models.tasks import Task
from tests.factories import at
from tests.harness import HX, count_rows, counting, login, snapshot, text

from .conftest import raised

NOW = at(2026, 12, 7, 10, 0)


def task(app, task_id) -> Task:
    with app.app_context():
        return db.session.get(Task, task_id)


def test_the_form_offers_quick_picks_posts_people_and_the_cleaners(app, env):
    """Quick picks as buttons, the cleaners and the posts someone works here, the people with their posts."""
    html = login(app, env.names["water_bar"]).get("/tasks/new").text
    for word in ("Clear a table", "Call the cleaner", "Restock", "Ready a model room", "Other", "Cleaner",
                 "Model room", "Team lead"):
        assert text(app, word) in html
    assert f'value="user-{env.users["security"]}"' in html and f'value="user-{env.other_bar}"' not in html
    assert 'value="manager"' not in html and 'value="inspection"' not in html


def test_two_taps_raise_a_task_and_a_double_tap_counts_once(app, env):
    """Tapping "Call the cleaner" raises it for the cleaners; the same form again adds nothing."""
    bar = login(app, env.names["water_bar"])
    form = {"kind": "cleaner", "for_whom": "", "text": "", "idem": "taskform00001"}
    r = bar.post("/tasks/new", data=form)
    assert r.status_code == 302 and r.headers["Location"] == "/tasks/"
    assert bar.post("/tasks/new", data=form).status_code == 302
    assert count_rows(Task, app=app) == 1
    with app.app_context():
        t = db.session.scalar(db.select(Task))
        assert (t.kind, t.assignee, t.raised_post) == ("cleaner", "cleaner", "water_bar")


@pytest.mark.parametrize("form, field_msg", [
    ({"kind": "other", "for_whom": "cleaner", "text": ""}, "Say what should be done."),
    ({"kind": "cleaner", "for_whom": "boss"}, "Choose who it is for."),
    ({"kind": "nothing"}, "Choose from the list."),
])
def test_bad_input_is_422_with_the_message_and_saves_nothing(app, env, form, field_msg):
    """The form comes back with the message under its field; no task."""
    r = login(app, env.names["concierge"]).post("/tasks/new", data=form | {"idem": "taskbad000001"})
    assert r.status_code == 422 and text(app, field_msg) in r.text
    assert count_rows(Task, app=app) == 0


def test_a_person_of_another_site_is_refused(app, env):
    """for_whom naming another site's person: 422, nothing saved."""
    r = login(app, env.names["lead"]).post("/tasks/new", data={"kind": "cleaner", "for_whom": f"user-{env.other_bar}"})
    assert r.status_code == 422 and text(app, "Choose who it is for.") in r.text
    assert count_rows(Task, app=app) == 0


def test_the_list_shows_mine_and_raised_and_the_lead_sees_every_open_one(app, env):
    """The water bar sees its restock and the cleaner task it raised (not the model room's); the lead sees all, with
    the overdue one marked."""
    with clock.travel_to(NOW, frozen=True):
        raised(app, env, by="concierge", kind="restock", text="补充纸杯")
        raised(app, env, kind="cleaner", text="擦吧台")
        raised(app, env, by="lead", kind="other", for_whom="model_room", text="开空调")
    with clock.travel_to(NOW + timedelta(minutes=45), frozen=True):
        bar_client = login(app, env.names["water_bar"])
        bar = bar_client.get("/tasks/").text
        assert "补充纸杯" in bar and "擦吧台" not in bar and "开空调" not in bar
        assert 'hx-get="/tasks/raised"' in bar  # what it raised loads after the page
        raised_by_bar = bar_client.get("/tasks/raised", headers=HX).text
        assert "擦吧台" in raised_by_bar and "补充纸杯" not in raised_by_bar and "<html" not in raised_by_bar
        lead = login(app, env.names["lead"]).get("/tasks/").text
    assert "开空调" in lead and 'id="tk-all"' in lead and "tk-dispatch" in lead
    assert lead.count("st-overdue tk-age") >= 3
    assert text(app, "Overdue: %(n)s min (target %(t)s)", n=45, t=30) in lead


def test_done_in_one_tap_answers_with_the_card_and_the_minutes(app, env):
    """The lead ticks the water bar's cleaner task: the card says cleared in 2 min, on behalf of the cleaner."""
    with clock.travel_to(NOW, frozen=True):
        task_id = raised(app, env, kind="clear_table", table_label="8")
    with clock.travel_to(NOW + timedelta(minutes=2), frozen=True):
        lead = login(app, env.names["lead"])
        r = lead.post(f"/tasks/{task_id}/done", headers=HX)
        assert r.status_code == 200 and r.text.lstrip().startswith(f'<li id="tk-{task_id}"')
        assert text(app, "Cleared in %(n)s min", n=2) in r.text and text(app, "on behalf of the cleaner") in r.text
        assert lead.post(f"/tasks/{task_id}/done", headers=HX).status_code == 200  # a second tap: same card
    assert count_rows(AuditLog, AuditLog.entity == "task", AuditLog.action == "done", app=app) == 1


def test_who_may_tap_what(app, env):
    """Another post may not accept or finish the water bar's task (403); the raiser of a post's task may not finish
    it (422, nothing changed); a cancelled task says so."""
    task_id = raised(app, env, by="concierge", kind="restock", text="补充纸杯")
    room = login(app, env.names["model_room"])
    assert room.post(f"/tasks/{task_id}/accept").status_code == 403
    assert room.post(f"/tasks/{task_id}/done").status_code == 403
    r = login(app, env.names["concierge"]).post(f"/tasks/{task_id}/done", headers=HX)
    assert r.status_code == 422 and text(app, "This task is not for you.") in r.text
    assert task(app, task_id).status == "open"
    assert login(app, env.names["water_bar"]).post(f"/tasks/{task_id}/dispatch",
                                                   data={"for_whom": "cleaner"}).status_code == 403
    lead = login(app, env.names["lead"])
    assert lead.post(f"/tasks/{task_id}/cancel", headers=HX).status_code == 200
    r = login(app, env.names["water_bar"]).post(f"/tasks/{task_id}/done", headers=HX)
    assert r.status_code == 422 and text(app, "This task was cancelled.") in r.text


def test_the_lead_hands_a_task_on(app, env):
    """Dispatch to the model room: the card answers with the new assignee; a bad choice is 422."""
    task_id = raised(app, env, by="concierge", kind="restock", text="补充纸杯")
    lead = login(app, env.names["lead"])
    r = lead.post(f"/tasks/{task_id}/dispatch", data={"for_whom": "model_room"}, headers=HX)
    assert r.status_code == 200 and text(app, "Model room") in r.text
    assert task(app, task_id).assignee == "model_room"
    r = lead.post(f"/tasks/{task_id}/dispatch", data={"for_whom": "nobody"}, headers=HX)
    assert r.status_code == 422 and task(app, task_id).assignee == "model_room"


@pytest.mark.parametrize("method, url", [
    ("POST", "/tasks/{t}/accept"), ("POST", "/tasks/{t}/done"), ("POST", "/tasks/{t}/dispatch"),
    ("POST", "/tasks/{t}/cancel"), ("GET", "/tasks/visits/{v}"), ("POST", "/tasks/visits/{v}"),
])
def test_other_sites_tasks_and_visits_are_404(app, env, method, url):
    """The lead of this site asking for another site's task or visit gets 404, nothing written."""
    other_task = raised(app, env, site=env.other, kind="cleaner", text="擦窗")
    with app.app_context():
        from hospitality.models import Visit
        v = Visit(site_id=env.other, party_size=2, recorded_by_id=env.other_bar, status="left")
        db.session.add(v)
        db.session.commit()
        other_visit = v.id
    lead = login(app, env.names["lead"])
    with app.app_context():
        before = snapshot()
    r = lead.open(url.format(t=other_task, v=other_visit), method=method,
                                           data={"for_whom": "cleaner", "table_label": "1"})
    assert r.status_code == 404
    with app.app_context():
        assert snapshot() == before


def test_the_visit_section_raises_clear_table_once_and_shows_the_minutes(app, env):
    """Once the group left, one tap raises "clear the table" for the cleaners linked to it; after the lead ticks it
    the section says how long it took."""
    bar = login(app, env.names["water_bar"])
    with clock.travel_to(NOW, frozen=True):
        html = bar.get(f"/tasks/visits/{env.visit}", headers=HX).text
        assert 'class="secondary clear-table"' in html
        for _ in range(2):
            r = bar.post(f"/tasks/visits/{env.visit}", data={"table_label": "6", "idem": "visitclear001"}, headers=HX)
            assert r.status_code == 200 and r.text.lstrip().startswith('<section id="visit-tasks"')
    assert count_rows(Task, Task.visit_id == env.visit, app=app) == 1
    with app.app_context():
        task_id = db.session.scalar(db.select(Task.id))
    with clock.travel_to(NOW + timedelta(minutes=4), frozen=True):
        login(app, env.names["lead"]).post(f"/tasks/{task_id}/done")
        html = bar.get(f"/tasks/visits/{env.visit}", headers=HX).text
    assert text(app, "Cleared in %(n)s min", n=4) in html and "st-late" in html  # past the three minutes


def test_the_visit_page_loads_its_tasks_section(app, env):
    """The visit's card carries the lazy tasks section."""
    html = login(app, env.names["water_bar"]).get(f"/visits/{env.visit}").text
    assert f'hx-get="/tasks/visits/{env.visit}"' in html


def test_today_screen_panel_and_its_query_budget(app, env):
    """The water bar's today screen shows its open tasks and "Raise a task"; more tasks cost no more queries."""
    raised(app, env, by="concierge", kind="restock", text="补充纸杯")
    bar = login(app, env.names["water_bar"])
    bar.get("/")
    with counting(app) as few:
        html = bar.get("/").text
    assert 'id="tasks"' in html and "补充纸杯" in html and 'href="/tasks/new"' in html
    for n in range(10):
        raised(app, env, by="concierge", kind="restock", text=f"补充{n}")
    with counting(app) as many:
        html = bar.get("/").text
    assert len(many) == len(few) and "(11)" in html


def test_an_inspection_task_lives_in_the_same_list(app, env):
    """A task from a failed item is on the water bar's /tasks list and closes there."""
    with app.app_context():
        t = Task(site_id=env.site, kind="inspection", assignee="water_bar", text="擦干台面",
                 created_by_id=env.users["lead"], raised_post="lead")
        db.session.add(t)
        db.session.commit()
        task_id = t.id
    bar = login(app, env.names["water_bar"])
    assert "擦干台面" in bar.get("/tasks/").text
    assert bar.post(f"/tasks/{task_id}/done", headers=HX).status_code == 200
    assert task(app, task_id).status == "done"


def test_targets_page(app, env):
    """The manager sets the targets; bad minutes are 422 under their fields, nothing saved."""
    boss = login(app, env.names["manager"])
    r = boss.post("/tasks/settings", data={"table_minutes": "0", "task_minutes": "x"})
    assert r.status_code == 422 and r.text.count('aria-invalid="true"') == 2
    assert boss.post("/tasks/settings", data={"table_minutes": "4", "task_minutes": "25"}).status_code == 302
    with app.app_context():
        from hospitality.models import Site
        site = db.session.get(Site, env.site)
        assert (site.table_clear_minutes, site.task_target_minutes) == (4, 25)
