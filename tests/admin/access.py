"""Access rules of the manager's set-up added since the main matrix (see tests/access_rules.py): the unlock,
and the login post now that a refused login writes."""
from datetime import timedelta

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site, User, utcnow
from tests.access_rules import HASH, MANAGER, PUBLIC, Rule

MATRIX = {
    # Overrides the main matrix's entry: a refused login is now audited (and counted against the account), and
    # anonymous PUBLIC posts must write nothing, so the anonymous post leaves the password empty (422, no write).
    ("/login", "POST"): Rule(PUBLIC, status=302, anon_status=422, data={"username": "nobody", "password": ""}),
    ("/admin/staff/<int:user_id>/unlock", "POST"): Rule(MANAGER, 302, writes=True,
                                                        ids={"user_id": "locked_user_id"}),
}


def rows(site: Site, ids: dict) -> dict:
    """A person of the site locked after wrong passwords."""
    with write_tx():
        user = User(site_id=site.id, username=f"{site.code.lower()}-locked", name="锁定员工",
                    badge_no=f"{site.code}-L", post="concierge", password_hash=HASH, failed_logins=0, lockouts=1,
                    locked_until=utcnow() + timedelta(minutes=5))
        db.session.add(user)
    return {"locked_user_id": user.id}
