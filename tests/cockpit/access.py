"""Access rules of the manager's day (see tests/access_rules.py): the manager only."""
from hospitality.models import Site
from tests.access_rules import MANAGER, Rule

MATRIX = {
    ("/manager/", "GET"): Rule(MANAGER),
}


def rows(site: Site, ids: dict) -> dict:
    return {}
