"""Two taps of "count back in" at the same moment count once, and neither is told that nothing is away."""
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.linen import LinenBatch, LinenCount
from hospitality.routines import services
from tests.harness import count_rows, in_threads


def test_a_double_tap_on_count_back_in_counts_once_without_an_error(app, env):
    with app.app_context():
        site, room = db.session.get(Site, env.site), db.session.get(User, env.users["model_room"])
        batch_id = services.send_linen(site, room, env.rooms[0], {"sheet": "4"}, None, "linenrace-out").id

    def tap(_i):
        site, room = db.session.get(Site, env.site), db.session.get(User, env.users["model_room"])
        batch = db.session.get(LinenBatch, batch_id)
        return services.return_linen(site, room, batch, {"sheet": "4"}, "linenrace-back").closed_at is not None

    results, errors = in_threads(app, 2, tap)
    assert errors == [] and results == [True, True]
    assert count_rows(LinenCount, LinenCount.returned.is_(True), app=app) == 1
