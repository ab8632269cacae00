"""The weekly meeting sheet (周例会): the week's figures and the open problems of the site only, each linking to its
page; any day picks its week, bad input falls back to this week; the Excel has a sheet of figures and one of
problems; a fixed number of statements however many rows."""
import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import event

from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.evaluation import week
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.tasks import Task
from tests.evaluation.test_rules import _discrepancy
from tests.factories import clock_in, local_utc, make_incident, make_site, make_user, seeded_site
from tests.harness import login


def _overdue_task(site_id, by_id, text):
    with write_tx():
        db.session.add(Task(site_id=site_id, assignee="water_bar", text=text, created_by_id=by_id,
                            created_at=utcnow() - timedelta(hours=3), target_minutes=30))


def _world(app):
    with app.app_context():
        site, other = seeded_site(make_site().id), seeded_site(make_site().id)
        lead, boss, bar = make_user(site.id, "lead"), make_user(site.id, "manager"), make_user(site.id, "water_bar")
        far = make_user(other.id, "lead")
        today = site.today()
        _discrepancy(site.id, bar.id, today)
        _discrepancy(other.id, far.id, today)
        clock_in(site.id, bar.id, today, local_utc(site, today), late=12)
        urgent = make_incident(site.id, bar.id, level="urgent", description="消防通道被堵")
        make_incident(other.id, far.id, level="urgent", description="别的案场的事故")
        _overdue_task(site.id, lead.id, "补充矿泉水")
        _overdue_task(other.id, far.id, "别的案场的任务")
        return {"site": site.id, "lead": lead.username, "boss": boss.username, "bar": bar.username,
                "urgent": urgent.id, "today": today}


def test_monday_of_any_day_and_bad_input():
    """Any day gives its Monday; nothing, garbage or an absurd year gives this week's Monday."""
    today = date(2026, 12, 3)  # a Thursday
    assert week.monday("2026-11-29", today) == date(2026, 11, 23)
    assert week.monday("2026-11-23", today) == date(2026, 11, 23)
    for raw in (None, "", "garbage", "2026-13-01", "１２３", "1800-01-01"):
        assert week.monday(raw, today) == date(2026, 11, 30)


def test_figures_and_problems_of_the_site_only(app):
    """The week counts the site's discrepancy, lateness, urgent incident and overdue task, never another site's;
    the open problems list them with links to their pages."""
    w = _world(app)
    with app.app_context():
        site = db.session.get(Site, w["site"])
        first = week.monday(None, w["today"])
        f, p = week.sheet(site, first)
        assert (f.discrepancies, f.late, f.incidents, f.urgent, f.tasks_overdue) == (1, 1, 1, 1, 1)
        assert (len(p.discrepancies), len(p.incidents), len(p.tasks)) == (1, 1, 1)
    r = login(app, w["lead"]).get("/evaluation/week")
    assert r.status_code == 200
    assert f'/incidents/{w["urgent"]}' in r.text and "消防通道被堵" in r.text and "补充矿泉水" in r.text
    assert "/stock/discrepancies/" in r.text
    assert "别的案场" not in r.text
    assert 'id="week-prev"' in r.text and 'id="week-next"' not in r.text


def test_past_week_links_and_access(app):
    """A past week has a next link; garbage shows this week; the water bar is refused."""
    w = _world(app)
    boss = login(app, w["boss"])
    last_week = (w["today"] - timedelta(days=7)).isoformat()
    r = boss.get(f"/evaluation/week?week={last_week}")
    assert r.status_code == 200 and 'id="week-next"' in r.text
    assert boss.get("/evaluation/week?week=<script>").status_code == 200
    assert login(app, w["bar"]).get("/evaluation/week").status_code == 403


def test_excel_has_figures_and_problems(app):
    """The Excel opens with a sheet of the week's figures and a sheet of the open problems."""
    w = _world(app)
    r = login(app, w["lead"]).get("/evaluation/week?format=xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    figures, problems = wb.worksheets
    assert figures.max_row == 17
    texts = [row[1] for row in problems.iter_rows(min_row=2, values_only=True)]
    assert len(texts) == 3 and any("消防通道被堵" in t for t in texts) and "补充矿泉水" in texts


def test_statements_stay_fixed_as_rows_grow(app):
    """The sheet reads the same number of statements with one or many problems (2 on PostgreSQL: the session, then
    everything else in one)."""
    w = _world(app)
    client = login(app, w["lead"])

    def statements():
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/evaluation/week").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    with app.app_context():
        lead_id = db.session.scalar(db.select(Task.created_by_id).limit(1))
        for n in range(5):
            _overdue_task(w["site"], lead_id, f"任务{n}")
            _discrepancy(w["site"], lead_id, w["today"])
    assert statements() == before
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The week's figures, its open problems and the daily routines in one statement, and the session: each
        # figure and list read on its own was a round trip.
        assert before == 2



def test_the_daily_routines_rounds_are_counted_as_their_states_say(app):
    """The week's routines done on time, late and missed are the rounds' states of each day up to now (one done
    today, the rest of the week's rounds to do or missed)."""
    from hospitality.checklists import reads as checklists
    from hospitality.clock import to_local
    from hospitality.models import ChecklistRun
    w = _world(app)
    with app.app_context():
        site = db.session.get(Site, w["site"])
        templates = [t for t in checklists.routines(site.id) if t.recurrence in (None, "daily")]
        with write_tx():
            db.session.add(ChecklistRun(site_id=site.id, template_id=templates[0].id, shift_date=w["today"], slot="",
                                        started_by_id=make_user(site.id, "water_bar").id, completed_at=utcnow()))
        now = utcnow()
        first = week.monday(None, w["today"])
        f, _p = week.sheet(site, first, now)
        states = [s.state for d in range((w["today"] - first).days + 1)
                  for s in checklists.day_status(site, first + timedelta(days=d), templates, to_local(site, now))]
        assert (f.routines_on_time, f.routines_late, f.routines_missed) == (
            states.count("done"), states.count("late"), states.count("missing") + states.count("overdue"))
        assert f.routines_on_time + f.routines_late == 1
