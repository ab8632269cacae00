"""The tasks done over a range: a section loaded after the task page (the lead's and the manager's), its range form
redrawing only itself, or a page of its own; today's by default, at most RANGE_DAYS."""
from datetime import timedelta

from hospitality import clock
from hospitality.tasks.reads import RANGE_DAYS
from tests.factories import at
from tests.harness import HX, login, text

from .conftest import raised

NOW = at(2026, 12, 4, 10, 0)


def _done(app, env, when, what):
    with clock.travel_to(when, frozen=True):
        task_id = raised(app, env, kind="cleaner", text=what)
        assert login(app, env.names["lead"]).post(f"/tasks/{task_id}/done").status_code == 302


def test_the_lead_reads_the_tasks_done_over_a_range(app, env):
    _done(app, env, NOW - timedelta(days=2), "前天擦玻璃")
    _done(app, env, NOW, "今天拖地")
    with clock.travel_to(NOW + timedelta(hours=1), frozen=True):
        lead = login(app, env.names["lead"])
        page = lead.get("/tasks/").text
        assert 'hx-get="/tasks/done"' in page and "今天拖地" not in page  # loads after the page
        today = lead.get("/tasks/done", headers=HX)
        assert today.status_code == 200 and "<html" not in today.text
        assert "今天拖地" in today.text and "前天擦玻璃" not in today.text
        assert text(app, "on behalf of the cleaner") in today.text
        span = lead.get("/tasks/done?from=2026-12-01&to=2026-12-04", headers=HX).text
        assert "今天拖地" in span and "前天擦玻璃" in span
        # A range longer than RANGE_DAYS is cut to its last days; a day to come is today.
        long = lead.get("/tasks/done?from=2025-01-01&to=2026-12-31").text
        first = (NOW.date() - timedelta(days=RANGE_DAYS - 1)).isoformat()
        assert "<html" in long and f'name="from" value="{first}"' in long and 'name="to" value="2026-12-04"' in long
        # The page passes its range on to the section.
        assert 'hx-get="/tasks/done?from=2026-12-01' in lead.get("/tasks/?from=2026-12-01&to=2026-12-04").text
        assert login(app, env.names["water_bar"]).get("/tasks/done").status_code == 403
