"""The manager's day: today's figures and what waits are right for a small made-up day, another site's rows never
count, only the manager sees it, ?days= is 7 or 30 (anything else: 7), the trend bars carry their numbers."""
import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete

from hospitality import clock
from hospitality.cockpit import reads
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.hq import reads as hq_reads
from hospitality.models import ChecklistRun, Discrepancy, PurchaseRequest, Site, Visit
from hospitality.models.attendance import LeaveRequest
from hospitality.models.core import POSTS
from hospitality.models.hq import SiteDay
from hospitality.models.inventory import StockCount
from hospitality.models.tasks import Task
from tests.factories import at, location, make_incident, make_site, make_user, routine
from tests.harness import counting, empty_tables, login

NOW = at(2026, 12, 7, 15, 0)  # a Monday afternoon at a Shanghai site


def _world(site_id: int, user_id: int, *, groups: int) -> None:
    """Some visits today (one still on site) and yesterday, a pending purchase request, an open discrepancy opened
    yesterday, a pending leave request, an open task past its target, an urgent incident."""
    now, today = clock.to_utc(NOW), NOW.date()
    yesterday = now - timedelta(days=1)
    with write_tx():
        for n in range(groups):
            db.session.add(Visit(site_id=site_id, party_size=3, recorded_by_id=user_id, arrived_at=now,
                                 status="active" if n == 0 else "left", served_cost=Decimal("12.50")))
        db.session.add(Visit(site_id=site_id, party_size=2, recorded_by_id=user_id, arrived_at=yesterday,
                             status="left"))
        db.session.add(PurchaseRequest(site_id=site_id, status="pending", for_date=today, requested_by_id=user_id))
        loc = location(site_id, "water_bar").id
        count = StockCount(site_id=site_id, location_id=loc, kind="closing", started_by_id=user_id)
        db.session.add(count)
        db.session.flush()
        db.session.add(Discrepancy(site_id=site_id, count_id=count.id, location_id=loc, opened_at=yesterday))
        db.session.add(LeaveRequest(site_id=site_id, user_id=user_id, starts=today, ends=today, reason="病假"))
        db.session.add(Task(site_id=site_id, assignee="water_bar", text="补水", created_by_id=user_id,
                            created_at=now - timedelta(minutes=90), target_minutes=30))
    make_incident(site_id, user_id, level="urgent")


@pytest.fixture(scope="module")
def world(app):
    with clock.travel_to(NOW, frozen=True), app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"ck{p}{s.id}").id for p in POSTS}
        other = make_site()
        other_boss = make_user(other.id, "manager", username=f"ckboss{other.id}").id
        _world(s.id, users["lead"], groups=2)
        _world(other.id, other_boss, groups=5)  # another site's rows: never counted here
        out = {"site": s.id, "users": users, "names": {p: f"ck{p}{s.id}" for p in POSTS}}
    yield out
    with app.app_context():
        empty_tables()


@pytest.fixture
def frozen():
    with clock.travel_to(NOW, frozen=True):
        yield


def test_the_waiting_counts_and_trends_are_the_sites_own(app, world, frozen):
    """Two groups today (6 guests, one on site, ¥25), one of everything waiting, a task past its target; the
    other site's five groups and its waiting rows never count; the trends put yesterday's rows on yesterday."""
    with app.app_context():
        site = db.session.get(Site, world["site"])
        day = site.today()
        v = reads.day_panels(site, day, clock.to_utc(NOW))["visits"]
        assert (v.groups, v.guests, v.on_site, v.cost) == (2, 6, 1, Decimal("25"))
        w = reads.waiting(site, clock.to_utc(NOW))
        assert (w.requests, w.discrepancies, w.leave, w.urgent, w.tasks, w.tasks_overdue) == (1, 1, 1, 1, 1, 1)
        assert (w.to_sign, w.releases, w.complaints, w.complaints_late, w.repairs) == (0, 0, 0, 0, 0)
        series = {s.key: dict(s.points) for s in reads.trends(site, day, 7)}
        yesterday = day - timedelta(days=1)
        assert len(series["groups"]) == 7
        assert series["groups"][day] == 2 and series["groups"][yesterday] == 1
        assert series["guests"][day] == 6 and series["guests"][yesterday] == 2
        assert series["discrepancies"][yesterday] == 1 and series["discrepancies"][day] == 0
        assert sum(series["late"].values()) == 0
        # ¥25 over today's two groups rounds to ¥12 a group; yesterday's group served nothing
        assert series["cost_per_group"][day] == 12 and series["cost_per_group"][yesterday] == 0


def test_the_on_time_trend_is_the_share_of_routines_done_by_their_due_time(app, world, frozen):
    """Yesterday the bar's opening was done before its due time and the closing after: 50 %; the other days had
    none done (0, left out of the average). The days before today are head office's kept figures: a change to
    yesterday shows once they are an hour old, as the page says."""
    with app.app_context():
        site = db.session.get(Site, world["site"])
        yesterday = site.today() - timedelta(days=1)
        opening, closing = routine(site.id, "water_bar"), routine(site.id, "water_bar", "closing")
        reads.trends(site, site.today(), 7)  # the days are kept now, before the runs
        with write_tx():
            opening.due_time, closing.due_time = time(9, 30), time(21, 0)
            runs = [ChecklistRun(site_id=site.id, template_id=opening.id, shift_date=yesterday,
                                 started_by_id=world["users"]["water_bar"],
                                 completed_at=clock.to_utc(at(2026, 12, 6, 9, 10))),
                    ChecklistRun(site_id=site.id, template_id=closing.id, shift_date=yesterday,
                                 started_by_id=world["users"]["water_bar"],
                                 completed_at=clock.to_utc(at(2026, 12, 6, 23, 0)))]
            db.session.add_all(runs)
        try:
            trend = next(s for s in reads.trends(site, site.today(), 7) if s.key == "on_time")
            assert dict(trend.points)[yesterday] == 0  # kept before the runs, and not an hour old yet
            with clock.travel_to(NOW + hq_reads.KEEP_FOR + timedelta(minutes=1), frozen=True):
                trend = next(s for s in reads.trends(site, site.today(), 7) if s.key == "on_time")
            assert dict(trend.points)[yesterday] == 50 and not trend.summed
        finally:
            with write_tx():
                for r in runs:
                    db.session.delete(db.session.merge(r))
                db.session.execute(delete(SiteDay).where(SiteDay.site_id == site.id))  # kept with the runs


def test_the_page_shows_the_figures_linked_to_their_lists(app, world, frozen):
    """The manager's page: each figure a link to its list, the trend bars with their numbers."""
    html = login(app, world["names"]["manager"]).get("/manager/").text
    assert re.search(r'id="fig-groups" href="/visits/\?from=2026-12-07&amp;to=2026-12-07">2<', html)
    assert re.search(r'id="fig-requests" class="bad" href="/purchases/">1<', html)
    assert 'id="fig-tasks-overdue"' in html and 'id="fig-urgent" class="bad"' in html
    bars = re.findall(r'<rect [^>]*data-n="(\d+)"><title>([0-9-]+): (\d+)</title>', html)
    assert len(bars) == 7 * 6
    assert ("2", "12-07", "2") in bars and ("1", "12-06", "1") in bars
    assert "12-06 1" in html  # the chart's accessible name lists the days' numbers
    assert 'id="trends-freshness"' in html  # and how fresh the kept days are


@pytest.mark.parametrize("raw,days", [("30", 30), ("7", 7), ("14", 7), ("abc", 7), ("-1", 7), ("", 7)])
def test_days_is_7_or_30(app, world, frozen, raw, days):
    """?days= takes 7 or 30; anything else shows 7 days."""
    html = login(app, world["names"]["manager"]).get(f"/manager/?days={raw}").text
    assert len(re.findall(r'<rect [^>]*data-n=', html)) == days * 6


@pytest.mark.parametrize("post", [p for p in POSTS if p != "manager"])
def test_only_the_manager(app, world, post):
    """Every other post is refused."""
    assert login(app, world["names"][post]).get("/manager/").status_code == 403


def test_the_page_reads_a_fixed_number_of_statements(app, world, frozen):
    """More visits and tasks add no statement to the page (their rows are counted in SQL; the days before today are
    kept, rebuilt on the first view of the hour)."""
    boss = login(app, world["names"]["manager"])
    boss.get("/manager/?days=30")
    with counting(app) as before:
        assert boss.get("/manager/?days=30").status_code == 200
    now = clock.to_utc(NOW)
    with app.app_context(), write_tx():
        added = [Visit(site_id=world["site"], party_size=2, recorded_by_id=world["users"]["lead"],
                       arrived_at=now - timedelta(days=n % 20), status="left") for n in range(40)]
        added += [Task(site_id=world["site"], assignee="water_bar", text="补水", created_by_id=world["users"]["lead"],
                       created_at=now, target_minutes=30) for _n in range(5)]
        db.session.add_all(added)
    try:
        with counting(app) as after:
            page = boss.get("/manager/?days=30")
        assert len(after) == len(before) <= 30, before
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            # Today's figures, the checklists with their runs and the trends in one statement (and the session's
            # lookup): each figure read on its own was a round trip.
            assert len(after) == 2, after
        assert re.search(r'id="fig-groups" href="[^"]*">4<', page.text)
    finally:
        with app.app_context(), write_tx():  # the module's world, as the other tests expect it
            for row in added:
                db.session.delete(db.session.merge(row))


def test_stock_below_par_is_counted_and_links_to_its_list(app, world, frozen):
    """An item of the site under its par shows in the count, linked to the list of them."""
    from tests.factories import make_item
    with app.app_context():
        html = login(app, world["names"]["manager"]).get("/manager/").text
        before = int(re.search(r'id="fig-below-par"[^>]*>(\d+)<', html).group(1))
        make_item(world["site"], name="低库存测试", stock=1, par="5")
    html = login(app, world["names"]["manager"]).get("/manager/").text
    found = re.search(r'id="fig-below-par" class="bad" href="/stock/below-par">(\d+)<', html)
    assert found and int(found.group(1)) == before + 1
