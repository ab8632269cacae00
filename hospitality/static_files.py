"""The stylesheets and scripts under static/ sent compressed at the best level, compressed once per process; the
stylesheets written into a phone's first page.

Flask-Compress compresses every response as it goes out, at one level for all: the level that suits a page
made per request (fast) is a poor one for files that never change and are cached for a year. A static file
is compressed here once per encoding at the highest level and kept in memory (the vendored CSS and JS are
about 150 KB raw); Flask-Compress leaves a response that already has a Content-Encoding alone.

A phone that has never had the stylesheets gets them inside its first page (a <style> the CSP allows by its
hash) and a cookie that says it has them now: on a weak signal a stylesheet is one more round trip before
anything shows (150 ms and more), and the page cannot paint without it. Every later page links them, and they
come from the service worker's cache (it stores them when it installs, just after that first page) or the
HTTP cache. The cookie names the stylesheets' version, so a phone gets them inline once more after a deploy
changed them.

Our own stylesheets and scripts (not the vendored *.min.* ones) are sent minified (rcssmin, rjsmin: comments and
spaces out, about a third of app.js and a sixth of app.css once compressed): the files stay readable in the tree.
"""
import base64
import gzip
import hashlib
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, current_app, g, request
from markupsafe import Markup

STYLESHEETS = ("vendor/pico-2.1.1.min.css", "app.css")  # base.html's, in its order
STYLES_COOKIE = "styles"
_styles: dict[str, tuple[Markup, str, str]] = {}  # static folder -> (the text, its version, its CSP hash source)


def minified(name: str, raw: bytes) -> bytes:
    """A static file as it is sent: our own CSS and JS minified, anything else (a vendored *.min.* file, an icon)
    as it is."""
    if ".min." in name:
        return raw
    if name.endswith(".css"):
        return rcssmin.cssmin(raw.decode("utf-8")).encode("utf-8")
    if name.endswith(".js"):
        return rjsmin.jsmin(raw.decode("utf-8")).encode("utf-8")
    return raw


def _load_styles(folder: str) -> tuple[Markup, str, str]:
    found = _styles.get(folder)
    if found is None:
        text = "\n".join(minified(name, Path(folder, name).read_bytes()).decode("utf-8") for name in STYLESHEETS)
        digest = hashlib.sha256(text.encode()).digest()
        found = _styles[folder] = (Markup(text), digest.hex()[:12],
                                   f"'sha256-{base64.b64encode(digest).decode()}'")
    return found


def styles_version(app: Flask) -> str:
    """The stylesheets' version: the value of the cookie of a phone that has them."""
    return _load_styles(app.static_folder)[1]


def style_hash(app: Flask) -> str:
    """The CSP source that allows the inline stylesheets (their sha256)."""
    return _load_styles(app.static_folder)[2]


def inline_styles() -> Markup | None:
    """The stylesheets' text when this page should carry them (a full page for a phone without them), else None
    (base.html links them). The answer gets the cookie (see `init_app`)."""
    if "HX-Request" in request.headers:
        return None
    text, version, _ = _load_styles(current_app.static_folder)
    if request.cookies.get(STYLES_COOKIE) == version:
        return None
    g.styles_version = version
    return text

TYPES = {"text/css", "application/javascript", "text/javascript", "image/svg+xml"}


def _encoding(accept: str) -> str | None:
    accept = accept.lower()
    if "br" in accept:
        return "br"
    if "gzip" in accept:
        return "gzip"
    return None


def _compress(raw: bytes, enc: str, quality: int) -> bytes:
    """Brotli at `quality` (0-11) or gzip at the matching level (at most 9)."""
    return brotli.compress(raw, quality=quality) if enc == "br" else gzip.compress(raw, min(quality, 9), mtime=0)


def init_app(app: Flask) -> None:
    packed: dict[tuple[str, str], bytes] = {}
    app.jinja_env.globals.update(inline_styles=inline_styles, stylesheets=STYLESHEETS)

    @app.after_request
    def _styles_sent(response):
        version = g.pop("styles_version", None)
        if version is None or response.status_code != 200:
            return response
        response.set_cookie(STYLES_COOKIE, version, max_age=365 * 24 * 3600, path=request.script_root or "/",
                            secure=app.config.get("SESSION_COOKIE_SECURE", False), httponly=True, samesite="Lax")
        # ~110 KB with the stylesheets: a better level than Flask-Compress's for pages (17 KB against 21 KB for
        # about a millisecond), for the one page a phone gets them in.
        enc = _encoding(request.headers.get("Accept-Encoding", ""))
        if enc is not None and not response.direct_passthrough and "Content-Encoding" not in response.headers:
            response.set_data(_compress(response.get_data(), enc, quality=5))
            response.headers["Content-Encoding"] = enc
            response.vary.add("Accept-Encoding")
        return response

    @app.after_request
    def _precompressed(response):
        if request.endpoint != "static" or response.status_code != 200 or response.mimetype not in TYPES:
            return response
        enc = _encoding(request.headers.get("Accept-Encoding", ""))
        filename = (request.view_args or {}).get("filename", "")
        body = packed.get((filename, enc))
        if body is None:
            # send_static_file has found this file inside the static folder already (safe_join).
            body = minified(filename, Path(app.static_folder, filename).read_bytes())
            if enc is not None:
                body = _compress(body, enc, quality=11)
            packed[(filename, enc)] = body
        response.close()  # the file send_file opened
        response.direct_passthrough = False
        response.set_data(body)
        if enc is not None:
            response.headers["Content-Encoding"] = enc
        response.vary.add("Accept-Encoding")
        return response
