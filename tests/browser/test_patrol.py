"""A night's patrol on phones: two guards share the 23:30 round (codes scanned by opening them, as the camera does, one
damaged code tapped from the list, a problem left for the morning), the 00:30 round after midnight reports a fire
hazard as an incident and stays unfinished, a water-bar attendant and the off-duty guard are refused; in the
morning the lead reads the night on the today screen and in the night report, and marks the morning task done."""
import re

import pytest
from playwright.sync_api import Page, expect

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import User
from tests import factories
from tests.browser.walk import assert_fits_phone, home, landed, login, menu, tap_link
from tests.harness import msg

pytestmark = pytest.mark.browser
HERE = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 10}  # one spot: no scan is faster than walking


class Night:
    """The night's world and the words its pages say (Chinese, or the English msgid until it is translated)."""

    def __init__(self, app, base: str):
        self.app, self.base = app, base
        with app.app_context():
            self.env = factories.patrol_env(app)
            self.who = {key: db.session.get(User, uid).name for key, uid in self.env.users.items()}
        self.login = {key: f"{key}{self.env.site}" for key in self.env.users}

    def say(self, msgid: str, **kw) -> str:
        return msg(self.app, msgid, **kw)

    def open_code(self, page: Page, i: int) -> None:
        """What the phone's camera does with a printed code: open its URL (the one goto besides the login)."""
        page.goto(f"{self.base}/c/{self.env.tokens[i]}")
        landed(page, f"{self.say('Checkpoint')} · {self.env.names[i]}")

    def all_normal(self, page: Page, i: int, located: bool) -> None:
        """On a checkpoint's page: one tap on All normal, back to the round with the checkpoint recorded."""
        if located:  # the phone's position is in the form before the tap, as when a guard reads the page first
            expect(page.locator("form.patrol-scan.located")).to_have_count(1)
        page.locator("button[name=ok][value='1']").tap()
        page.wait_for_url(f"{self.base}/patrol")
        landed(page, self.say("Night patrol"))
        flash = page.locator("p.flash[role=status]")
        expect(flash).to_have_text(self.say("%(name)s: recorded.", name=self.env.names[i]))

    def scan(self, page: Page, i: int, located: bool = True) -> None:
        self.open_code(page, i)
        self.all_normal(page, i, located)

    def problem(self, page: Page, i: int, problem: str, note: str) -> None:
        """Scan a checkpoint and record a problem: open Problem found, pick what is wrong, describe it, record."""
        self.open_code(page, i)
        expect(page.locator("form.patrol-scan.located")).to_have_count(1)
        page.locator("details.patrol-problem > summary").tap()
        expect(page.locator("details.patrol-problem")).to_have_attribute("open", "")
        assert_fits_phone(page)  # the scan page at its widest: the problem picks open
        page.locator("label.pick", has_text=self.say(problem)).tap()
        page.locator("textarea[name=note]").fill(note)
        page.locator("button[name=ok][value='0']").tap()
        page.wait_for_url(re.compile(r"/patrol/scans/\d+$"))
        landed(page, f"{self.say('Problem found')} · {self.env.names[i]}")
        expect(page.locator("main")).to_contain_text(note)

    def refused(self, page: Page, i: int, message: str) -> None:
        """Someone who is not on the night roster opens a code: the page says no, and nothing counts."""
        self.open_code(page, i)
        expect(page.locator("p.flash.error")).to_have_text(self.say(message))
        expect(page.locator("form.patrol-scan")).to_have_count(0)
        assert_fits_phone(page)

    def todo(self, page: Page) -> list[str]:
        return page.locator("#patrol-tonight ul.patrol-todo .card-title").all_inner_texts()


def test_a_night_of_two_rounds_across_midnight_on_two_phones_and_the_leads_morning_report(app, live_server, phone):
    """Two guards finish the 23:30 round (a problem left for the morning, a damaged code tapped, a second scan
    counted once), the 00:30 round reports a fire hazard as an incident and is left unfinished, others are refused;
    the lead reads it all in the morning and marks the task done."""
    night = Night(app, live_server.url)
    env, say, names, base = night.env, night.say, night.env.names, live_server.url
    guard = phone(geolocation=HERE, permissions=["geolocation"])
    guard2 = phone()  # gives no position: its rows say so in the report
    lights_note, fire_note = "样板间1吊灯没关", "消防通道堆放纸箱"

    with clock.travel_to(env.at(23, 35)):
        # Guard 1: the today screen shows the open round and every checkpoint still to visit.
        login(guard, base, night.login["guard"])
        tonight = guard.locator("#patrol-tonight")
        expect(tonight.locator("h3")).to_have_text(say("Night patrol"))
        expect(tonight.locator(".patrol-now")).to_contain_text(say("Round %(slot)s", slot="23:30"))
        expect(tonight.locator(".patrol-count")).to_have_text(say("%(done)s of %(n)s checkpoints", done=0,
                                                                   n=len(names)))
        assert night.todo(guard) == names
        assert_fits_phone(guard)

        night.scan(guard, 0)
        assert_fits_phone(guard)
        night.scan(guard, 1)
        assert night.todo(guard) == names[2:]

        # A light left on in a model room: a problem found, left as a task for the morning.
        night.problem(guard, 2, "Lights left on", lights_note)
        assert_fits_phone(guard)
        guard.locator("button.patrol-morning").tap()
        landed(guard, f"{say('Problem found')} · {names[2]}")
        expect(guard.locator("main p.flash.ok")).to_have_text(
            say("Left for the morning: it shows on the day's screens."))
        expect(guard.locator("button.patrol-morning, button.patrol-incident")).to_have_count(0)

        # The next code is damaged: tapped in the list of checkpoints still to visit.
        tap_link(guard, say("Back to the round"), say("Night patrol"))
        assert night.todo(guard) == names[3:]
        tap_link(guard, names[3], f"{say('Checkpoint')} · {names[3]}")
        assert guard.url.endswith(f"/patrol/checkpoints/{env.points[3]}/tap")
        assert_fits_phone(guard)
        night.all_normal(guard, 3, located=True)
        assert night.todo(guard) == names[4:]

        # A water-bar attendant opens a code: refused, and told why.
        bar = phone()
        login(bar, base, night.login["bar"])
        expect(bar.locator("#patrol-tonight")).to_have_count(0)
        night.refused(bar, 7, "You are not on tonight's night-shift roster. The scan was not counted.")

        # Guard 2 on a second phone finishes the round.
        login(guard2, base, night.login["guard2"])
        expect(guard2.locator("#patrol-tonight .patrol-count")).to_have_text(
            say("%(done)s of %(n)s checkpoints", done=4, n=len(names)))
        assert night.todo(guard2) == names[4:]
        # Its scans come without a position, all at one stroke of a stopped clock: each after the first is faster
        # than anyone walks between checkpoints, and flagged so.
        with clock.travel_to(env.at(23, 50), frozen=True):
            for i in range(4, len(names)):
                night.scan(guard2, i, located=False)
        tonight2 = guard2.locator("#patrol-tonight")
        expect(tonight2.locator("p.flash.ok")).to_have_text(say("This round is done. Next: %(time)s.", time="00:30"))
        expect(tonight2.locator("ul.patrol-todo")).to_have_count(0)
        expect(tonight2.locator(".patrol-count")).to_have_text(
            say("%(done)s of %(n)s checkpoints", done=len(names), n=len(names)))

        # A code scanned again in the same round: the first check counts.
        night.open_code(guard2, 0)
        guard2.locator("button[name=ok][value='1']").tap()
        guard2.wait_for_url(f"{base}/patrol")
        landed(guard2, say("Night patrol"))
        expect(guard2.locator("p.flash[role=status]")).to_have_text(
            say("%(name)s was already checked in this round: the first check counts.", name=names[0]))
        home(guard)
        expect(guard.locator("#patrol-tonight p.flash.ok")).to_have_text(
            say("This round is done. Next: %(time)s.", time="00:30"))

    with clock.travel_to(env.at(0, 40)):
        # After midnight: the 00:30 round of the same night; two checkpoints, one with a fire hazard.
        home(guard)
        expect(guard.locator("#patrol-tonight .patrol-now")).to_contain_text(say("Round %(slot)s", slot="00:30"))
        assert night.todo(guard) == names
        night.scan(guard, 0)
        night.problem(guard, 6, "Fire hazard", fire_note)
        guard.locator("button.patrol-incident").tap()
        guard.wait_for_url(re.compile(r"/incidents/\d+$"))
        landed(guard, f"{say('Fire hazard')} · {names[6]}")
        expect(guard.locator(".inc-what")).to_contain_text(fire_note)
        incident_url = guard.url
        assert_fits_phone(guard)

        # The off-duty guard (security, not on tonight's roster) is refused too.
        off = phone()
        login(off, base, night.login["off"])
        night.refused(off, 1, "You are not on tonight's night-shift roster. The scan was not counted.")

    with clock.travel_to(env.at(8, 10)):
        # The morning: the 01:30 round and the others nobody walked are missed. 07:30 is still open.
        lead = phone()
        login(lead, base, night.login["lead"])
        rounds = say("%(ok)s on time, %(late)s late, %(missed)s missed of %(n)s rounds", ok=1, late=0, missed=13,
                     n=15)
        glance = lead.locator("#patrol-glance")
        expect(glance.locator("p[role=alert]")).to_contain_text(rounds)
        expect(glance).to_contain_text(say("%(n)s problems found", n=2))
        expect(glance).to_contain_text(say("%(n)s left for the morning", n=1))
        assert_fits_phone(lead)

        menu(lead, say("Night report"), say("Night report"))
        assert_fits_phone(lead)
        expect(lead.locator(".patrol-counts")).to_have_text(rounds)
        by_slot = {slot: lead.locator("details.patrol-round").filter(has=lead.locator("summary .card-title",
                                                                                       has_text=f"{slot}–"))
                   for slot in ("23:30", "00:30", "01:30")}
        expect(by_slot["23:30"].locator("summary mark")).to_have_text(say("On time"))
        expect(by_slot["23:30"].locator("summary")).to_contain_text(say("%(n)s scans", n=len(names)))
        expect(by_slot["00:30"].locator("summary mark")).to_have_text(say("Missed"))
        expect(by_slot["00:30"].locator("summary")).to_contain_text(say("%(n)s scans", n=2))
        expect(by_slot["01:30"].locator("summary mark")).to_have_text(say("Missed"))
        expect(by_slot["01:30"].locator("summary")).to_contain_text(say("%(n)s scans", n=0))

        # The round that went wrong is open; the on-time one opens on a tap, with who scanned what and how.
        expect(by_slot["00:30"]).to_have_attribute("open", "")
        by_slot["23:30"].locator("summary").tap()
        rows = by_slot["23:30"].locator("li.patrol-scan-row")
        expect(rows).to_have_count(len(names))
        tapped = rows.filter(has_text=say("Tapped, not scanned"))
        expect(tapped).to_have_count(1)
        expect(tapped).to_contain_text(f"{names[3]} · {night.who['guard']}")
        expect(rows.filter(has_text=night.who["guard2"])).to_have_count(len(names) - 4)
        expect(rows.filter(has_text=say("Lights left on"))).to_contain_text(names[2])

        # Problems and what became of them: a task for the morning, an incident.
        problems = lead.locator("article.patrol-problem-row")
        expect(problems).to_have_count(2)
        lights = problems.filter(has_text=say("Lights left on"))
        expect(lights.locator(".card-title")).to_have_text(f"{names[2]} · {say('Lights left on')}")
        expect(lights).to_contain_text(lights_note)
        expect(lights.locator(".patrol-outcome mark")).to_have_text(say("Task for the morning"))
        fire = problems.filter(has_text=say("Fire hazard"))
        expect(fire).to_contain_text(fire_note)
        expect(fire.locator(".patrol-outcome a")).to_have_attribute("href", incident_url.removeprefix(base))

        # Every checkpoint was visited at least once; guard 2's scans came without a position; two were refused.
        expect(lead.locator("section[aria-labelledby=pr-never-h]")).to_contain_text(
            say("Every checkpoint was visited."))
        # Flagged: guard 2's scans after its first, faster than walking (no position alone is not a flag).
        flagged = lead.locator("section[aria-labelledby=pr-flagged-h] li")
        expect(flagged).to_have_count(len(names) - 5)
        expect(flagged.filter(has_text=say("Faster than walking"))).to_have_count(len(names) - 5)
        expect(flagged.filter(has_text=night.who["guard2"])).to_have_count(len(names) - 5)
        refused = lead.locator("ul.patrol-refused li")
        expect(refused).to_have_count(2)
        expect(refused.filter(has_text=night.who["bar"])).to_contain_text(
            f"{names[7]} · {say('Not on the night roster')}")
        expect(refused.filter(has_text=night.who["off"])).to_contain_text(
            f"{names[1]} · {say('Not on the night roster')}")
        assert_fits_phone(lead)

        # The morning task, from the night patrol page: done, with what was done.
        menu(lead, say("Night patrol"), say("Night patrol"))
        task = lead.locator("#patrol-tasks article.patrol-task")
        expect(task).to_have_count(1)
        expect(task.locator(".card-title")).to_have_text(f"{names[2]} · {say('Lights left on')}")
        assert_fits_phone(lead)
        task.locator("input[name=note]").fill("已关灯")
        task.get_by_role("button", name=say("Done"), exact=True).tap()
        expect(lead.locator("#patrol-tasks")).to_contain_text(say("Nothing left for the morning."))
        expect(lead.locator("#patrol-tasks")).to_have_count(1)

        menu(lead, say("Night report"), say("Night report"))
        lights = lead.locator("article.patrol-problem-row").filter(has_text=say("Lights left on"))
        expect(lights.locator(".patrol-outcome")).to_contain_text(say("Done: %(note)s", note="已关灯"))
        expect(lights.locator(".patrol-outcome")).to_contain_text(night.who["lead"])
        home(lead)
        expect(glance.locator("p[role=alert]")).to_contain_text(rounds)  # loaded: the task is gone from it
        expect(glance.locator("a[href='/patrol']")).to_have_count(0)
