"""The load benchmark's own rules (scripts/bench.py) that keep its figures comparable from run to run."""
import sys
from pathlib import Path

from hospitality.extensions import db
from hospitality.models.incidents import Incident
from tests.factories import make_incident, make_site, make_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import bench  # noqa: E402 - a script, not a package


def test_a_reused_database_keeps_only_this_runs_urgent_incident_open(ctx):
    """Each run reports one urgent incident (security's screen then carries it); on a reused DATABASE_URL the lead
    closes the ones earlier runs reported first, the site's other incidents left as they are."""
    site = make_site()
    bar, lead = make_user(site.id, "water_bar"), make_user(site.id, "lead")
    earlier = [make_incident(site.id, bar.id, kind="utility", level="urgent", description=bench.BENCH_INCIDENT).id
               for _ in range(3)]
    other = make_incident(site.id, bar.id, kind="utility", level="urgent", description="水吧台下漏水").id
    bench.close_earlier_incidents(site, {"lead": lead})
    states = {i.id: (i.status, i.closed_by_id) for i in db.session.scalars(
        db.select(Incident).where(Incident.site_id == site.id))}
    assert states == {**{n: ("closed", lead.id) for n in earlier}, other: ("open", None)}
