"""Editing a robot: URL, events, hours and secret (blank keeps it, the box removes it), the same checks as adding
(422 under the field, nothing saved), the secret never shown in full, another site's robot 404."""
import pytest

from hospitality.extensions import db
from hospitality.models.alerts import AlertRobot
from tests.alerts.conftest import add_robot
from tests.harness import login, text

SECRET = "SECde3f9a8b7c6d5e4f3a2b1c0"
URL = "https://oapi.dingtalk.com/robot/send?access_token=tok987"
FORM = {"url": "https://oapi.dingtalk.com/robot/send?access_token=new555", "events": ["purchase_waiting"],
        "wait_hours": "12", "secret": ""}


def _robot(app, robot_id):
    with app.app_context():
        r = db.session.get(AlertRobot, robot_id)
        return r.url, r.events, r.wait_hours, r.secret


@pytest.fixture
def robot(app, env):
    with app.app_context():
        return add_robot(env.site, URL, kind="dingtalk", secret=SECRET, events="discrepancy")


def test_the_form_shows_the_secret_masked(app, env, robot):
    page = login(app, env.names["manager"]).get(f"/alerts/{robot}/edit").text
    assert "SECd********" in page and SECRET not in page and "tok987" in page


def test_a_blank_secret_keeps_the_old_one(app, env, robot):
    r = login(app, env.names["manager"]).post(f"/alerts/{robot}/edit", data=FORM)
    assert r.status_code == 302
    assert _robot(app, robot) == (FORM["url"], "purchase_waiting", 12, SECRET)


def test_a_new_secret_replaces_and_the_box_removes_it(app, env, robot):
    boss = login(app, env.names["manager"])
    boss.post(f"/alerts/{robot}/edit", data=FORM | {"secret": "SECnew0000000000"})
    assert _robot(app, robot)[3] == "SECnew0000000000"
    boss.post(f"/alerts/{robot}/edit", data=FORM | {"remove_secret": "1"})
    assert _robot(app, robot)[3] is None


@pytest.mark.parametrize("over, field", [
    ({"url": "http://oapi.dingtalk.com/x"}, "url"), ({"url": "https://10.0.0.2/x"}, "url"),
    ({"events": []}, "events"), ({"events": ["nonsense"]}, "events"),
    ({"wait_hours": "0"}, "wait_hours"), ({"wait_hours": "169"}, "wait_hours"), ({"wait_hours": "4.5"}, "wait_hours"),
    ({"secret": "x" * 201}, "secret"), ({"secret": "SECnew", "remove_secret": "1"}, "secret"),
])
def test_a_bad_edit_is_422_under_its_field_and_nothing_saved(app, env, robot, over, field):
    before = _robot(app, robot)
    r = login(app, env.names["manager"]).post(f"/alerts/{robot}/edit", data=FORM | over)
    assert r.status_code == 422 and f'id="{field}-err"' in r.text
    assert SECRET not in r.text
    assert _robot(app, robot) == before


def test_the_add_form_checks_the_hours_too(app, env):
    r = login(app, env.names["manager"]).post("/alerts/", data={"kind": "wecom", "url": URL, "events": ["discrepancy"],
                                                                 "wait_hours": "200"})
    assert r.status_code == 422 and 'id="wait_hours-err"' in r.text
    assert text(app, "Hours: a whole number from %(low)s to %(high)s.", low=1, high=168) in r.text


def test_another_sites_robot_is_404_and_untouched(app, env):
    with app.app_context():
        theirs = add_robot(env.other, URL, kind="dingtalk", secret=SECRET, events="discrepancy")
    before = _robot(app, theirs)
    boss = login(app, env.names["manager"])
    assert boss.get(f"/alerts/{theirs}/edit").status_code == 404
    assert boss.post(f"/alerts/{theirs}/edit", data=FORM).status_code == 404
    assert boss.post(f"/alerts/{theirs}/edit", data=FORM | {"url": "bad"}).status_code == 404
    assert _robot(app, theirs) == before


@pytest.mark.parametrize("post", ["lead", "security"])
def test_only_the_manager_edits(app, env, robot, post):
    before = _robot(app, robot)
    c = login(app, env.names[post])
    assert c.get(f"/alerts/{robot}/edit").status_code == 403
    assert c.post(f"/alerts/{robot}/edit", data=FORM).status_code == 403
    assert _robot(app, robot) == before
