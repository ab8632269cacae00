"""The repairs' cast: a site with one person per post and fixtures in both model rooms, another site; and a repair
reported (and taken further) through the services."""
from types import SimpleNamespace

from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.core import POSTS
from hospitality.models.repairs import Repair
from hospitality.repairs import services
from tests.factories import location, make_item, make_site, make_user


def repair_env(app) -> SimpleNamespace:
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in POSTS}
        make_item(s.id, "model_room", name="花瓶", expected=2, unit="件")
        other = make_site()
        other_boss = make_user(other.id, "manager", username=f"manager{other.id}").id
        return SimpleNamespace(site=s.id, users=users, names={p: f"{p}{s.id}" for p in users}, other=other.id,
                               other_boss=other_boss, room=location(s.id, "model_room").id,
                               bar=location(s.id, "water_bar").id, gate=location(s.id, "gate").id,
                               other_room=location(other.id, "model_room").id)


def person(env, post: str) -> User:
    return db.session.get(User, env.users[post])


def site(env) -> Site:
    return db.session.get(Site, env.site)


def fresh(repair_id: int) -> Repair:
    return db.session.get(Repair, repair_id, populate_existing=True)


def make_repair(site_id: int, user_id: int, *, where: str = "model_room", kind: str = "fitting",
                description: str = "卫生间水龙头漏水", spot: str | None = "主卫", urgent: bool = False, files=(),
                idem_key: str | None = None) -> Repair:
    """A repair reported by a person of the site at the first place of kind `where`."""
    return services.report(db.session.get(Site, site_id), db.session.get(User, user_id), kind=kind,
                           location_id=location(site_id, where).id, spot=spot, description=description,
                           urgent=urgent, files=files, idem_key=idem_key)


def to_contractor(env, repair: Repair, post: str = "lead") -> Repair:
    services.assign(site(env), person(env, post), fresh(repair.id), to="contractor", company="鑫达维修",
                    contact="李师傅", phone="13800138000")
    return fresh(repair.id)


def fixed(env, repair: Repair, post: str = "lead") -> Repair:
    services.fixed(site(env), person(env, post), fresh(repair.id), note="已更换阀芯")
    return fresh(repair.id)
