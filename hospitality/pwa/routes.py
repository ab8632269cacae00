"""The installable app's three public answers: the manifest, the service worker and the offline page.

None of them is personal: the worker keeps the offline page on the phone, so it is fetched without cookies and
its language rides in the query (?lang=), chosen when the worker's script is rendered for the user.
"""
from flask import Response, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale, gettext

from .. import templating
from ..i18n import request_locale
from . import assets, bp, kept

THEME = "#0172ad"  # pico's primary (app.css builds on it): the installed app's title bar
BACKGROUND = "#ffffff"  # pico's light background: the splash screen behind the icon


def _static(filename: str) -> str:
    """The static file's URL with its content hash, as pages link it (the worker's cache keys match them)."""
    return templating.static_url({"request": request}, filename)


def _lang(locale) -> str:
    return "en" if locale.language == "en" else "zh_Hans"


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, named in the request's language (Chinese by default)."""
    locale = request_locale()
    body = {
        "name": gettext("Sales center hospitality"),
        "short_name": gettext("Hospitality"),
        "lang": "en" if locale.language == "en" else "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": [{"src": _static(name), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
                  for name, size, purpose in assets.ICONS],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600  # a renamed app reaches phones within a day
    response.vary.add("Cookie")  # the language: the user's, else the language cookie's
    return response


@bp.get("/sw.js")
def sw():
    """The service worker, from the root so its scope is the whole app; its bytes change with each deploy."""
    offline = url_for("pwa.offline", lang=_lang(request_locale()))
    precache = [_static(name) for name in assets.PRECACHE] + [_static(name) for name, _s, _p in assets.ICONS]
    body = render_template("pwa/sw.js", version=assets.version(), precache=precache, offline=offline,
                           static_prefix=current_app.static_url_path + "/", keep_header=kept.HEADER,
                           forget=kept.forget_paths(), max_age_ms=kept.max_age_ms())
    response = Response(body, mimetype="text/javascript")
    response.cache_control.no_cache = True  # the browser asks every time: a deploy is seen on the next visit
    response.vary.add("Cookie")
    return response


@bp.get("/offline")
def offline():
    """What the worker shows when a page cannot be reached: no signal, what waits on the phone, try again."""
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        with force_locale(lang):
            return render_template("pwa/offline.html")
    return render_template("pwa/offline.html")
