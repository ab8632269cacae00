"""Two phones at once: the same "clear the table" form posted many times, the lead and the water bar ticking the
cleaner's task together (each thread its own connection, SQLite or PostgreSQL)."""
from hospitality.extensions import db
from hospitality.models import AuditLog, Site, User, Visit
from hospitality.models.tasks import Task
from hospitality.tasks import services
from tests.harness import count_rows, in_threads

from .conftest import raised

THREADS = 8


def test_the_same_form_from_many_taps_raises_one_task(app, env):
    """THREADS posts of one form at the same moment make one task and one audit row."""
    def work(_i):
        services.raise_task(db.session.get(Site, env.site), db.session.get(User, env.users["water_bar"]),
                            kind="clear_table", visit=db.session.get(Visit, env.visit), idem_key="sametable0001")

    assert in_threads(app, THREADS, work, request=True)[1] == []
    assert count_rows(Task, app=app) == 1
    assert count_rows(AuditLog, AuditLog.entity == "task", app=app) == 1


def test_ticking_a_cleaners_task_from_many_phones_records_it_once(app, env):
    """The lead and the water bar tap "done for the cleaner" together: one doer, one audit row."""
    task_id = raised(app, env, kind="clear_table", table_label="2")
    who = ["lead", "water_bar", "manager"]

    def work(i):
        services.finish(db.session.get(Site, env.site), db.session.get(User, env.users[who[i % 3]]),
                        db.session.get(Task, task_id))

    assert in_threads(app, THREADS, work, request=True)[1] == []
    assert count_rows(AuditLog, AuditLog.entity == "task", AuditLog.action == "done", app=app) == 1
    with app.app_context():
        t = db.session.get(Task, task_id)
        assert t.status == "done" and t.on_behalf
