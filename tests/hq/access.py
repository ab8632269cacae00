"""Access rules of head office (see tests/access_rules.py): head office only. Logging out and switching to one's
own site are for any login, head office's too (these two entries widen the shared ones to it)."""
from hospitality.models import Site
from tests.access_rules import ANY, HQ, Rule

MATRIX = {
    ("/hq/", "GET"): Rule(HQ),
    ("/hq/sites/<int:site_id>", "GET"): Rule(HQ),
    ("/", "GET"): Rule(ANY | HQ),  # head office's "/" is the comparison
    ("/logout", "POST"): Rule(ANY | HQ, 302, writes=True),
    ("/site", "POST"): Rule(ANY | HQ, 302, data={"site_id": "{site_id}"}, writes=True),
}


def rows(site: Site, ids: dict) -> dict:
    return {}
