"""Access rules of the installable app (see tests/access_rules.py): the manifest, the service worker and the offline
page are PUBLIC: the browser fetches the first two before anyone logs in, and the worker keeps the offline page
fetched without cookies."""
from hospitality.models import Site
from tests.access_rules import PUBLIC, Rule

MATRIX = {
    ("/manifest.webmanifest", "GET"): Rule(PUBLIC),
    ("/sw.js", "GET"): Rule(PUBLIC),
    ("/offline", "GET"): Rule(PUBLIC),
}


def rows(site: Site, ids: dict) -> dict:
    """No rows of their own."""
    return {}
