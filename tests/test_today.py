"""The today screens: a post's screen comes whole in one response; the lead's and manager's day at a glance
comes as a light page whose sections (attendance, inspections and tasks, handovers, workers, the routines
board) load right after it, each from its own capability's URL."""
import re
from datetime import datetime, time

import pytest
from sqlalchemy import event

from hospitality import clock
from hospitality.checklists import reads as checklists
from hospitality.database import read_panels
from hospitality.extensions import db
from hospitality.models import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from hospitality.models.attendance import RosterEntry
from hospitality.routines import reads as routines
from hospitality.today.reads import checklist_reads, checklist_statuses

HX = {"HX-Request": "true"}
# placeholder id -> the URL it loads
LAZY = {"att-board": "/attendance/board", "inspections-glance": "/inspections/board", "ho-board": "/handover/board",
        "workers-inside": "/workers/inside", "board": "/board", "incidents-open": "/incidents/open",
        "patrol-glance": "/patrol/glance", "complaints-glance": "/complaints/glance",
        "repairs-open": "/repairs/open"}


@pytest.fixture
def demo(app, runner):
    assert "demo data created" in runner.invoke(args=["seed-demo"]).output


def _login(app, username):
    c = app.test_client()
    assert c.post("/login", data={"username": username, "password": "demo1234"}).status_code == 302
    return c


def _placeholders(html: str) -> dict[str, str]:
    """id -> hx-get of every section the page loads after itself."""
    return dict(re.findall(r'<section id="([\w-]+)" class="lazy" hx-get="([^"]+)" hx-trigger="load"', html))


@pytest.mark.parametrize("username", ["lead", "manager"])
def test_overseer_screen_loads_its_sections_after_the_page(app, demo, username):
    c = _login(app, username)
    html = c.get("/").text
    assert _placeholders(html) == LAZY
    # The heavy parts are not in the first response ...
    assert "att-counts" not in html and "insp-board-h" not in html and "ho-board-h" not in html
    # ... each placeholder's URL returns the section that replaces it (same id, so its own links keep working).
    for section_id, url in LAZY.items():
        r = c.get(url, headers=HX)
        assert r.status_code == 200, url
        assert "<html" not in r.text
        assert f'id="{section_id}"' in re.search(r"<\w+[^>]*>", r.text).group(0), (url, r.text[:200])
    glance = c.get("/attendance/board", headers=HX).text
    assert "att-counts" in glance
    assert "insp-board-h" in c.get("/inspections/board", headers=HX).text
    assert "ho-board-h" in c.get("/handover/board", headers=HX).text


def test_fragments_without_htmx_lead_to_their_pages(app, demo):
    c = _login(app, "lead")
    assert c.get("/inspections/board").headers["Location"].endswith("/inspections/")
    assert c.get("/handover/board").headers["Location"].endswith("/handover/")


@pytest.mark.parametrize("username", ["waterbar", "modelroom", "concierge", "security"])
def test_staff_screen_is_one_response(app, demo, username):
    html = _login(app, username).get("/").text
    assert _placeholders(html) == {}
    # Its own cards are in the page itself: the clock, the visitors, the routines.
    assert '<article id="clock"' in html and 'id="visits-h"' in html and 'id="routines-h"' in html


@pytest.mark.parametrize("username", ["lead", "manager"])
def test_overseer_first_response_is_light(app, demo, username):
    """The lead's and manager's first response stays a handful of statements (the sections cost their own
    requests)."""
    c = _login(app, username)
    c.get("/")
    statements = []

    def count(*_args):
        statements.append(1)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert c.get("/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 14, len(statements)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The session; then the cards' reads, the stock tiles, the requests waiting, the day's visit figures, the
        # post's routines and the checklists given by name with their runs, and the manager's sites: one statement.
        assert len(statements) == 2, len(statements)


def test_the_managers_screen_offers_the_sites_it_manages(app, demo):
    """A manager of two sites can switch between them from the today screen (both named, the current one chosen);
    a manager of one site is offered no switch."""
    from tests.factories import make_site
    c = _login(app, "manager")
    assert 'class="site-switch"' not in c.get("/").text
    with app.app_context():
        other = make_site(name="第二案场")
        boss = db.session.scalars(db.select(User).where(User.username == "manager")).one()
        home = db.session.get(Site, boss.site_id)  # the demo's site (a query's first row has no order)
        boss.managed_sites.append(other)
        db.session.commit()
        other_id, home_id, home_name = other.id, home.id, home.name
    page = c.get("/").text
    assert 'class="site-switch"' in page and "第二案场" in page and home_name in page
    assert f'<option value="{home_id}" selected>' in page and f'<option value="{other_id}" >' in page
    assert c.post("/site", data={"site_id": other_id}).status_code == 302
    assert f'<option value="{other_id}" selected>' in c.get("/").text


def _statements(app, client, url="/"):
    """The statements one GET of url runs."""
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return seen


def _fill_today(app):
    """A run of every checklist of the site on today's round (its period's first day), the first one completed,
    each with every required item answered (a round the demo has walked already, tonight's patrol when seeded at
    night, keeps its own run)."""
    with app.app_context():
        site = db.session.scalars(db.select(Site)).first()
        user = db.session.scalars(db.select(User).where(User.username == "waterbar")).one()
        today = site.today()
        walked = set(db.session.execute(db.select(ChecklistRun.template_id, ChecklistRun.shift_date,
                                                  ChecklistRun.slot)).tuples())
        for i, t in enumerate(db.session.scalars(db.select(ChecklistTemplate).where(ChecklistTemplate.active))):
            for r in checklists.schedule(t, today):
                if (t.id, r.run_day or today, r.slot) in walked:
                    continue
                run = ChecklistRun(site_id=site.id, template_id=t.id, shift_date=r.run_day or today, slot=r.slot,
                                   started_by_id=user.id, completed_at=db.func.now() if i == 0 else None)
                db.session.add(run)
                db.session.flush()
                for item in db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.template_id == t.id,
                                                                               ChecklistItem.required)):
                    db.session.add(ChecklistAnswer(run_id=run.id, item_id=item.id, ok=True, answered_by_id=user.id))
        db.session.commit()


# The first response of each staff screen (every card in it): the statements on the demo, 2026-12-07. PostgreSQL reads
# the live element, the clock card, the messages and the tasks as one statement (database.read_panels); SQLite, in
# the process, reads them one by one (database.SQLITE_UNION_MAX), cheaper there.
STAFF_STATEMENTS = {"postgresql": {"waterbar": 2, "modelroom": 2, "concierge": 2, "security": 3},
                    "sqlite": {"waterbar": 12, "modelroom": 14, "concierge": 11, "security": 17}}


def test_staff_screen_statements_stay_few_as_rounds_are_worked(app, demo):
    """A staff screen reads its routines, own rounds, their runs and counts in one statement, however many are run.
    At 23:10 site time, the clock standing still: a patrol round is open on security's screen (its most statements;
    by day one fewer), and no round opens between two reads."""
    with app.app_context():
        most = STAFF_STATEMENTS[db.engine.dialect.name]
        site = db.session.scalars(db.select(Site)).first()
        night = datetime.combine(site.today(), time(23, 10), site.tz)
    with clock.travel_to(night, frozen=True):
        clients = {u: _login(app, u) for u in most}
        before = {}
        for username, c in clients.items():
            c.get("/")
            before[username] = len(_statements(app, c))
            assert before[username] == most[username], (username, before[username])
        _fill_today(app)
        for username, c in clients.items():
            seen = _statements(app, c)
            assert len(seen) == before[username], (username, seen)
            assert sum("checklist_runs" in s and "checklist_items" in s for s in seen) == 1, username


@pytest.mark.parametrize("username", ["waterbar", "modelroom", "concierge", "security"])
def test_staff_checklists_read_as_day_status_does(app, demo, username):
    """The screen's one read gives each round the run, counts and state that day_status gives it, a weekly round
    given to the post and a monthly one given to the person included."""
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == username)).one()
        cleaning = {t.recurrence: t for t in db.session.scalars(db.select(ChecklistTemplate).where(
            ChecklistTemplate.kind == "cleaning", ChecklistTemplate.active))}
        cleaning["weekly"].assignee, cleaning["weekly"].post = "post", user.post
        cleaning["monthly"].assignee, cleaning["monthly"].person_id = "person", user.id
        db.session.commit()
    _fill_today(app)
    with app.test_request_context():
        site = db.session.scalars(db.select(Site)).first()
        user = db.session.scalars(db.select(User).where(User.username == username)).one()
        day = site.today()
        own = routines.own_round_templates(site, user)
        # The post's routines of the person's shift today (all of them when not rostered: checklists.reads
        # ON_PERSONS_SHIFT_WHERE); the demo's guards work a day and a night shift.
        shift = db.session.scalar(db.select(RosterEntry.shift_id).where(RosterEntry.user_id == user.id,
                                                                        RosterEntry.day == day))
        of_shift = [t for t in checklists.routines(site.id, user.post)
                    if t.shift_id is None or shift is None or t.shift_id == shift]
        expected = checklists.day_status(site, day, of_shift + own)
        rows = read_panels(checklist_reads(site, user, day))["checklist_rows"]
        of_post, own_rounds = checklist_statuses(site, day, rows)

        def key(s):
            return s.template.id, s.slot, s.run.id if s.run else None, s.answered, s.total, s.state
        assert [key(s) for s in of_post] == [key(s) for s in expected if s.template not in own]
        assert [key(s) for s in own_rounds] == [key(s) for s in expected if s.template in own]
        assert any(s.run for s in expected) and any(s.total for s in expected)
        assert {"weekly", "monthly"} <= {s.template.recurrence for s in own_rounds if s.run}
