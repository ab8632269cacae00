"""Two phones at once: the same task form posted twice, the same task closed twice, one grooming item answered
by two leads (each thread in its own app context and connection, on SQLite or PostgreSQL)."""
import threading

from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.inspections import services
from hospitality.models import AuditLog, ChecklistAnswer, ChecklistRun, Site, User
from hospitality.models.inspections import Task
from tests.factories import make_site
from tests.inspections.helpers import team, template
from tests.inventory.helpers import make_user

THREADS = 8


def _in_threads(app, work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i):
        try:
            with app.test_request_context():
                barrier.wait(timeout=30)
                work(i)
        except BaseException as e:  # noqa: B036 - collected and asserted on below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


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

    assert _in_threads(app, work) == []
    assert _count(app, Task) == 1
    assert _count(app, AuditLog, AuditLog.entity == "task") == 1


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

    assert _in_threads(app, work) == []
    assert _count(app, AuditLog, AuditLog.entity == "task", AuditLog.action == "done") == 1
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

    assert _in_threads(app, work) == []
    assert _count(app, ChecklistRun) == 1
    assert _count(app, ChecklistAnswer) == min(THREADS, len(items))
