"""/alerts: the manager adds a robot (422 under the field, nothing saved), sees it with its host only and its secret
masked, its events and last deliveries with their state; another site's robots are neither shown nor removable."""
import pytest
from sqlalchemy import select

from hospitality.alerts import sender
from hospitality.alerts.services import emit
from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models.alerts import AlertOutbox, AlertRobot
from tests.alerts.conftest import add_robot
from tests.harness import count_rows, login, text

SECRET = "SECde3f9a8b7c6d5e4f3a2b1c0"
WRONG_URL = "Use the robot's https:// webhook address (not an internal address)."
FORM = {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=tok987", "secret": SECRET,
        "events": ["incident_urgent", "discrepancy"]}


def test_the_manager_adds_a_robot_and_sees_it_masked(app, env):
    boss = login(app, env.names["manager"])
    r = boss.post("/alerts/", data=FORM)
    assert r.status_code == 302 and r.headers["Location"] == "/alerts/"
    page = boss.get("/alerts/").text
    assert text(app, "Robot added: alerts go to its group from now on.") in page
    assert "oapi.dingtalk.com" in page and "tok987" not in page  # the host only: the token is a credential
    assert SECRET not in page and SECRET[4:12] not in page and "SECd********" in page
    assert text(app, "Urgent incident") in page and text(app, "Stock discrepancy opened") in page
    with app.app_context():
        robot = db.session.scalar(select(AlertRobot))
        assert (robot.site_id, robot.kind, robot.secret, robot.events) == (env.site, "dingtalk", SECRET,
                                                                          "discrepancy,incident_urgent")


@pytest.mark.parametrize("over, field, message", [
    ({"url": "http://oapi.dingtalk.com/robot/send"}, "url", WRONG_URL),
    ({"url": "https://192.168.1.10/hook"}, "url", WRONG_URL),
    ({"url": "https://localhost/hook"}, "url", WRONG_URL),
    ({"url": ""}, "url", "Paste the robot's webhook address."),
    ({"events": []}, "events", "Choose at least one event."),
    ({"kind": "slack"}, "kind", "Choose from the list."),
])
def test_a_bad_form_is_422_under_its_field_and_nothing_is_saved(app, env, over, field, message):
    boss = login(app, env.names["manager"])
    r = boss.post("/alerts/", data=FORM | over)
    assert r.status_code == 422
    assert f'<small class="error" id="{field}-err">{text(app, message)}</small>' in r.text
    assert SECRET not in r.text  # the secret typed is not sent back either
    assert count_rows(AlertRobot, app=app) == 0


def test_deliveries_show_their_state(app, env):
    with app.app_context():
        robot = add_robot(env.site, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
        with write_tx():
            db.session.add(AlertOutbox(site_id=env.site, robot_id=robot, kind="discrepancy", text="水吧盘点不符",
                                       state="failed", attempts=sender.MAX_ATTEMPTS, last_error="HTTP 500"))
            db.session.add(AlertOutbox(site_id=env.site, robot_id=robot, kind="incident_urgent", text="大门闹事",
                                       state="sent", attempts=1, sent_at=utcnow()))
    page = login(app, env.names["manager"]).get("/alerts/").text
    assert "水吧盘点不符" in page and "HTTP 500" in page and text(app, "Failed") in page
    assert "大门闹事" in page and 'class="delivery state-sent"' in page and 'class="delivery state-failed"' in page


def test_another_sites_robots_are_not_shown_nor_removable(app, env):
    with app.app_context():
        theirs = add_robot(env.other, "https://open.feishu.cn/open-apis/bot/v2/hook/other", kind="feishu")
    boss = login(app, env.names["manager"])
    assert "open.feishu.cn" not in boss.get("/alerts/").text
    assert boss.post(f"/alerts/{theirs}/remove").status_code == 404
    assert count_rows(AlertRobot, app=app) == 1


def test_removing_a_robot_takes_its_queue(app, env):
    with app.app_context():
        robot = add_robot(env.site, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
        with write_tx():
            emit(env.site, "discrepancy", "x")
    assert login(app, env.names["manager"]).post(f"/alerts/{robot}/remove").status_code == 302
    assert count_rows(AlertRobot, app=app) == 0 and count_rows(AlertOutbox, app=app) == 0


@pytest.mark.parametrize("post", ["lead", "security", "water_bar"])
def test_only_the_manager_reaches_the_page(app, env, post):
    c = login(app, env.names[post])
    assert c.get("/alerts/").status_code == 403
    assert c.post("/alerts/", data=FORM).status_code == 403
    assert count_rows(AlertRobot, app=app) == 0
