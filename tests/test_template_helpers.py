"""Template helpers that stand in for url_for on hot paths must give exactly url_for's answer."""
import pytest
from flask import render_template_string, url_for


@pytest.mark.parametrize("endpoint,ids", [
    ("visits.detail", {"visit_id": 7}),
    ("attendance.roster_remove", {"entry_id": 123456}),
    ("inspections.person", {"user_id": 1}),
    ("checklists.run", {"run_id": 42}),
])
def test_path_for_is_url_for(app, endpoint, ids):
    with app.test_request_context("/"):
        for n in (ids, {k: v + 1 for k, v in ids.items()}, ids):  # the cached shape, filled anew each time
            assert render_template_string("{{ path_for(e, **ids) }}", e=endpoint, ids=n) == url_for(endpoint, **n)


def test_path_for_follows_the_script_root(app):
    """Mounted under a prefix, the links carry it (the shape is cached per mount point)."""
    with app.test_request_context("/", base_url="http://localhost/hq"):
        assert url_for("visits.detail", visit_id=3) == "/hq/visits/3"
        assert render_template_string("{{ path_for('visits.detail', visit_id=3) }}") == "/hq/visits/3"
    with app.test_request_context("/"):
        assert render_template_string("{{ path_for('visits.detail', visit_id=3) }}") == "/visits/3"


def test_path_for_refuses_a_non_path_argument(app):
    with app.test_request_context("/"), pytest.raises(ValueError):
        render_template_string("{{ path_for('visits.index', page=2) }}")


def test_link_is_url_for(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ link('attendance.roster') }}") == url_for("attendance.roster")


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
