"""Repair rules: report (a place required, photos, a double tap once), assign (a contractor needs a name), fixed and
checked in order only, "not fixed" back to assigned; the handovers of the posts that own the places; crews."""
import pytest
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.handover import reads as handover_reads
from hospitality.models import AuditLog, Site, User
from hospitality.models.repairs import Repair, RepairCrew, RepairEvent, RepairPhoto
from hospitality.models.workers import WorkerEntry
from hospitality.repairs import reads, services
from hospitality.repairs.services import RepairError, RepairErrors
from hospitality.workers import services as workers
from tests.factories import Upload, png
from tests.harness import count_rows, in_threads
from tests.repairs.cast import fixed, fresh, make_repair, person, site, to_contractor


def events(repair_id: int) -> list[str]:
    return list(db.session.scalars(select(RepairEvent.kind).where(RepairEvent.repair_id == repair_id)
                                   .order_by(RepairEvent.id)))


def test_report_records_the_repair_its_timeline_and_the_audit(ctx, env):
    """The model room reports a leaking tap in its room: kind, place, where exactly, text, urgent, a "reported" step."""
    r = fresh(make_repair(env.site, env.users["model_room"], urgent=True).id)
    assert (r.kind, r.status, r.spot, r.description, r.urgent) == ("fitting", "reported", "主卫", "卫生间水龙头漏水",
                                                                   True)
    assert r.location_id == env.room and r.reported_by_id == env.users["model_room"]
    assert events(r.id) == ["reported"]
    assert count_rows(AuditLog, AuditLog.action == "report", AuditLog.entity == "repair") == 1


def test_every_wrong_field_is_reported_at_once_and_nothing_is_saved(ctx, env):
    """No kind, no place, no text: each has its message, and nothing is written."""
    with pytest.raises(RepairErrors) as e:
        services.report(site(env), person(env, "security"), kind="ghost", location_id="", description="  ")
    assert set(e.value.errors) == {"kind", "location_id", "description"}
    assert count_rows(Repair) == 0 and count_rows(RepairEvent) == 0


def test_a_place_of_another_site_is_refused(ctx, env):
    """Another site's model room is no place of this site: refused under the place."""
    with pytest.raises(RepairErrors) as e:
        services.report(site(env), person(env, "model_room"), kind="fitting", location_id=env.other_room,
                        description="灯不亮")
    assert set(e.value.errors) == {"location_id"}
    assert count_rows(Repair) == 0


def test_a_double_tap_records_one_repair_and_keeps_one_photo(ctx, env):
    """The same form sent twice is one repair with one "reported" step; the second tap's photo is not kept."""
    first = make_repair(env.site, env.users["water_bar"], where="water_bar", files=[Upload(png())], idem_key="k" * 12)
    again = make_repair(env.site, env.users["water_bar"], where="water_bar", files=[Upload(png())], idem_key="k" * 12)
    assert first.id == again.id
    assert count_rows(Repair) == 1 and events(first.id) == ["reported"] and count_rows(RepairPhoto) == 1


def test_concurrent_double_taps_record_one_repair(app, env):
    """Four requests with one key at the same moment: one repair."""
    def work(_i):
        return make_repair(env.site, env.users["model_room"], idem_key="same-key-0001").id
    results, errors = in_threads(app, 4, work)
    assert not errors and len(set(results)) == 1
    assert count_rows(Repair, app=app) == 1 and count_rows(RepairEvent, app=app) == 1


def test_a_file_that_is_not_a_photo_saves_nothing(ctx, env):
    """A PDF in the photos: refused under the photos, no repair."""
    import io
    with pytest.raises(RepairErrors) as e:
        make_repair(env.site, env.users["model_room"], files=[Upload(io.BytesIO(b"%PDF-1.4"), "x.pdf")])
    assert set(e.value.errors) == {"photos"}
    assert count_rows(Repair) == 0


def test_assigned_fixed_and_checked_each_with_who_and_when(ctx, env):
    """The lead gives it to a contractor, records it fixed, checks it: the timeline has each step, it is closed."""
    r = make_repair(env.site, env.users["model_room"])
    r = to_contractor(env, r)
    assert (r.status, r.assignee, r.company, r.contact, r.phone) == ("assigned", "contractor", "鑫达维修", "李师傅",
                                                                     "13800138000")
    r = fixed(env, r)
    assert r.status == "fixed" and r.fixed_at is not None
    services.check(site(env), person(env, "manager"), r, outcome="ok")
    r = fresh(r.id)
    assert r.status == "checked" and r.checked_at is not None
    assert events(r.id) == ["reported", "assigned", "fixed", "checked"]
    steps = reads.timeline(r.id)
    assert steps[1].who == "鑫达维修 · 李师傅 · 13800138000" and steps[3].by_post == "manager"


def test_a_contractor_without_a_name_and_a_stranger_are_refused(ctx, env):
    """A contractor needs its company; a person must be of this site; a bad phone is refused; nothing is written."""
    r = make_repair(env.site, env.users["model_room"])
    lead = person(env, "lead")
    with pytest.raises(RepairErrors) as e:
        services.assign(site(env), lead, r, to="contractor", company=" ", phone="abc")
    assert set(e.value.errors) == {"company", "phone"}
    with pytest.raises(RepairErrors) as e:
        services.assign(site(env), lead, r, to="staff", user_id=str(env.other_boss))
    assert set(e.value.errors) == {"user_id"}
    with pytest.raises(RepairErrors) as e:
        services.assign(site(env), lead, r, to="nobody")
    assert set(e.value.errors) == {"to"}
    assert fresh(r.id).status == "reported" and events(r.id) == ["reported"]


def test_internal_people_and_the_property_company(ctx, env):
    """A person of the site is named on the repair; the cleaners keep no contractor's details; reassigning works."""
    r = make_repair(env.site, env.users["security"], where="gate", kind="equipment")
    services.assign(site(env), person(env, "lead"), r, to="staff", user_id=str(env.users["security"]),
                    company="不该保存")
    r = fresh(r.id)
    assert (r.assignee, r.assignee_user_id, r.company) == ("staff", env.users["security"], None)
    services.assign(site(env), person(env, "manager"), r, to="property", contact="物业王经理")
    r = fresh(r.id)
    assert (r.assignee, r.assignee_user_id, r.contact) == ("property", None, "物业王经理")
    assert events(r.id) == ["reported", "assigned", "assigned"]


@pytest.mark.parametrize("post", ["water_bar", "model_room", "security", "concierge"])
def test_only_the_lead_and_the_manager_assign_fix_and_check(ctx, env, post):
    """Floor posts report; assigning, recording fixed and checking are the lead's and the manager's."""
    r = make_repair(env.site, env.users["model_room"])
    with pytest.raises(RepairError):
        services.assign(site(env), person(env, post), r, to="cleaners")
    r = to_contractor(env, r)
    with pytest.raises(RepairError):
        services.fixed(site(env), person(env, post), r, note="修好了")
    r = fixed(env, r)
    with pytest.raises(RepairError):
        services.check(site(env), person(env, post), r, outcome="ok")
    assert fresh(r.id).status == "fixed"


def test_steps_out_of_order_are_refused(ctx, env):
    """Fixed before assigned, checked before fixed, assigned once fixed, checked twice: each refused."""
    r = make_repair(env.site, env.users["model_room"])
    lead = person(env, "lead")
    with pytest.raises(RepairError):
        services.fixed(site(env), lead, r, note="修好了")
    with pytest.raises(RepairError):
        services.check(site(env), lead, r, outcome="ok")
    r = to_contractor(env, r)
    with pytest.raises(RepairError):
        services.check(site(env), lead, r, outcome="ok")
    r = fixed(env, r)
    with pytest.raises(RepairError):
        services.assign(site(env), lead, r, to="cleaners")
    services.check(site(env), lead, r, outcome="ok")
    with pytest.raises(RepairError):
        services.check(site(env), lead, fresh(r.id), outcome="ok")
    assert events(r.id) == ["reported", "assigned", "fixed", "checked"]


def test_not_fixed_goes_back_to_the_fixer_with_a_note(ctx, env):
    """"Not fixed" needs what is still wrong; it goes back to assigned (same contractor), and round again."""
    r = fixed(env, to_contractor(env, make_repair(env.site, env.users["model_room"])))
    with pytest.raises(RepairErrors) as e:
        services.check(site(env), person(env, "lead"), r, outcome="not_fixed", note="")
    assert set(e.value.errors) == {"check_note"}
    services.check(site(env), person(env, "lead"), r, outcome="not_fixed", note="还在滴水")
    r = fresh(r.id)
    assert (r.status, r.company, r.fixed_at) == ("assigned", "鑫达维修", None)
    r = fixed(env, r)
    services.check(site(env), person(env, "lead"), r, outcome="ok")
    assert events(r.id) == ["reported", "assigned", "fixed", "not_fixed", "fixed", "checked"]


def test_a_double_tap_on_a_step_counts_once(ctx, env):
    """The same assign form sent twice is one assignment; the same "fixed" twice one step."""
    r = make_repair(env.site, env.users["model_room"])
    for _ in range(2):
        services.assign(site(env), person(env, "lead"), fresh(r.id), to="cleaners", idem_key="assign-key-01")
    for _ in range(2):
        services.fixed(site(env), person(env, "lead"), fresh(r.id), note="好了", idem_key="fixed-key-001")
    assert events(r.id) == ["reported", "assigned", "fixed"]


def test_open_repairs_ride_on_the_handover_of_the_post_that_owns_the_place(ctx, env):
    """The model room's handover lists its room's repair, the bar's its own, security the gate's; checked: gone."""
    room = make_repair(env.site, env.users["model_room"])
    bar = make_repair(env.site, env.users["water_bar"], where="water_bar", kind="equipment")
    gate = make_repair(env.site, env.users["security"], where="gate", kind="equipment")

    def listed(post):
        return [p["detail"]["repair_id"] for p in handover_reads.pending_now(site(env), post) if p["kind"] == "repair"]
    assert (listed("model_room"), listed("water_bar"), listed("security")) == ([room.id], [bar.id], [gate.id])
    services.check(site(env), person(env, "lead"), fixed(env, to_contractor(env, room)), outcome="ok")
    assert listed("model_room") == []


def test_staff_see_their_own_and_their_places_repairs(ctx, env):
    """The model room sees its room's repair and its own at the gate, not the bar's; the lead's counts see all."""
    room = make_repair(env.site, env.users["concierge"])
    own = make_repair(env.site, env.users["model_room"], where="gate", kind="lift")
    make_repair(env.site, env.users["water_bar"], where="water_bar")
    assert {r.id for r in reads.mine(env.site, person(env, "model_room"))} == {room.id, own.id}
    assert [r.id for r in reads.mine(env.site, person(env, "concierge"))] == [room.id]
    counts = reads.open_counts(env.site)
    assert counts.total == 3 and counts.by_kind == {"fitting": 2, "lift": 1}


def test_a_crew_registered_for_the_repair_is_linked_both_ways(ctx, env):
    """Registered for the repair: a RepairCrew row, a "crew" step; the repair lists the crew and the crew names it."""
    r = to_contractor(env, make_repair(env.site, env.users["model_room"]))
    entry = workers.register(site(env), person(env, "model_room"), location_id=env.room, company="鑫达维修",
                             names=["李师傅", "小王"], phones=["13800138000", "13900139000"], purpose="repair",
                             purpose_note=None, supervisor_id=env.users["model_room"], supervisor_name=None,
                             idem_key=None, repair_id=str(r.id))
    assert db.session.scalar(select(RepairCrew.repair_id).where(RepairCrew.crew_id == entry.crew_id)) == r.id
    assert events(r.id)[-1] == "crew"
    crews = reads.crews(r.id)
    assert len(crews) == 1 and [m.name for m in crews[0].members] == ["李师傅", "小王"]
    assert reads.of_crew(entry.crew_id).id == r.id


def test_a_crew_for_a_repair_of_another_room_or_site_or_closed_is_refused(ctx, env):
    """The repair must be this site's, open, and in the room the crew goes to: else nothing is registered."""
    def register(repair_id, room):
        return workers.register(site(env), person(env, "security"), location_id=room, company="鑫达维修",
                                names=["李师傅"], phones=["13800138000"], purpose="repair", purpose_note=None,
                                supervisor_id=env.users["model_room"], supervisor_name=None, idem_key=None,
                                repair_id=str(repair_id))
    r = make_repair(env.site, env.users["model_room"])
    from tests.factories import location
    with pytest.raises(workers.WorkerErrors) as e:
        register(r.id, location(env.site, "model_room", 1).id)
    assert "location_id" in e.value.errors
    other = services.report(db.session.get(Site, env.other), db.session.get(User, env.other_boss), kind="lift",
                            location_id=env.other_room, description="电梯异响")
    with pytest.raises(workers.WorkerErrors) as e:
        register(other.id, env.room)
    assert "repair_id" in e.value.errors
    services.check(site(env), person(env, "lead"), fixed(env, to_contractor(env, r)), outcome="ok")
    with pytest.raises(workers.WorkerErrors) as e:
        register(r.id, env.room)
    assert "repair_id" in e.value.errors
    assert count_rows(WorkerEntry) == 0 and count_rows(RepairCrew) == 0
