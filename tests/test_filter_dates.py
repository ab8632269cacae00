"""A day at either end of the calendar in a list's range (typed into the address, or a broken date picker) is a
message under the field or the default range, never a 500: turning it into the site's UTC bounds would overflow."""
import pytest

from tests.factories import make_site, make_user
from tests.harness import login

EDGES = ("0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01")


@pytest.fixture
def manager(app):
    with app.app_context():
        site = make_site()
        return make_user(site.id, "manager").username


@pytest.mark.parametrize("path", [
    "/incidents/?from={d}&to={d}", "/incidents/?from=2026-01-01&to={d}", "/repairs/range?from={d}&to={d}",
    "/repairs/range?from={d}", "/visits/?from={d}&to={d}", "/visits/reps?from={d}&to={d}",
    "/complaints/?from={d}&to={d}",
    "/complaints/report?month={m}", "/guests/satisfaction?from={d}&to={d}", "/tasks/done?from={d}&to={d}",
    "/desk/?day={d}", "/patrol/night?day={d}", "/incidents/counts?year={y}",
])
def test_a_day_at_the_ends_of_the_calendar_is_not_a_500(app, manager, path):
    client = login(app, manager)
    for day in EDGES:
        r = client.get(path.format(d=day, m=day[:7], y=day[:4]))
        assert r.status_code in (200, 302, 422), (path, day, r.status_code)
