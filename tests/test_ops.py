"""Operations: /healthz, /readyz naming the part that is down, /metrics behind its token, and one structured log
line per request carrying its id, the user, the site and the duration; the WSGI entry's garbage collector."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hospitality.ops.requests import JsonLines, RequestContext
from tests.factories import PASSWORD, make_site, make_user


def test_healthz_answers_without_login_or_database(app, client, monkeypatch):
    from hospitality.ops import checks
    monkeypatch.setattr(checks, "database", lambda: 1 / 0)  # not even asked
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}


def test_readyz_says_each_part_is_up(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "database": "ok", "redis": "not configured", "storage": "ok"}


def test_readyz_names_the_part_that_is_down(app, client, monkeypatch):
    """A photo folder that cannot take a file: 503, storage down, the database still ok."""
    from hospitality import photos
    monkeypatch.setattr(photos, "folder", lambda kind: (_ for _ in ()).throw(PermissionError("read-only")))
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["status"] == "down" and resp.json["database"] == "ok"
    assert resp.json["storage"] == "down: PermissionError"


def test_readyz_reports_redis_down_when_configured(app, client, monkeypatch):
    from hospitality.extensions import limiter
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1"
    monkeypatch.setattr(type(limiter), "storage", property(lambda self: type("S", (), {"check": lambda s: False})()))
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json["redis"] == "down: ConnectionError"


def test_metrics_needs_its_token(app, client):
    assert client.get("/metrics").status_code == 404  # no token configured: no endpoint
    app.config["METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/login")
    resp = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'hospitality_requests_total{endpoint="auth.login",method="GET",status="2xx"}' in body
    assert 'hospitality_request_seconds_bucket{endpoint="auth.login",le="0.03"}' in body
    assert 'hospitality_outbox_depth{state="queued"} 0.0' in body
    assert 'hospitality_db_pool{state=' in body or "hospitality_db_pool" in body


def test_each_request_gets_an_id_echoed_and_logged_with_user_site_and_duration(app, client, caplog):
    with app.app_context():
        site = make_site()
        user = make_user(site.id, "water_bar")
        username, user_id, site_id = user.username, user.id, site.id
    client.post("/login", data={"username": username, "password": PASSWORD})
    caplog.set_level(logging.INFO, logger="hospitality.request")
    resp = client.get("/", headers={"X-Request-ID": "lb-1234abcd"})
    assert resp.headers["X-Request-ID"] == "lb-1234abcd"
    line = [r for r in caplog.records if r.name == "hospitality.request" and r.path == "/"][-1]
    assert (line.request_id, line.user_id, line.site_id, line.status) == ("lb-1234abcd", user_id, site_id, 200)
    assert line.duration_ms > 0
    out = json.loads(JsonLines().format(line))
    assert out["request_id"] == "lb-1234abcd" and out["user_id"] == user_id and out["path"] == "/"
    assert out["level"] == "info" and out["time"].endswith("Z")


@pytest.mark.parametrize("given", ["", "bad id with spaces", "x" * 65])
def test_an_unusable_request_id_is_replaced(client, given):
    resp = client.get("/healthz", headers={"X-Request-ID": given})
    rid = resp.headers["X-Request-ID"]
    assert rid != given and len(rid) == 16


def test_a_line_outside_a_request_has_no_request_fields():
    record = logging.LogRecord("hospitality", logging.WARNING, __file__, 1, "worker started", (), None)
    RequestContext().filter(record)
    out = json.loads(JsonLines().format(record))
    assert out["message"] == "worker started" and "request_id" not in out


def test_with_redis_down_logins_go_on_and_readyz_says_so(database_url, tmp_path):
    """The login limit lives in Redis; when Redis stops, logins go on (each worker counts in its memory for the
    while) and /readyz names redis as down."""
    from hospitality import create_app
    from hospitality.extensions import db, limiter
    from tests.servers import redis_server
    was_enabled = limiter.enabled
    with redis_server(tmp_path) as (url, proc):
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url,
                          "LOGIN_RATE_LIMIT": "50 per minute"})
        try:
            with app.app_context():
                site = make_site()
                username = make_user(site.id, "security").username
            client = app.test_client()
            assert client.get("/readyz").json["redis"] == "ok"
            resp = client.post("/login", data={"username": username, "password": PASSWORD})
            assert resp.status_code == 302
            import redis
            assert any(b"login" in key or b"LIMITER" in key for key in redis.Redis.from_url(url).keys())
            proc.terminate()
            proc.wait(10)
            other = app.test_client()
            assert other.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
            ready = other.get("/readyz")
            assert ready.status_code == 503 and ready.json["redis"].startswith("down")
        finally:
            limiter.enabled = was_enabled  # the limiter is one object shared by every app in this process
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_the_wsgi_entry_hides_the_apps_own_objects_from_the_garbage_collector(tmp_path):
    """`gunicorn app:app` freezes what the app holds for the process's life: a full collection then walks only what
    requests leave behind (a worker stalled 115 ms on one before)."""
    probe = "import gc; from app import app; print(gc.get_freeze_count())"
    env = {**os.environ, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite'}"}
    for name in ("HOSPITALITY_DEMO", "DEMO_CLOCK", "DEMO_CLOCK_SET_AT"):
        env.pop(name, None)
    run = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.strip()) > 50_000
