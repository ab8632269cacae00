"""Who may do what has one home (hospitality/permissions.py): routes, services and templates all ask it."""
import re
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin

from hospitality import permissions
from hospitality.models.core import POSTS
from tests import factories

ROOT = Path(__file__).resolve().parent.parent / "hospitality"
# Routes open without a login, or to any login whatever the post (logging out, switching site or language).
NOT_A_POST_RULE = {"static", "auth.login", "auth.logout", "auth.language", "auth.switch_site",
                   "guests_public.answer",  # the page a guest's phone opens from a QR code: no login
                   "ops.healthz", "ops.readyz", "ops.prometheus",  # the load balancer's and Prometheus' (a token)
                   "pwa.manifest", "pwa.sw", "pwa.offline"}  # the installable app's: fetched before any login
MENU = re.compile(r'<details class="dropdown menu">.*?<ul dir="rtl">(.*?)</ul>', re.S)
LINK = re.compile(r'<li><a href="([^"]+)">')


def _menu_links(html: str) -> list[str]:
    return LINK.findall(MENU.search(html).group(1))


@pytest.fixture
def people(app):
    """One login per post on one site."""
    with app.app_context():
        site = factories.make_site()
        return {post: factories.make_user(site.id, post).username for post in POSTS}


def test_every_menu_link_is_shown_exactly_when_its_route_admits_the_post(app, people):
    """Each post's menu shows a page if and only if that page answers the post (not 403)."""
    shown = {}
    for post, username in people.items():
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": factories.PASSWORD}).status_code == 302
        shown[post] = (client, set(_menu_links(client.get("/").get_data(as_text=True))))
    every_link = set().union(*(links for _, links in shown.values()))
    assert len(every_link) >= 20  # the manager's menu alone has more: the parse found the menu
    wrong = []
    for post, (client, links) in shown.items():
        for href in sorted(every_link):
            status = client.get(href).status_code
            if (href in links) != (status == 200):
                wrong.append(f"{post} {href}: {'shown' if href in links else 'hidden'}, answers {status}")
    assert not wrong, "\n".join(wrong)


def test_every_route_declares_its_action(app):
    """Every route but the login-only ones names the action it requires, so its rule lives in RULES."""
    missing = sorted(ep for ep in app.view_functions
                     if ep not in NOT_A_POST_RULE and permissions.endpoint_action(app, ep) is None)
    assert not missing


def test_actions_admit_known_posts_only():
    """Every rule is a set of real posts, and a misspelt action fails loudly instead of saying no."""
    for action, posts in permissions.RULES.items():
        assert posts and posts <= set(POSTS), action
    with pytest.raises(KeyError):
        permissions.post_can("manager", "no.such.action")


def test_can_says_no_to_anonymous_users():
    """Without a login nothing is allowed, even an action open to every post."""
    assert not permissions.can(AnonymousUserMixin(), "today.view")


_TEMPLATE_POST_LITERAL = re.compile(r"""\bpost\s*(==|!=|not in|in)\s*[('"]""")
_PY_POST_LITERAL = re.compile(r"""\.post\s*(==|!=|not in|in)\s*[('"A-Z]""")


def test_no_template_compares_a_post_with_a_literal():
    """Templates ask can(...), never `current_user.post == 'manager'`."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "templates").rglob("*.html")
             for n, line in enumerate(p.read_text().splitlines(), 1) if _TEMPLATE_POST_LITERAL.search(line)]
    assert not found


def test_no_code_compares_a_post_with_a_literal_or_a_post_list():
    """Python asks can(user, action) or @requires(action); post sets are named only in permissions.py."""
    found = []
    for path in ROOT.rglob("*.py"):
        if path.name == "permissions.py" or "models" in path.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _PY_POST_LITERAL.search(line) or "post_required" in line:
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
