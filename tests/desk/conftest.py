"""The desk's cast: a site with one person per post and a sales rep; another site with its front desk and a rep."""
from types import SimpleNamespace

import pytest

from hospitality.models.core import POSTS
from tests.factories import make_rep, make_site, make_user


def desk_env(app) -> SimpleNamespace:
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in POSTS}
        rep = make_rep(s.id, "王顾问")
        other = make_site()
        other_desk = make_user(other.id, "concierge", username=f"concierge{other.id}").id
        other_bar = make_user(other.id, "water_bar", username=f"water_bar{other.id}").id
        other_rep = make_rep(other.id, "外站顾问")
        return SimpleNamespace(site=s.id, users=users, rep=rep.id, names={p: f"{p}{s.id}" for p in users},
                               other=other.id, other_desk=other_desk, other_bar=other_bar, other_rep=other_rep.id,
                               other_names={"concierge": f"concierge{other.id}"})


@pytest.fixture
def env(app):
    return desk_env(app)
