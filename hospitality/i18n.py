"""The templates' _() and ngettext(): Flask-Babel's translations, looked up once per locale.

Through Jinja's i18n extension a template's _() goes alias -> gettext -> "newstyle" wrapper -> Flask-Babel,
which finds the translations object anew each time (request context, locale selector, catalog cache key):
about 10 µs a call, and a staff page calls it a hundred times. These are installed as the template globals
themselves, with the same newstyle meaning (the text is Markup under autoescape, so the %(name)s values are
escaped; `%` formatting always applied), and keep Flask-Babel's translations object per locale (the locale
still comes from Flask-Babel, so force_locale() and refresh() work).
"""
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup

_by_locale: dict = {}
_last = (None, None)  # (the Locale object of the latest call, its translations): one request's calls


def request_locale():
    """Flask-Babel's get_locale(), reading first the locale it keeps for the context (on g): get_locale() goes
    through the `g` proxy three times, and a page asks for the locale a hundred times. force_locale() and
    refresh() set or clear that same attribute, so they keep working."""
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        kept = app_ctx.g.__dict__.get("_flask_babel")
        locale = getattr(kept, "babel_locale", None)
        if locale is not None:
            return locale
    return get_locale()


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


def init_app(app) -> None:
    """Call after Flask-Babel's init_app (which installs its own callables in the Jinja environment)."""
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext)
