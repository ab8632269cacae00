"""Translations: every UI string has a Chinese translation, the .mo files are compiled
from the current .po files, and the language switch works.

To fix a failure here: `make translations`, translate the new entries of
hospitality/translations/zh_Hans/LC_MESSAGES/messages.po, then `make translations` again.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.factories import make_site, make_user

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "hospitality" / "translations"
LOCALES = ("zh_Hans", "en")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def _po(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def _mo(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        return read_mo(f)


def _key(m) -> tuple[str, str]:
    """A message's identity: its context (pgettext) and its singular msgid."""
    context = m.context.decode() if isinstance(m.context, bytes) else m.context  # read_mo leaves it as bytes
    return (context or "", m.id if isinstance(m.id, str) else m.id[0])


def _strings(msgstr) -> tuple[str, ...]:
    return (msgstr,) if isinstance(msgstr, str) else tuple(msgstr)


@pytest.fixture(scope="module")
def source_msgids(tmp_path_factory) -> set[tuple[str, str]]:
    """The msgids in the current source, extracted the way `make translations` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    proc = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract",
         "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "ptext:1c,2", "-k", "lazy_pgettext:1c,2",
         "--ignore-dirs", ".*",
         "-o", str(pot), "hospitality"],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with open(pot, "rb") as f:
        ids = {_key(m) for m in read_po(f) if m.id}
    assert len(ids) > 100, "extraction found almost nothing: is babel.cfg right?"
    return ids


def test_every_source_string_has_a_chinese_translation(source_msgids):
    """A new _() string without a zh_Hans translation fails here."""
    catalog = _po("zh_Hans")
    translated = {_key(m) for m in catalog
                  if m.id and not m.fuzzy and all(s.strip() for s in _strings(m.string))}
    missing = sorted(source_msgids - translated)
    assert not missing, ("untranslated or fuzzy in zh_Hans (run `make translations`, then translate): "
                         + "; ".join(repr(m) for m in missing))


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_lists_every_source_string(source_msgids, locale):
    ids = {_key(m) for m in _po(locale) if m.id}
    missing = sorted(source_msgids - ids)
    assert not missing, f"not in the {locale} catalog (run `make translations`): {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_mo_matches_po(locale):
    """The committed .mo is what `pybabel compile` makes of the committed .po."""
    po = {_key(m): _strings(m.string) for m in _po(locale)
          if m.id and not m.fuzzy and all(_strings(m.string))}
    # An untranslated plural is compiled as its own English forms: that is not a translation.
    mo = {_key(m): _strings(m.string) for m in _mo(locale)
          if m.id and _strings(m.string) != _strings(m.id)}
    assert mo == po, f"{locale} messages.mo is stale: run `make translations`"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_are_kept(locale):
    wrong = []
    for m in _po(locale):
        if not m.id:
            continue
        wanted = set(PLACEHOLDER.findall(_key(m)[1]))
        for s in _strings(m.string):
            if s and set(PLACEHOLDER.findall(s)) != wanted:
                wrong.append((_key(m)[1], s))
    assert not wrong, f"placeholders differ in {locale}: {wrong}"


def test_login_page_is_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html and "密码" in html
    assert 'lang="zh-CN"' in html


def test_language_switch_to_english_and_back(client):
    resp = client.post("/language/en", data={"next": "/login"})
    assert resp.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert "Log in" in html and "Username" in html and "登录" not in html
    assert 'lang="en"' in html

    client.post("/language/zh_Hans", data={"next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_logged_in_pages_follow_the_language(app, client, auth):
    with app.app_context():
        site = make_site()
        make_user(site.id, "water_bar", username="bar1")
    auth.login("bar1")
    html = client.get("/").get_data(as_text=True)
    assert "退出登录" in html and "开岗" in html

    client.post("/language/en", data={"next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert "Log out" in html and "Opening" in html and "退出登录" not in html


def test_template_gettext_follows_the_locale_and_escapes_values(app):
    """The templates' own _() / ngettext() (hospitality.i18n): the request's language, force_locale,
    newstyle escaping of the %(name)s values, plurals."""
    from flask_babel import force_locale

    src = ("{{ _('Today') }}|{{ _('in %(time)s', time=t) }}|"
           "{{ ngettext('%(num)s worker', '%(num)s workers', n) }}")
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        tpl = app.jinja_env.from_string(src)
        assert tpl.render(t="<b>", n=2) == "Today|in &lt;b&gt;|2 workers"
        with force_locale("zh_Hans"):
            zh = tpl.render(t="9:00", n=2)
        assert zh.startswith("今日|") and "9:00" in zh and "2" in zh and "workers" not in zh
        assert tpl.render(t="9:00", n=1) == "Today|in 9:00|1 worker"
    with app.test_request_context("/"):
        assert app.jinja_env.from_string(src).render(t="9:00", n=1).startswith("今日|")


def test_python_text_and_lazy_labels_follow_the_locale(app):
    """hospitality.i18n.text / lazy_gettext (Python code's _ and _l): the request's language and force_locale."""
    from flask_babel import force_locale

    from hospitality.i18n import lazy_gettext, text
    from hospitality.models.core import POSTS

    label = lazy_gettext("Today")
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert text("Today") == "Today" and str(label) == "Today" and str(POSTS["water_bar"]) == "Water bar"
        assert text("in %(time)s", time="9:00") == "in 9:00"
        with force_locale("zh_Hans"):
            assert text("Today") == "今日" and str(label) == "今日"
        assert str(label) == "Today"
    with app.test_request_context("/"):
        assert str(label) == "今日" and str(POSTS["water_bar"]) != "Water bar"


def test_one_english_word_with_two_meanings_has_two_translations(app):
    """A count line's "Missing" (缺失) is not a routine's "Missing" (not done, 未完成): message contexts."""
    from hospitality.checklists.reads import STATE_LABELS
    from hospitality.models.inventory import LINE_PROBLEMS, REASONS
    from hospitality.models.purchasing import REQUEST_STATES

    with app.test_request_context("/"):
        assert str(LINE_PROBLEMS["missing"]) == "缺失"
        assert str(REQUEST_STATES["received"]) == "已入库" and str(REASONS["received"]) == "入库"
        assert str(STATE_LABELS["missing"]) == "未完成"
        assert app.jinja_env.from_string('{{ pgettext("stock line", "Missing") }}').render() == "缺失"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert str(LINE_PROBLEMS["missing"]) == "Missing"


def test_stock_items_and_checklist_items_read_apart(app, client, auth):
    """The manager's menu calls stock items 物品 (not 检查项, a checklist's items), and so do the stock pages."""
    with app.app_context():
        site = make_site()
        make_user(site.id, "manager", username="boss1")
    auth.login("boss1")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/stock/items">物品</a>', html)
    page = client.get("/stock/items").get_data(as_text=True)
    assert "添加物品" in page and "检查项" not in page


def test_a_template_s_literal_texts_are_translated_when_it_is_compiled(app):
    """i18n.TranslatedEnvironment: a template from a file is compiled for the request's language with its literal
    _() and pgettext() texts already translated; a text that is not a literal and ngettext() stay calls."""
    src = ("{{ _('Today') }}|{{ _('in %(time)s', time=t) }}|{{ _(word) }}|"
           "{{ ngettext('%(num)s worker', '%(num)s workers', n) }}")
    with app.test_request_context("/", headers={"Cookie": "lang=zh_Hans"}):
        code = app.jinja_env.compile(src, name="probe.html", raw=True)
        assert "今日" in code and "'Today'" not in code and "'in %(time)s'" not in code
        assert "resolve('_')" in code and "resolve('ngettext')" in code  # _(word) and the plural
        template = app.jinja_env.from_string(src)  # from a string: every text looked up at render
        html = template.render(t="<b>", word="Today", n=2)
        assert html.startswith("今日|") and "&lt;b&gt;" in html and html.count("今日") == 2
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        code = app.jinja_env.compile(src, name="probe.html", raw=True)
        assert "Today|" in code
        assert "今日" not in code


def test_each_language_has_its_own_compiled_templates(app, client):
    for lang, mine, other in [("en", "Log in", "登录"), ("zh_Hans", "登录", "Log in"), ("en", "Log in", "登录")]:
        client.set_cookie("lang", lang)
        html = client.get("/login").get_data(as_text=True)
        assert mine in html and other not in html
