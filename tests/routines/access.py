"""Access rules of the routines (see tests/access_rules.py): the lead and the manager tick the cleaners' rota; the
model room, the lead and the manager count linen out and back and see what is away."""
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import ChecklistTemplate, Location, Site
from hospitality.models.linen import LinenBatch, LinenCount
from tests.access_rules import LEAD_MANAGER, Rule

FIXTURES = frozenset({"model_room", "lead", "manager"})
LINEN_OUT = {"location_id": "{room_id}", "qty-sheet": "2", "qty-towel": "3", "idem": "matrixlinen01"}

MATRIX = {
    ("/routines/cleaning", "GET"): Rule(LEAD_MANAGER),
    ("/routines/cleaning/<int:template_id>/done", "POST"): Rule(LEAD_MANAGER, 302, {"slot": ""}, True,
                                                                ids={"template_id": "rota_template_id"}),
    # The site has its rota already (seeded with it): the tap adds nothing.
    ("/routines/cleaning/setup", "POST"): Rule(LEAD_MANAGER, 302),
    ("/routines/linen", "GET"): Rule(FIXTURES),
    ("/routines/linen", "POST"): Rule(FIXTURES, 302, LINEN_OUT, True),
    ("/routines/linen/<int:batch_id>", "GET"): Rule(FIXTURES),
    ("/routines/linen/<int:batch_id>/back", "POST"): Rule(FIXTURES, 302, {"qty-sheet": "1"}, True),
}


def rows(site: Site, ids: dict) -> dict:
    """A weekly task of the cleaners' rota, a model room, and a batch of 4 sheets at the laundry."""
    rota = db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.site_id == site.id,
                                                                 ChecklistTemplate.seed_key == "clean_glass"))
    room = db.session.scalar(select(Location.id).where(Location.site_id == site.id, Location.kind == "model_room"))
    with write_tx():
        batch = LinenBatch(site_id=site.id, location_id=room, sent_by_id=ids["user_id"])
        db.session.add(batch)
        db.session.flush()
        db.session.add(LinenCount(batch_id=batch.id, kind="sheet", qty=4, counted_by_id=ids["user_id"]))
    return {"rota_template_id": rota, "room_id": room, "batch_id": batch.id}
