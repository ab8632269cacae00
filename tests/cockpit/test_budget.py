"""The consumables budget: the month's spend is the consumption report's cost, the latest earlier budget applies to
a month without one, the projection runs the days' rate to the month's end, the form refuses bad months and amounts
next to the field (nothing saved), another site's budget and spend never show, only the manager sets it."""
import re
from datetime import date, time
from decimal import Decimal

import pytest

from hospitality import clock
from hospitality.cockpit import reads, services
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import ledger, recipes
from hospitality.inventory.reads import consumption
from hospitality.inventory.reads.stock import bar_consumables
from hospitality.models import AuditLog, Site, User
from hospitality.models.budgets import Budget
from hospitality.models.core import POSTS
from tests.factories import at, insert_move, local_utc, make_item, make_site, make_user
from tests.harness import count_rows, counting, empty_tables, login, text

NOW = at(2026, 12, 7, 15, 0)  # day 7 of a 31-day month at a Shanghai site
DAY = NOW.date()


def _moves(site: Site, uid: int, scale: int = 1) -> None:
    """This month: water served 10 just after the first's midnight (¥20), 1 discarded and 1 damaged (¥4), 3 bags
    of tea leaves used to brew pots (¥15), 4 water served and reversed (nothing); not counted: water received,
    water served just before the month began, the pots served (their cost is the leaves'), a model-room
    consumable used."""
    water = make_item(site.id, name="矿泉水", price="2", stock=500)
    leaves = make_item(site.id, name="茶叶", price="5", stock=100)
    pot = make_item(site.id, name="一壶茶", price="0")
    room = make_item(site.id, "model_room", name="纸巾", kind="consumable", price="100", stock=10)
    recipes.save_recipe(site, _boss(site), pot, {leaves.id: "1"})
    for item, qty, reason, day, hour in (
            (water, -10 * scale, "served", 1, time(0, 30)), (water, -1, "discarded", 5, time(10)),
            (water, -1, "damaged", 6, time(10)), (leaves, -3, "prep_used", 6, time(11)),
            (water, 24, "received", 2, time(9)), (pot, -3, "served", 6, time(12)), (room, -1, "served", 6, time(9))):
        insert_move(item, uid, qty, reason, local_utc(site, date(2026, 12, day), hour))
    insert_move(water, uid, -50, "served", local_utc(site, date(2026, 11, 30), time(23, 30)))
    mistake = insert_move(water, uid, -4, "served", local_utc(site, date(2026, 12, 7), time(9)))
    with write_tx():
        ledger.reverse(db.session.merge(mistake), uid, "记错了")


def _boss(site: Site) -> User:
    return db.session.query(User).filter_by(site_id=site.id, post="manager").first()


@pytest.fixture(scope="module")
def world(app):
    with clock.travel_to(NOW, frozen=True), app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"bg{p}{s.id}") for p in POSTS}
        _moves(s, users["water_bar"].id)
        other = make_site()
        other_boss = make_user(other.id, "manager", username=f"bgboss{other.id}")
        make_user(other.id, "water_bar", username=f"bgbar{other.id}")
        _moves(other, other_boss.id, scale=100)  # ¥2,000 of water: never this site's
        services.set_budget(other, other_boss, month="2026-12", amount="5555.55")
        out = {"site": s.id, "other": other.id, "names": {p: f"bg{p}{s.id}" for p in POSTS}}
    yield out
    with app.app_context():
        empty_tables()


@pytest.fixture
def frozen():
    with clock.travel_to(NOW, frozen=True):
        yield


@pytest.fixture
def no_budgets(app, world):
    """The site's budgets are removed after the test (the others expect none)."""
    yield
    with app.app_context(), write_tx():
        db.session.query(Budget).filter_by(site_id=world["site"]).delete()


def test_spend_is_the_consumption_reports_cost(app, world, frozen):
    """¥39 so far this month, the same as the 30-day consumption report's cost over the same days; one statement."""
    with app.app_context():
        site = db.session.get(Site, world["site"])
        report, _days = consumption.range_summary(site, bar_consumables(site.id), date(2026, 12, 1), DAY)
        with counting(app) as seen:
            b = reads.month_spend(site, DAY)
        assert len(seen) == 1
        assert b.spend == Decimal("39.00") == sum(line.cost for line in report)
        assert (b.budget, b.budget_month, b.pct) == (None, None, None)
        assert reads.month_spend(site, date(2026, 11, 30)).spend == Decimal("100.00")  # last month's own


def test_projection_runs_the_days_rate_to_the_months_end():
    """¥70 in 7 days of 31 → ¥310; over a ¥300 budget projected, not yet spent; on the last day it is the spend."""
    b = reads.MonthSpend(date(2026, 12, 7), Decimal("70.00"), Decimal("300.00"), date(2026, 12, 1))
    assert (b.projected, b.pct, b.projected_pct, b.over, b.projected_over, b.inherited) == (
        Decimal("310.00"), 23, 103, False, True, False)
    last = reads.MonthSpend(date(2027, 2, 28), Decimal("301"), Decimal("300"), date(2026, 12, 1))
    assert (last.days, last.projected, last.over, last.inherited) == (28, Decimal("301.00"), True, True)


def test_the_latest_earlier_budget_applies(app, world, frozen, no_budgets):
    """November's ¥1,000 applies to December and on until February's own ¥800."""
    with app.app_context():
        site, boss = db.session.get(Site, world["site"]), _boss(db.session.get(Site, world["site"]))
        services.set_budget(site, boss, month="2026-11", amount="1000")
        services.set_budget(site, boss, month="2027-02", amount="800.50")
        b = reads.month_spend(site, DAY)
        assert (b.budget, b.budget_month, b.inherited, b.pct) == (Decimal("1000.00"), date(2026, 11, 1), True, 4)
        months = {m.month: m for m in reads.months(site, date(2026, 11, 1), date(2027, 12, 1))}
        assert len(months) == 14
        assert months[date(2026, 11, 1)].amount == 1000 and not months[date(2026, 11, 1)].inherited
        assert months[date(2027, 1, 1)].amount == 1000 and months[date(2027, 1, 1)].from_month == date(2026, 11, 1)
        assert months[date(2027, 3, 1)].amount == Decimal("800.50")
    html = login(app, world["names"]["manager"]).get("/manager/").text
    assert 'id="budget-inherited"' in html and "¥1000.00" in html


def test_setting_a_month_again_changes_it_and_is_audited(app, world, frozen, no_budgets):
    """Two posts of December: one row with the second amount, two audit rows with the amount before."""
    boss = login(app, world["names"]["manager"])
    with app.app_context():
        last_audit = db.session.query(db.func.max(AuditLog.id)).scalar() or 0
    for amount in ("3000", "3500.5"):
        r = boss.post("/manager/budget", data={"month": "2026-12", "amount": amount})
        assert r.status_code == 302
    with app.app_context():
        rows = db.session.query(Budget).filter_by(site_id=world["site"]).all()
        assert [(r.month, r.amount) for r in rows] == [(date(2026, 12, 1), Decimal("3500.50"))]
        audit = db.session.query(AuditLog).filter(AuditLog.id > last_audit, AuditLog.entity == "budget")
        audit = audit.order_by(AuditLog.id)
        assert [a.detail["before"] for a in audit] == [None, "3000.00"]
    page = boss.get("/manager/").text
    assert re.search(r'id="fig-spend" class="" href="[^"]*consumption\?from=2026-12-01&amp;to=2026-12-07">¥39.00<',
                     page)
    assert 'data-pct="1"' in page and 'id="budget-over"' not in page


def test_over_budget_stands_out(app, world, frozen, no_budgets):
    """A ¥30 budget against ¥39 spent: the figure, the bar and the words say so."""
    boss = login(app, world["names"]["manager"])
    assert boss.post("/manager/budget", data={"month": "2026-12", "amount": "30"}).status_code == 302
    html = boss.get("/manager/").text
    assert re.search(r'id="fig-spend" class="bad" href="[^"]*from=2026-12-01[^"]*">¥39.00<', html)
    assert 'id="budget-over"' in html and 'data-pct="130"' in html
    assert re.search(r'<svg id="budget-bar"[^>]*class="bad"', html)


GOOD = {"month": "2026-12", "amount": "100"}


@pytest.mark.parametrize("field,raw", [
    ("month", ""), ("month", "2026-13"), ("month", "2026-10"), ("month", "2028-01"), ("month", "abc"),
    ("month", "2026-1"), ("month", "2026-12-01"),
    ("amount", ""), ("amount", "0"), ("amount", "0.00"), ("amount", "-5"), ("amount", "1.234"),
    ("amount", "10000000.01"), ("amount", "abc"), ("amount", "1e5"), ("amount", "１００"), ("amount", "1,000"),
])
def test_bad_input_is_refused_next_to_the_field(app, world, frozen, field, raw):
    """422, the message under the field, nothing saved."""
    boss = login(app, world["names"]["manager"])
    before = count_rows(Budget, app=app), count_rows(AuditLog, app=app)
    r = boss.post("/manager/budget", data={**GOOD, field: raw})
    assert r.status_code == 422
    assert f'id="{field}-err"' in r.text and f'aria-describedby="{field}-err"' in r.text
    assert (count_rows(Budget, app=app), count_rows(AuditLog, app=app)) == before


@pytest.mark.parametrize("month,amount", [("2026-11", "0.01"), ("2027-12", "10000000")])
def test_the_edges_are_accepted(app, world, frozen, no_budgets, month, amount):
    """Last month and a year ahead; one fen and ¥10,000,000."""
    r = login(app, world["names"]["manager"]).post("/manager/budget", data={"month": month, "amount": amount})
    assert r.status_code == 302
    assert count_rows(Budget, Budget.site_id == world["site"], app=app) == 1


def test_another_sites_budget_and_spend_never_show(app, world, frozen):
    """The other site's ¥5,555.55 budget and its ¥2,000 of water are on neither page."""
    boss = login(app, world["names"]["manager"])
    for url in ("/manager/", "/manager/budget"):
        html = boss.get(url).text
        assert "5555.55" not in html and "2039" not in html
    assert 'id="budget-none"' in boss.get("/manager/").text
    assert text(app, "No budget") in boss.get("/manager/budget").text


def test_the_form_page_lists_the_months_and_prefills_one(app, world, frozen):
    """Last month to a year ahead (14 rows); ?month= puts that month in the form."""
    html = login(app, world["names"]["manager"]).get("/manager/budget?month=2027-03").text
    assert len(re.findall(r'<tr id="budget-\d{4}-\d{2}">', html)) == 14
    assert re.search(r'<input id="month" name="month" type="month" min="2026-11" max="2027-12"\s+value="2027-03"', html)


@pytest.mark.parametrize("post", [p for p in POSTS if p != "manager"])
def test_only_the_manager_sets_it(app, world, frozen, post):
    """Every other post is refused (403), and nothing is saved."""
    client = login(app, world["names"][post])
    before = count_rows(Budget, app=app)
    assert client.get("/manager/budget").status_code == 403
    assert client.post("/manager/budget", data=GOOD).status_code == 403
    assert count_rows(Budget, app=app) == before
