"""Reference photos of fixtures: checked, stripped of location data, shown only to the site's staff."""
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from hospitality.extensions import db
from hospitality.models import Item, Site
from tests.factories import make_site
from tests.inventory.helpers import location, login, make_item, make_user


def _jpeg_with_gps() -> bytes:
    """A camera-like JPEG carrying a GPS position in its EXIF."""
    img = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (22.0, 32.0, 0.0), 3: "E", 4: (113.0, 56.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get(0x8825)  # the fixture really has GPS
    return out.getvalue()


@pytest.fixture
def env(app):
    with app.app_context():
        site = make_site()
        other = make_site()
        boss = make_user(site.id, "manager")
        make_user(site.id, "model_room", username="keeper")
        make_user(site.id, "concierge", username="desk")
        make_user(other.id, "manager", username="elsewhere")
        room = location(site.id, "model_room")
        vase = make_item(site.id, where="model_room", name="花瓶", stock=2)
        return {"site": site.id, "boss": boss.username, "room": room.id, "vase": vase.id}


def _form(env, **extra):
    return {"location_id": str(env["room"]), "kind": "fixture", "name": "花瓶", "unit": "件", "pack_size": "1",
            "par_level": "0", "unit_price": "0", "expected_qty": "2", "active": "y", **extra}


def _uploads(app) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "items"
    return sorted(folder.glob("*.jpg")) if folder.exists() else []


def test_photo_is_stored_without_location_data(app, env):
    """A camera photo is saved as a clean JPEG (no EXIF/GPS) and served to the site's model-room staff."""
    c = login(app, env["boss"])
    before = _uploads(app)
    r = c.post(f"/stock/items/{env['vase']}/edit", data=_form(env, photo=(io.BytesIO(_jpeg_with_gps()), "a.jpg")),
               content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        name = db.session.get(Item, env["vase"]).photo
    new = [p for p in _uploads(app) if p not in before]
    assert name and [p.name for p in new] == [name]
    stored = Image.open(new[0])
    assert stored.format == "JPEG" and not stored.getexif()
    keeper = login(app, "keeper")
    r = keeper.get(f"/stock/items/{env['vase']}/photo")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    counting = keeper.post(f"/stock/loc/{env['room']}/count", data={"kind": "spot"}, follow_redirects=True)
    assert f'src="/stock/items/{env["vase"]}/photo"' in counting.get_data(as_text=True)  # shown while counting
    assert login(app, "desk").get(f"/stock/items/{env['vase']}/photo").status_code == 403
    assert login(app, "elsewhere").get(f"/stock/items/{env['vase']}/photo").status_code == 404


@pytest.mark.parametrize("payload, message", [
    (b"%PDF-1.4 not a picture", "这不是照片"),
    (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "照片超过 5 MB"),
])
def test_bad_photo_is_refused_and_saves_nothing(app, env, payload, message):
    """Not an image, or over 5 MB: 422 with the message under the field, no new item, no file left."""
    c = login(app, env["boss"])
    with app.app_context():
        before_items = db.session.scalar(db.select(db.func.count()).select_from(Item))
    before_files = _uploads(app)
    r = c.post("/stock/items/new", data=_form(env, name="新台灯", photo=(io.BytesIO(payload), "x.jpg")),
               content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(rf'<small class="error" id="photo-err">[^<]*{message}', body)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Item)) == before_items
        assert db.session.get(Site, env["site"]) is not None
    assert _uploads(app) == before_files
