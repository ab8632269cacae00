"""Task rules: raise in two taps (quick picks go to their usual post), who may accept, finish (on behalf of the
cleaners), hand on and cancel; targets; refused input saves nothing; a double tap raises one task."""
from datetime import timedelta

import pytest

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import AuditLog, Location, Site, User, Visit
from hospitality.models.tasks import Task
from hospitality.tasks import services
from hospitality.tasks.services import TaskError
from tests.factories import at, make_user
from tests.harness import count_rows

from .conftest import raised

NOW = at(2026, 12, 7, 10, 0)


@pytest.fixture
def ctx_env(app, env):
    with app.test_request_context():
        yield env


def _site(env) -> Site:
    return db.session.get(Site, env.site)


def _user(env, post) -> User:
    return db.session.get(User, env.users[post])


def _task(task_id) -> Task:
    return db.session.get(Task, task_id, populate_existing=True)


def test_quick_picks_go_to_their_usual_post_with_the_sites_targets(ctx_env):
    """Clear a table: the cleaners, the negotiation area, three minutes; restock: the water bar, thirty minutes."""
    env = ctx_env
    site, desk = _site(env), _user(env, "concierge")
    table = services.raise_task(site, desk, kind="clear_table", table_label="3")
    assert (table.assignee, table.target_minutes, table.raised_post) == ("cleaner", 3, "concierge")
    assert db.session.get(Location, table.location_id).kind == "negotiation" and table.table_label == "3"
    restock = services.raise_task(site, desk, kind="restock", text="纸杯")
    assert (restock.assignee, restock.target_minutes, restock.status) == ("water_bar", 30, "open")


def test_a_model_room_to_ready_needs_the_room(ctx_env):
    """With two model rooms, "ready a model room" asks which; with one picked it goes to the model room post."""
    env = ctx_env
    site, desk = _site(env), _user(env, "concierge")
    with pytest.raises(TaskError) as e:
        services.raise_task(site, desk, kind="model_room")
    assert e.value.field == "location_id" and count_rows(Task) == 0
    room = db.session.scalar(db.select(Location.id).where(Location.site_id == site.id,
                                                          Location.kind == "model_room"))
    task = services.raise_task(site, desk, kind="model_room", location_id=str(room))
    assert task.assignee == "model_room" and task.location_id == room


@pytest.mark.parametrize("args, field", [
    ({"kind": "other", "for_whom": "cleaner", "text": "  "}, "text"),  # free text without the text
    ({"kind": "cleaner", "for_whom": "boss"}, "for_whom"),  # not a post
    ({"kind": "cleaner", "for_whom": "manager"}, "for_whom"),  # not a post a task is for
    ({"kind": "cleaner", "for_whom": "user-999999"}, "for_whom"),  # nobody
    ({"kind": "inspection", "for_whom": "cleaner"}, "kind"),  # only a failed item raises those
    ({"kind": "cleaner", "for_whom": "cleaner", "text": "x" * 501}, "text"),
])
def test_bad_input_is_refused_under_its_field_and_saves_nothing(ctx_env, args, field):
    """Each wrong field is named; no task, no audit row."""
    env = ctx_env
    with pytest.raises(TaskError) as e:
        services.raise_task(_site(env), _user(env, "water_bar"), **args)
    assert field in e.value.errors and count_rows(Task) == 0 and count_rows(AuditLog, AuditLog.entity == "task") == 0


def test_a_person_of_another_site_and_a_post_nobody_works_are_refused(ctx_env):
    """A task for another site's person is refused; at a site with only a water bar, a model-room task too."""
    env = ctx_env
    with pytest.raises(TaskError) as e:
        services.raise_task(_site(env), _user(env, "water_bar"), kind="cleaner", for_whom=f"user-{env.other_bar}")
    assert e.value.field == "for_whom"
    other, bar = db.session.get(Site, env.other), db.session.get(User, env.other_bar)
    with pytest.raises(TaskError) as e:
        services.raise_task(other, bar, kind="other", for_whom="model_room", text="开灯")
    assert e.value.field == "for_whom" and count_rows(Task) == 0


def test_a_double_tap_raises_one_task(ctx_env):
    """The same form key twice: one task."""
    env = ctx_env
    args = {"kind": "cleaner", "text": "擦玻璃", "idem_key": "tasktap000001"}
    one = services.raise_task(_site(env), _user(env, "water_bar"), **args)
    two = services.raise_task(_site(env), _user(env, "water_bar"), **args)
    assert one.id == two.id and count_rows(Task) == 1


def test_a_clear_table_from_a_visit_is_linked_to_it(ctx_env):
    """From the visit card: the cleaners, linked to the group."""
    env = ctx_env
    task = services.raise_task(_site(env), _user(env, "water_bar"), kind="clear_table",
                               visit=db.session.get(Visit, env.visit))
    assert task.visit_id == env.visit and task.assignee == "cleaner"


def test_the_raising_post_or_the_lead_ticks_a_cleaners_task_on_their_behalf(app, env):
    """The water bar's cleaner task: the model room may not tick it; the water bar does, recorded on behalf."""
    task_id = raised(app, env)
    with app.test_request_context():
        with pytest.raises(TaskError):
            services.finish(_site(env), _user(env, "model_room"), _task(task_id))
        done = services.finish(_site(env), _user(env, "water_bar"), _task(task_id))
        assert done.status == "done" and done.on_behalf and done.done_by_id == env.users["water_bar"]
        again = services.finish(_site(env), _user(env, "lead"), _task(task_id))  # a second tap: nothing changes
        assert again.done_by_id == env.users["water_bar"]
    assert count_rows(AuditLog, AuditLog.entity == "task", AuditLog.action == "done", app=app) == 1


def test_a_post_accepts_and_finishes_its_own_task(app, env):
    """The water bar's restock: accepted, then done by it (not on behalf); others may not accept it."""
    task_id = raised(app, env, by="concierge", kind="restock", text="纸杯")
    with app.test_request_context():
        with pytest.raises(TaskError):
            services.accept(_site(env), _user(env, "model_room"), _task(task_id))
        t = services.accept(_site(env), _user(env, "water_bar"), _task(task_id))
        assert t.status == "accepted" and t.accepted_by_id == env.users["water_bar"]
        t = services.finish(_site(env), _user(env, "water_bar"), _task(task_id))
        assert t.status == "done" and not t.on_behalf


def test_a_task_for_a_person_is_theirs(app, env):
    """A task for the model-room person: they accept it; the model room post is the same person here."""
    task_id = raised(app, env, by="lead", kind="other", text="把伞架搬进来",
                     for_whom=f"user-{env.users['security']}")
    with app.test_request_context():
        t = _task(task_id)
        assert t.assignee == "person" and t.assignee_user_id == env.users["security"]
        assert services.accept(_site(env), _user(env, "security"), t).status == "accepted"


def test_the_lead_hands_on_and_cancels(app, env):
    """Handed to another post it is open again for them; cancelled, nobody can finish it."""
    task_id = raised(app, env, by="concierge", kind="restock", text="纸杯")
    with app.test_request_context():
        services.accept(_site(env), _user(env, "water_bar"), _task(task_id))
        with pytest.raises(TaskError):
            services.dispatch(_site(env), _user(env, "water_bar"), _task(task_id), "model_room")
        t = services.dispatch(_site(env), _user(env, "lead"), _task(task_id), "model_room")
        assert (t.assignee, t.status, t.accepted_at) == ("model_room", "open", None)
        t = services.cancel(_site(env), _user(env, "lead"), _task(task_id))
        assert t.status == "cancelled" and t.cancelled_by_id == env.users["lead"]
        with pytest.raises(TaskError):
            services.finish(_site(env), _user(env, "model_room"), _task(task_id))
        assert _task(task_id).status == "cancelled"


def test_targets_are_checked_and_apply_to_new_tasks(app, env):
    """The manager's targets: whole minutes in range; a new table task takes the new one, old tasks keep theirs."""
    old = raised(app, env, kind="clear_table", table_label="1")
    with app.test_request_context():
        with pytest.raises(TaskError) as e:
            services.set_targets(_site(env), _user(env, "manager"), "0", "abc")
        assert set(e.value.errors) == {"table_minutes", "task_minutes"}
        with pytest.raises(TaskError):
            services.set_targets(_site(env), _user(env, "lead"), "5", "20")
        services.set_targets(_site(env), _user(env, "manager"), "5", "20")
    new = raised(app, env, kind="clear_table", table_label="2")
    with app.app_context():
        assert (_task(old).target_minutes, _task(new).target_minutes) == (3, 5)


def test_minutes_it_took_and_overdue(app, env):
    """Raised at 10:00 with a three-minute target, done at 10:02: two minutes, in time."""
    with clock.travel_to(NOW, frozen=True):
        task_id = raised(app, env, kind="clear_table", table_label="5")
    with clock.travel_to(NOW + timedelta(minutes=2), frozen=True), app.test_request_context():
        t = services.finish(_site(env), _user(env, "lead"), _task(task_id))
    from hospitality.tasks.reads import minutes
    assert minutes(t.created_at, t.done_at) == 2


def test_inspection_tasks_are_closed_by_the_same_rule(app, env):
    """A task from a failed item (kind "inspection") cancelled by the lead cannot be closed from inspections."""
    from hospitality.inspections import services as inspections
    with app.test_request_context():
        lead = _user(env, "lead")
        t = Task(site_id=env.site, kind="inspection", assignee="water_bar", text="擦干台面", created_by_id=lead.id)
        db.session.add(t)
        db.session.commit()
        services.cancel(_site(env), lead, t)
        with pytest.raises(TaskError):
            inspections.mark_done(_site(env), _user(env, "water_bar"), _task(t.id))


def test_an_inactive_person_is_not_a_choice(ctx_env):
    """A person who left (inactive) cannot be given a task."""
    env = ctx_env
    gone = make_user(env.site, "concierge", active=False)
    with pytest.raises(TaskError):
        services.raise_task(_site(env), _user(env, "lead"), kind="cleaner", for_whom=f"user-{gone.id}")
