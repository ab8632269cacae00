"""Visit lists with filters, per-rep figures and Excel exports: the rules, the pages and their query counts."""
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import insert, select, update
from werkzeug.datastructures import MultiDict

from hospitality.database import read_panels, write_tx
from hospitality.extensions import db
from hospitality.inventory import ledger
from hospitality.models import Discrepancy, SalesRep, StockCount, StockMove, Visit
from hospitality.visits import export, services
from hospitality.visits.reads import report
from hospitality.visits.reads.report import FilterError, Filters
from tests import factories
from tests.factories import site_of, visit_env, who
from tests.harness import counting, login

LIST = {"HX-Request": "true", "HX-Target": "visit-list"}
MORE = {"HX-Request": "true", "HX-Target": "more-rows"}


@pytest.fixture
def env(app):
    return visit_env(app)


def zh(app, msgid: str, **kw) -> str:
    """A message as the default (Chinese) page shows it, HTML-escaped."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return str(escape(gettext(msgid, **kw)))


def utc(site_, day, hour, minute=0) -> datetime:
    return datetime.combine(day, datetime.min.time(), site_.tz).replace(hour=hour, minute=minute) \
        .astimezone(UTC).replace(tzinfo=None)


def visit(env, *, days_ago=0, hour=10, size=3, plate="粤B12345", purpose=None, rep=True, serve=None, rooms=(),
          refused=(), stay=None) -> int:
    """A visit through the services, then moved to `days_ago` at `hour` (site time) and left after `stay` min."""
    s = site_of(env)
    v = services.record_arrival(s, who(env, "security"), size, plate is not None, plate, None)
    if purpose:
        v = services.greet(s, who(env, "concierge"), v, purpose, env.rep if rep is True else rep)
    if serve:
        services.serve(s, who(env, "water_bar"), v, serve, None)
    for room in rooms:
        services.admit(s, who(env, "model_room"), v, room, env.rep)
    for room in refused:
        services.admit(s, who(env, "model_room"), v, room, None)
    arrived = utc(s, s.today() - timedelta(days=days_ago), hour)
    values = {"arrived_at": arrived}
    if purpose:
        values["greeted_at"] = arrived + timedelta(minutes=2)
    if stay is not None:
        services.depart(s, who(env, "security"), db.session.get(Visit, v.id))
        values["left_at"] = arrived + timedelta(minutes=stay)
    with write_tx():
        db.session.execute(update(Visit).where(Visit.id == v.id).values(**values))
    return v.id


def discrepancy(env, rep_id, status="open", visit_id=None, days_ago=0) -> int:
    """A count after a visit that differed, pinned on a rep (as the lead's count code will)."""
    s = site_of(env)
    with write_tx():
        count = StockCount(site_id=s.id, location_id=env.room, kind="visit", status="discrepancy",
                           started_by_id=env.users["model_room"], submitted_at=datetime.now(UTC).replace(tzinfo=None))
        db.session.add(count)
        db.session.flush()
        d = Discrepancy(site_id=s.id, count_id=count.id, location_id=env.room, status=status, visit_id=visit_id,
                        rep_id=rep_id, opened_at=utc(s, s.today() - timedelta(days=days_ago), 15))
        db.session.add(d)
    return d.id


def filters(env, **args) -> Filters:
    return report.parse_filters(site_of(env), MultiDict(args), True)


# Filters -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, field", [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-01-01", "to": "yesterday"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-09"}, "to"),
    ({"from": "2026-01-01", "to": "2026-04-03"}, "to"),  # 93 days
    ({"status": "gone"}, "status"),
    ({"purpose": "shopping"}, "purpose"),
    ({"mode": "boat"}, "mode"),
    ({"rep": "abc"}, "rep"),
    ({"plate": "粤B%"}, "plate"),
])
def test_bad_filters_are_refused_under_their_field(ctx, env, args, field):
    """A wrong date, an end before the start, more than 92 days or a value not offered is refused."""
    with pytest.raises(FilterError) as e:
        filters(env, **args)
    assert e.value.field == field


def test_a_quarter_is_allowed_and_the_older_date_param_still_works(ctx, env):
    """92 days pass; ?date= alone is that one day; no dates is today."""
    assert filters(env, **{"from": "2026-01-01", "to": "2026-04-02"}).last.isoformat() == "2026-04-02"
    f = filters(env, date="2026-02-03")
    assert (f.first.isoformat(), f.last.isoformat()) == ("2026-02-03", "2026-02-03")
    assert filters(env).first == filters(env).last == site_of(env).today()


def test_another_sites_rep_is_not_a_filter(ctx, env):
    """A rep id of another site is refused like an unknown one."""
    factories.make_rep(env.other, "外站顾问")
    other_id = db.session.scalar(select(SalesRep.id).where(SalesRep.site_id == env.other))
    with pytest.raises(FilterError) as e:
        filters(env, rep=str(other_id))
    assert e.value.field == "rep"
    assert filters(env, rep=str(env.rep)).rep == str(env.rep)


def test_staff_see_today_whatever_they_ask(ctx, env):
    """Staff filters are ignored: today's list, every group."""
    s = site_of(env)
    f = report.parse_filters(s, MultiDict({"from": "2020-01-01", "to": "2020-01-02", "status": "left"}), False)
    assert (f.first, f.last, f.status) == (s.today(), s.today(), "")


# List, costs, summary ---------------------------------------------------------------------------------------

def test_cost_is_what_was_served_net_of_reversals(ctx, env):
    """2 waters (¥2) and a tea (¥8) served; the tea row reversed: the visit cost ¥4."""
    vid = visit(env, serve={env.water: "2", env.tea: "1"})

    def listed_cost():
        return next(r.cost for r in report.page(site_of(env), filters(env))[0] if r.visit.id == vid)
    assert listed_cost() == Decimal("12.00")
    tea_row = db.session.scalar(select(StockMove).where(StockMove.ref_id == vid, StockMove.item_id == env.tea))
    with write_tx():
        ledger.reverse(tea_row, env.users["manager"], "录错了")
    assert listed_cost() == Decimal("4.00")
    assert report.summary(site_of(env), filters(env)).cost == Decimal("4.00")


def test_filters_pick_the_right_visits(ctx, env):
    """Status, purpose, rep (or none yet), car or foot and part of a plate each narrow the list."""
    a = visit(env, plate="粤B11111", purpose="first", stay=30)
    b = visit(env, plate=None, purpose="signing", hour=11)
    c = visit(env, plate="粤C22222", hour=12)  # not greeted: no purpose, no rep
    old = visit(env, plate="粤B11111", purpose="first", days_ago=5, stay=20)

    def ids(**args):
        return {r.visit.id for r in report.page(site_of(env), filters(env, **args))[0]}

    assert ids() == {a, b, c}
    assert ids(status="left") == {a}
    assert ids(status="active") == {b, c}
    assert ids(purpose="signing") == {b}
    assert ids(rep=str(env.rep)) == {a, b}
    assert ids(rep="none") == {c}
    assert ids(mode="foot") == {b}
    assert ids(mode="car") == {a, c}
    assert ids(plate="b111") == {a}
    day = (site_of(env).today() - timedelta(days=6)).isoformat()
    assert ids(**{"from": day, "plate": "11111"}) == {a, old}


def test_rows_show_duration_and_cost_and_on_site_groups_come_first(ctx, env):
    """A group that stayed 45 min shows 45; a group still on site is listed before older ones that left."""
    left = visit(env, hour=9, serve={env.water: "3"}, stay=45)
    here = visit(env, hour=8)
    rows, more = report.page(site_of(env), filters(env))
    assert [r.visit.id for r in rows] == [here, left] and not more
    assert (rows[1].minutes, rows[1].cost, rows[1].on_site) == (45, Decimal("6.00"), False)
    assert rows[0].on_site


def _bulk(env, n, days_ago=1):
    """n visits by insert (for paging and growth), spread over the hours of a past day."""
    s = site_of(env)
    day = s.today() - timedelta(days=days_ago)
    rows = [dict(site_id=s.id, arrived_at=utc(s, day, 8) + timedelta(minutes=i), by_car=bool(i % 2),
                 plate=f"粤B{10000 + i}" if i % 2 else None, party_size=1 + i % 4, purpose="first",
                 rep_id=env.rep, recorded_by_id=env.users["security"], status="left",
                 left_at=utc(s, day, 8) + timedelta(minutes=i + 30)) for i in range(n)]
    with write_tx():
        db.session.execute(insert(Visit), rows)


def test_a_page_then_more(ctx, env):
    """A page and 5 more visits: a full page and a 'more', then the last 5; the summary counts them all."""
    n = report.PAGE_SIZE + 5
    _bulk(env, n)
    day = (site_of(env).today() - timedelta(days=1)).isoformat()
    rows, more = report.page(site_of(env), filters(env, **{"from": day, "to": day}))
    assert (len(rows), more) == (report.PAGE_SIZE, True)
    rest, more = report.page(site_of(env), filters(env, **{"from": day, "to": day, "page": "2"}))
    assert (len(rest), more) == (5, False)
    assert not {r.visit.id for r in rows} & {r.visit.id for r in rest}
    total = report.summary(site_of(env), filters(env, **{"from": day, "to": day}))
    assert (total.groups, total.guests) == (n, sum(1 + i % 4 for i in range(n)))


# Per rep -----------------------------------------------------------------------------------------------------

def test_rep_figures(ctx, env):
    """Groups, guests, purposes, escorted rooms, refusals, discrepancies open/closed and cost per rep."""
    other_rep = factories.make_rep(env.site, "赵顾问") or db.session.scalar(
        select(SalesRep).where(SalesRep.name == "赵顾问"))
    v1 = visit(env, size=2, purpose="first", serve={env.water: "2"}, rooms=[env.room], stay=40)
    visit(env, size=4, purpose="return", refused=[env.room2], stay=10)
    visit(env, size=1, purpose="first", rep=other_rep.id)
    visit(env, size=5)  # nobody received them yet
    visit(env, size=9, purpose="first", days_ago=40)  # out of range
    discrepancy(env, env.rep, "open", v1)
    discrepancy(env, env.rep, "confirmed", v1)
    discrepancy(env, env.rep, "closed", v1)
    discrepancy(env, other_rep.id, "closed", days_ago=40)  # out of range
    inactive = SalesRep(site_id=env.site, name="离职顾问", active=False)
    with write_tx():
        db.session.add(inactive)
    today = site_of(env).today()
    lines = report.rep_figures(site_of(env), today - timedelta(days=7), today)
    by_name = {(rl.rep.name if rl.rep else None): rl for rl in lines}
    assert set(by_name) == {"王顾问", "赵顾问", None}  # the inactive rep without figures is left out
    wang = by_name["王顾问"]
    assert (wang.groups, wang.guests, wang.rooms, wang.refused) == (2, 6, 1, 1)
    assert dict(wang.purposes) == {"first": 1, "return": 1}
    assert (wang.disc_open, wang.disc_closed, wang.cost) == (2, 1, Decimal("4.00"))
    assert (by_name["赵顾问"].groups, by_name["赵顾问"].disc_closed) == (1, 0)
    assert (by_name[None].groups, by_name[None].guests, by_name[None].purposes[None]) == (1, 5, 1)
    assert lines[0].rep.name == "王顾问" and lines[-1].rep is None
    [one] = report.rep_figures(site_of(env), today - timedelta(days=7), today, db.session.get(SalesRep, env.rep))
    assert (one.groups, one.rooms, one.refused, one.disc_open, one.cost) == (2, 1, 1, 2, Decimal("4.00"))


def test_export_rows_carry_times_rooms_items_and_cost(ctx, env):
    """One row per visit: arrival, greeting, first serving, departure, durations, rooms and what was served."""
    vid = visit(env, size=2, purpose="first", serve={env.water: "2", env.tea: "1"}, rooms=[env.room],
                refused=[env.room2], stay=50)
    [row] = report.export_rows(site_of(env), filters(env))
    s = site_of(env)
    arrived = db.session.get(Visit, vid).arrived_at
    assert row[0] == arrived.replace(tzinfo=UTC).astimezone(s.tz).replace(tzinfo=None)
    assert row[1] - row[0] == timedelta(minutes=2) and row[3] - row[0] == timedelta(minutes=50)
    assert row[2] is not None  # the first serving, from the timeline
    assert (row[5], row[7], row[8], row[10], row[12]) == (2, 50, 2, "粤B12345", "王顾问")
    assert "样板间" in row[13] and "、" in row[13]
    assert "矿泉水×2瓶" in row[14] and "铁观音×1包" in row[14]
    assert row[15] == 12.0


# Pages -------------------------------------------------------------------------------------------------------

def test_staff_list_is_today_and_cannot_export(app, env):
    """The water bar sees today's groups whatever it asks for, and may not export."""
    with app.test_request_context():
        visit(env, plate="粤B77777")
        visit(env, plate="粤B88888", days_ago=3)
    c = login(app, env.names["water_bar"])
    day = (datetime.now().date() - timedelta(days=3)).isoformat()
    page = c.get(f"/visits/?from={day}&to={day}").text
    assert "粤B77777" in page and "粤B88888" not in page
    assert 'name="plate"' not in page  # no filter form for staff
    assert c.get("/visits/?format=xlsx").status_code == 403


def test_lead_filters_swap_only_the_list(app, env):
    """htmx asks for the list: the fragment without the page or the form; a plain GET is the full page."""
    with app.test_request_context():
        visit(env, plate="粤B77777", purpose="first")
        visit(env, plate=None, purpose="signing")
    c = login(app, env.names["lead"])
    r = c.get("/visits/?mode=car", headers=LIST)
    assert r.status_code == 200 and "<html" not in r.text and 'id="visit-list"' in r.text
    assert "粤B77777" in r.text and zh(app, "On foot") not in r.text
    assert 'name="plate"' not in r.text
    full = c.get("/visits/?mode=car")
    assert "<html" in full.text and 'name="plate"' in full.text and "粤B77777" in full.text
    assert 'value="car" selected' in full.text
    assert "HX-Request" in r.headers.get("Vary", "")


@pytest.mark.parametrize("args, msgid, kw", [
    ("from=2026-03-10&to=2026-03-01", "The end date is before the start date.", {}),
    ("from=2026-01-01&to=2026-06-01", "Choose at most %(n)s days.", {"n": 92}),
    ("from=10/03/2026", "Not a date: use the date picker or YYYY-MM-DD.", {}),
])
def test_bad_filter_is_422_with_the_message_under_the_field(app, env, args, msgid, kw):
    """htmx gets the filter section back (retargeted) with the message; a plain GET the page; both 422."""
    c = login(app, env.names["manager"])
    r = c.get(f"/visits/?{args}", headers=LIST)
    assert r.status_code == 422
    assert zh(app, msgid, **kw) in r.text
    assert r.headers["HX-Retarget"] == "#report" and "<html" not in r.text and 'name="from"' in r.text
    full = c.get(f"/visits/?{args}")
    assert full.status_code == 422 and "<html" in full.text and zh(app, msgid, **kw) in full.text
    assert 'aria-invalid="true"' in full.text


def test_list_poll_is_204_until_something_happens(app, env):
    """The list polls with the site's version: 204 while unchanged, the new list after an arrival."""
    c = login(app, env.names["lead"])
    html = c.get("/visits/").text
    poll = html.split('class="poll" hx-get="')[1].split('"')[0].replace("&amp;", "&")
    assert c.get(poll, headers=LIST).status_code == 204
    with app.test_request_context():
        visit(env, plate="粤B55555")
    r = c.get(poll, headers=LIST)
    assert r.status_code == 200 and "粤B55555" in r.text


def test_past_ranges_do_not_poll(app, env):
    """A range that ended yesterday cannot change: no poll."""
    c = login(app, env.names["lead"])
    day = (datetime.now().date() - timedelta(days=2)).isoformat()
    assert 'class="poll"' not in c.get(f"/visits/?from={day}&to={day}").text


def test_click_to_load_more(app, env):
    """The 'more' row loads the next page of rows in its place (a fragment of rows, no table)."""
    size = report.PAGE_SIZE
    with app.test_request_context():
        _bulk(env, 2 * size + 20)
        day = (site_of(env).today() - timedelta(days=1)).isoformat()  # the site's yesterday, not the machine's
    c = login(app, env.names["lead"])
    html = c.get(f"/visits/?from={day}&to={day}").text
    assert html.count("/visits/") and 'id="more-rows"' in html
    more = html.split('class="outline more-btn" hx-get="')[1].split('"')[0].replace("&amp;", "&")
    r = c.get(more, headers=MORE)
    assert r.status_code == 200 and "<table" not in r.text and r.text.count("<tr") == size + 1
    third = r.text.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    last = c.get(third, headers=MORE)
    assert last.text.count("<tr") == 20 and 'id="more-rows"' not in last.text


def test_export_filtered_list_to_excel(app, env):
    """The Excel of the filtered list has a header and one row per matching visit."""
    with app.test_request_context():
        visit(env, plate="粤B77777", purpose="first", serve={env.water: "1"}, stay=30)
        visit(env, plate=None, purpose="signing")
    c = login(app, env.names["manager"])
    r = c.get("/visits/?format=xlsx&mode=car")
    assert r.status_code == 200 and r.mimetype == export.XLSX
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.values)
    assert rows[0][0] == zh(app, "Arrived") and len(rows) == 2
    assert rows[1][10] == "粤B77777" and rows[1][15] == 2 and rows[1][7] == 30
    assert c.get("/visits/?format=xlsx&from=2026-02-01&to=2026-01-01").status_code == 422


def test_reps_page_and_export(app, env):
    """The per-rep table shows the rep's groups and cost; its Excel has a row per rep."""
    with app.test_request_context():
        vid = visit(env, size=2, purpose="first", serve={env.water: "2"}, rooms=[env.room])
        discrepancy(env, env.rep, "open", vid)
    c = login(app, env.names["lead"])
    html = c.get("/visits/reps").text
    assert "王顾问" in html and "1 / 2" in html and "¥4.00" in html
    assert zh(app, "%(n)s open", n=1) in html
    ws = load_workbook(io.BytesIO(c.get("/visits/reps?format=xlsx").data)).active
    rows = list(ws.values)
    assert rows[1][0] == "王顾问" and rows[1][1] == 1 and rows[1][-1] == 4.0
    r = c.get("/visits/reps?from=2026-05-01&to=2026-01-01")
    assert r.status_code == 422 and zh(app, "The end date is before the start date.") in r.text


def test_rep_page_lists_their_visits_and_discrepancies(app, env):
    """A rep's page: figures, their visits only, and the discrepancies after their groups with links."""
    with app.test_request_context():
        vid = visit(env, plate="粤B77777", purpose="first", rooms=[env.room])
        visit(env, plate="粤B88888")  # someone else's (nobody's) group
        disc = discrepancy(env, env.rep, "open", vid)
    c = login(app, env.names["manager"])
    html = c.get(f"/visits/reps/{env.rep}").text
    assert "粤B77777" in html and "粤B88888" not in html
    assert f"/stock/discrepancies/{disc}" in html
    assert c.get(f"/visits/reps/{env.rep}?from=x").status_code == 422


def test_other_sites_rep_is_404(app, env):
    """Another site's rep page is 404 for the manager and the lead."""
    with app.app_context():
        factories.make_rep(env.other, "外站顾问")
        other = db.session.scalar(select(SalesRep.id).where(SalesRep.site_id == env.other))
    for post in ("manager", "lead"):
        c = login(app, env.names[post])
        r = c.get(f"/visits/reps/{other}")
        assert r.status_code == 404
        assert zh(app, "Not found. It may belong to another site or have been removed.") in r.text
    c = login(app, env.names["lead"])
    assert c.get(f"/visits/?rep={other}").status_code == 422


def test_staff_cannot_open_rep_figures(app, env):
    """Staff posts get 403 on the per-rep pages."""
    c = login(app, env.names["concierge"])
    assert c.get("/visits/reps").status_code == 403
    assert c.get(f"/visits/reps/{env.rep}").status_code == 403


# Query counts ------------------------------------------------------------------------------------------------

def _grow(app, env):
    """Hundreds of visits over 60 days, with ledger rows, rooms and discrepancies, and more reps."""
    with app.test_request_context():
        for n in range(6):
            factories.make_rep(env.site, f"顾问{n}")
        for d in range(0, 60, 2):
            _bulk(env, 10, days_ago=d + 1)
        for i in range(6):
            vid = visit(env, purpose="return", serve={env.water: "1"}, rooms=[env.room], stay=20, hour=9 + i)
            discrepancy(env, env.rep, "closed" if i % 2 else "open", vid)


def database_url_of(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _measure(app, client, url, headers=None) -> int:
    with counting(app) as seen:
        r = client.get(url, headers=headers or {})
    assert r.status_code == 200, (url, r.status_code)
    return len([s for s in seen if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")])


@pytest.mark.parametrize("who_, url, headers", [
    ("water_bar", "/visits/", None),
    ("lead", "/visits/", None),
    ("lead", "/visits/?from={first}&to={last}", None),
    ("manager", "/visits/?from={first}&to={last}&rep={rep}&mode=car", LIST),
    ("manager", "/visits/?from={first}&to={last}&page=2", MORE),
    ("manager", "/visits/?from={first}&to={last}&format=xlsx", None),
    ("manager", "/visits/reps?from={first}&to={last}", None),
    ("manager", "/visits/reps?from={first}&to={last}&format=xlsx", None),
    ("lead", "/visits/reps/{rep}?from={first}&to={last}", None),
])
def test_query_count_is_constant_as_visits_grow(app, env, who_, url, headers):
    """Each visit page issues as many SQL statements with a handful of visits as with hundreds."""
    with app.test_request_context():
        vid = visit(env, purpose="first", serve={env.water: "1"}, rooms=[env.room], stay=15)
        discrepancy(env, env.rep, "open", vid)
        _bulk(env, 110, days_ago=70)  # a second page even with little data (and half of them by car)
        today = site_of(env).today()
    url = url.format(first=(today - timedelta(days=91)).isoformat(), last=today.isoformat(), rep=env.rep)
    c = login(app, env.names[who_])
    small = _measure(app, c, url, headers)
    _grow(app, env)
    large = _measure(app, c, url, headers)
    assert large == small, f"{url}: {small} statements with few visits, {large} with hundreds"
    if url == "/visits/" and database_url_of(app).startswith("postgresql"):
        # The session; the umbrellas out, the reps (the lead's filter), today's page and the live version at once.
        assert small == 2, small


def test_a_visits_page_reads_its_parts_at_once_on_postgresql(app, env, database_url):
    """A visit's page reads the session, the visit, then its timeline, rooms, what was served, the umbrellas out and
    the pickers of this post's forms as one statement (database.read_panels), for every post."""
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL: SQLite runs the reads one by one (no round trips to save)")
    with app.test_request_context():
        vid = visit(env, purpose="first", serve={env.water: "1"}, rooms=[env.room], stay=15)
    for post in env.names:
        c = login(app, env.names[post])
        c.get(f"/visits/{vid}")  # the statements are prepared from their second reading
        assert _measure(app, c, f"/visits/{vid}") == 3, post


def test_day_figures_for_the_board(ctx, env):
    """Today's groups, guests, groups on site and cost, for the lead's board."""
    visit(env, size=2, serve={env.water: "1"}, stay=10)
    visit(env, size=3)
    visit(env, size=9, days_ago=1)
    site = site_of(env)
    fig = read_panels(report.day_reads(site, site.today()))["visit_figures"]
    assert (fig.groups, fig.guests, fig.on_site, fig.cost) == (2, 5, 1, Decimal("2.00"))
    assert report.summary_of(report.page(site_of(env), filters(env))[0]) == fig
