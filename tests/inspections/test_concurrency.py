"""Two phones at once: the same task form posted twice, the same task closed twice, one grooming item answered
by two leads (each thread in its own app context and connection, on SQLite or PostgreSQL)."""


from hospitality.extensions import db
from hospitality.inspections import services
from hospitality.models import AuditLog, ChecklistAnswer, ChecklistRun, Site, User
from hospitality.models.tasks import Task
from tests.factories import make_site, make_user, team, template
from tests.harness import count_rows, in_threads

THREADS = 8


def test_same_task_form_from_many_taps_raises_one_task(app):
    """THREADS posts of one task form at the same moment make one task and one audit row."""
    with app.app_context():
        env = team(make_site().id)
        site, lead = db.session.get(Site, env.site), db.session.get(User, env.lead)
        bar = template(env.site, "insp_water_bar")
        answer_id = services.answer_area(site, lead, bar, "", bar.active_items[0], "0", None, "脏").id

    def work(_i):
        services.raise_task(db.session.get(Site, env.site), db.session.get(User, env.lead),
                            db.session.get(ChecklistAnswer, answer_id), "cleaner", "擦", "samekey00001")

    assert in_threads(app, THREADS, work, request=True)[1] == []
    assert count_rows(Task, app=app) == 1
    assert count_rows(AuditLog, AuditLog.entity == "task", app=app) == 1


def test_closing_a_task_from_many_phones_records_it_once(app):
    """THREADS taps on "done" close the task once: one closer, one audit row."""
    with app.app_context():
        env = team(make_site().id)
        site, lead = db.session.get(Site, env.site), db.session.get(User, env.lead)
        bar = template(env.site, "insp_water_bar")
        answer = services.answer_area(site, lead, bar, "", bar.active_items[0], "0", None, "脏")
        task_id = services.raise_task(site, lead, answer, "water_bar", "擦", "closekey0001").id
        closers = [env.staff["water_bar"]] + [make_user(env.site, "water_bar").id for _ in range(3)]

    def work(i):
        services.mark_done(db.session.get(Site, env.site), db.session.get(User, closers[i % len(closers)]),
                           db.session.get(Task, task_id))

    assert in_threads(app, THREADS, work, request=True)[1] == []
    assert count_rows(AuditLog, AuditLog.entity == "task", AuditLog.action == "done", app=app) == 1
    with app.app_context():
        assert db.session.get(Task, task_id).status == "done"


def test_two_leads_answering_one_grooming_check_make_one_run(app):
    """Leads answering the same person's items at once share one run, one answer per item."""
    with app.app_context():
        env = team(make_site().id)
        leads = [env.lead] + [make_user(env.site, "lead").id for _ in range(3)]
        items = [i.id for i in template(env.site, "grooming").active_items]

    def work(i):
        site = db.session.get(Site, env.site)
        person = db.session.get(User, env.staff["water_bar"])
        tpl = template(env.site, "grooming")
        item = next(it for it in tpl.active_items if it.id == items[i % len(items)])
        services.answer_grooming(site, db.session.get(User, leads[i % len(leads)]), person, tpl, item, "1", None,
                                 None)

    assert in_threads(app, THREADS, work, request=True)[1] == []
    assert count_rows(ChecklistRun, app=app) == 1
    assert count_rows(ChecklistAnswer, app=app) == min(THREADS, len(items))
