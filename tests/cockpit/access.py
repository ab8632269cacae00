"""Access rules of the manager's day and the consumables budget (see tests/access_rules.py): the manager only."""
from hospitality.models import Site
from tests.access_rules import MANAGER, Rule

MATRIX = {
    ("/manager/", "GET"): Rule(MANAGER),
    ("/manager/budget", "GET"): Rule(MANAGER),
    ("/manager/budget", "POST"): Rule(MANAGER, 302, {"month": "{budget_month}", "amount": "8000"}, True),
}


def rows(site: Site, ids: dict) -> dict:
    """The site's this month, for the budget form."""
    return {"budget_month": site.today().strftime("%Y-%m")}
