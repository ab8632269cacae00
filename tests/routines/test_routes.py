"""Routines' pages: the editor's recurrence and assignment (422 under the field, nothing saved), the cleaners' rota
ticked by the lead (htmx row, a double tap once, another site's task 404), linen out and back (422 for bad counts or
another site's room, another site's batch 404), and what the today screens show."""
import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import ChecklistRun, ChecklistTemplate
from hospitality.models.core import utcnow
from hospitality.models.handover import Handover
from hospitality.models.linen import LinenBatch, LinenCount
from tests.factories import at
from tests.harness import HX, count_rows, counting, login, msg, text

FRI = at(2026, 12, 4, 10, 0)

TEMPLATE = {"name": "周保洁检查", "kind": "cleaning", "post": "lead", "due_time": "17:00", "active": "y",
            "recurrence": "weekly", "weekday": "4", "month_day": "last", "first_half": "15", "second_half": "last",
            "assignee": "cleaners"}


@pytest.fixture
def frozen():
    with clock.travel_to(FRI, frozen=True):
        yield


@pytest.mark.parametrize("over, field_msg", [
    ({"recurrence": "weekdays"}, "Tick at least one weekday: a routine on no day never happens."),
    ({"recurrence": "monthly", "month_day": "32"}, "Choose a day from 1 to 31, or the last day of the month."),
    ({"recurrence": "monthly", "month_day": "0"}, "Choose a day from 1 to 31, or the last day of the month."),
    ({"recurrence": "half_month", "first_half": "20"},
     "The first half runs from the 1st to the 15th: choose a due day in it."),
    ({"assignee": "person", "person_id": ""}, "Choose a person of this site."),
])
def test_the_editor_refuses_a_recurrence_that_never_happens(app, env, over, field_msg):
    """An impossible recurrence (or a person missing) is a 422 with the message next to the field; nothing saved."""
    manager = login(app, env.names["manager"])
    before = count_rows(ChecklistTemplate, app=app)
    r = manager.post("/checklists/templates/new", data=TEMPLATE | over)
    assert r.status_code == 422 and text(app, field_msg) in r.text
    assert count_rows(ChecklistTemplate, app=app) == before


def test_the_editor_saves_recurrence_and_a_named_person(app, env):
    """Weekly on Friday for the cleaners is saved; given to a named person of the site, it shows on their today
    screen; a person of another site is refused."""
    manager = login(app, env.names["manager"])
    r = manager.post("/checklists/templates/new", data=TEMPLATE)
    assert r.status_code == 302
    with app.app_context():
        t = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.name == "周保洁检查"))
        assert (t.recurrence, t.on_days, t.assignee) == ("weekly", "4", "cleaners")
        tid = t.id
    data = TEMPLATE | {"kind": "inspection", "assignee": "person", "person_id": str(env.other_users["lead"]),
                       "recurrence": "daily"}
    r = manager.post(f"/checklists/templates/{tid}", data=data)
    assert r.status_code == 422 and text(app, "Choose a person of this site.") in r.text
    r = manager.post(f"/checklists/templates/{tid}", data=data | {"person_id": str(env.users["concierge"])})
    assert r.status_code == 302
    page = manager.get(f"/checklists/templates/{tid}").text
    assert f'<option selected value="{env.users["concierge"]}"' in page or \
        f'value="{env.users["concierge"]}" selected' in page
    html = login(app, env.names["concierge"]).get("/").text
    assert "周保洁检查" in html


def test_the_lead_ticks_a_task_for_the_cleaners_once(app, env, frozen):
    """The rota lists today's, this week's, this half-month's and this month's tasks; Done (htmx) answers with the
    row, done for the cleaners by the lead; a second tap writes nothing more."""
    lead = login(app, env.names["lead"])
    page = lead.get("/routines/cleaning").text
    for title in ("Today", "This week", "This half-month", "This month"):
        assert text(app, title) in page
    tid = env.rota["clean_glass"]
    r = lead.post(f"/routines/cleaning/{tid}/done", data={"slot": ""}, headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'class="task rota-row done"' in r.text
    assert lead.post(f"/routines/cleaning/{tid}/done", data={"slot": ""}, headers=HX).status_code == 200
    assert count_rows(ChecklistRun, ChecklistRun.template_id == tid, app=app) == 1


def test_another_sites_rota_task_is_404(app, env):
    """A lead cannot tick another site's task; nothing is written."""
    lead = login(app, env.names["lead"])
    before = count_rows(ChecklistRun, app=app)
    assert lead.post(f"/routines/cleaning/{env.other_weekly}/done", data={"slot": ""}).status_code == 404
    assert count_rows(ChecklistRun, app=app) == before


def test_a_posts_routine_is_not_ticked_here(app, env):
    """A post's own routine is refused on the rota (htmx: 422 with the message), nothing written."""
    with app.app_context():
        tid = db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.site_id == env.site,
                                                                   ChecklistTemplate.kind == "opening"))
    r = login(app, env.names["lead"]).post(f"/routines/cleaning/{tid}/done", data={"slot": ""})
    assert r.status_code == 302
    assert count_rows(ChecklistRun, ChecklistRun.template_id == tid, app=app) == 0


def _out(env, **over):
    return {"location_id": str(env.rooms[0]), "qty-sheet": "4", "qty-pillowcase": "8", "idem": "linenroute01"} | over


def test_linen_out_and_back_with_a_shortfall(app, env):
    """The model room counts 4 sheets and 8 pillowcases out, then 4 and 6 back: 2 stay away, shown on the linen
    page and its today screen; the same return form twice counts once."""
    mr = login(app, env.names["model_room"])
    assert mr.post("/routines/linen", data=_out(env)).status_code == 302
    assert mr.post("/routines/linen", data=_out(env)).status_code == 302
    with app.app_context():
        bid = db.session.scalar(select(LinenBatch.id))
    assert count_rows(LinenBatch, app=app) == 1
    back = {"qty-sheet": "4", "qty-pillowcase": "6", "idem": "linenback0001"}
    assert mr.post(f"/routines/linen/{bid}/back", data=back).status_code == 302
    assert mr.post(f"/routines/linen/{bid}/back", data=back).status_code == 302
    assert count_rows(LinenCount, LinenCount.returned.is_(True), app=app) == 2
    with counting(app) as seen:
        assert text(app, "%(n)d away", n=2) in mr.get("/routines/linen").text
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(seen) == 2, seen  # the session; the batches away, the rooms and the closed batches at once
    assert text(app, "Linen at the laundry") in mr.get("/").text


@pytest.mark.parametrize("over, field_msg", [
    ({"qty-sheet": "-2", "qty-pillowcase": ""}, "Count pieces: a whole number from 0 to %(n)d."),
    ({"qty-sheet": "0", "qty-pillowcase": ""}, "Count at least one piece out."),
    ({"location_id": "{other_room}"}, "Choose a model room of this site."),
])
def test_bad_linen_counts_are_422(app, env, over, field_msg):
    """Negative or zero counts, another site's room: 422 with the message, no batch."""
    over = {k: v.format(other_room=env.other_room) for k, v in over.items()}
    r = login(app, env.names["model_room"]).post("/routines/linen", data=_out(env, **over))
    assert r.status_code == 422 and text(app, field_msg, n=999) in r.text
    assert count_rows(LinenBatch, app=app) == 0


def test_returning_more_than_is_away_is_422_and_another_sites_batch_404(app, env):
    """5 sheets back of 4 away: 422 under the field; another site's batch: 404 for page and post."""
    mr = login(app, env.names["model_room"])
    mr.post("/routines/linen", data=_out(env))
    other = login(app, env.other_names["model_room"])
    other.post("/routines/linen", data=_out(env, location_id=str(env.other_room), idem="linenother01"))
    with app.app_context():
        mine, theirs = db.session.scalars(select(LinenBatch.id).order_by(LinenBatch.id)).all()
    r = mr.post(f"/routines/linen/{mine}/back", data={"qty-sheet": "5"})
    assert r.status_code == 422 and text(app, "Only %(n)d %(kind)s are away.", n=4, kind=msg(app, "Sheets")) in r.text
    assert mr.get(f"/routines/linen/{theirs}").status_code == 404
    assert mr.post(f"/routines/linen/{theirs}/back", data={"qty-sheet": "1"}).status_code == 404
    assert count_rows(LinenCount, LinenCount.returned.is_(True), app=app) == 0


def test_the_water_bar_sees_its_lounge_rounds_and_the_lead_their_completion(app, env, frozen):
    """The water bar's today screen carries the lounge rounds at 10:00, 12:00, 15:00 and 17:00; the lead's
    inspections page lists them."""
    html = login(app, env.names["water_bar"]).get("/").text
    assert text(app, "My rounds") in html and all(t in html for t in ("10:00", "12:00", "15:00", "17:00"))
    assert "休息室巡检" in login(app, env.names["lead"]).get("/inspections/").text


def test_the_model_rooms_handover_shows_the_linen_away(app, env):
    """A model-room handover page lists the linen still at the laundry; the water bar's does not."""
    mr = login(app, env.names["model_room"])
    mr.post("/routines/linen", data=_out(env))
    with app.app_context(), write_tx():
        hos = [Handover(site_id=env.site, post=post, day=utcnow().date(), from_user_id=env.users[post],
                        to_user_id=env.users["lead"]) for post in ("model_room", "water_bar")]
        db.session.add_all(hos)
        db.session.flush()
        ids = [h.id for h in hos]
    assert text(app, "Linen at the laundry") in mr.get(f"/handover/{ids[0]}").text
    assert text(app, "Linen at the laundry") not in login(app, env.names["water_bar"]).get(f"/handover/{ids[1]}").text
    # Accepted, the handover is history: the laundry of today is not shown on it.
    with app.app_context(), write_tx():
        db.session.get(Handover, ids[0]).status = "accepted"
    assert text(app, "Linen at the laundry") not in mr.get(f"/handover/{ids[0]}").text
