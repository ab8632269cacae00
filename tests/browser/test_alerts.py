"""The manager, from the login screen, opens 群聊提醒 from the menu, adds a DingTalk robot (a wrong internal address
first: refused under the field), and sees it with its host only and its secret masked."""
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.walk import assert_fits_phone, landed, login, menu

pytestmark = pytest.mark.browser
SECRET = "SECa1b2c3d4e5f6a7b8c9d0"


def test_the_manager_adds_a_group_robot(app, live_server, phone, say):
    with app.app_context():
        site = factories.make_site()
        boss = factories.make_user(site.id, "manager").username
    page = phone()
    login(page, live_server.url, boss)
    menu(page, say("Group chat alerts"), say("Group chat alerts"))
    assert_fits_phone(page)
    expect(page.locator("#alert-robots")).to_contain_text(say("No robot yet: alerts are not sent to any group."))

    page.locator("label.pick", has_text=say("DingTalk")).tap()
    page.locator("#url").fill("https://192.168.1.5/robot/send")
    page.locator("#secret").fill(SECRET)
    page.get_by_label(say("Urgent incident")).check()
    page.get_by_role("button", name=say("Add robot"), exact=True).tap()
    expect(page.locator("#url-err")).to_have_text(say(
        "Use the robot's https:// webhook address (not an internal address)."))

    page.locator("#url").fill("https://oapi.dingtalk.com/robot/send?access_token=tok123")
    page.locator("#secret").fill(SECRET)
    page.get_by_role("button", name=say("Add robot"), exact=True).tap()
    page.wait_for_url(re.compile(r"/alerts/$"))
    landed(page, say("Group chat alerts"))
    robot = page.locator("article.alert-robot")
    expect(robot.locator(".robot-host")).to_have_text("oapi.dingtalk.com")
    expect(robot.locator(".robot-secret")).to_have_text("SECa********")
    expect(robot).to_contain_text(say("Urgent incident"))
    expect(page.locator("main")).not_to_contain_text("tok123")
    assert SECRET not in page.content()
    assert_fits_phone(page)
