"""A site with one person per post, a rep and bar items: the cast of a visit."""
from types import SimpleNamespace

from hospitality.extensions import db
from hospitality.models import Site, User
from tests import factories
from tests.inventory.helpers import location, make_item, make_user


def visit_env(app):
    with app.app_context():
        site = factories.make_site()
        users = {p: make_user(site.id, p, username=f"{p}{site.id}").id
                 for p in ("security", "concierge", "water_bar", "model_room", "lead", "manager")}
        rep = factories.make_rep(site.id, "王顾问")
        water = make_item(site.id, name="矿泉水", stock=30, price="2.00", unit="瓶")
        tea = make_item(site.id, name="铁观音", stock=10, price="8.00", unit="包")
        vase = make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
        other = factories.make_site()
        other_guard = make_user(other.id, "security", username=f"security{other.id}").id
        return SimpleNamespace(site=site.id, users=users, rep=rep.id, water=water.id, tea=tea.id, vase=vase.id,
                               room=location(site.id, "model_room").id, room2=location(site.id, "model_room", 1).id,
                               other=other.id, other_guard=other_guard,
                               names={p: f"{p}{site.id}" for p in users})


def who(env, post) -> User:
    return db.session.get(User, env.users[post])


def site(env) -> Site:
    return db.session.get(Site, env.site)
