"""make_* helpers that build rows through the same code paths the app uses."""
from itertools import count

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import ChecklistTemplate, SalesRep, Site, User
from hospitality.seed import add_default_content

PASSWORD = "secret-pass-1"
_seq = count(1)


def make_site(code: str | None = None, name: str | None = None, model_rooms: int = 2) -> Site:
    """A site with the default locations and routines."""
    n = next(_seq)
    with write_tx():
        site = Site(name=name or f"测试售楼处{n}", code=code or f"S{n}", timezone="Asia/Shanghai")
        db.session.add(site)
        db.session.flush()
        add_default_content(site, model_rooms)
    return site


def make_user(site_id: int, post: str, username: str | None = None, active: bool = True,
              password: str = PASSWORD, locale: str | None = None) -> User:
    n = next(_seq)
    with write_tx():
        user = User(site_id=site_id, username=username or f"{post}{n}", name=f"员工{n}",
                    badge_no=f"B{n}", phone="", post=post, active=active, locale=locale)
        user.set_password(password)
        if post == "manager":
            user.managed_sites.append(db.session.get(Site, site_id))
        db.session.add(user)
    return user


def make_rep(site_id: int, name: str | None = None) -> SalesRep:
    with write_tx():
        rep = SalesRep(site_id=site_id, name=name or f"顾问{next(_seq)}")
        db.session.add(rep)
    return rep


def routine(site_id: int, post: str, kind: str = "opening") -> ChecklistTemplate:
    """The seeded routine of a post (opening or closing)."""
    return db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.site_id == site_id, ChecklistTemplate.post == post,
        ChecklistTemplate.kind == kind))
