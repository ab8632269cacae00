"""The installable app: the manifest, the service worker's script and the offline page, all without a login."""
import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from hospitality.pwa import assets
from tests.harness import msg, text

STATIC = Path(__file__).resolve().parent.parent / "hospitality" / "static"
LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _precache(body: str) -> list[str]:
    return json.loads(re.search(r"^const PRECACHE = (.*);$", body, re.M).group(1))


def _version(body: str) -> str:
    return json.loads(re.search(r"^const VERSION = (.*);$", body, re.M).group(1))


def test_manifest_names_the_app_in_chinese_by_default(app, client):
    """The manifest answers without a login, in Chinese, standalone from / with the app's colours."""
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200 and resp.mimetype == "application/manifest+json"
    body = resp.get_json(force=True)
    assert body["name"] == msg(app, "Sales center hospitality")
    assert body["short_name"] == msg(app, "Hospitality")
    assert body["lang"] == "zh-CN"
    assert (body["start_url"], body["scope"], body["display"]) == ("/", "/", "standalone")
    assert (body["theme_color"], body["background_color"]) == ("#0172ad", "#ffffff")
    assert "max-age=86400" in resp.headers["Cache-Control"] and "public" in resp.headers["Cache-Control"]


def test_manifest_speaks_english_with_the_language_cookie(client):
    """A browser whose language cookie says English gets the English names."""
    client.set_cookie("lang", "en")
    body = client.get("/manifest.webmanifest").get_json(force=True)
    assert (body["name"], body["short_name"], body["lang"]) == ("Sales center hospitality", "Hospitality", "en")


def test_manifest_icons_are_pngs_of_their_stated_size(client):
    """Each icon the manifest lists is served, a PNG of the size it states; one is maskable at 512."""
    icons = client.get("/manifest.webmanifest").get_json(force=True)["icons"]
    assert {(i["sizes"], i["purpose"]) for i in icons} == {("192x192", "any"), ("512x512", "any"),
                                                          ("512x512", "maskable")}
    for icon in icons:
        resp = client.get(icon["src"])
        assert resp.status_code == 200 and resp.mimetype == "image/png" == icon["type"]
        side = int(icon["sizes"].split("x")[0])
        assert _png_size(resp.get_data()) == (side, side)


def test_service_worker_is_javascript_asked_for_every_time(client):
    """/sw.js is JavaScript from the root, never kept stale by the browser's cache, and names its version."""
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_data(as_text=True)
    assert re.fullmatch(r"[0-9a-f]{12}", _version(body))
    assert 'const OFFLINE = "/offline?lang=zh_Hans";' in body
    for event in ("install", "activate", "fetch", "sync"):
        assert f'addEventListener("{event}"' in body
    assert "skipWaiting()" in body and "clients.claim()" in body and '"outbox-flush"' in body


def test_service_worker_keeps_every_static_file_a_page_links(client):
    """Everything a page loads from /static (with its ?v= hash) and the icons are in the worker's precache."""
    page = client.get("/login").get_data(as_text=True)
    linked = set(LINKED.findall(page))
    assert len(linked) >= 4
    precache = _precache(client.get("/sw.js").get_data(as_text=True))
    assert linked <= set(precache)
    assert sum("/static/icons/" in url for url in precache) == 3
    for url in precache:
        assert client.get(url).status_code == 200


def test_service_worker_offline_page_follows_the_users_language(client):
    """An English browser's worker keeps the English offline page."""
    client.set_cookie("lang", "en")
    assert 'const OFFLINE = "/offline?lang=en";' in client.get("/sw.js").get_data(as_text=True)


def test_a_changed_static_file_changes_the_service_worker(app, client, tmp_path, monkeypatch):
    """A deploy that changes one static file changes /sw.js (its version), so browsers install the new worker."""
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    monkeypatch.setattr(app, "static_folder", str(folder))
    monkeypatch.setattr(assets, "_versions", {})
    before = client.get("/sw.js").get_data(as_text=True)
    assert client.get("/sw.js").get_data(as_text=True) == before  # the same deploy: the same bytes
    (folder / "app.css").write_text((folder / "app.css").read_text() + "\n.new-rule { color: red; }\n")
    monkeypatch.setattr(assets, "_versions", {})  # a new process: the deploy
    after = client.get("/sw.js").get_data(as_text=True)
    assert _version(after) != _version(before)


def test_tree_digest_sees_names_and_contents(tmp_path):
    """The version changes when a file's bytes change, when a file is added and when one is renamed."""
    (tmp_path / "a.css").write_text("a")
    first = assets.tree_digest(tmp_path)
    (tmp_path / "a.css").write_text("b")
    second = assets.tree_digest(tmp_path)
    (tmp_path / "a.css").rename(tmp_path / "b.css")
    third = assets.tree_digest(tmp_path)
    (tmp_path / "c.js").write_text("")
    assert len({first, second, third, assets.tree_digest(tmp_path)}) == 4


@pytest.mark.parametrize("query, cookie, lang", [("", None, "zh"), ("?lang=en", None, "en"),
                                                 ("", "en", "en"), ("?lang=zh_Hans", "en", "zh")])
def test_offline_page_answers_without_login_in_the_asked_language(app, client, query, cookie, lang):
    """The offline page is public, in the language its URL (the worker's) or the cookie asks, Chinese by default."""
    if cookie:
        client.set_cookie("lang", cookie)
    resp = client.get(f"/offline{query}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    no_signal = "No signal" if lang == "en" else text(app, "No signal")
    assert f"<h1>{no_signal}</h1>" in page
    assert '<html lang="en">' in page if lang == "en" else '<html lang="zh-CN">' in page
    assert '<a href="/" role="button" hx-boost="false">' in page  # try again: a whole page, the session's own token
    assert 'class="bar"' not in page  # nobody's name: the worker fetches it without cookies
    assert "app.js" in page  # base.html's scripts: the outbox's count shows here too


def test_offline_page_has_no_inline_script(client):
    """The offline page lives under the same CSP as every page: scripts only from files."""
    page = client.get("/offline").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+=", page)
