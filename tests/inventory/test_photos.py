"""Reference photos of fixtures: checked, stripped of location data, shown only to the site's staff."""
import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from hospitality.extensions import db
from hospitality.models import Item, Site
from tests.factories import location, make_item, make_site, make_user
from tests.harness import login


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


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def _huge_png(side: int = 12000) -> bytes:
    """A real, decodable side x side grey PNG of about 140 KB (all zeros compress 1000:1), built row by row."""
    packer, row = zlib.compressobj(9), b"\0" * (side + 1)  # filter byte + one byte per pixel
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b""))


# Runs photos.store() in a fresh interpreter and reports how far that process's peak memory grew: Pillow's
# frames are allocated outside Python's allocator (tracemalloc does not see them), and a child's peak starts
# from its own imports, not from whatever this test process did before.
_MEASURE = """
import io, json, resource, sys
from hospitality import create_app, photos
app = create_app({"TESTING": True, "SECRET_KEY": "m", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
app.instance_path = sys.argv[2]
data = open(sys.argv[1], "rb").read()
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with app.test_request_context(headers={"Cookie": "lang=en"}):
    before = peak()
    try:
        name = photos.store(io.BytesIO(data), "measured")
        from PIL import Image
        result = list(Image.open(photos.folder("measured") / name).size)
    except photos.PhotoError as e:
        result = e.message
print(json.dumps({"grew_mb": peak() - before, "result": result}))
"""


def _store_in_child(tmp_path, data: bytes) -> dict:
    upload = tmp_path / "upload.bin"
    upload.write_bytes(data)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(upload), str(tmp_path / "instance")], cwd=root,
                          env=os.environ | {"PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's note on opening it
def test_huge_dimension_png_is_refused_before_it_is_decoded(tmp_path):
    """A 140 KB PNG saying 12000x12000 is refused from its header: the worker's peak memory barely moves."""
    data = _huge_png()
    assert len(data) < 200_000 and Image.open(io.BytesIO(data)).size == (12000, 12000)
    measured = _store_in_child(tmp_path, data)
    assert measured["result"] == "The picture is too large: at most 50 million pixels."
    assert measured["grew_mb"] < 20  # decoding it would take 144 MB, converting it 576 MB more


def test_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path):
    """A 24 Mpx phone JPEG taken sideways is decoded at half scale (never the 96 MB frame) and stored upright."""
    img = Image.new("RGB", (6000, 4000), (30, 140, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to show it upright
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=70)
    del img
    measured = _store_in_child(tmp_path, out.getvalue())
    assert measured["result"] == [1067, 1600]
    assert measured["grew_mb"] < 60  # the whole frame alone is 96 MB


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


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("payload, message", [
    (b"%PDF-1.4 not a picture", "这不是照片"),
    (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "照片超过 5 MB"),
    ("huge", "图片尺寸过大"),
])
def test_bad_photo_is_refused_and_saves_nothing(app, env, payload, message):
    """Not an image, over 5 MB, or over 50 Mpx: 422 with the message under the field, no new item, no file left."""
    payload = _huge_png() if payload == "huge" else payload
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
