"""Response headers and static assets: CSP, framing, sniffing, compression, caching keys."""
import gzip
import re
from pathlib import Path

import pytest

from tests.factories import make_site, make_user

STATIC = Path(__file__).resolve().parent.parent / "hospitality" / "static"


@pytest.fixture
def logged_in(app, client, auth):
    """The client logged in as a manager (the richest menu)."""
    with app.app_context():
        site = make_site()
        make_user(site.id, "manager", username="boss")
    assert auth.login("boss").status_code == 302
    return client


def csp(resp) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/login", "/", "/admin/staff", "/no-such-page"])
def test_pages_carry_a_strict_csp(app, logged_in, path):
    """Every page, error pages too, forbids inline and foreign scripts and being framed."""
    resp = (app.test_client() if path == "/login" else logged_in).get(path)
    assert resp.status_code == (404 if path == "/no-such-page" else 200)
    policy = csp(resp)
    script = policy.get("script-src") or policy["default-src"]
    assert "'self'" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "http" not in script and "*" not in script
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    framing = resp.headers.get("X-Frame-Options", "").upper() in ("DENY", "SAMEORIGIN") or \
        policy.get("frame-ancestors") in ("frame-ancestors 'none'", "frame-ancestors 'self'")
    assert framing
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(logged_in):
    """The pages hold no inline script, handler or style attribute the CSP would block."""
    for path in ("/", "/admin/", "/admin/staff", "/admin/reps", "/checklists/templates"):
        html = logged_in.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"\sstyle\s*=", html), path


def test_html_is_gzipped_when_asked(client, app):
    """A page above the minimum size is sent gzip-compressed to a client that accepts it."""
    plain = client.get("/login")
    assert len(plain.data) > app.config["COMPRESS_MIN_SIZE"]
    assert "Content-Encoding" not in plain.headers
    resp = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert len(resp.data) < len(plain.data)
    assert gzip.decompress(resp.data).decode().startswith("<!doctype html>")
    assert "Accept-Encoding" in resp.headers.get("Vary", "")


def test_html_varies_on_hx_request(client, logged_in):
    """Pages and fragments share URLs, so HTML responses vary on HX-Request."""
    for headers in ({}, {"HX-Request": "true"}):
        resp = logged_in.get("/admin/audit", headers=headers)
        assert resp.status_code == 200
        assert "HX-Request" in [v.strip() for v in resp.headers.get("Vary", "").split(",")]
    css = logged_in.get("/static/app.css")
    assert "HX-Request" not in css.headers.get("Vary", "")


def test_vendor_files_are_pinned_and_served_locally(client):
    """Vendored files carry their version in the name and the page loads them from this host."""
    vendor = sorted(p.name for p in (STATIC / "vendor").iterdir())
    assert vendor and any(n.startswith("htmx-2.0.") for n in vendor)
    for name in vendor:
        assert re.fullmatch(r"[a-z][a-z0-9_-]*-\d+\.\d+\.\d+(\.min)?\.(js|css)", name), name
    html = client.get("/login").text
    refs = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + \
        re.findall(r'<link[^>]*\shref="([^"]+)"', html) + \
        re.findall(r'<body[^>]*\sdata-morph="([^"]+)"', html)  # idiomorph: app.js loads it for a kept page
    assert refs
    for ref in refs:
        assert not re.match(r"(https?:)?//", ref), ref
        if ref == "data:,":  # the empty icon: no request at all (a browser would otherwise ask for /favicon.ico)
            continue
        resp = client.get(ref)
        assert resp.status_code == 200, ref
    for name in vendor:
        assert any(f"/static/vendor/{name}" in ref for ref in refs), f"{name} is not used"
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
