"""Worker register rules: registration checks, the counts before and after, in and out, closing."""
import threading

import pytest
from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.inventory import services as inventory
from hospitality.models import AuditLog, Discrepancy, StockCount
from hospitality.models.workers import WorkerEntry
from hospitality.workers import reads, services
from hospitality.workers.services import WorkerError
from tests.factories import inside_crew, register, site_of, submit, who, worker_env
from tests.harness import count_rows, msg


@pytest.fixture
def env(app):
    return worker_env(app)


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
    ("8613800138000", "13800138000"), ("0755-26001234", "0755-26001234"), ("010 62751234", "010-62751234"),
    ("26001234", "26001234"),
])
def test_phone_numbers_are_normalized(ctx, raw, expected):
    """Mobiles become 11 digits; landlines keep their area code apart."""
    assert services.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "abc", "0755-1234", "110"])
def test_bad_phone_numbers_are_refused(ctx, raw):
    """A mobile not starting 13–19, a short or long number, letters: refused under the field."""
    with pytest.raises(WorkerError) as e:
        services.normalize_phone(raw, "phone-0")
    assert e.value.field == "phone-0"


def test_register_a_crew_of_three(app, ctx, env):
    """One registration writes one row per person, sharing the crew, company, purpose and supervisor."""
    first = register(env, people=[("张三", "13800138000"), ("李四", "139 0000 0001"), ("王五", "0755-26001234")],
                     purpose="install", note="装空调")
    crew = services.crew_of(first)
    assert [m.name for m in crew] == ["张三", "李四", "王五"]
    assert {m.crew_id for m in crew} == {first.id}
    assert crew[1].phone == "13900000001"
    assert all(m.status == "registered" and m.company == "鑫达装修" and m.supervisor_id == env.users["model_room"]
               for m in crew)
    assert first.purpose_label.endswith("装空调")
    assert count_rows(AuditLog, AuditLog.entity == "worker_entry", AuditLog.action == "register") == 1


def test_double_tap_registers_once(app, ctx, env):
    """The same idempotency key returns the first registration."""
    a = register(env, idem_key="abcdef123456")
    b = register(env, idem_key="abcdef123456")
    assert a.id == b.id and count_rows(WorkerEntry) == 1


def test_every_mistake_is_reported_at_once_and_nothing_saved(app, ctx, env):
    """Missing room, company, a name, a bad phone, purpose and supervisor: each under its field."""
    with pytest.raises(WorkerError) as e:
        services.register(site_of(env), who(env, "security"), location_id="", company=" ",
                          names=["", "李四"], phones=["13800138000", "12345"], purpose="", purpose_note=None,
                          supervisor_id="", supervisor_name="", idem_key=None)
    assert set(e.value.errors) == {"location_id", "company", "name-0", "phone-1", "purpose", "supervisor"}
    assert e.value.errors["phone-1"] == msg(app, "Not a valid phone number: a mobile of 11 digits starting "
                                                 "13–19, or a landline such as 0755-12345678.")
    assert count_rows(WorkerEntry) == 0


def test_other_purpose_needs_a_note_and_supervisor_one_way(app, ctx, env):
    """'Other' needs what they do; a supervisor is a person of the site or a typed name, not both."""
    with pytest.raises(WorkerError) as e:
        register(env, purpose="other")
    assert "purpose_note" in e.value.errors
    with pytest.raises(WorkerError) as e:
        register(env, supervisor_id=env.users["model_room"], supervisor_name="开发商工程师")
    assert "supervisor" in e.value.errors
    with pytest.raises(WorkerError) as e:
        register(env, supervisor_id=env.users["water_bar"])  # not a post that supervises workers
    assert "supervisor" in e.value.errors
    entry = register(env, supervisor_id="", supervisor_name="开发商 刘工")
    assert entry.supervisor_label == "开发商 刘工"


def test_another_sites_room_or_supervisor_is_refused(app, ctx, env):
    """A room or a person of another site is not offered and not accepted."""
    from tests.factories import location
    with pytest.raises(WorkerError) as e:
        register(env, room=location(env.other, "model_room").id)
    assert "location_id" in e.value.errors
    with pytest.raises(WorkerError) as e:
        register(env, supervisor_id=env.other_keeper)
    assert "supervisor" in e.value.errors


def test_the_whole_story_count_before_in_out_count_after(app, ctx, env):
    """Count before (all present), in, out, count after: the entry closes when the count after is saved."""
    entry = register(env, people=[("张三", "13800138000"), ("李四", "13900000001")])
    site, keeper, guard = site_of(env), who(env, "model_room"), who(env, "security")
    with pytest.raises(WorkerError) as e:
        services.go_in(site, guard, entry)
    assert e.value.message == msg(app, "Count the room before they go in.")
    count = services.count_before(site, keeper, entry)
    assert (count.kind, count.ref_type, count.ref_id) == ("worker_in", "worker", entry.id)
    assert services.count_before(site, keeper, entry).id == count.id  # the same person resumes it
    with pytest.raises(WorkerError):
        services.go_in(site, guard, entry)  # still being counted
    submit(env, count)
    services.go_in(site, guard, entry)
    services.go_in(site, guard, entry)  # a second tap changes nothing
    crew = services.crew_of(entry)
    assert all(m.status == "in" and m.count_in_id == count.id and m.in_by_id == guard.id for m in crew)
    assert reads.crew_story(entry).step == "inside"

    assert services.leave(site, guard, entry) == []
    with pytest.raises(WorkerError) as e:
        services.leave(site, guard, entry)
    assert e.value.message == msg(app, "They have already left.")
    after = services.count_after(site, keeper, entry)
    assert after.kind == "worker_out"
    assert reads.crew_story(entry).step == "counting_out"
    submit(env, after)
    db.session.expire_all()
    assert {m.status for m in services.crew_of(entry)} == {"closed"}
    assert reads.crew_story(entry).step == "closed"
    with pytest.raises(WorkerError):
        services.count_after(site, keeper, entry)
    assert reads.inside_now(site) == []


def test_part_of_the_crew_leaves_first(app, ctx, env):
    """Those ticked leave; the count after waits until the last one is out."""
    entry = inside_crew(env, people=[("张三", "13800138000"), ("李四", "13900000001")])
    site, keeper = site_of(env), who(env, "model_room")
    crew = services.crew_of(entry)
    still = services.leave(site, keeper, entry, [crew[0].id])
    assert [m.name for m in still] == ["李四"]
    with pytest.raises(WorkerError) as e:
        services.count_after(site, keeper, entry)
    assert "李四" in e.value.message
    with pytest.raises(WorkerError) as e:
        services.leave(site, keeper, entry, [crew[0].id])  # 张三 cannot leave twice
    assert e.value.field == "who" and "张三" in e.value.message
    assert services.leave(site, keeper, entry, [crew[1].id]) == []
    assert services.count_after(site, keeper, entry).kind == "worker_out"


def test_a_missing_item_after_the_workers_opens_a_discrepancy(app, ctx, env):
    """A lamp missing after they left opens a discrepancy tied to the count after; the entry still closes."""
    entry = inside_crew(env)
    site, keeper = site_of(env), who(env, "model_room")
    services.leave(site, keeper, entry)
    count = submit(env, services.count_after(site, keeper, entry), {env.lamp: "0"})
    assert count.status == "discrepancy"
    story = reads.crew_story(entry)
    assert story.disc_out is not None and story.disc_out.count_id == count.id
    assert story.disc_in is None and story.step == "closed"
    assert db.session.scalar(select(Discrepancy.location_id).where(Discrepancy.count_id == count.id)) == env.room


def test_a_difference_before_they_go_in_is_on_record(app, ctx, env):
    """The room already short before they went in: the discrepancy belongs to the count before, they may go in."""
    entry = register(env)
    site = site_of(env)
    submit(env, services.count_before(site, who(env, "model_room"), entry), {env.vase: "1"})
    story = reads.crew_story(entry)
    assert story.disc_in is not None and story.step == "go_in"
    services.go_in(site, who(env, "security"), entry)
    assert reads.crew_story(entry).step == "inside"


def test_counting_a_room_someone_else_counts_is_refused(app, ctx, env):
    """While the lead counts room 1, the attendant's count before is refused with who is counting."""
    entry = register(env)
    site = site_of(env)
    room = db.session.get(StockCount.location.property.mapper.class_, env.room)
    inventory.start_count(site, who(env, "lead"), room, "spot")
    with pytest.raises(WorkerError) as e:
        services.count_before(site, who(env, "model_room"), entry)
    assert who(env, "lead").name in e.value.message
    assert db.session.get(WorkerEntry, entry.id).count_in_id is None


def test_a_cancelled_count_can_be_started_again(app, ctx, env):
    """Cancelling the count before puts the crew back to 'to count before'; a new count replaces it."""
    entry = register(env)
    site, keeper = site_of(env), who(env, "model_room")
    first = services.count_before(site, keeper, entry)
    inventory.cancel_count(site, keeper, db.session.get(StockCount, first.id))
    assert reads.crew_story(entry).step == "count_in"
    second = services.count_before(site, keeper, entry)
    assert second.id != first.id
    assert db.session.get(WorkerEntry, entry.id, populate_existing=True).count_in_id == second.id


def test_posts_are_checked_by_the_rules(app, ctx, env):
    """Security does not count (it confirms differences); the water bar does not register workers."""
    entry = register(env)
    with pytest.raises(WorkerError) as e:
        services.count_before(site_of(env), who(env, "security"), entry)
    assert e.value.message == msg(app, "The model room attendant counts the room.")
    with pytest.raises(WorkerError):
        register(env, post="water_bar")
    with pytest.raises(WorkerError):
        services.go_in(site_of(env), who(env, "lead"), entry)
    assert count_rows(StockCount) == 0 and count_rows(WorkerEntry) == 1


def test_cancel_only_before_they_go_in(app, ctx, env):
    """A registration is cancelled before going in; once inside they must leave instead."""
    entry = register(env)
    site, guard = site_of(env), who(env, "security")
    services.cancel(site, guard, entry)
    assert db.session.get(WorkerEntry, entry.id, populate_existing=True).status == "cancelled"
    with pytest.raises(WorkerError):
        services.count_before(site, who(env, "model_room"), entry)
    inside = inside_crew(env)
    with pytest.raises(WorkerError):
        services.cancel(site, guard, inside)
    assert db.session.get(WorkerEntry, inside.id, populate_existing=True).status == "in"


def test_inside_now_lists_open_crews_room_by_room(app, ctx, env):
    """Registered, inside and left-not-counted crews show; closed and cancelled ones do not; other sites never."""
    site = site_of(env)
    waiting = register(env, company="甲公司")
    inside = inside_crew(env, company="乙公司", room=env.room2)
    services.cancel(site, who(env, "security"), register(env, company="丙公司"))
    rows = reads.inside_now(site)
    assert {r.crew_id for r in rows} == {waiting.id, inside.id}
    panel = reads.inside_panel(site)
    assert [room.id for room, _crews in panel["workers_inside"]] == [env.room, env.room2]
    before = panel["workers_v"]
    services.leave(site, who(env, "security"), inside)
    assert reads.inside_panel(site)["workers_v"] != before


def test_day_list_filters_by_room_and_company(app, ctx, env):
    """The day's crews, newest first; filtered by room and by part of the company name (any case)."""
    site = site_of(env)
    a = register(env, company="鑫达装修")
    b = register(env, company="Acme Electric", room=env.room2)
    day = site.today()
    assert [c.first.id for c in reads.day_crews(site, day)] == [b.id, a.id]
    assert [c.first.id for c in reads.day_crews(site, day, env.room2)] == [b.id]
    assert [c.first.id for c in reads.day_crews(site, day, company="acme")] == [b.id]
    assert [c.first.id for c in reads.day_crews(site, day, company="50%")] == []
    from datetime import timedelta
    assert reads.day_crews(site, day - timedelta(days=1)) == []
    assert reads.companies(site)[:2] in (["Acme Electric", "鑫达装修"], ["鑫达装修", "Acme Electric"])


def test_concurrent_double_tap_registers_once(app, env):
    """Two threads posting the same key at once write one crew."""
    errors = []

    def go():
        with app.test_request_context():
            try:
                register(env, idem_key="raceKey000001")
            except Exception as e:  # pragma: no cover - the assertion below reports it
                errors.append(e)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert not errors
        assert db.session.scalar(select(func.count()).select_from(WorkerEntry)) == 1


def test_concurrent_leave_records_once(app, env):
    """Security and the attendant tap 'out' together: one leaves them, the other is told they left."""
    with app.test_request_context():
        entry_id = inside_crew(env).id
    results = []

    def go(post):
        with app.test_request_context():
            try:
                services.leave(site_of(env), who(env, post), db.session.get(WorkerEntry, entry_id))
                results.append("ok")
            except WorkerError:
                results.append("refused")
            finally:
                db.session.remove()
    threads = [threading.Thread(target=go, args=(p,)) for p in ("security", "model_room")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "out")) == 1
