"""The manager's add forms (a location, a sales center, a person, a sales rep, a shared device) sent twice: a double
tap or a retry after a time-out sends the same `idem` key again, and the second answer is the first's, with nothing
written; a new key with a taken name is still refused under its field, and a refused form saves nothing."""
import re
from collections.abc import Callable

import pytest

from hospitality.models import Location, SalesRep, Site, User
from hospitality.models.devices import Device
from tests.factories import visit_env
from tests.harness import login, snapshot, text
from tests.test_idempotency import Replay, _answer, _replay

_CASES: dict[str, Callable] = {
    "admin.location": lambda env: Replay(env.names["manager"], "/admin/locations/new",
                                         {"kind": "other", "name": "前台接待区", "active": "y"}),
    "admin.new_site": lambda env: Replay(env.names["manager"], "/admin/sites/new", {
        "name": "新城售楼处", "code": "NC-1", "timezone": "Asia/Shanghai", "model_rooms": "1"}),
    "admin.person": lambda env: Replay(env.names["manager"], "/admin/staff/new", {
        "username": "newguard", "name": "新保安", "badge_no": "G-900", "phone": "", "post": "security",
        "password": "long-enough-1"}),
    "admin.reps": lambda env: Replay(env.names["manager"], "/admin/reps", {"name": "郑顾问", "phone": ""}),
    "devices.index": lambda env: Replay(env.names["manager"], "/devices/", {"name": "吧台平板", "idle_minutes": "5"}),
}

# The field a taken name is refused under, and its message.
_REFUSALS = {
    "admin.location": ("name", "This site already has a location of that name."),
    "admin.new_site": ("code", "This code is used by another site."),
    "admin.person": ("username", "This username is taken."),
    "admin.reps": ("name", "This site already has a sales rep of that name."),
    "devices.index": ("name", "Another device of this site has this name."),
}

# What each form makes: one row more after the first post, none after the replay.
_MADE = {"admin.location": Location, "admin.new_site": Site, "admin.person": User, "admin.reps": SalesRep,
         "devices.index": Device}

_IDEM = re.compile(r'name="idem" value="([0-9a-zA-Z]*)"')


def _case(app, endpoint: str) -> Replay:
    env = visit_env(app)
    with app.test_request_context():
        return _CASES[endpoint](env)


@pytest.mark.parametrize("endpoint", sorted(_CASES))
def test_an_add_form_sent_twice_adds_once_and_answers_alike(app, endpoint):
    """The first post adds the row; the same form again answers as the first did (status, where it sends) and
    writes nothing: no second row, no audit row, no change anywhere."""
    case = _case(app, endpoint)
    with app.app_context():
        rows = len(snapshot()[_MADE[endpoint].__tablename__])
    _replay(app, case)
    with app.app_context():
        assert len(snapshot()[_MADE[endpoint].__tablename__]) == rows + 1


@pytest.mark.parametrize("endpoint", sorted(_CASES))
def test_a_new_key_with_a_taken_name_is_still_refused(app, endpoint):
    """Another form (a new key) with the name just saved is refused under the field, saves nothing, and its form
    comes back with the same key (nothing was written with it)."""
    case = _case(app, endpoint)
    first = login(app, case.user).post(case.url, data=case.data | {"idem": "firstkey000001"})
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    # Another phone (a registered device shows no register form): its own form, so its own key.
    other = login(app, case.user)
    with app.app_context():
        before = snapshot()
    again = other.post(case.url, data=case.data | {"idem": "otherkey000002"})
    with app.app_context():
        after = snapshot()
    page = again.get_data(as_text=True)
    assert again.status_code == 422, page[:2000]
    field, message = _REFUSALS[endpoint]
    assert text(app, message) in page
    assert re.search(rf'<input[^>]*name="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*name="{field}"',
                     page), f"{endpoint}: the message is not under {field}"
    assert {t for t in after if after[t] != before[t]} == set(), "a refused form saved something"
    assert _IDEM.findall(page) == ["otherkey000002"], "a refused form must keep its key: nothing was written"


@pytest.mark.parametrize("endpoint", sorted(_CASES))
def test_the_add_form_carries_a_fresh_key(app, endpoint):
    """Each rendering of the add form carries a key of its own."""
    case = _case(app, endpoint)
    phone = login(app, case.user)
    keys = [_IDEM.findall(phone.get(case.url).get_data(as_text=True)) for _ in range(2)]
    assert all(len(k) == 1 and len(k[0]) >= 8 for k in keys), keys
    assert keys[0] != keys[1]


def test_a_lost_registration_answer_sets_the_same_working_cookie(app):
    """The first answer (with the device's cookie) never arrived: the retry, from a browser without the cookie,
    gets the same cookie, which opens the device; nothing more is written."""
    case = _case(app, "devices.index")
    data = case.data | {"idem": "devicekey00001"}
    first = login(app, case.user).post(case.url, data=data)
    with app.app_context():
        written = snapshot()
    retry_phone = login(app, case.user)
    with app.app_context():
        before = snapshot()
    retry = retry_phone.post(case.url, data=data)
    with app.app_context():
        after = snapshot()
    assert _answer(retry) == _answer(first)
    def device_cookie(response) -> list[str]:
        """The device cookie as set, without its Expires (a second later for an answer sent a second later)."""
        return [re.sub(r"; Expires=[^;]+", "", c) for c in response.headers.getlist("Set-Cookie")
                if c.startswith("device=")]
    cookie = device_cookie(first)
    assert cookie and device_cookie(retry) == cookie  # the same token, age and flags
    assert {t for t in after if after[t] != before[t]} == set()
    assert len(written["devices"]) == len(after["devices"])
    page = retry_phone.get("/devices/").get_data(as_text=True)
    assert text(app, "This device is %(name)s.", name="吧台平板") in page


def test_a_replayed_new_site_does_not_switch_again(app):
    """The manager works on the new sales center after the first answer; the replay leaves them there and records
    no second switch."""
    case = _case(app, "admin.new_site")
    phone = login(app, case.user)
    data = case.data | {"idem": "sitekey0000001"}
    assert phone.post(case.url, data=data).status_code == 302
    assert phone.post(case.url, data=data).status_code == 302
    assert 'value="新城售楼处"' in phone.get("/admin/").get_data(as_text=True)
