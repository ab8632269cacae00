"""The demo's patrol nights, whatever time `make serve DEMO_CLOCK=…` starts at: by day the night that just ended was
walked (one round missed, the others on time or late), at night tonight's closed rounds were walked and the open
one is left to the guard."""
from collections import Counter
from datetime import timedelta

import pytest

from hospitality import clock
from hospitality.checklists import reads as checklists
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.patrol import reads


@pytest.mark.parametrize("local", ["2026-12-07T10:30", "2026-12-07T16:00", "2026-12-07T23:10"])
def test_the_demo_has_the_last_night_walked_and_tonights_closed_rounds(app, local):
    with clock.travel_to(clock.parse_moment(local, "Asia/Shanghai"), frozen=True):
        assert "demo data created" in app.test_cli_runner().invoke(args=["seed-demo"]).output
        with app.app_context():
            site = db.session.scalar(db.select(Site).where(Site.code == "DEMO"))
            patrol = reads.template(site.id)
            now = reads.wall_clock(site)
            current = reads.night_of(patrol, now)
            by_night = current >= now.date()  # the night shift has begun
            last = current - timedelta(days=1) if by_night else current
            states = Counter(s.state for s in checklists.day_status(site, last, [patrol], now, counts=False))
            assert states["missing"] + states["overdue"] == 1, states  # one round nobody walked
            assert states["done"] + states["late"] == sum(states.values()) - 1
            assert states["done"] >= states["late"]
            tonight = checklists.day_status(site, current, [patrol], now, counts=False)
            closed = [s for s in tonight if s.due_at and s.due_at <= now]
            shown = reads.tonight(site, patrol, now)  # security's today screen
            if by_night:
                assert closed and all(s.state in ("done", "late") for s in closed)
                assert not shown.ended and shown.night == current
            else:
                assert shown.ended and shown.night == last  # labelled "last night" on the screen
