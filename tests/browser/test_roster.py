"""The lead's roster on a 360 px phone: a refused entry keeps the page (header and menu), and a person moves
between the day's shifts in one tap."""
import pytest
from playwright.sync_api import expect

from hospitality.attendance import services
from tests.browser.walk import assert_fits_phone, assert_same_page, assert_thumb_sized, landed, login, mark_page, menu
from tests.factories import at, att_env, freeze, shift, site_of, who

pytestmark = pytest.mark.browser


def test_refused_entry_keeps_the_header_then_the_person_moves_to_the_night_shift(app, live_server, phone,
                                                                                  monkeypatch):
    """From the header menu to the roster; adding someone already on today's day shift is refused under the
    person with the header still there; moving them to the night shift is one tap."""
    base = live_server.url
    freeze(monkeypatch, at(2026, 3, 4, 8, 40))
    env = att_env(app)
    with app.test_request_context():
        services.add_entry(site_of(env), who(env, "lead"), env.users["water_bar"], "2026-03-04", env.shifts["day"])
        name = who(env, "water_bar").name
        day_shift, night_shift = shift(env, "day").name, shift(env, "night").name

    lead = phone()
    login(lead, base, env.names["lead"])
    menu(lead, "排班", "排班")
    assert_fits_phone(lead)
    day_list = lead.locator(".roster-shift", has=lead.locator("h4", has_text=day_shift))
    night_list = lead.locator(".roster-shift", has=lead.locator("h4", has_text=night_shift))
    expect(day_list.locator(".roster-entry", has_text=name)).to_have_count(1)

    # The same person again, on the night shift: refused, the message under the person, the page kept.
    mark_page(lead)
    add = lead.locator("form.roster-add")
    add.get_by_role("combobox", name="人员").select_option(str(env.users["water_bar"]))
    add.get_by_role("combobox", name="班次").select_option(str(env.shifts["night"]))
    add.get_by_role("button", name="添加").tap()
    expect(add.locator("small.error")).to_contain_text("当天已有排班")
    expect(add.get_by_role("combobox", name="人员")).to_have_attribute("aria-invalid", "true")
    landed(lead, "排班")
    expect(lead.locator("header.bar details.menu > summary")).to_be_visible()
    assert_same_page(lead)
    expect(lead.locator(".roster-entry", has_text=name)).to_have_count(1)

    # Move instead: the entry's own picker offers the night shift; one tap on 移动.
    entry = day_list.locator(".roster-entry", has_text=name)
    assert_thumb_sized(lead, ".roster-move")
    expect(entry.get_by_role("combobox", name=f"移到班次 · {name}")).to_contain_text(night_shift)
    entry.get_by_role("button", name="移动").tap()
    expect(night_list.locator(".roster-entry", has_text=name)).to_have_count(1)
    expect(day_list.locator(".roster-entry", has_text=name)).to_have_count(0)
    landed(lead, "排班")
    assert_same_page(lead)
    assert_fits_phone(lead)
