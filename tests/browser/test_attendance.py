"""Attendance on 360 px phones: staff clock in and out and ask for leave; the lead rosters, decides, reads the board."""
import re

import pytest
from playwright.sync_api import expect

from hospitality.extensions import db
from hospitality.models import User
from tests.browser.walk import assert_fits_phone, follow, login, menu, tap_link
from tests.factories import at, att_env, freeze

pytestmark = pytest.mark.browser


def test_staff_clock_in_out_and_leave_then_lead_roster_and_board(app, live_server, phone, monkeypatch):
    """Clock card by htmx, a leave request with a bad date then a good one; the lead rosters, approves, sees it."""
    base = live_server.url
    freeze(monkeypatch, at(2026, 3, 4, 8, 40))
    env = att_env(app)
    with app.app_context():
        bar_name = db.session.get(User, env.users["water_bar"]).name
    staff, lead = phone(), phone()
    login(staff, base, env.names["water_bar"])
    login(lead, base, env.names["lead"])

    # The lead puts the water-bar attendant on today's day shift and the concierge too.
    menu(lead, "排班", "排班")
    assert_fits_phone(lead)
    expect(lead.locator(".strip-day")).to_have_count(7)
    for post in ("water_bar", "concierge"):
        lead.locator("select[name=user_id]").select_option(str(env.users[post]))
        lead.locator("button.add-btn").tap()
        expect(lead.locator(".roster-entry")).to_have_count(1 if post == "water_bar" else 2)
    # Adding the same person to the night shift is refused with a message under the person.
    lead.locator("select[name=user_id]").select_option(str(env.users["water_bar"]))
    lead.locator("select[name=shift_id]").select_option(str(env.shifts["night"]))
    lead.locator("button.add-btn").tap()
    expect(lead.locator(".roster-add small.error")).to_be_visible()
    expect(lead.locator(".roster-entry")).to_have_count(2)

    # Staff: the clock card says late (08:40, shift at 08:30), one tap clocks in, the card swaps.
    menu(staff, "我的考勤与请假", "我的考勤")
    assert_fits_phone(staff)
    expect(staff.locator("#clock .att-missing")).to_be_visible()
    staff.locator("button.clock-in").tap()
    expect(staff.locator("#clock .att-on_duty")).to_be_visible()
    expect(staff.locator("#clock .late-min")).to_contain_text("10")
    expect(staff).to_have_url(re.compile(r"/attendance/$"))

    # The lead's board: one on duty (late), the concierge absent.
    tap_link(lead, re.compile("^考勤$"), "考勤")  # the roster's link to the attendance board
    assert_fits_phone(lead)
    expect(lead.locator(".att-count.on-duty strong")).to_have_text("1")
    expect(lead.locator(".att-count.late strong")).to_have_text("1")
    expect(lead.locator(".att-count.missing strong")).to_have_text("1")
    lead.locator(".day-nav a").first.tap()  # the day before: nobody rostered
    expect(lead.locator("#att-board .att-count.on-duty strong")).to_have_text("0")

    # Staff asks for the weekend off: first with the dates the wrong way round.
    tap_link(staff, re.compile("^请假$"), "请假")
    assert_fits_phone(staff)
    staff.locator("#starts").fill("2026-03-08")
    staff.locator("#ends").fill("2026-03-07")
    staff.locator("#reason").fill("亲戚结婚")
    staff.locator("button.leave-submit").tap()
    expect(staff.locator("#ends-err")).to_be_visible()
    staff.locator("#starts").fill("2026-03-07")
    staff.locator("#ends").fill("2026-03-08")
    staff.locator("button.leave-submit").tap()
    expect(staff.locator(".leave-card .leave-pending")).to_have_count(1)

    # The lead sees the weekend warning; approving needs the explicit override.
    menu(lead, "请假申请", "请假申请")
    assert_fits_phone(lead)
    expect(lead.locator(".weekend-warning")).to_be_visible()
    lead.locator("button.approve-btn").tap()
    expect(lead.locator(".decide-form small.error")).to_be_visible()
    lead.locator("input[name=override]").check()
    lead.locator("button.approve-btn").tap()
    expect(lead.locator(".leave-approved")).to_have_count(1)

    # Staff sees it approved, then clocks out at the end of the day.
    menu(staff, "我的考勤与请假", "我的考勤")
    tap_link(staff, re.compile("^请假$"), "请假")
    expect(staff.locator(".leave-card .leave-approved")).to_have_count(1)
    freeze(monkeypatch, at(2026, 3, 4, 17, 36))
    menu(staff, "我的考勤与请假", "我的考勤")
    staff.locator("button.clock-out").tap()
    expect(staff.locator("#clock .att-done")).to_be_visible()
    expect(staff.locator("#clock .clock-times")).to_contain_text("17:36")

    # The lead's roster on Saturday shows the leave; the monthly sheet shows the day.
    menu(lead, "排班", "排班")
    follow(lead, lead.locator(".strip-day", has_text="周六"), "排班")  # this week's Saturday, the 7th
    assert lead.url.endswith("/attendance/roster?day=2026-03-07")
    expect(lead.locator(".roster-leave")).to_be_visible()
    menu(lead, "考勤表", "月度考勤表")
    tap_link(lead, re.compile(f"^{bar_name}$"), f"月度考勤 · {bar_name}")
    assert lead.url.endswith(f"/attendance/sheet?user_id={env.users['water_bar']}&month=2026-03")
    assert_fits_phone(lead)
    expect(lead.locator("table.att-sheet tbody tr")).to_have_count(31)
