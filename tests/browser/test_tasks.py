"""The water bar raises "clear the table" on the visit card when a group has left; the lead, on the task list, marks it
done for the cleaner (no login); the water bar sees on the visit how many minutes the table took. Every step is a tap
from the login screen."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.visits import services as visits
from tests import factories
from tests.browser.walk import assert_fits_phone, follow, landed, login, menu

pytestmark = pytest.mark.browser
NOW = factories.at(2026, 12, 7, 10, 0)  # a Monday morning at a Shanghai site


def test_clear_table_at_departure_done_for_the_cleaner_and_the_minutes_it_took(app, live_server, phone, say):
    """A group leaves at 10:00; the water bar taps "clear the table" (table 6) on its card; at 10:02 the lead ticks it
    for the cleaner; the water bar's visit card says the table was cleared in 2 minutes."""
    base = live_server.url

    with clock.travel_to(NOW, frozen=True):
        with app.app_context():
            site = factories.make_site()
            guard = factories.make_user(site.id, "security")
            bar_user = factories.make_user(site.id, "water_bar")
            lead_user = factories.make_user(site.id, "lead")
            visits.record_arrival(db.session.get(Site, site.id), db.session.get(User, guard.id), 2, True,
                                  "粤B66666", None)
            names = {"guard": guard.username, "bar": bar_user.username, "lead": lead_user.username}
        guard_phone, bar, lead = phone(), phone(), phone()

        # Security sees the group out from its card.
        login(guard_phone, base, names["guard"])
        follow(guard_phone, guard_phone.locator("#visits-live a", has_text="粤B66666"), "粤B66666")
        guard_phone.locator("button.depart-btn").tap()
        expect(guard_phone.locator("#visit .sub")).to_contain_text(say("Left at %(t)s, stayed %(m)s min", t="10:00",
                                                                       m=0))

        # The water bar: Visits → the group → "clear the table", table 6.
        login(bar, base, names["bar"])
        menu(bar, say("Visits"))
        follow(bar, bar.locator("main a", has_text="10:00").first, "粤B66666")
        section = bar.locator("#visit-tasks")
        expect(section.locator("button.clear-table")).to_be_visible()
        section.locator("input[name=table_label]").fill("6")
        section.locator("button.clear-table").tap()
        card = bar.locator("#visit-tasks li.tk")
        expect(card.locator(".tk-what")).to_contain_text(say("Clear a table") + " · 6")
        expect(card.locator(".tk-for")).to_have_text(say("Cleaner"))
        expect(card.locator(".tk-age")).to_contain_text(say("%(n)s of %(t)s min", n=0, t=3))
        assert_fits_phone(bar)

    with clock.travel_to(NOW + timedelta(minutes=2), frozen=True):
        # The lead: menu Tasks → every open task → done for the cleaner.
        login(lead, base, names["lead"])
        menu(lead, say("Tasks"), say("Tasks"))
        assert_fits_phone(lead)
        task = lead.locator("#tk-all li.tk", has_text=say("Clear a table"))
        task.locator("button.tk-done").tap()
        expect(task).to_have_class(re.compile(r"\bdone\b"))
        expect(task.locator(".tk-took")).to_have_text(say("Cleared in %(n)s min", n=2))
        expect(task.locator(".tk-behalf")).to_contain_text(say("on behalf of the cleaner"))

        # The water bar looks at the group's card again: the table took two minutes.
        bar.reload()
        landed(bar, "粤B66666")
        took = bar.locator("#visit-tasks .tk-took")
        expect(took).to_have_text(say("Cleared in %(n)s min", n=2))
        expect(bar.locator("#visit-tasks .tk-behalf")).to_be_visible()


def test_two_taps_from_the_today_screen_raise_a_task_for_the_cleaners(app, live_server, phone, say):
    """The concierge taps "Raise a task" on its today screen, then "Call the cleaner": the task is on its list."""
    base = live_server.url

    with app.app_context():
        site = factories.make_site()
        desk = factories.make_user(site.id, "concierge").username
    page = phone()
    login(page, base, desk)
    follow(page, page.locator("#tasks a.raise-task"), say("Raise a task"))
    assert_fits_phone(page)
    page.locator("#text").fill("大堂门口有水")
    page.locator("button.tk-kind-cleaner").tap()
    page.wait_for_url(re.compile(r"/tasks/$"))
    landed(page, say("Tasks"))
    card = page.locator("#tk-raised li.tk", has_text="大堂门口有水")
    expect(card.locator(".tk-for")).to_have_text(say("Cleaner"))
    expect(card.locator("button.tk-done")).to_be_visible()  # the post that asked ticks it for the cleaner
    assert_fits_phone(page)


def test_the_lead_hands_a_task_on_from_its_card(app, live_server, phone, say):
    """The lead opens "Hand on or cancel" on a restock the concierge asked of the water bar: the picks load into the
    card; the lead hands it to the model room, and the card says so; the model room finds it on its list."""
    base = live_server.url

    with app.app_context():
        site = factories.make_site()
        desk = factories.make_user(site.id, "concierge")
        lead_user = factories.make_user(site.id, "lead")
        room_user = factories.make_user(site.id, "model_room")
        factories.make_user(site.id, "water_bar")
        from hospitality.tasks import services as tasks
        with app.test_request_context():
            tasks.raise_task(db.session.get(Site, site.id), db.session.get(User, desk.id), kind="restock",
                             text="补充纸杯")
        names = {"lead": lead_user.username, "room": room_user.username}
    lead, room = phone(), phone()
    login(lead, base, names["lead"])
    menu(lead, say("Tasks"), say("Tasks"))
    card = lead.locator("#tk-all li.tk", has_text="补充纸杯")
    expect(card.locator(".tk-for")).to_have_text(say("Water bar"))
    card.locator("details.tk-dispatch summary").tap()
    picks = card.locator("select[name=for_whom]")
    expect(picks).to_be_visible()  # loaded when opened
    picks.select_option(label=say("Model room"))
    card.locator("button.tk-hand").tap()
    expect(lead.locator("#tk-all li.tk", has_text="补充纸杯").locator(".tk-for")).to_have_text(say("Model room"))
    assert_fits_phone(lead)

    login(room, base, names["room"])
    menu(room, say("Tasks"), say("Tasks"))
    expect(room.locator("#tk-mine li.tk", has_text="补充纸杯")).to_be_visible()
