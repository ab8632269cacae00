"""Photos in an S3-compatible store (a real moto server): kept there, served through the app or by a signed URL,
removed, a store that is down refused with a clear message and nothing kept, /readyz naming it, and the command
that moves the photos of instance/uploads/ into the store."""
import urllib.request

import pytest
from werkzeug.datastructures import FileStorage

from hospitality import create_app, photo_store, photos
from hospitality.extensions import db
from tests.factories import png
from tests.servers import S3_KEYS, free_port, make_bucket, s3_server


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with s3_server(tmp_path_factory.mktemp("s3")) as (endpoint, _proc):
        make_bucket(endpoint, "photos")
        yield endpoint


@pytest.fixture
def store_app(database_url, s3, tmp_path):
    made = []

    def make(**config):
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "S3_BUCKET": "photos",
                          "S3_ENDPOINT_URL": s3, "S3_PREFIX": "t/", **S3_KEYS, **config})
        app.instance_path = str(tmp_path / f"instance{len(made)}")
        made.append(app)
        return app
    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def upload() -> FileStorage:
    return FileStorage(png((80, 60)), filename="p.png", content_type="image/png")


def test_a_photo_is_kept_in_the_store_and_served_through_the_app(store_app):
    app = store_app()
    with app.test_request_context():
        name = photos.store(upload(), "incidents")
        store = photo_store.current()
        assert store.size("incidents", name) > 100
        assert not (photos.folder("incidents") / name).exists()  # nothing on this server's disk
        resp = photos.send("incidents", name)
        resp.direct_passthrough = False
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
        assert resp.get_data()[:3] == b"\xff\xd8\xff"  # a JPEG
        assert "private" in resp.headers["Cache-Control"]
        photos.remove("incidents", name)
        with pytest.raises(photo_store.Missing):
            store.size("incidents", name)


def test_a_missing_photo_is_404(store_app):
    from werkzeug.exceptions import NotFound
    app = store_app()
    with app.test_request_context(), pytest.raises(NotFound):
        photos.send("incidents", "0" * 32 + ".jpg")


def test_signed_urls_send_the_browser_to_the_store_for_five_minutes(store_app):
    app = store_app(PHOTO_URLS="signed")
    with app.test_request_context():
        name = photos.store(upload(), "repairs")
        resp = photos.send("repairs", name)
        assert resp.status_code == 302
        url = resp.headers["Location"]
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
        with urllib.request.urlopen(url) as got:
            assert got.read()[:3] == b"\xff\xd8\xff"
    # The pages may show images from the store's origin, and only from there besides the app.
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: blob: {app.config['S3_ENDPOINT_URL']}" in csp


def test_a_store_that_is_down_refuses_the_photo_clearly_and_keeps_nothing(store_app):
    app = store_app(S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    with app.test_request_context():
        with pytest.raises(photos.PhotoError) as refused:
            photos.store(upload(), "incidents")
        assert refused.value.message == "照片暂时无法保存，本次未保存任何内容：请稍后再试。"
        assert not any(photos.folder("incidents").iterdir())
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503 and resp.json["storage"].startswith("down:") and resp.json["database"] == "ok"


def test_readyz_says_the_store_answers(store_app):
    assert store_app().test_client().get("/readyz").json["storage"] == "ok"


def test_the_command_moves_local_photos_into_the_store(store_app, tmp_path):
    local = store_app(S3_BUCKET=None)
    with local.test_request_context():
        names = [photos.store(upload(), "counts"), photos.store(upload(), "patrol")]
    app = store_app()
    app.instance_path = local.instance_path  # the same server's instance/ folder, now configured with a store
    result = app.test_cli_runner().invoke(args=["photos-to-store"])
    assert result.exit_code == 0, result.output
    assert "2 photos moved" in result.output
    with app.test_request_context():
        store = photo_store.current()
        assert store.size("counts", names[0]) > 100 and store.size("patrol", names[1]) > 100
        assert not (photos.folder("counts") / names[0]).exists()
    again = app.test_cli_runner().invoke(args=["photos-to-store"])
    assert again.exit_code == 0 and "0 photos moved" in again.output
