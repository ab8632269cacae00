"""The tasks' cast: a site with one person per post and a group that has left; another site with a water bar only."""
from types import SimpleNamespace

import pytest

from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.models.core import POSTS
from hospitality.tasks import services
from hospitality.visits import services as visits
from tests.factories import make_site, make_user


def tasks_env(app) -> SimpleNamespace:
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in POSTS}
        guard = db.session.get(User, users["security"])
        site = db.session.get(Site, s.id)
        visit = visits.record_arrival(site, guard, 3, False, None, None)
        visits.depart(site, guard, visit)
        other = make_site()
        other_bar = make_user(other.id, "water_bar", username=f"water_bar{other.id}").id
        return SimpleNamespace(site=s.id, users=users, names={p: f"{p}{s.id}" for p in users}, visit=visit.id,
                               other=other.id, other_bar=other_bar, other_name=f"water_bar{other.id}")


@pytest.fixture
def env(app):
    return tasks_env(app)


def raised(app, env, by="water_bar", site=None, **args) -> int:
    """A task raised through the service (the routes' own tests post the form); a cleaner's call by default."""
    with app.test_request_context():
        site_id = env.site if site is None else site
        user = db.session.get(User, env.users[by] if site is None else env.other_bar)
        return services.raise_task(db.session.get(Site, site_id), user,
                                   **({"kind": "cleaner", "text": "洗手间拖地"} | args)).id
