"""A site with two people on each handover post, the lead and the manager, bar items and room fixtures."""
from types import SimpleNamespace

from hospitality.extensions import db
from hospitality.handover import services
from hospitality.inventory import services as inventory
from hospitality.models import Site, StockCount, User
from hospitality.models.handover import Handover
from tests import factories
from tests.inventory.helpers import location, make_item, make_user

PEOPLE = {"wb_out": "water_bar", "wb_in": "water_bar", "mr_out": "model_room", "mr_in": "model_room",
          "sec_out": "security", "sec_in": "security", "lead": "lead", "boss": "manager", "desk": "concierge"}


def handover_env(app):
    with app.app_context():
        site = factories.make_site()
        users = {key: make_user(site.id, post, username=f"{key}{site.id}").id for key, post in PEOPLE.items()}
        water = make_item(site.id, name="矿泉水", stock=30, price="2.00", unit="瓶")
        tea = make_item(site.id, name="铁观音", stock=10, price="8.00", unit="包")
        vase = make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
        lamp = make_item(site.id, "model_room", name="台灯", expected=1, unit="件")
        other = factories.make_site()
        o_users = {key: make_user(other.id, post, username=f"o_{key}{other.id}").id
                   for key, post in (("wb_out", "water_bar"), ("wb_in", "water_bar"), ("boss", "manager"))}
        make_item(other.id, name="外站矿泉水", stock=5)
        return SimpleNamespace(site=site.id, users=users, water=water.id, tea=tea.id, vase=vase.id, lamp=lamp.id,
                               bar=location(site.id).id, room=location(site.id, "model_room").id,
                               room2=location(site.id, "model_room", 1).id, other=other.id, o_users=o_users,
                               names={k: f"{k}{site.id}" for k in users},
                               o_names={k: f"o_{k}{other.id}" for k in o_users})


def who(env, key) -> User:
    return db.session.get(User, env.users[key])


def site(env) -> Site:
    return db.session.get(Site, env.site)


def fresh(handover_id: int) -> Handover:
    return db.session.get(Handover, handover_id, populate_existing=True)


def count_all_match(env, handover: Handover, user: User) -> list[StockCount]:
    """Count every location of the handover's post with "all match"."""
    counts = []
    for loc in services.count_locations(env.site, handover.post):
        count = services.start_count(site(env), user, handover, loc)
        counts.append(inventory.submit_count(site(env), user, count, None, all_match=True))
    return counts


def ready_water_bar(env, idem=None) -> Handover:
    """A water-bar handover from wb_out to wb_in, counted and ready to submit."""
    out = who(env, "wb_out")
    handover = services.start(site(env), out, env.users["wb_in"], idem)
    count_all_match(env, handover, out)
    return fresh(handover.id)


def submitted_water_bar(env, lines=("储物柜钥匙在领班处",), notes="一切正常") -> Handover:
    out = who(env, "wb_out")
    handover = ready_water_bar(env)
    for text in lines:
        services.add_line(site(env), out, handover, "key", text, None)
    services.submit(site(env), out, fresh(handover.id), env.users["wb_in"], notes, True)
    return fresh(handover.id)
