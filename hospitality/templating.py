"""What templates call besides Flask's own: url_for, filters, globals, the menu, and the CSRF token a page carries.

Most of it is a cache: every page builds a menu and links, turns times to the site's clock and carries a CSRF
token, and done naively these cost a page more than its own rows. The caches live for the process: every app
create_app() makes has the same routes, static files and templates, and each key carries what else varies (the
mount point, the post, the language).
"""
import hashlib
import time
import uuid
from datetime import UTC, date, timedelta
from pathlib import Path
from urllib.parse import quote_plus

from flask import Flask, current_app, has_app_context, render_template, request, session
from flask import g as flask_g
from flask import url_for as flask_url_for
from jinja2 import pass_context
from markupsafe import Markup

from . import clock, fields, i18n, internals
from .access import current_site
from .i18n import text as _

CSRF_RESIGN_SECONDS = 300

_plain_urls: dict[tuple[str, str], str] = {}
_url_shapes: dict[tuple, tuple | None] = {}
_static_urls: dict[tuple[str, str], str] = {}
_menus: dict[tuple, Markup] = {}
_signed_tokens: dict[str, tuple[float, str]] = {}


@pass_context
def url_for(context, endpoint: str, **values) -> str:
    """Flask's url_for, exactly, built once per endpoint and argument names for the links templates make most: a page
    without arguments (the menu has twenty), and a page whose path parts are integers and whose query arguments are
    texts, numbers or days (a list of 25 rows builds two links a row; the manager's day links its figures to ranges),
    whose URL's shape is kept and filled in. Anything else (None, a list, a text path part, _external or _anchor, an
    endpoint relative to the blueprint, no request) is Flask's url_for itself."""
    try:
        root = _script_root(context)
    except RuntimeError:  # no request: Flask's own (it knows SERVER_NAME)
        return flask_url_for(endpoint, **values)
    if endpoint[:1] == ".":
        return flask_url_for(endpoint, **values)
    if not values:
        key = (root, endpoint)
        url = _plain_urls.get(key)
        if url is None:
            url = _plain_urls[key] = flask_url_for(endpoint)
        return url
    key = (root, endpoint, *values)
    shape = _url_shapes.get(key)
    if shape is None:
        shape = _url_shapes[key] = _url_shape(endpoint, tuple(values))
    if shape is None:
        return flask_url_for(endpoint, **values)
    path, in_path, in_query = shape
    for name in in_path:
        if type(values[name]) is not int:  # bool too: not a path part
            return flask_url_for(endpoint, **values)
    for name in in_query:
        if type(values[name]) not in _QUERY_TYPES:  # None is left out, a list repeated: Flask's
            return flask_url_for(endpoint, **values)
    return _filled(shape, values)


def _script_root(context) -> str:
    """The request's mount point, off the template's `request`: Flask puts the request itself there, not the proxy,
    which costs more than a kept link (an imported macro sees the proxy: slower, the same answer)."""
    return context.get("request").script_root


_QUERY_TYPES = (str, int, date)
_QUERY_SAFE = "!$'()*,/:;?@"  # what Werkzeug's URL building leaves unquoted in a query (werkzeug.urls._urlencode)


def _filled(shape: tuple, values: dict) -> str:
    path, _in_path, in_query = shape
    url = path.format_map(values)
    if in_query:
        url += "?" + "&".join(f"{name}={quote_plus(str(values[name]), safe=_QUERY_SAFE)}" for name in in_query)
    return url


def _url_shape(endpoint: str, names: tuple[str, ...]) -> tuple | None:
    """Flask's URL of endpoint as (its path with {name} where each path part goes, the names in the path, the names
    of the query in Flask's order), or None unless each argument is one path part written as the number itself (not
    a padded number) or one query argument."""
    if any(name.startswith("_") for name in names):
        return None
    marks = {name: 987654321 + n for n, name in enumerate(names)}
    url = flask_url_for(endpoint, **marks)
    if "#" in url:
        return None
    path, _, query = url.partition("?")
    in_query = tuple(pair.partition("=")[0] for pair in query.split("&")) if query else ()
    if any(f"{name}={marks.get(name)}" not in query.split("&") for name in in_query):
        return None
    in_path = tuple(name for name in names if name not in in_query)
    path = path.replace("{", "{{").replace("}", "}}")
    for name in in_path:
        if path.count(str(marks[name])) != 1:
            return None
        path = path.replace(str(marks[name]), "{" + name + "}")
    shape = (path, in_path, in_query)
    small = {name: n for n, name in enumerate(names)}
    return shape if _filled(shape, small) == flask_url_for(endpoint, **small) else None


@pass_context
def static_url(context, filename: str) -> str:
    """A static URL with a content hash, so it can be cached for a year (computed once)."""
    key = (_script_root(context), filename)
    url = _static_urls.get(key)
    if url is None:
        digest = hashlib.sha256((Path(current_app.static_folder) / filename).read_bytes()).hexdigest()[:10]
        url = _static_urls[key] = flask_url_for("static", filename=filename, v=digest)
    return url


@pass_context
def menu_links(context, post: str) -> Markup:
    """The menu's page links of a post, rendered once per post, language and mount point (every page carries
    the menu; only the user's name, the CSRF token and the path around it change)."""
    key = (_script_root(context), post, str(i18n.request_locale()))
    menu = _menus.get(key)
    if menu is None:
        menu = _menus[key] = Markup(render_template("_fragments/menu_links.html", post=post))
    return menu


def num(value) -> str:
    """A quantity without trailing zeros: 12, 2.5."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _g(context):
    """The request's `g`: the template's own (a dict lookup; the proxy costs more and a list converts dozens of
    times), or Flask's in a macro module imported without the page's context."""
    found = context.get("g")
    if found is None and has_app_context():
        found = flask_g._get_current_object()
    return found


def _local(context, value):
    """A stored UTC time in the site's zone: the site the request loaded (read off `g`, as the request in
    _script_root)."""
    g = _g(context)
    site = g.get("site") if g is not None else None
    return value.replace(tzinfo=UTC).astimezone((site or current_site()).tz)


@pass_context
def when(context, value) -> str:
    """A stored UTC time as the site's wall clock, as short as it stays clear on a phone: "today 09:45" (今天 09:45),
    "11-25 09:45" earlier this year, "2025-11-25 09:45" before (cheaper than Babel's)."""
    if not value:
        return ""
    local = _local(context, value)
    today, word = _today(context, local.tzinfo)
    if local.date() == today:
        return f"{word} {local:%H:%M}"
    return local.strftime("%m-%d %H:%M" if local.year == today.year else "%Y-%m-%d %H:%M")


def _today(context, tz) -> tuple:
    """The site's calendar day and the word for it, once per request (a list shows dozens of times)."""
    g = _g(context)
    kept = g.get("when_today") if g is not None else None
    if kept is None or kept[0] is not tz:
        kept = (tz, clock.now(tz).date(), _("today"))
        if g is not None:
            g.when_today = kept
    return kept[1], kept[2]


@pass_context
def hm(context, value) -> str:
    """A stored UTC time as the site's hour and minute, 09:45."""
    return _local(context, value).strftime("%H:%M") if value else ""


def day(value) -> str:
    """A calendar day the way staff say it: 11月25日 周三 / Wed 25 Nov 2026 (no Babel lookup)."""
    if i18n.request_locale().language == "en":
        return value.strftime("%a %d %b %Y")
    return f"{value.year}年{value.month}月{value.day}日 周{'一二三四五六日'[value.weekday()]}"


def reuse_signed_token() -> None:
    """Flask-WTF's token, signed once per session every few minutes rather than once per page (a token is valid
    for WTF_CSRF_TIME_LIMIT from its signing, so one a few minutes old is as good). Before the view, so its
    forms take it too."""
    if request.endpoint == "static" or internals.signed_csrf_token() is not None:
        return
    raw = session.get(internals.CSRF_FIELD)
    hit = _signed_tokens.get(raw) if raw else None
    if hit is not None and time.monotonic() - hit[0] < CSRF_RESIGN_SECONDS:
        internals.give_signed_csrf_token(hit[1])


def keep_signed_token(response):
    """A token this request signed (templates call Flask-WTF's csrf_token()) is kept for the next pages."""
    token = internals.signed_csrf_token()
    if token is not None:
        raw = session.get(internals.CSRF_FIELD)
        if raw and _signed_tokens.get(raw, (0, None))[1] != token:
            if len(_signed_tokens) > 10_000:
                _signed_tokens.clear()
            _signed_tokens[raw] = (time.monotonic(), token)
    return response


def register(app: Flask) -> None:
    """Install the filters and globals (globals rather than a context processor: none depends on the request when
    it is registered, and a context processor runs on every render) and the CSRF token's reuse."""
    from .checklists.reads import STATE_LABELS
    from .models.core import POSTS
    from .permissions import template_can

    app.jinja_env.filters.update(num=num, when=when, hm=hm, day=day)
    app.jinja_env.globals.update(
        url_for=url_for, static_url=static_url, menu_links=menu_links, can=template_can, current_site=current_site,
        POSTS=POSTS, STATE_LABELS=STATE_LABELS, timedelta=timedelta, get_locale=i18n.request_locale,
        new_idem=lambda: uuid.uuid4().hex, fmt_qty=num, made_believed=fields.plausible)
    app.before_request(reuse_signed_token)
    app.after_request(keep_signed_token)
