"""Alerts rules: the webhook URL's checks (https, no internal address), a robot's form (every mistake at once,
nothing saved), emit() in the caller's transaction (rolled back with it), and the two causes wired in: an urgent
incident and a stock discrepancy."""
import pytest
from sqlalchemy import select

from hospitality.alerts import services
from hospitality.database import write_tx
from hospitality.errors import RuleError
from hospitality.extensions import db
from hospitality.inventory import services as inventory
from hospitality.models import Site, User
from hospitality.models.alerts import AlertOutbox, AlertRobot
from tests.alerts.conftest import add_robot
from tests.factories import location, make_incident, make_item
from tests.harness import count_rows

GOOD = ["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "https://oapi.dingtalk.com/robot/send?access_token=x",
        "https://open.feishu.cn/open-apis/bot/v2/hook/123", "https://8.8.8.8/hook"]
BAD = ["http://qyapi.weixin.qq.com/cgi-bin/webhook/send", "ftp://example.com/x", "https://localhost/x",
       "https://LOCALHOST./x", "https://a.localhost/x", "https://127.0.0.1/x", "https://10.1.2.3/x",
       "https://192.168.1.1/x", "https://172.16.0.5/x", "https://169.254.169.254/latest/meta-data",
       "https://[::1]/x", "https://[fe80::1]/x", "https://[::ffff:127.0.0.1]/x", "https://0.0.0.0/x",
       "https://2130706433/x", "https://0x7f.1/x", "https://intranet/x", "https://user:pw@example.com/x",
       "https://example.com:8080/x", "https://100.64.0.1/x", "", "not a url", "https://exa mple.com/x",
       "http://127.0.0.1:8000/x"]


@pytest.mark.parametrize("url", GOOD)
def test_public_https_addresses_are_accepted(ctx, url):
    assert services.check_url(url) == url


@pytest.mark.parametrize("url", BAD)
def test_plain_http_internal_addresses_and_localhost_are_refused(ctx, url):
    """The app must not be turned against the internal network: http://, private, loopback, link-local (the cloud's
    metadata), odd spellings of 127.0.0.1, bare names, credentials, other ports."""
    with pytest.raises(RuleError) as e:
        services.check_url(url)
    assert e.value.field == "url"


def test_the_test_switch_allows_only_http_127_0_0_1(app, ctx, local):
    assert services.check_url("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"
    with pytest.raises(RuleError):
        services.check_url("http://10.0.0.1/x")


def test_the_switch_does_nothing_outside_tests(app, ctx, local, monkeypatch):
    monkeypatch.setattr(app, "testing", False)
    with pytest.raises(RuleError):
        services.check_url("http://127.0.0.1:8000/x")


def test_a_bad_form_reports_every_field_and_saves_nothing(ctx, env):
    boss = db.session.get(User, env.users["manager"])
    with pytest.raises(services.AlertErrors) as e:
        services.add_robot(db.session.get(Site, env.site), boss, kind="slack", url="http://10.0.0.1/x",
                           secret="s" * 300, events=[])
    assert set(e.value.errors) == {"kind", "url", "secret", "events"}
    with pytest.raises(services.AlertErrors) as e:
        services.add_robot(db.session.get(Site, env.site), boss, kind="wecom", url=GOOD[0], secret="",
                           events=["nonsense"])
    assert set(e.value.errors) == {"events"}
    assert count_rows(AlertRobot) == 0


def test_only_the_manager_adds_a_robot(ctx, env):
    with pytest.raises(services.AlertError):
        services.add_robot(db.session.get(Site, env.site), db.session.get(User, env.users["lead"]), kind="wecom",
                           url=GOOD[0], secret="", events=["discrepancy"])
    assert count_rows(AlertRobot) == 0


def test_mask_shows_no_more_than_four_characters():
    assert services.mask("SEC1234567890abcdef") == "SEC1********"
    assert services.mask("short") == "********" and services.mask(None) == ""


def test_emit_queues_for_subscribed_robots_only(ctx, env):
    add_robot(env.site, GOOD[0], events="incident_urgent")
    add_robot(env.site, GOOD[1], kind="dingtalk", events="discrepancy")
    add_robot(env.other, GOOD[2], kind="feishu", events="incident_urgent")
    with write_tx():
        assert services.emit(env.site, "incident_urgent", "火警") == 1
    assert count_rows(AlertOutbox) == 1
    row = db.session.scalar(select(AlertOutbox))
    assert (row.site_id, row.kind, row.text, row.state, row.attempts) == (env.site, "incident_urgent", "火警",
                                                                          "queued", 0)


def test_emit_in_a_rolled_back_transaction_leaves_no_row(ctx, env):
    add_robot(env.site, GOOD[0])
    with pytest.raises(RuntimeError), write_tx():
        services.emit(env.site, "incident_urgent", "火警")
        raise RuntimeError("the cause failed")
    assert count_rows(AlertOutbox) == 0


def test_an_urgent_incident_is_queued_with_it_and_a_note_is_not(ctx, env):
    add_robot(env.site, GOOD[0])
    make_incident(env.site, env.users["security"], level="note", description="记录一下")
    assert count_rows(AlertOutbox) == 0
    make_incident(env.site, env.users["security"], level="urgent", description="大门有人闹事")
    [row] = db.session.scalars(select(AlertOutbox)).all()
    assert row.kind == "incident_urgent" and "大门有人闹事" in row.text


def test_a_count_that_differs_queues_a_discrepancy_alert(ctx, env):
    add_robot(env.site, GOOD[0])
    site, wb = db.session.get(Site, env.site), db.session.get(User, env.users["water_bar"])
    water = make_item(env.site, name="矿泉水", stock=20)
    count = inventory.start_count(site, wb, location(env.site), "closing")
    inventory.submit_count(site, wb, count, {water.id: "18"})
    [row] = db.session.scalars(select(AlertOutbox)).all()
    assert row.kind == "discrepancy" and row.site_id == env.site
