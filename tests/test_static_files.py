"""Static files go out compressed once at the best level; pages are still compressed per response."""
import gzip
import re
from pathlib import Path

import brotli

STATIC = Path(__file__).resolve().parent.parent / "hospitality" / "static"


def _asset_urls(client) -> list[str]:
    html = client.get("/login").text
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_static_files_are_sent_precompressed_for_each_encoding(client):
    urls = _asset_urls(client)
    assert len(urls) == 4  # pico, app.css, htmx, app.js
    for url in urls:
        raw = (STATIC / url.split("?")[0].removeprefix("/static/")).read_bytes()
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
