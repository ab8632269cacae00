"""The page gives app.js what every tap's answer and the outbox need: a short htmx time-out, error answers that never
swap a form away, and every visible string rendered (translated) in data- attributes, none written in the script."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from tests import factories
from tests.harness import msg

APP_JS = Path(__file__).resolve().parents[1] / "hospitality" / "static" / "app.js"


class _Tags(HTMLParser):
    """The attributes of each element with an id (and of the htmx-config meta), and the ids inside header.bar."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id, self.in_header, self._header = {}, set(), 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "header" and "bar" in (attrs.get("class") or ""):
            self._header = 1
        key = attrs.get("id") or ("htmx-config" if attrs.get("name") == "htmx-config" else None)
        if key:
            self.by_id[key] = attrs
            if self._header:
                self.in_header.add(key)

    def handle_endtag(self, tag):
        if tag == "header":
            self._header = 0


def test_htmx_times_out_after_8_s_and_errors_keep_the_form(client):
    """htmx-config: 8 s time-out; 422 swaps the form with its errors, other 4xx/5xx swap nothing (a toast says why)."""
    config = json.loads(_Tags(client.get("/login").text).by_id["htmx-config"]["content"])
    assert config["timeout"] == 8000
    rules = {rule["code"]: rule for rule in config["responseHandling"]}
    assert rules["422"]["swap"] is True
    assert rules["[45].."]["swap"] is False and rules["[45].."]["error"] is True


def test_every_page_carries_the_outbox_and_signal_strings_for_its_person(app, client, auth, site):
    """A signed-in page has the banner, the header chip (tagged with the person, as a shared tablet changes hands)
    and the toast's words, all in Chinese."""
    with app.app_context():
        user = factories.make_user(site, "water_bar", username="bar-outbox")
        user_id = user.id
    auth.login("bar-outbox")
    tags = _Tags(client.get("/").text)
    net = tags.by_id["net"]
    assert net["data-off"] == msg(app, "No signal") and net["data-on"] == msg(app, "Back online")
    # The kept copy's banner (app.js puts the copy's time in place of {t}).
    assert net["data-updating"] == msg(app, "Updating: this screen is as it was at %(time)s", time="{t}")
    assert net["data-stale"] == msg(app, "No signal: this screen is as it was at %(time)s", time="{t}")
    assert "outbox" in tags.in_header
    box = tags.by_id["outbox"]
    assert box["data-user"] == str(user_id) and "hidden" in box
    assert box["data-chip"] == msg(app, "%(count)s waiting to send", count="{n}")
    for key, msgid in (("waiting", "Waiting to send"), ("sending", "Sending"), ("needs", "Needs you"),
                       ("login", "Log in again to send"), ("discard", "Discard")):
        assert box[f"data-{key}"] == msg(app, msgid)
    toast = tags.by_id["toast"]
    assert toast["data-retry"] == msg(app, "Retry")
    assert toast["data-kept"] == msg(app, "Kept on this phone: it will be sent when the signal is back.")


def test_a_page_without_a_person_shows_the_outbox_but_names_nobody_to_replay_as(client):
    """The login page (like the worker's offline page) shows what waits, outside any header; replay needs the
    person app.js reads from #outbox, and there is none."""
    tags = _Tags(client.get("/login").text)
    assert tags.by_id["outbox"]["data-user"] == "" and "outbox" not in tags.in_header and "net" in tags.by_id


def test_the_script_follows_the_outbox_contract_and_holds_no_words():
    """app.js replays with X-Outbox, asks for Background Sync, answers the worker's flush; its words come from
    the page."""
    source = APP_JS.read_text(encoding="utf-8")
    assert 'register("outbox")' in source and "outbox-flush" in source and '"X-Outbox": "1"' in source
    # No visible words in the script: only the ⏳ sign and data- lookups (Chinese is the default language).
    assert not re.search(r"[\u4e00-\u9fff]", source)
