"""The templates' url_for (hospitality/templating.py, fast for the common links) gives exactly Flask's url_for."""
from datetime import date

import pytest
from flask import Flask, render_template_string, url_for

from hospitality import templating


def render_url(endpoint, **values):
    """The template global's answer, unescaped (a page writes & as &amp; whichever url_for made the URL)."""
    return render_template_string("{{ url_for(e, **v)|safe }}", e=endpoint, v=values)


@pytest.mark.parametrize("endpoint", ["today.index", "attendance.roster", "admin.audit", "auth.logout"])
def test_url_for_without_arguments_is_flasks(app, endpoint):
    """A page without arguments (the menu's links): Flask's URL, the first time and from the cache."""
    with app.test_request_context("/"):
        assert render_url(endpoint) == render_url(endpoint) == url_for(endpoint)


@pytest.mark.parametrize("endpoint,ids", [
    ("visits.detail", {"visit_id": 7}),
    ("attendance.roster_remove", {"entry_id": 123456}),
    ("inspections.person", {"user_id": 1}),
    ("checklists.run", {"run_id": 42}),
])
def test_url_for_with_integer_path_parts_is_flasks(app, endpoint, ids):
    """A row's link: the URL's kept shape filled in gives Flask's URL for any number, 0 and negatives included."""
    with app.test_request_context("/"):
        for n in (ids, {k: v + 1 for k, v in ids.items()}, {k: 0 for k in ids}, {k: -v for k, v in ids.items()}):
            assert render_url(endpoint, **n) == url_for(endpoint, **n)


@pytest.mark.parametrize("endpoint,values", [
    ("visits.index", {"page": 2}),  # an integer that is a query argument
    ("visits.detail", {"visit_id": 7, "page": 3}),  # a path part and a query argument
    ("auth.language", {"lang": "en"}),  # a text path part
    ("visits.detail", {"visit_id": 7, "_anchor": "served"}),
    ("visits.detail", {"visit_id": 7, "_external": True}),
    ("today.index", {"_external": True}),
    ("static", {"filename": "app.css", "v": "abc"}),
    ("visits.index", {"day": "2026-11-25", "q": "a b&c"}),
    ("visits.index", {"from": "2026-11-01", "to": "2026-11-30"}),
    ("visits.index", {"to": date(2026, 11, 30), "from": date(2026, 11, 1), "page": 2}),  # Flask's order kept
    ("visits.index", {"q": "粤B 12345/+%=#?;", "empty": "", "n": 0}),
    ("visits.detail", {"visit_id": 7, "q": "x y"}),
    ("visits.index", {"from": None, "to": "2026-11-30"}),  # None: left out (Flask's)
    ("visits.index", {"status": ["a", "b"]}),  # a list: repeated (Flask's)
    ("visits.index", {"flag": True}),
])
def test_url_for_with_other_arguments_is_flasks(app, endpoint, values):
    """Query arguments, text parts, anchors and external URLs are Flask's url_for itself."""
    with app.test_request_context("/"):
        assert render_url(endpoint, **values) == render_url(endpoint, **values) == url_for(endpoint, **values)


def test_url_for_fills_in_kept_query_shapes_without_flask(app, monkeypatch):
    """Integer path parts and text, number or day query arguments are filled into the URL's kept shape: after the
    first link, Flask's url_for is not called, and the links are Flask's."""
    from hospitality import templating
    cases = [("visits.index", {"from": "2026-11-01", "to": "2026-11-30"}),
             ("visits.detail", {"visit_id": 7, "page": 3}), ("cockpit.index", {"days": 30})]
    with app.test_request_context("/"):
        expected = [url_for(e, **v) for e, v in cases]
        for e, v in cases:
            render_url(e, **v)
        calls = []
        real = templating.flask_url_for
        monkeypatch.setattr(templating, "flask_url_for", lambda *a, **k: calls.append(a) or real(*a, **k))
        assert [render_url(e, **v) for e, v in cases] == expected
        assert render_url("visits.index", **{"from": "2026-12-01", "to": "2026-12-31"}) == \
            url_for("visits.index", **{"from": "2026-12-01", "to": "2026-12-31"})
    assert calls == []


def test_url_for_without_flasks_context_is_flasks(app):
    """A template rendered without Flask's context (an imported macro sees the request proxy) gets the same URLs."""
    with app.test_request_context("/", base_url="http://localhost/hq"):
        tpl = app.jinja_env.from_string("{{ url_for('today.index') }} {{ url_for('visits.detail', visit_id=3) }}")
        assert tpl.render() == f"{url_for('today.index')} {url_for('visits.detail', visit_id=3)}"


def test_url_for_follows_the_script_root(app):
    """Mounted under a prefix every kind of link carries it (the caches are kept per mount point)."""
    cases = [("today.index", {}), ("visits.detail", {"visit_id": 3}), ("visits.index", {"page": 2})]
    with app.test_request_context("/", base_url="http://localhost/hq"):
        for endpoint, values in cases:
            assert render_url(endpoint, **values) == url_for(endpoint, **values)
            assert render_url(endpoint, **values).startswith("/hq/")
    with app.test_request_context("/"):
        for endpoint, values in cases:
            assert render_url(endpoint, **values) == url_for(endpoint, **values)
            assert not render_url(endpoint, **values).startswith("/hq/")


def test_url_for_fills_in_only_what_it_can_write_as_flask_does():
    """A number a converter writes padded is not filled into a kept shape (Flask's url_for writes it); several
    integer parts are each filled in their place."""
    bare = Flask(__name__)
    bare.jinja_env.globals["url_for"] = templating.url_for
    bare.add_url_rule("/room/<int(fixed_digits=4):room_id>", "room", lambda room_id: "")
    bare.add_url_rule("/pair/<int:a>/<int:b>", "pair", lambda a, b: "")
    with bare.test_request_context("/"):
        for n in (7, 12345, 7):
            assert render_url("room", room_id=n) == url_for("room", room_id=n)
        assert render_url("pair", a=1, b=2) == url_for("pair", a=1, b=2) == "/pair/1/2"
        assert render_url("pair", a=5, b=5) == url_for("pair", a=5, b=5) == "/pair/5/5"


@pytest.mark.parametrize("now, shown", [
    ((2026, 11, 25, 20, 0), "今天 09:45"),  # today at the site: the time is enough
    ((2026, 11, 26, 0, 30), "11-25 09:45"),  # after the site's midnight (UTC still the 25th): this year's day
    ((2027, 1, 3, 10, 0), "2026-11-25 09:45"),  # another year: the full date
])
def test_times_are_shown_on_the_sites_clock(app, now, shown):
    """The when and hm filters turn a stored UTC time to the site's clock, from a page (Flask's context) and from a
    template rendered without it (an imported macro); `when` says as much of the date as the day needs."""
    from datetime import datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from flask import g

    from hospitality import clock
    shanghai = ZoneInfo("Asia/Shanghai")
    stored = datetime(2026, 11, 25, 1, 45)
    with clock.travel_to(datetime(*now, tzinfo=shanghai), frozen=True), app.test_request_context("/"):
        g.site = SimpleNamespace(tz=shanghai)
        src = "{{ t|when }}|{{ t|hm }}|{{ none|when }}"
        assert render_template_string(src, t=stored) == f"{shown}|09:45|"
        assert app.jinja_env.from_string(src).render(t=stored) == f"{shown}|09:45|"


def test_app_has_no_url_defaults(app):
    """The kept URLs are right only while no url_defaults() function adds arguments from the request."""
    assert not any(app.url_default_functions.values())


def test_menu_links_are_kept_per_post_and_language(app):
    """The menu is rendered once per post and language: a manager's has the set-up pages, a water bar's not;
    an English session gets English links even after a Chinese one was kept."""
    from flask_babel import force_locale
    with app.test_request_context("/"):
        def menu(post):
            return render_template_string("{{ menu_links(post) }}", post=post)
        manager, bar = menu("manager"), menu("water_bar")
        assert url_for("admin.audit") in manager and url_for("admin.audit") not in bar
        assert url_for("handover.index") in bar and "今日" in bar
        with force_locale("en"):
            english = menu("water_bar")
        assert "Today" in english and "今日" not in english
        assert menu("water_bar") == bar  # back in Chinese: the kept Chinese menu


def test_templates_build_urls_one_way():
    """Templates write every link as url_for(...): no helper of their own, no path written by hand or joined
    from strings, and no line a reader has to scroll (200 characters)."""
    import re
    from pathlib import Path
    hand_made = re.compile(r"""(?:\b(?:link|path_for)\(|(?:href|action|hx-get|hx-post|src)="/|~\s*['"]/)""")
    found = []
    for path in (Path(__file__).resolve().parent.parent / "hospitality" / "templates").rglob("*.html"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if hand_made.search(line) or len(line) > 200:
                found.append(f"{path.name}:{n}")
    assert not found
