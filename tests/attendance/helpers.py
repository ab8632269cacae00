"""A site with shifts and one person per post; the site's clock set by the test."""
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hospitality.attendance import services
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.attendance import Shift
from tests import factories
from tests.inventory.helpers import make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTS = ("water_bar", "model_room", "concierge", "security", "lead", "manager")


def at(y, m, d, hh=0, mm=0) -> datetime:
    """A wall-clock moment at a Shanghai site."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def att_env(app, grace: int = 5):
    """A site with the default shifts, a grace period and one login per post; another site with its own."""
    with app.app_context():
        site = factories.make_site()
        with write_tx():
            s = db.session.get(Site, site.id)
            s.grace_minutes = grace
            services.default_shifts(s)
        users = {p: make_user(site.id, p, username=f"{p}{site.id}").id for p in POSTS}
        users["water_bar2"] = make_user(site.id, "water_bar", username=f"water_bar2_{site.id}").id
        other = factories.make_site()
        with write_tx():
            services.default_shifts(db.session.get(Site, other.id))
        other_users = {p: make_user(other.id, p, username=f"{p}{other.id}").id for p in ("water_bar", "lead")}
        shifts = {s.code: s.id for s in services.shifts(site.id)}
        other_shifts = {s.code: s.id for s in services.shifts(other.id)}
        names = {p: f"{p}{site.id}" for p in POSTS} | {"water_bar2": f"water_bar2_{site.id}"}
        return SimpleNamespace(site=site.id, users=users, names=names,
                               shifts=shifts, other=other.id, other_users=other_users, other_shifts=other_shifts)


def site(env) -> Site:
    return db.session.get(Site, env.site)


def who(env, post: str) -> User:
    return db.session.get(User, env.users[post])


def shift(env, code: str = "day") -> Shift:
    return db.session.get(Shift, env.shifts[code])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def freeze(monkeypatch, moment: datetime) -> None:
    """Set the site's clock for the attendance rules (services, pages and the live server alike)."""
    monkeypatch.setattr(services, "site_now", lambda _site: moment)
