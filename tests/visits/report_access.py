"""Access rules for the visit reports: the per-rep pages are the lead's and the manager's.

`/visits/` itself (every post; filters and the export for the lead and the manager) is in tests/test_access.py.
"""
from tests.access_rules import LEAD_MANAGER, Rule

MATRIX = {
    ("/visits/reps", "GET"): Rule(LEAD_MANAGER),
    ("/visits/reps/<int:rep_id>", "GET"): Rule(LEAD_MANAGER),
}


def rows(site, ids) -> dict:
    """The shared rows already hold what these URLs need (rep_id: the site's rep, with a visit)."""
    return {}
