"""Languages: which one a request speaks (Flask-Babel's selectors), and the templates' _() and ngettext() on
Flask-Babel's translations, looked up once per locale; and the templates compiled once per language with their
constant texts translated then (TranslatedEnvironment).

Through Jinja's i18n extension a template's _() goes alias -> gettext -> "newstyle" wrapper -> Flask-Babel,
which finds the translations object anew each time (request context, locale selector, catalog cache key):
about 10 µs a call, and a staff page calls it a hundred times. These are installed as the template globals
themselves, with the same newstyle meaning (the text is Markup under autoescape, so the %(name)s values are
escaped; `%` formatting always applied), and keep Flask-Babel's translations object per locale (the locale
still comes from Flask-Babel, so force_locale() and refresh() work).
"""
import weakref

from babel import Locale
from flask import has_request_context, request
from flask.templating import Environment as FlaskEnvironment
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import nodes, pass_eval_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from .config import Config
from .extensions import babel
from .internals import babel_locale

LANG_COOKIE = "lang"

_by_locale: dict = {}
_last = (None, None)  # (the Locale object of the latest call, its translations): one request's calls
_LOCALES: dict[str, Locale] = {}


def _locale(identifier: str) -> Locale:
    """One Locale object per language: Flask-Babel takes a Locale as it is (parsing the name on every request
    costs), and the translations kept per locale are found by identity."""
    found = _LOCALES.get(identifier)
    if found is None:
        found = _LOCALES[identifier] = Locale.parse(identifier)
    return found


def select_locale() -> Locale:
    """Flask-Babel's locale selector: the user's language, else the language cookie's, else Chinese."""
    if not has_request_context():  # CLI commands and scripts speak the default language
        return _locale("zh_Hans")
    if current_user and current_user.is_authenticated and current_user.locale:
        return _locale(current_user.locale)
    lang = request.cookies.get(LANG_COOKIE)
    if lang in Config.LANGUAGES:
        return _locale(lang)
    return _locale("zh_Hans")


def select_timezone() -> str:
    """Flask-Babel's time zone selector: the site's zone for a logged-in user."""
    from .access import current_site
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_site().timezone
    return Config.BABEL_DEFAULT_TIMEZONE


def request_locale():
    """Flask-Babel's get_locale(), taking first the locale it has already selected for the context (a page asks
    for the locale a hundred times; hospitality/internals.py says why this way)."""
    locale = babel_locale()
    return locale if locale is not None else get_locale()


def _translations():
    global _last
    locale = request_locale()
    last_locale, last = _last
    if locale is last_locale and locale is not None:
        return last
    if locale is None:  # outside a request: Flask-Babel's own answer (no catalog)
        return get_translations()
    found = _by_locale.get(locale)
    if found is None:
        found = _by_locale[locale] = get_translations()
    _last = (locale, found)
    return found


def text(string: str, **variables) -> str:
    """Flask-Babel's gettext() for Python code, through the translations kept per locale."""
    rv = _translations().ugettext(string)
    return rv % variables if variables else rv


def ptext(context: str, string: str, **variables) -> str:
    """gettext() with a message context: one English word with two meanings ("Missing": a routine not done,
    an item not there) gets two Chinese translations."""
    rv = _translations().upgettext(context, string)
    return rv % variables if variables else rv


def lazy_pgettext(context: str, string: str, **variables) -> LazyString:
    return LazyString(ptext, context, string, **variables)


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's lazy_gettext() on text(): the labels of posts, states and kinds are lazy strings that a
    page turns into text dozens of times."""
    return LazyString(text, string, **variables)


@pass_eval_context
def gettext(eval_ctx, string: str, **variables) -> str:
    rv = _translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@pass_eval_context
def ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    rv = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


@pass_eval_context
def pgettext(eval_ctx, context: str, string: str, **variables) -> str:
    rv = _translations().upgettext(context, string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


class TranslatedEnvironment(FlaskEnvironment):
    """Templates compiled once per language, their constant texts translated when they are compiled.

    A page calls _() about a hundred times, nearly always on a literal text: each call looks the text up, makes it
    Markup and applies its `%` (about 2 µs). Here a template is compiled for the request's language (the template
    cache's key carries it), and `_("text")`, `gettext("text")` and `pgettext("context", "text")` with literal texts
    become that language's text itself, as gettext() above would give it: Markup under autoescape, `%` applied (its
    %(name)s values, when given, are still filled in and escaped on each render). Jinja then writes such a text with
    the template's own text, as if it were typed there. A text that is not a literal (`_(label)`), ngettext(), and
    any template compiled outside a request (CLI commands) or made from a string (from_string(), not kept per language)
    keep the calls, looked up on each render."""

    def __init__(self, *args, **options):
        options.setdefault("cache_size", 1000)  # the templates (about 200) once per language
        super().__init__(*args, **options)

    def _load_template(self, name, globals):
        # jinja2.Environment._load_template, with the language in the cache key.
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        cache_key = (weakref.ref(self.loader), name, _template_language())
        if self.cache is not None:
            template = self.cache.get(cache_key)
            if template is not None and (not self.auto_reload or template.is_up_to_date):
                if globals:
                    template.globals.update(globals)
                return template
        template = self.loader.load(self, name, self.make_globals(globals))
        if self.cache is not None:
            self.cache[cache_key] = template
        return template

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        if name is None or _template_language() is None:  # from_string(): not cached per language
            return tree
        return _Translate(_translations()).visit(tree)


def _template_language():
    """The language a template is compiled for now: the request's, or None outside a request (no texts fixed)."""
    return request_locale() if has_request_context() else None


class _Translate(NodeTransformer):
    """Calls of _(), gettext() and pgettext() on literal texts replaced by the translated text (see
    TranslatedEnvironment)."""

    def __init__(self, translations):
        self.translations = translations

    def visit_Call(self, node):
        node = self.generic_visit(node)
        if not (isinstance(node.node, nodes.Name) and node.node.name in ("_", "gettext", "pgettext")
                and node.dyn_args is None and node.dyn_kwargs is None
                and all(isinstance(a, nodes.Const) and type(a.value) is str for a in node.args)):
            return node
        if node.node.name == "pgettext" and len(node.args) == 2:
            text = self.translations.upgettext(node.args[0].value, node.args[1].value)
        elif node.node.name != "pgettext" and len(node.args) == 1:
            text = self.translations.ugettext(node.args[0].value)
        else:
            return node
        if node.kwargs:
            values = nodes.Dict([nodes.Pair(nodes.Const(k.key), k.value, lineno=k.lineno) for k in node.kwargs],
                                lineno=node.lineno)
            return nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno), values,
                             lineno=node.lineno)
        try:
            text = text % {}  # as gettext() applies `%` to a text without values ("%%" is "%")
        except (ValueError, TypeError):
            return node  # the call raises on each render, as before
        return nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno)


def init_app(app) -> None:
    """Flask-Babel with the app's selectors, then the templates' _() and friends in place of its own."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext)
