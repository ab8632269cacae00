"""Access rules of the worker register (see tests/access_rules.py): who registers, lets in and out, counts, reads."""
from hospitality.extensions import db
from hospitality.models import Site, User
from hospitality.workers import services
from tests.access_rules import Rule

STAFF = frozenset({"model_room", "security", "lead", "manager"})
DOORS = frozenset({"model_room", "security"})  # register, let in, let out
COUNTERS = frozenset({"model_room", "lead", "manager"})  # count the room before and after
REGISTER = {"location_id": "{room2_id}", "company": "矩阵装修", "name-0": "赵六", "phone-0": "13800138000",
            "purpose": "repair", "supervisor_name": "刘工", "idem": "matrixw0001"}

MATRIX = {
    ("/workers/", "GET"): Rule(STAFF),
    ("/workers/inside", "GET"): Rule(STAFF),
    ("/workers/new", "GET"): Rule(DOORS),
    ("/workers/new", "POST"): Rule(DOORS, 302, REGISTER, True),
    ("/workers/<int:entry_id>", "GET"): Rule(STAFF, ids={"entry_id": "worker_entry_id"}),
    # Each action on a crew at the step where it applies, so an allowed post succeeds.
    ("/workers/<int:entry_id>/count-in", "POST"): Rule(COUNTERS, 302, writes=True,
                                                       ids={"entry_id": "worker_entry_id"}),
    ("/workers/<int:entry_id>/cancel", "POST"): Rule(DOORS, 302, writes=True, ids={"entry_id": "worker_entry_id"}),
    ("/workers/<int:entry_id>/in", "POST"): Rule(DOORS, 302, writes=True, ids={"entry_id": "worker_counted_id"}),
    ("/workers/<int:entry_id>/out", "POST"): Rule(DOORS, 302, writes=True, ids={"entry_id": "worker_inside_id"}),
    ("/workers/<int:entry_id>/count-out", "POST"): Rule(COUNTERS, 302, writes=True,
                                                        ids={"entry_id": "worker_left_id"}),
}


def rows(site: Site, ids: dict) -> dict:
    """Four crews in model room 2: registered, counted before, inside, and left (not counted after)."""
    code = site.code.lower()
    keeper = db.session.scalar(db.select(User).where(User.username == f"{code}-keeper"))
    guard = db.session.scalar(db.select(User).where(User.username == f"{code}-guard"))

    def crew(company: str):
        return services.register(site, guard, location_id=ids["room2_id"], company=company, names=["孙七"],
                                 phones=["13900000000"], purpose="repair", purpose_note=None,
                                 supervisor_id=keeper.id, supervisor_name=None, idem_key=None)

    def counted(company: str):
        from hospitality.inventory import services as inventory
        entry = crew(company)
        count = services.count_before(site, keeper, entry)
        inventory.submit_count(site, keeper, count, None, all_match=True)
        return entry

    registered = crew("甲装修")
    ready = counted("乙装修")
    inside = counted("丙装修")
    services.go_in(site, guard, inside)
    left = counted("丁装修")
    services.go_in(site, guard, left)
    services.leave(site, guard, left)
    return {"worker_entry_id": registered.id, "worker_counted_id": ready.id, "worker_inside_id": inside.id,
            "worker_left_id": left.id}
