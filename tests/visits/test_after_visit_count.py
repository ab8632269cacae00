"""The count after every visitor group (一客一盘点): problems with a note and a photo, the discrepancy tied to
the visit and its rep, the manager's live alert."""
import io
import re
from html import escape
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from PIL import Image
from sqlalchemy import select

from hospitality import photos
from hospitality.extensions import db
from hospitality.models import CountLine, Discrepancy, RoomVisit, StockCount, VisitEvent
from hospitality.visits import services
from tests.factories import site_of, visit_env, who
from tests.harness import count_rows, login

HX = {"HX-Request": "true"}


@pytest.fixture
def env(app):
    return visit_env(app)


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (40, 30), (10, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (22.0, 32.0, 0.0), 3: "E", 4: (113.0, 56.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _group_left_room(app, env) -> tuple[int, int]:
    """A group escorted by 王顾问 went through model room 1 and left it: (visit id, count id)."""
    with app.test_request_context():
        v = services.record_arrival(site_of(env), who(env, "security"), 2, False, None, None)
        services.greet(site_of(env), who(env, "concierge"), v, "first", env.rep)
        rv = services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
        _rv, count = services.leave_room(site_of(env), who(env, "model_room"), db.session.get(RoomVisit, rv.id))
        return v.id, count.id


def test_all_present_in_one_tap_goes_back_to_the_visit(app, env):
    """'All match' closes the count with no discrepancy and returns to the visit."""
    vid, cid = _group_left_room(app, env)
    c = login(app, env.names["model_room"])
    r = c.post(f"/stock/counts/{cid}", data={"all_match": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/visits/{vid}")
    with app.app_context():
        assert db.session.get(StockCount, cid).status == "matched" and count_rows(Discrepancy) == 0


def test_damaged_item_with_photo_opens_discrepancy_tied_to_visit_and_rep(app, env):
    """Numbers agree but the vase is damaged: a discrepancy names the visit and 王顾问; the photo has no GPS."""
    vid, cid = _group_left_room(app, env)
    c = login(app, env.names["model_room"])
    r = c.post(f"/stock/counts/{cid}", data={
        "all_match": "0", f"qty-{env.vase}": "2", f"problem-{env.vase}": "damaged",
        f"note-{env.vase}": "瓶口缺了一块", f"photo-{env.vase}": (io.BytesIO(_jpeg_with_gps()), "vase.jpg")},
        content_type="multipart/form-data")
    assert r.status_code == 302 and "/stock/discrepancies/" in r.headers["Location"]
    with app.app_context():
        disc = db.session.scalar(select(Discrepancy))
        assert (disc.visit_id, disc.rep_id) == (vid, env.rep)
        line = db.session.scalar(select(CountLine).where(CountLine.item_id == env.vase))
        assert (line.problem, line.note) == ("damaged", "瓶口缺了一块") and line.photo
        stored = Path(photos.folder("counts")) / line.photo
        assert not Image.open(stored).getexif().get(0x8825)  # location stripped
        assert db.session.scalar(select(VisitEvent.kind).order_by(VisitEvent.id.desc()).limit(1)) == "discrepancy"
        disc_id, line_id = disc.id, line.id
    page = c.get(f"/stock/discrepancies/{disc_id}").text
    assert "瓶口缺了一块" in page and "王顾问" in page and f"/visits/{vid}" in page
    assert c.get(f"/stock/counts/{cid}/lines/{line_id}/photo").status_code == 200
    assert login(app, env.names["concierge"]).get(f"/stock/counts/{cid}/lines/{line_id}/photo").status_code == 403


def test_manager_live_panel_alerts_until_closed(app, env):
    """The manager's live element shows the count that differed, as soon as it is submitted."""
    manager = login(app, env.names["manager"])
    before = manager.get("/visits/live", headers=HX).text
    assert "⚠" not in before
    vid, cid = _group_left_room(app, env)
    keeper = login(app, env.names["model_room"])
    keeper.post(f"/stock/counts/{cid}", data={"all_match": "0", f"qty-{env.vase}": "1"})
    with app.app_context():
        disc = db.session.scalar(select(Discrepancy))
        assert (disc.visit_id, disc.rep_id) == (vid, env.rep)
    live = manager.get("/visits/live", headers=HX).text
    assert "⚠" in live and f"/stock/discrepancies/{disc.id}" in live
    # Staff posts are not alerted (the model room sees it on its count, security on its screen).
    assert "⚠" not in login(app, env.names["water_bar"]).get("/visits/live", headers=HX).text


WHAT = "Say what is wrong with %(item)s."
NOTE = "Add a note: what did you see?"


@pytest.mark.parametrize("data, message", [
    ({"problem-{vase}": "stolen", "note-{vase}": "x"}, WHAT),
    ({"problem-{vase}": "missing"}, NOTE),
    ({"note-{vase}": "没选问题"}, WHAT),
])
def test_bad_problem_is_422_and_saves_nothing(app, env, data, message):
    """An unknown problem, a problem without a note, a note without a problem: 422 in Chinese, nothing written."""
    _vid, cid = _group_left_room(app, env)
    c = login(app, env.names["model_room"])
    form = {"all_match": "0", f"qty-{env.vase}": "2"} | {k.format(vase=env.vase): v for k, v in data.items()}
    r = c.post(f"/stock/counts/{cid}", data=form)
    assert r.status_code == 422
    with app.test_request_context(), force_locale("zh_Hans"):
        expected = escape(gettext(message, item="花瓶"))
    assert expected in r.text and 'aria-invalid="true"' in r.text
    with app.app_context():
        assert db.session.get(StockCount, cid).status == "open" and count_rows(CountLine) == 0


def test_refused_count_keeps_what_was_typed(app, env):
    """A refused count comes back with the problem still chosen, its row open, the note and the number kept;
    the other rows are as they were (closed, nothing chosen)."""
    _vid, cid = _group_left_room(app, env)
    c = login(app, env.names["model_room"])
    r = c.post(f"/stock/counts/{cid}", data={"all_match": "0", f"qty-{env.vase}": "2",
                                             f"problem-{env.vase}": "damaged", f"note-{env.vase}": "x" * 201})
    assert r.status_code == 422
    row = r.text[r.text.index(f'name="problem-{env.vase}"'):]
    row = row[:row.index("</details>")]
    assert '<option value="damaged" selected>' in row and 'value="' + "x" * 201 + '"' in row
    assert re.search(rf'name="qty-{env.vase}"[^>]*value="2"', r.text)
    assert r.text.count("<details open>") == 1 and r.text.count(" selected>") == 1


def test_not_an_image_is_refused_and_nothing_is_left_behind(app, env):
    """A text file as the photo: 422 under the field, the count stays open, no file written."""
    _vid, cid = _group_left_room(app, env)
    c = login(app, env.names["model_room"])
    with app.app_context():
        folder = photos.folder("counts")
        before = set(folder.iterdir())
    r = c.post(f"/stock/counts/{cid}", data={
        "all_match": "0", f"qty-{env.vase}": "1", f"problem-{env.vase}": "missing", f"note-{env.vase}": "不见了",
        f"photo-{env.vase}": (io.BytesIO(b"not a photo"), "x.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'name="photo-' in r.text
    with app.app_context():
        assert db.session.get(StockCount, cid).status == "open" and count_rows(Discrepancy) == 0
        assert set(folder.iterdir()) == before


def test_all_match_with_a_problem_marked_is_refused(app, env):
    """Tapping 'All match' after marking a problem contradicts it: refused with a message."""
    _vid, cid = _group_left_room(app, env)
    c = login(app, env.names["model_room"])
    r = c.post(f"/stock/counts/{cid}", data={"all_match": "1", f"problem-{env.vase}": "moved",
                                             f"note-{env.vase}": "在客厅"})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.get(StockCount, cid).status == "open"


def test_counting_a_room_with_no_group_is_refused(app, env):
    """No group has left the room: there is no count after a visit to start."""
    with app.test_request_context():
        from hospitality.models import Location
        room = db.session.get(Location, env.room)
        with pytest.raises(services.VisitError):
            services.count_after_visit(site_of(env), who(env, "model_room"), room)
