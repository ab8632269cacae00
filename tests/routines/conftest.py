"""The routines' cast: a site with one person per post, its seeded cleaners' rota and model rooms; another site."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import ChecklistTemplate, Location
from hospitality.models.core import POSTS
from tests.factories import make_site, make_user


def routines_env(app) -> SimpleNamespace:
    with app.app_context():
        s = make_site()
        users = {p: make_user(s.id, p, username=f"{p}{s.id}").id for p in POSTS}
        other = make_site()
        other_users = {p: make_user(other.id, p, username=f"{p}{other.id}").id for p in ("model_room", "lead")}
        rooms = db.session.scalars(select(Location.id).where(Location.site_id == s.id,
                                                             Location.kind == "model_room")).all()
        other_room = db.session.scalar(select(Location.id).where(Location.site_id == other.id,
                                                                 Location.kind == "model_room"))
        keys = {t.seed_key: t.id for t in db.session.scalars(select(ChecklistTemplate).where(
            ChecklistTemplate.site_id.in_((s.id, other.id)), ChecklistTemplate.seed_key.like("clean_%"),
            ChecklistTemplate.site_id == s.id))}
        other_weekly = db.session.scalar(select(ChecklistTemplate.id).where(
            ChecklistTemplate.site_id == other.id, ChecklistTemplate.seed_key == "clean_glass"))
        return SimpleNamespace(site=s.id, users=users, names={p: f"{p}{s.id}" for p in users}, rooms=rooms,
                               other=other.id, other_users=other_users, other_room=other_room, rota=keys,
                               other_weekly=other_weekly, other_names={p: f"{p}{other.id}" for p in other_users})


@pytest.fixture
def env(app):
    return routines_env(app)
