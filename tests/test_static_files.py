"""Static files go out compressed once at the best level, our own CSS and JS minified; pages are still compressed per
response; a phone's first page carries the stylesheets, allowed by their hash in the CSP, and every later page links
them."""
import base64
import gzip
import hashlib
import re
from pathlib import Path

import brotli

from hospitality import static_files

STATIC = Path(__file__).resolve().parent.parent / "hospitality" / "static"
STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def _sent(name: str) -> bytes:
    """A static file as it goes out: ours minified, a vendored *.min.* one as it is."""
    return static_files.minified(name, (STATIC / name).read_bytes())


def _asset_urls(client) -> list[str]:
    html = client.get("/login").text
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def _styles_cookie(resp) -> str | None:
    for value in resp.headers.getlist("Set-Cookie"):
        if value.startswith(static_files.STYLES_COOKIE + "="):
            return value
    return None


def test_a_phones_first_page_carries_the_stylesheets_and_later_pages_link_them(client):
    """No cookie: the page holds pico's and our stylesheet's text and links neither, and says the phone has them
    now; with the cookie the same page links both and holds no <style>."""
    client.delete_cookie(static_files.STYLES_COOKIE)  # the suite's clients are everyday phones (conftest)
    first = client.get("/login")
    html = first.text
    inline = STYLE.findall(html)
    assert len(inline) == 1
    for name in static_files.STYLESHEETS:
        assert _sent(name).decode() in inline[0], name
    assert 'rel="stylesheet"' not in html
    cookie = _styles_cookie(first)
    assert cookie and "HttpOnly" in cookie and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie

    again = client.get("/login")
    assert not STYLE.search(again.text)
    linked = re.findall(r'<link rel="stylesheet" href="/static/([^"?]+)\?v=', again.text)
    assert linked == list(static_files.STYLESHEETS)
    assert _styles_cookie(again) is None


def test_the_csp_allows_the_inline_stylesheets_by_their_hash_and_nothing_else(client):
    """style-src names the sha256 of exactly the text in the page's <style>: no 'unsafe-inline'."""
    client.delete_cookie(static_files.STYLES_COOKIE)
    resp = client.get("/login")
    text = STYLE.search(resp.text).group(1)
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    policy = {d.split()[0]: d.split()[1:] for d in resp.headers["Content-Security-Policy"].split(";") if d.strip()}
    assert policy["style-src"] == ["'self'", f"'sha256-{digest}'"]


def test_changed_stylesheets_come_inline_once_more(client):
    """A cookie naming another version (a deploy changed the stylesheets since): the page carries them again."""
    client.set_cookie(static_files.STYLES_COOKIE, "0123456789ab")
    resp = client.get("/login")
    assert STYLE.search(resp.text) and _styles_cookie(resp)


def test_htmx_requests_never_carry_the_stylesheets(app, client, auth):
    """A fragment or a boosted page swaps into a page that has them already: no <style>, no cookie."""
    from tests.factories import make_site, make_user
    with app.app_context():
        make_user(make_site().id, "water_bar", username="bar")
    assert auth.login("bar").status_code == 302
    client.delete_cookie(static_files.STYLES_COOKIE)
    resp = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert resp.status_code == 200 and not STYLE.search(resp.text) and _styles_cookie(resp) is None


def test_the_first_page_is_compressed_harder_than_other_pages(client):
    """The page with the stylesheets (~110 KB) goes out at brotli 5 or gzip 5; it decodes to the same page."""
    client.delete_cookie(static_files.STYLES_COOKIE)
    br = client.get("/login", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["Content-Encoding"] == "br" and "Accept-Encoding" in br.headers["Vary"]
    html = brotli.decompress(br.data)
    assert STYLE.search(html.decode())
    assert len(br.data) <= len(brotli.compress(html, quality=4))
    client.delete_cookie(static_files.STYLES_COOKIE)
    gz = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and STYLE.search(gzip.decompress(gz.data).decode())
    client.delete_cookie(static_files.STYLES_COOKIE)
    plain = client.get("/login", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and STYLE.search(plain.text)


def test_static_files_are_sent_precompressed_for_each_encoding(client):
    urls = _asset_urls(client)
    assert len(urls) == 4  # pico, app.css, htmx, app.js
    for url in urls:
        raw = _sent(url.split("?")[0].removeprefix("/static/"))
        br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert br.status_code == 200 and br.headers["Content-Encoding"] == "br", url
        assert brotli.decompress(br.data) == raw
        assert "Accept-Encoding" in br.headers["Vary"]
        assert int(br.headers["Content-Length"]) == len(br.data) < len(raw)
        gz = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == raw
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and plain.data == raw
        # the second request is served from memory: the same bytes
        assert client.get(url, headers={"Accept-Encoding": "br"}).data == br.data


def test_our_own_css_and_js_go_out_minified_and_the_vendored_ones_as_they_are(client):
    """app.js and app.css without their comments and indentation (rjsmin, rcssmin), the same code; pico and htmx
    byte for byte."""
    for name, kept in [("app.js", "function"), ("app.css", "#net"), ("device.js", "function")]:
        source = (STATIC / name).read_text(encoding="utf-8")
        sent = client.get(f"/static/{name}", headers={"Accept-Encoding": "identity"}).data.decode()
        assert "/*" in source or "//" in source, name  # the file in the tree keeps its comments ...
        assert len(sent) < 0.85 * len(source) and "\n  " not in sent and kept in sent, name  # ... they do not go out
        assert "/* " not in sent, name
    # Every identifier of app.js goes out: minifying took out spaces and comments only
    source = (STATIC / "app.js").read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.S)
    sent = client.get("/static/app.js", headers={"Accept-Encoding": "br"})
    words = set(re.findall(r"[A-Za-z_$][\w$]{3,}", brotli.decompress(sent.data).decode()))
    assert set(re.findall(r"[A-Za-z_$][\w$]{3,}", code)) - words <= set()
    for url in _asset_urls(client):
        name = url.split("?")[0].removeprefix("/static/")
        if ".min." in name:
            sent = client.get(url, headers={"Accept-Encoding": "identity"}).data
            assert sent == (STATIC / name).read_bytes(), name


def test_the_vendored_css_is_compressed_harder_than_pages_are(client):
    """Quality 11 for the stylesheet that never changes (a page uses a fast level)."""
    url = next(u for u in _asset_urls(client) if "pico" in u)
    raw = (STATIC / url.split("?")[0].removeprefix("/static/")).read_bytes()
    sent = client.get(url, headers={"Accept-Encoding": "br"}).data
    assert len(sent) <= len(brotli.compress(raw, quality=4))


def test_pages_are_still_compressed(client):
    page = client.get("/login", headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"
    assert "<form" in brotli.decompress(page.data).decode()


def test_a_missing_static_file_is_a_plain_404(client):
    r = client.get("/static/nope.css", headers={"Accept-Encoding": "br"})
    assert r.status_code == 404


def test_the_offline_page_links_the_stylesheets_even_without_the_cookie(client):
    """The worker fetches the offline page without cookies and keeps it beside the stylesheets: it links them."""
    client.delete_cookie(static_files.STYLES_COOKIE)
    resp = client.get("/offline?lang=zh_Hans")
    assert resp.status_code == 200 and not STYLE.search(resp.text) and _styles_cookie(resp) is None
    assert re.findall(r'<link rel="stylesheet" href="/static/([^"?]+)\?v=', resp.text) == list(static_files.STYLESHEETS)
