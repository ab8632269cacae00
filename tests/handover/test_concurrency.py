"""Two phones tap at the same moment: accepting twice, starting twice, disputing while accepting.

Each thread works in its own app context (its own session and connection), as a request would; runs on SQLite
and, with TEST_DATABASE_URL, on PostgreSQL.
"""


from hospitality.handover import services
from hospitality.handover.services import HandoverError
from hospitality.models import AuditLog
from hospitality.models.handover import Handover
from tests.factories import fresh, handover_env, site_of, submitted_water_bar, who
from tests.harness import count_rows, together


def test_two_accept_taps_at_once_accept_once(app):
    """Two accept taps at the same moment: one acceptance, the other told it is already accepted."""
    env = handover_env(app)
    with app.app_context():
        hid = submitted_water_bar(env).id

    def accept():
        return services.accept(site_of(env), who(env, "wb_in"), fresh(hid)).accepted_at

    results, errors = together(app, [accept, accept])
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], HandoverError), [repr(e) for e in errors]
    assert errors[0].message.startswith("您已在")  # "You already accepted this handover at …"
    with app.app_context():
        assert fresh(hid).status == "accepted" and fresh(hid).accepted_at == results[0]
    assert count_rows(AuditLog, AuditLog.action == "accept", AuditLog.entity == "handover", app=app) == 1


def test_two_colleagues_starting_at_once_make_one_handover(app):
    """Two attendants of the same post starting at the same moment: one handover, the other told who has it."""
    env = handover_env(app)

    def start(out, to):
        return lambda: services.start(site_of(env), who(env, out), env.users[to], None).id

    results, errors = together(app, [start("wb_out", "wb_in"), start("wb_in", "wb_out")])
    assert len(results) == 1 and len(errors) == 1, [repr(e) for e in errors]
    assert isinstance(errors[0], HandoverError)
    assert count_rows(Handover, app=app) == 1


def test_a_double_tap_on_start_makes_one_handover(app):
    """The same person tapping start twice at once (two keys): one handover, both taps land on it."""
    env = handover_env(app)

    def start(key):
        return lambda: services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], key).id

    results, errors = together(app, [start("tapkey0001"), start("tapkey0002")])
    assert errors == [], [repr(e) for e in errors]
    assert len(set(results)) == 1 and count_rows(Handover, app=app) == 1
