"""The editor's refusals beyond the recurrence itself, and where a checklist given to a post or a person shows and
opens: a day typed as "²" is a message (not a 500), the cleaners' rota takes no round times, a cleaning checklist
given to a post is on its today screen, and a checklist on given weekdays opens on those days only."""
import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import ChecklistItem, ChecklistTemplate
from tests.factories import at
from tests.harness import count_rows, login, msg, text

from .test_routes import TEMPLATE

TUE, WED = at(2026, 12, 8, 10, 0), at(2026, 12, 9, 10, 0)


def _made(app, name) -> int:
    with app.app_context():
        t = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.name == name))
        db.session.add(ChecklistItem(template_id=t.id, position=0, text="擦玻璃", answer_type="check", required=True))
        db.session.commit()
        return t.id


@pytest.mark.parametrize("over, field_msg", [
    ({"recurrence": "monthly", "month_day": "²"}, "Choose a day from 1 to 31, or the last day of the month."),
    ({"recurrence": "weekly", "weekday": "٣"}, "Choose the weekday it is due."),
    ({"recurrence": "weekdays", "weekdays": ["1", "²"]},
     "Tick at least one weekday: a routine on no day never happens."),
    ({"times": "10:00,15:00"}, "The cleaners' rota has one round a period: give rounds at set times to a post or "
                               "a person, or leave the times empty."),
])
def test_what_the_editor_refuses_under_its_field(app, env, over, field_msg):
    manager = login(app, env.names["manager"])
    before = count_rows(ChecklistTemplate, app=app)
    r = manager.post("/checklists/templates/new", data=TEMPLATE | over)
    assert r.status_code == 422 and text(app, field_msg) in r.text
    assert count_rows(ChecklistTemplate, app=app) == before


def test_a_cleaning_checklist_given_to_a_post_is_on_its_today_screen(app, env):
    manager = login(app, env.names["manager"])
    data = TEMPLATE | {"name": "吧台深度清洁", "post": "water_bar", "assignee": "post", "recurrence": "daily"}
    assert manager.post("/checklists/templates/new", data=data).status_code == 302
    tid = _made(app, "吧台深度清洁")
    bar = login(app, env.names["water_bar"])
    assert "吧台深度清洁" in bar.get("/").text
    assert bar.get(f"/inspections/areas/{tid}").status_code == 200


def test_a_checklist_on_given_weekdays_opens_on_those_days_only(app, env):
    """Tuesdays and Thursdays for the concierge: on a Tuesday its page opens and it is filled; on a Wednesday the
    page says it is not due today (no 500, nothing started)."""
    manager = login(app, env.names["manager"])
    data = TEMPLATE | {"name": "周二四擦玻璃", "recurrence": "weekdays", "weekdays": ["1", "3"], "assignee": "person",
                       "person_id": str(env.users["concierge"])}
    assert manager.post("/checklists/templates/new", data=data).status_code == 302
    tid = _made(app, "周二四擦玻璃")
    with clock.travel_to(WED, frozen=True):
        concierge = login(app, env.names["concierge"])
        r = concierge.get(f"/inspections/areas/{tid}")
        assert r.status_code == 302 and r.headers["Location"].endswith("/")
        assert msg(app, "This checklist is not due today.") in concierge.get("/").text
    with clock.travel_to(TUE, frozen=True):
        concierge = login(app, env.names["concierge"])
        page = concierge.get(f"/inspections/areas/{tid}")
        assert page.status_code == 200 and "擦玻璃" in page.text
