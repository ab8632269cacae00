"""Head office: the figures of two sites of its company are right for a small made-up month, a third site of
another company is never shown (404 on its drill-down), the range and the sort are checked, the Excel has a row
per site, every figure family is one statement whatever the number of sites, and only head office gets in."""
import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hospitality import clock
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import ChecklistRun, CountLine, Discrepancy, Visit
from hospitality.models.attendance import Attendance, RosterEntry, Shift
from hospitality.models.complaints import Complaint
from hospitality.models.core import SITE_POSTS, Company
from hospitality.models.guests import GuestFeedback
from hospitality.models.inventory import StockCount
from tests.factories import at, location, make_incident, make_item, make_site, make_user, routine
from tests.harness import counting, empty_tables, login

NOW = at(2026, 12, 7, 15, 0)  # a Monday afternoon at Shanghai sites
TODAY, YESTERDAY = date(2026, 12, 7), date(2026, 12, 6)


def _visits(site_id: int, user_id: int, n: int, cost: str) -> None:
    now = clock.to_utc(NOW)
    db.session.add_all(Visit(site_id=site_id, party_size=3, recorded_by_id=user_id, arrived_at=now, status="left",
                             served_cost=Decimal(cost)) for _ in range(n))


def _month(site_id: int, boss: int, staff: int) -> None:
    """Site one's month: a discrepancy with 2 items missing at ¥4, one of two clock-ins late, one of two rostered
    days absent, a routine on time and one late, two answers (one satisfied), a complaint and an incident."""
    now = clock.to_utc(NOW)
    item = make_item(site_id, price="4", stock=5)
    with write_tx():
        _visits(site_id, boss, 2, "12.50")
        loc = location(site_id, "water_bar").id
        count = StockCount(site_id=site_id, location_id=loc, kind="closing", started_by_id=staff, status="discrepancy")
        db.session.add(count)
        db.session.flush()
        db.session.add(CountLine(count_id=count.id, item_id=item.id, expected=5, counted=3))
        db.session.add(Discrepancy(site_id=site_id, count_id=count.id, location_id=loc,
                                   opened_at=now - timedelta(days=1)))
        shift = Shift(site_id=site_id, code="hqday", name="白班", starts=time(9), ends=time(18))
        db.session.add(shift)
        db.session.flush()
        for day in (YESTERDAY - timedelta(days=1), YESTERDAY):
            db.session.add(RosterEntry(site_id=site_id, user_id=staff, day=day, shift_id=shift.id, post="water_bar",
                                       created_by_id=boss))
        db.session.add(Attendance(site_id=site_id, user_id=staff, day=YESTERDAY, late_minutes=7))
        db.session.add(Attendance(site_id=site_id, user_id=staff, day=TODAY, late_minutes=0))
        opening, closing = routine(site_id, "water_bar"), routine(site_id, "water_bar", "closing")
        opening.due_time = time(9, 30)
        closing.due_time = time(21, 0)
        # Opening done at 09:10 (on time), closing done at 23:00 (late): local times, stored in UTC.
        db.session.add(ChecklistRun(site_id=site_id, template_id=opening.id, shift_date=YESTERDAY,
                                    started_by_id=staff, completed_at=clock.to_utc(at(2026, 12, 6, 9, 10))))
        db.session.add(ChecklistRun(site_id=site_id, template_id=closing.id, shift_date=YESTERDAY,
                                    started_by_id=staff, completed_at=clock.to_utc(at(2026, 12, 6, 23, 0))))
        visit_ids = db.session.scalars(db.select(Visit.id).where(Visit.site_id == site_id)).all()
        for vid, rating in zip(visit_ids, ("satisfied", "unsatisfied"), strict=True):
            db.session.add(GuestFeedback(site_id=site_id, visit_id=vid, rating=rating, source="staff", day=TODAY))
        db.session.add(Complaint(site_id=site_id, channel="phone", topic="service", said="水太凉",
                                 registered_by_id=staff, respond_by=now, close_by=now))
    make_incident(site_id, staff)


@pytest.fixture(scope="module")
def world(app):
    with clock.travel_to(NOW, frozen=True), app.app_context():
        with write_tx():
            ours, theirs = Company(name="安居物业", code="HQA"), Company(name="别家物业", code="HQB")
            db.session.add_all([ours, theirs])
        one = make_site(code="HQ1", name="一号售楼处", company_id=ours.id)
        two = make_site(code="HQ2", name="二号售楼处", company_id=ours.id)
        other = make_site(code="HQ3", name="别家售楼处", company_id=theirs.id)
        names = {p: make_user(one.id, p, username=f"hq-{p}").username for p in SITE_POSTS}
        names["hq"] = make_user(two.id, "hq", username="hq-hq").username  # home: site two, same company
        boss, staff = (db.session.scalar(db.select(db.text("id")).select_from(db.text("users"))
                                         .where(db.text(f"username = 'hq-{p}'"))) for p in ("manager", "water_bar"))
        _month(one.id, boss, staff)
        with write_tx():
            _visits(two.id, boss, 1, "30")
            _visits(other.id, boss, 5, "99")
        out = {"one": one.id, "two": two.id, "other": other.id, "names": names}
    yield out
    with app.app_context():
        empty_tables()


@pytest.fixture
def frozen():
    with clock.travel_to(NOW, frozen=True):
        yield


def _hq(app, world):
    return login(app, world["names"]["hq"])


def test_the_figures_of_each_site(app, world, frozen):
    """Site one: 2 groups, 6 guests, ¥12.50 a group, 1 discrepancy, ¥8 lost, 50% late, 50% absent, 50% on time,
    50% satisfied, 1 complaint, 1 incident; site two: 1 group at ¥30; the other company's site is not there."""
    from hospitality.hq import reads
    with app.app_context():
        company = reads.company_of(world["one"])
        rows = {r.site_id: r for r in reads.figures(reads.sites(company), date(2026, 12, 1), TODAY, TODAY)}
    assert set(rows) == {world["one"], world["two"]}
    one, two = rows[world["one"]], rows[world["two"]]
    assert (one.groups, one.guests, one.cost_per_group) == (2, 6, Decimal("12.50"))
    assert (one.discrepancies, one.losses) == (1, Decimal("8"))
    assert (one.late_pct, one.absent_pct, one.on_time_pct, one.satisfied_pct) == (50, 50, 50, 50)
    assert (one.complaints, one.incidents) == (1, 1)
    assert (two.groups, two.cost_per_group, two.late_pct, two.satisfied_pct) == (1, Decimal("30.00"), None, None)


def test_the_page_lists_the_companys_sites_only(app, world, frozen):
    """The comparison shows both sites of the company, each linking to its drill-down; never the other company's."""
    html = _hq(app, world).get("/hq/").text
    assert "一号售楼处" in html and "二号售楼处" in html and "别家售楼处" not in html
    assert f'/hq/sites/{world["one"]}?start=2026-12-01&amp;end=2026-12-07' in html


def test_head_office_lands_on_the_comparison(app, world, frozen):
    """After login head office's "/" is the comparison, with a menu of it and none of a site's pages."""
    html = _hq(app, world).get("/").text
    assert 'id="hq-sites"' in html and 'href="/hq/"' in html
    assert 'href="/visits/"' not in html and 'href="/tasks/"' not in html


def test_drill_down_is_read_only_and_company_bound(app, world, frozen):
    """A site's page has its figures and daily bars and no form; another company's site is 404."""
    client = _hq(app, world)
    page = client.get(f"/hq/sites/{world['one']}?start=2026-12-01&end=2026-12-07")
    assert page.status_code == 200
    assert 'id="fig-groups">2<' in page.text and 'id="fig-losses">¥8.00<' in page.text
    assert page.text.count("<rect ") == 7 * 6
    main = page.text.split("<main", 1)[1]
    assert "<form" not in main and "<button" not in main
    assert client.get(f"/hq/sites/{world['other']}").status_code == 404


@pytest.mark.parametrize("query,field", [("start=2026-13-01", "start"), ("end=nope", "end"),
                                         ("start=2026-12-07&end=2026-12-01", "end"),
                                         ("start=2025-01-01&end=2026-12-07", "end")])
def test_a_bad_range_is_422_under_its_field(app, world, frozen, query, field):
    """A date that is not one, an end before the start, more than 366 days: 422 with the message by the field."""
    client = _hq(app, world)
    for url in (f"/hq/?{query}", f"/hq/?format=xlsx&{query}", f"/hq/sites/{world['one']}?{query}"):
        resp = client.get(url)
        assert resp.status_code == 422, url
        assert f'id="{field}-err"' in resp.text


@pytest.mark.parametrize("sort,first", [("groups", "一号售楼处"), ("cost_per_group", "二号售楼处"),
                                        ("bogus", "一号售楼处"), ("", "一号售楼处")])
def test_sort_by_a_column_or_by_name(app, world, frozen, sort, first):
    """?sort= a column sorts highest first; anything else sorts by name."""
    html = _hq(app, world).get(f"/hq/?sort={sort}").text
    body = html.split('id="hq-sites"', 1)[1]
    assert body.index(first) < body.index("二号售楼处" if first == "一号售楼处" else "一号售楼处")


def test_the_excel_has_a_row_per_site(app, world, frozen):
    """The export opens in openpyxl: the head and one row per site of the company."""
    resp = _hq(app, world).get("/hq/?format=xlsx&start=2026-12-01&end=2026-12-07")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 3
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"一号售楼处", "二号售楼处"}
    assert by_name["一号售楼处"][2:4] == (2, 6)


def test_statements_do_not_grow_with_sites(app, world, frozen):
    """A third site of the company adds no statement: each figure family is one grouped statement."""
    client = _hq(app, world)
    client.get("/hq/")
    with counting(app) as before:
        client.get("/hq/")
    with app.app_context():
        company = db.session.scalar(db.select(Company.id).where(Company.code == "HQA"))
        extra = make_site(code="HQ4", name="三号售楼处", company_id=company)
    try:
        with counting(app) as filling:
            assert "三号售楼处" in client.get("/hq/").text  # keeps the new site's closed days: once
        with counting(app) as after:
            assert "三号售楼处" in client.get("/hq/").text
        assert len(after) == len(before) <= 20
        assert len(filling) <= len(before) + 24  # per part (the past days, today): the families once and the write
    finally:
        with app.app_context(), write_tx():
            db.session.execute(db.update(type(extra)).where(type(extra).id == extra.id).values(active=False))


@pytest.mark.parametrize("post", SITE_POSTS)
def test_site_posts_are_refused(app, world, post):
    """No site post reaches head office's pages."""
    client = login(app, world["names"][post])
    for url in ("/hq/", f"/hq/sites/{world['one']}", "/hq/?format=xlsx"):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/visits/", "/stock/", "/tasks/", "/board", "/manager/", "/incidents/",
                                 "/attendance/", "/complaints/", "/repairs/"])
def test_head_office_reaches_no_site_page(app, world, url):
    """Head office reads; a site's pages are its staff's (403)."""
    assert _hq(app, world).get(url).status_code == 403


def test_a_sites_manager_can_neither_make_nor_open_a_head_office_login(app, world, frozen):
    """Head office's login has a home site but is not its staff: the site's manager does not list it, open it,
    unlock it or give anyone its post (its password would open every site's figures); the command line makes it."""
    from hospitality.admin import services as admin
    from hospitality.models import Site, User
    with app.app_context():
        hq_id = db.session.scalar(db.select(User.id).where(User.username == world["names"]["hq"]))
        boss = make_user(world["two"], "manager", username="hq-boss-two")
        boss_id = boss.id
    client = login(app, "hq-boss-two")
    staff = client.get("/admin/staff")
    assert staff.status_code == 200 and f"/admin/staff/{hq_id}" not in staff.text
    assert client.get(f"/admin/staff/{hq_id}").status_code == 404
    assert client.post(f"/admin/staff/{hq_id}/unlock").status_code == 404
    resp = client.post("/admin/staff/new", data={"username": "boss2", "name": "总部二", "badge_no": "X9",
                                                 "post": "hq", "password": "longenough1"})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "boss2")) is None
        site = db.session.get(Site, world["two"])
        with pytest.raises(admin.AdminError):
            admin.create_staff(site, db.session.get(User, boss_id), username="boss3", name="总部三", badge_no="X8",
                               phone="", post="hq", password="longenough1")
        with pytest.raises(admin.AdminError):
            admin.update_staff(site, db.session.get(User, hq_id), name="改名", badge_no="H9", phone="", post="hq",
                               active=True, password=None, actor=db.session.get(User, boss_id))
        made = admin.create_staff(site, None, username="boss4", name="总部四", badge_no="X7", phone="", post="hq",
                                  password="longenough1")
        assert made.post == "hq"


def test_kept_days_are_rebuilt_after_five_minutes_for_today_and_an_hour_before(app, world, frozen):
    """The figures are summed from kept days: a group added today shows after at most five minutes, one added to an
    earlier day after at most an hour."""
    from hospitality.models.hq import SiteDay
    client = _hq(app, world)
    url = "/hq/sites/{}?start=2026-12-01&end=2026-12-07".format(world["two"])
    before = int(_figure(client.get(url).text, "fig-groups"))
    with app.app_context():
        boss = db.session.scalar(db.select(db.text("id")).select_from(db.text("users"))
                                 .where(db.text("username = 'hq-manager'")))
        with write_tx():
            old = Visit(site_id=world["two"], party_size=2, recorded_by_id=boss, status="left",
                        arrived_at=clock.to_utc(at(2026, 12, 3, 11, 0)))
            new = Visit(site_id=world["two"], party_size=2, recorded_by_id=boss, status="left",
                        arrived_at=clock.to_utc(NOW))
            db.session.add_all([old, new])
        ids = [old.id, new.id]
    try:
        assert int(_figure(client.get(url).text, "fig-groups")) == before  # both days kept
        with clock.travel_to(NOW + timedelta(minutes=6), frozen=True):
            assert int(_figure(client.get(url).text, "fig-groups")) == before + 1  # today's rebuilt
        with clock.travel_to(NOW + timedelta(minutes=61), frozen=True):
            assert int(_figure(client.get(url).text, "fig-groups")) == before + 2  # rebuilt after the hour
    finally:
        with app.app_context(), write_tx():
            db.session.execute(db.delete(Visit).where(Visit.id.in_(ids)))
            db.session.execute(db.delete(SiteDay))


def _figure(html: str, element_id: str) -> str:
    import re
    return re.search(rf'id="{element_id}">([^<]*)<', html).group(1)


def test_a_sites_page_names_each_of_its_trends(app, world, frozen):
    """Every chart on a site's page has its title (the manager's day's titles, from one place)."""
    import re
    page = _hq(app, world).get(f"/hq/sites/{world['one']}").text
    titles = re.findall(r'<figcaption><a href="[^"]*">([^<]+)</a></figcaption>', page)
    assert len(titles) == 6 and all(t.strip() for t in titles) and len(set(titles)) == 6
