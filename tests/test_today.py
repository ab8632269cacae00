"""The today screens: a post's screen comes whole in one response; the lead's and manager's day at a glance
comes as a light page whose sections (attendance, inspections and tasks, handovers, workers, the routines
board) load right after it, each from its own capability's URL."""
import re

import pytest
from sqlalchemy import event

from hospitality.extensions import db

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


def test_overseer_first_response_is_light(app, demo):
    """The lead's first response stays a handful of statements (the sections cost their own requests)."""
    c = _login(app, "lead")
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
