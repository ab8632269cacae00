"""The set-up forms that make a named row (a stock item, a patrol checkpoint, a roster entry) sent twice — a double
tap, or a retry after a time-out that sends the same form key again — answer the second time as the first and write
nothing more; a new form (a new key) for the same name, or the same person and day, is still refused."""
import re
from html import escape
from pathlib import Path

from flask_babel import force_locale, gettext
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import AuditLog, Item, User
from hospitality.models.attendance import RosterEntry
from hospitality.models.patrol import Checkpoint
from tests.factories import att_env, location, png, site_of, visit_env
from tests.harness import HX, count_rows, login, snapshot
from tests.test_idempotency import Replay, _answer, _replay


def _text(app, msgid: str, **kw) -> str:
    """A message as the default (Chinese) page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return escape(gettext(msgid, **kw))


def _refused_with_a_new_key(app, case: Replay, field_message: str) -> None:
    """The form made its row already: the same form with another key is refused (422, the field's message) and
    writes nothing."""
    phone = login(app, case.user)
    with app.app_context():
        before = snapshot()
    r = phone.post(case.url, data=case.data | {"idem": "anotherkey000002"}, headers=HX if case.htmx else {})
    assert r.status_code == 422
    assert field_message in r.get_data(as_text=True)
    with app.app_context():
        after = snapshot()
    assert {t for t in after if after[t] != before[t]} == set()


# A new stock item

def _item(env, **extra) -> Replay:
    with_location = {"location_id": str(env.bar), "kind": "consumable", "name": "柠檬水", "unit": "杯",
                     "pack_size": "1", "par_level": "5", "unit_price": "6", "serve_as": "drink", "active": "y"}
    return Replay(env.names["manager"], "/stock/items/new", with_location | extra)


def _stock_env(app):
    env = visit_env(app)
    with app.app_context():
        env.bar = location(env.site).id
    return env


def test_a_new_item_sent_twice_is_added_once(app):
    """The new-item form twice: one item (and its opening stock), the same redirect, nothing written the second
    time."""
    env = _stock_env(app)
    _replay(app, _item(env, initial_qty="12"))
    with app.app_context():
        [made] = db.session.scalars(select(Item.id).where(Item.name == "柠檬水")).all()
        assert count_rows(AuditLog, AuditLog.entity == "item", AuditLog.entity_id == made) == 1


def test_a_new_item_with_another_key_and_the_same_name_is_refused(app):
    env = _stock_env(app)
    case = _item(env)
    login(app, case.user).post(case.url, data=case.data | {"idem": "firstkey00000001"})
    _refused_with_a_new_key(app, case, _text(app, "This location already has an item of that name."))
    with app.app_context():
        assert count_rows(Item, Item.name == "柠檬水") == 1


def _uploads(app) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "items"
    return sorted(folder.glob("*")) if folder.exists() else []


def test_a_new_item_with_a_photo_sent_twice_keeps_one_photo(app):
    """The replay's photo is not kept: the item keeps the first photo, and no second file is left behind."""
    env = _stock_env(app)
    case = _item(env)
    phone = login(app, case.user)
    files_before = _uploads(app)

    def send():
        return phone.post(case.url, data=case.data | {"idem": "photokey00000001", "photo": (png(), "p.png")},
                          content_type="multipart/form-data")

    first = send()
    assert first.status_code == 302
    with app.app_context():
        after_first = snapshot()
        item = db.session.scalar(select(Item).where(Item.name == "柠檬水"))
        photo = item.photo
    kept = [p for p in _uploads(app) if p not in files_before]
    assert photo and [p.name for p in kept] == [photo]
    again = send()
    assert _answer(again) == _answer(first)
    with app.app_context():
        after_again = snapshot()
    assert {t for t in after_again if after_again[t] != after_first[t]} == set()
    assert [p for p in _uploads(app) if p not in files_before] == kept


def test_an_item_edit_saved_twice_answers_alike_and_records_once(app):
    """An existing item's edit form twice (no key: it names its row): the same redirect, one audit row."""
    env = _stock_env(app)
    with app.app_context():
        tea = db.session.get(Item, env.tea)
        data = {"location_id": str(tea.location_id), "kind": tea.kind, "name": tea.name, "unit": tea.unit,
                "pack_size": str(tea.pack_size), "par_level": "20", "unit_price": "9.50",
                "serve_as": tea.serve_as or "", "active": "y", "whole": "y"}
    _replay(app, Replay(env.names["manager"], f"/stock/items/{env.tea}/edit", data))


# A new patrol checkpoint

def _checkpoint(env) -> Replay:
    return Replay(env.names["manager"], "/patrol/checkpoints",
                  {"name": "地下车库B2", "location_id": str(env.bar), "require_photo": "1"})


def test_a_new_checkpoint_sent_twice_is_added_once(app):
    env = _stock_env(app)
    _replay(app, _checkpoint(env))
    with app.app_context():
        assert count_rows(Checkpoint, Checkpoint.name == "地下车库B2") == 1


def test_a_new_checkpoint_with_another_key_and_the_same_name_is_refused(app):
    env = _stock_env(app)
    case = _checkpoint(env)
    login(app, case.user).post(case.url, data=case.data | {"idem": "firstkey00000001"})
    _refused_with_a_new_key(app, case, _text(app, "Another checkpoint already has this name."))
    with app.app_context():
        assert count_rows(Checkpoint, Checkpoint.name == "地下车库B2") == 1


def test_the_checkpoint_form_carries_a_fresh_key_after_an_add(app):
    """After an add the page's add form has a new key (the next checkpoint is another write); a refused add keeps
    the key it was sent with (it wrote nothing)."""
    env = _stock_env(app)
    case = _checkpoint(env)
    phone = login(app, case.user)
    page = phone.post(case.url, data=case.data | {"idem": "firstkey00000001"}, follow_redirects=True)
    keys = re.findall(r'name="idem" value="([0-9a-f]+)"', page.get_data(as_text=True))
    assert keys and "firstkey00000001" not in keys
    refused = phone.post(case.url, data=case.data | {"idem": "abcdef0000000002"})
    assert refused.status_code == 422 and 'name="idem" value="abcdef0000000002"' in refused.get_data(as_text=True)


# A roster entry

def _roster(app, htmx=False, shift="day") -> tuple:
    env = att_env(app)
    with app.app_context():
        day = site_of(env).today()
    return env, Replay(env.names["lead"], "/attendance/roster", {
        "user_id": str(env.users["water_bar"]), "shift_id": str(env.shifts[shift]), "day": day.isoformat(),
        "post": ""}, htmx=htmx)


def test_a_roster_add_sent_twice_is_added_once(app):
    _env, case = _roster(app)
    _replay(app, case)
    with app.app_context():
        assert count_rows(RosterEntry) == 1


def test_a_roster_add_by_htmx_sent_twice_answers_the_same_part(app):
    _env, case = _roster(app, htmx=True)
    _replay(app, case)
    with app.app_context():
        assert count_rows(RosterEntry) == 1


def test_a_roster_add_retried_after_the_entry_moved_answers_as_the_first(app):
    """The retry of an add arrives after the lead already moved that entry to the night shift: the retry is the
    same add, not a second one for the day — the same answer, nothing written, no "already on the roster"."""
    env, case = _roster(app)
    phone = login(app, case.user)
    data = case.data | {"idem": "retrykey00000001"}
    first = phone.post(case.url, data=data)
    assert first.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(RosterEntry))
    phone.post(f"/attendance/roster/{entry.id}/move", data={"to_shift_id": str(env.shifts["night"])})
    with app.app_context():
        before = snapshot()
    again = phone.post(case.url, data=data)
    assert _answer(again) == _answer(first)
    with app.app_context():
        after = snapshot()
        assert db.session.scalar(select(RosterEntry.shift_id)) == env.shifts["night"]
    assert {t for t in after if after[t] != before[t]} == set()


def test_a_roster_add_with_another_key_for_the_same_person_and_day_is_refused(app):
    env, case = _roster(app)
    login(app, case.user).post(case.url, data=case.data | {"idem": "firstkey00000001"})
    other_shift = Replay(case.user, case.url, case.data | {"shift_id": str(env.shifts["night"])})
    with app.app_context():
        name = db.session.get(User, env.users["water_bar"]).name
    _refused_with_a_new_key(app, other_shift, _text(
        app, "%(name)s is already on the roster that day: move that entry to another shift.", name=name))
    with app.app_context():
        assert count_rows(RosterEntry) == 1


def test_the_roster_form_carries_a_fresh_key_after_an_add(app):
    """The part htmx swaps in after an add has a new key in its add form: the next person added is another write."""
    env, case = _roster(app, htmx=True)
    phone = login(app, case.user)
    part = phone.post(case.url, data=case.data | {"idem": "firstkey00000001"}, headers=HX).get_data(as_text=True)
    keys = re.findall(r'name="idem" value="([0-9a-f]+)"', part)
    assert keys and "firstkey00000001" not in keys
    second = case.data | {"user_id": str(env.users["concierge"]), "idem": keys[0]}
    assert phone.post(case.url, data=second, headers=HX).status_code == 200
    with app.app_context():
        assert count_rows(RosterEntry) == 2
