"""Two phones tap at the same moment: accepting twice, starting twice, disputing while accepting.

Each thread works in its own app context (its own session and connection), as a request would; runs on SQLite
and, with TEST_DATABASE_URL, on PostgreSQL.
"""
import threading

from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.handover import services
from hospitality.handover.services import HandoverError
from hospitality.models import AuditLog
from hospitality.models.handover import Handover
from tests.handover.helpers import fresh, handover_env, site, submitted_water_bar, who


def _together(app, works) -> tuple[list, list[BaseException]]:
    """Run each work() in its own thread, released at once; return their results and what they raised."""
    barrier = threading.Barrier(len(works))
    results, errors = [], []

    def run(work):
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(work())
        except BaseException as e:  # noqa: B036 - collected and asserted on below
            errors.append(e)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_accept_taps_at_once_accept_once(app):
    """Two accept taps at the same moment: one acceptance, the other told it is already accepted."""
    env = handover_env(app)
    with app.app_context():
        hid = submitted_water_bar(env).id

    def accept():
        return services.accept(site(env), who(env, "wb_in"), fresh(hid)).accepted_at

    results, errors = _together(app, [accept, accept])
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], HandoverError), [repr(e) for e in errors]
    assert errors[0].message.startswith("您已在")  # "You already accepted this handover at …"
    with app.app_context():
        assert fresh(hid).status == "accepted" and fresh(hid).accepted_at == results[0]
    assert _count(app, AuditLog, AuditLog.action == "accept", AuditLog.entity == "handover") == 1


def test_two_colleagues_starting_at_once_make_one_handover(app):
    """Two attendants of the same post starting at the same moment: one handover, the other told who has it."""
    env = handover_env(app)

    def start(out, to):
        return lambda: services.start(site(env), who(env, out), env.users[to], None).id

    results, errors = _together(app, [start("wb_out", "wb_in"), start("wb_in", "wb_out")])
    assert len(results) == 1 and len(errors) == 1, [repr(e) for e in errors]
    assert isinstance(errors[0], HandoverError)
    assert _count(app, Handover) == 1


def test_a_double_tap_on_start_makes_one_handover(app):
    """The same person tapping start twice at once (two keys): one handover, both taps land on it."""
    env = handover_env(app)

    def start(key):
        return lambda: services.start(site(env), who(env, "wb_out"), env.users["wb_in"], key).id

    results, errors = _together(app, [start("tapkey0001"), start("tapkey0002")])
    assert errors == [], [repr(e) for e in errors]
    assert len(set(results)) == 1 and _count(app, Handover) == 1
