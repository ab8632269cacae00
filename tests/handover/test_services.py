"""Handover rules: start, count, company items, pending lines, submit, accept, dispute, resolve, carry over."""
import pytest
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.handover import reads, services
from hospitality.handover.services import HandoverError
from hospitality.inventory import services as inventory
from hospitality.models import AuditLog, Discrepancy, User
from hospitality.models.handover import Handover, HandoverLine
from hospitality.visits import services as visits
from tests.factories import (
    count_all_match,
    fresh,
    handover_env,
    make_user,
    ready_water_bar,
    site_of,
    submitted_water_bar,
    who,
)
from tests.harness import count_rows

pytestmark = pytest.mark.english  # the rules' English messages are matched


@pytest.fixture
def env(app):
    return handover_env(app)


def lines(handover_id: int, **kw) -> list[HandoverLine]:
    q = select(HandoverLine).where(HandoverLine.handover_id == handover_id)
    for k, v in kw.items():
        q = q.where(getattr(HandoverLine, k) == v)
    return list(db.session.scalars(q.order_by(HandoverLine.position, HandoverLine.id)))


def test_start_opens_one_handover_per_post(ctx, env):
    """Starting twice (same key, or the same person again) finds the same handover; a colleague is told why not."""
    h1 = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], "key00001")
    assert services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], "key00001").id == h1.id
    assert services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], "key00002").id == h1.id
    with pytest.raises(HandoverError, match="in progress"):
        services.start(site_of(env), who(env, "wb_in"), env.users["wb_out"], None)
    assert count_rows(Handover) == 1
    assert fresh(h1.id).status == "draft" and fresh(h1.id).day == site_of(env).today()


@pytest.mark.parametrize("target, message", [
    ("self", "yourself"), ("other_post", "does not work on your post"), ("inactive", "no longer active"),
    ("other_site", "Choose the colleague"), ("", "Choose the colleague"), ("abc", "Choose the colleague"),
])
def test_start_refuses_a_wrong_incoming_colleague(ctx, env, target, message):
    """Handing over to yourself, to another post, to an inactive or another site's person: a message, nothing saved."""
    ids = {"self": env.users["wb_out"], "other_post": env.users["mr_in"], "other_site": env.o_users["wb_in"],
           "inactive": make_user(env.site, "water_bar", active=False).id, "": "", "abc": "abc"}
    with pytest.raises(HandoverError, match=message) as e:
        services.start(site_of(env), who(env, "wb_out"), ids[target], None)
    assert e.value.field == "to_user_id"
    assert count_rows(Handover) == 0 and count_rows(HandoverLine) == 0


def test_only_handover_posts_start_one(ctx, env):
    """The concierge does not hand over shifts in this app."""
    with pytest.raises(HandoverError):
        services.start(site_of(env), who(env, "desk"), env.users["desk"], None)
    assert count_rows(Handover) == 0


def test_model_room_lists_its_fixtures_and_counts_its_rooms(ctx, env):
    """A model-room handover has a line per fixture to check and counts the rooms that hold items."""
    h = services.start(site_of(env), who(env, "mr_out"), env.users["mr_in"], None)
    fixtures = lines(h.id, kind="fixture")
    assert [ln.item_id for ln in fixtures] == [env.vase, env.lamp]
    assert all(ln.condition is None for ln in fixtures)
    assert [c["location"].id for c in reads.count_states(h)] == [env.room]  # room 2 has no items
    assert [c["state"] for c in reads.count_states(h)] == ["todo"]


def test_submit_needs_the_count_to_reconcile(ctx, env):
    """No count, an unfinished count or one that differs and is unconfirmed: refused; confirmed by security: ok."""
    out = who(env, "wb_out")
    h = services.start(site_of(env), out, env.users["wb_in"], None)
    with pytest.raises(HandoverError, match="Count") as e:
        services.submit(site_of(env), out, h, env.users["wb_in"], "", True)
    assert e.value.field == "counts"
    count = services.start_count(site_of(env), out, h, db.session.get(inventory.Location, env.bar))
    assert count.ref_type == "handover" and count.ref_id == h.id and count.kind == "handover"
    with pytest.raises(HandoverError, match="Finish"):
        services.submit(site_of(env), out, fresh(h.id), env.users["wb_in"], "", True)
    inventory.submit_count(site_of(env), out, count, {env.water: "29", env.tea: "10"})
    with pytest.raises(HandoverError, match="security"):
        services.submit(site_of(env), out, fresh(h.id), env.users["wb_in"], "", True)
    assert fresh(h.id).status == "draft" and count_rows(HandoverLine, HandoverLine.handover_id == h.id) == 0
    disc = db.session.scalar(select(Discrepancy).where(Discrepancy.count_id == count.id))
    inventory.confirm_discrepancy(site_of(env), who(env, "sec_out"), disc, "一起核对过")
    done = services.submit(site_of(env), out, fresh(h.id), env.users["wb_in"], "", True)
    assert done.status == "submitted"
    [pending] = lines(h.id, kind="discrepancy")  # the confirmed discrepancy is still pending for the manager
    assert pending.detail["status"] == "confirmed" and pending.state == "info"


def test_a_matching_recount_reconciles(ctx, env):
    """After a count that differs, counting again and matching is a match."""
    out = who(env, "wb_out")
    h = services.start(site_of(env), out, env.users["wb_in"], None)
    bar = db.session.get(inventory.Location, env.bar)
    inventory.submit_count(site_of(env), out, services.start_count(site_of(env), out, h, bar),
                           {env.water: "1", env.tea: "1"})
    assert [c["state"] for c in reads.count_states(fresh(h.id))] == ["waiting"]
    inventory.submit_count(site_of(env), out, services.start_count(site_of(env), out, fresh(h.id), bar), None,
                           all_match=True)
    assert [c["state"] for c in reads.count_states(fresh(h.id))] == ["matched"]
    assert services.submit(site_of(env), out, fresh(h.id), env.users["wb_in"], "", True).status == "submitted"


def test_another_open_count_of_the_location_is_refused(ctx, env):
    """A spot count the outgoing person left open is not taken for the handover count."""
    out = who(env, "wb_out")
    bar = db.session.get(inventory.Location, env.bar)
    inventory.start_count(site_of(env), out, bar, "spot")
    h = services.start(site_of(env), out, env.users["wb_in"], None)
    with pytest.raises(HandoverError, match="another count"):
        services.start_count(site_of(env), out, h, bar)


def test_only_the_outgoing_person_counts_and_changes_it(ctx, env):
    """The incoming colleague cannot count, add lines or submit for the outgoing one."""
    h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    inc = who(env, "wb_in")
    with pytest.raises(HandoverError, match="Only"):
        services.start_count(site_of(env), inc, h, db.session.get(inventory.Location, env.bar))
    with pytest.raises(HandoverError, match="Only"):
        services.add_line(site_of(env), inc, h, "key", "钥匙", None)
    with pytest.raises(HandoverError, match="Only"):
        services.submit(site_of(env), inc, h, env.users["wb_out"], "", True)
    assert count_rows(HandoverLine) == 0


def test_every_company_item_is_checked_before_handing_over(ctx, env):
    """Unchecked fixtures block the submit; damaged needs a note and stays open; "all intact" does the rest."""
    out = who(env, "mr_out")
    h = services.start(site_of(env), out, env.users["mr_in"], None)
    count_all_match(env, h, out)
    with pytest.raises(HandoverError, match="2 not checked") as e:
        services.submit(site_of(env), out, fresh(h.id), env.users["mr_in"], "", False)
    assert e.value.field == "fixtures"
    vase, lamp = lines(h.id, kind="fixture")
    with pytest.raises(HandoverError, match="damaged") as e:
        services.check_fixture(site_of(env), out, vase, "damaged", " ")
    assert e.value.field == "note"
    with pytest.raises(HandoverError):
        services.check_fixture(site_of(env), out, vase, "broken", "x")
    services.check_fixture(site_of(env), out, vase, "damaged", "瓶口有缺口")
    assert services.all_intact(site_of(env), out, fresh(h.id)) == 1
    vase, lamp = lines(h.id, kind="fixture")
    assert (vase.condition, vase.state, vase.note) == ("damaged", "open", "瓶口有缺口")
    assert (lamp.condition, lamp.state) == ("intact", "info")
    h = services.submit(site_of(env), out, fresh(h.id), env.users["mr_in"], "", False)
    assert h.status == "submitted" and h.property_checked


def test_security_attests_the_property_check_and_counts_nothing(ctx, env):
    """Security keeps no stock: no count; without registered items it must confirm the property check."""
    out = who(env, "sec_out")
    h = services.start(site_of(env), out, env.users["sec_in"], None)
    assert reads.count_states(h) == []
    with pytest.raises(HandoverError) as e:
        services.submit(site_of(env), out, h, env.users["sec_in"], "", False)
    assert e.value.field == "property"
    assert services.submit(site_of(env), out, fresh(h.id), env.users["sec_in"], "夜间巡逻正常",
                           True).status == "submitted"


def test_pending_lines_are_filled_in_on_submit(ctx, env):
    """Guests still inside, open discrepancies and umbrellas out become lines of the handover when it is submitted."""
    guard, desk, keeper = who(env, "sec_out"), who(env, "desk"), who(env, "mr_out")
    visit = visits.record_arrival(site_of(env), guard, 3, False, None, None)
    visits.lend_umbrellas(site_of(env), desk, visit, 2)
    visits.record_arrival(site_of(env), guard, 2, False, None, None)
    bar = db.session.get(inventory.Location, env.bar)
    spot = inventory.start_count(site_of(env), who(env, "wb_in"), bar, "spot")
    inventory.submit_count(site_of(env), who(env, "wb_in"), spot, {env.water: "0", env.tea: "10"})
    h = submitted_water_bar(env, lines=("冰箱门关不严", "后门钥匙在抽屉"))
    auto = {ln.kind: ln for ln in lines(h.id) if ln.kind in ("guests", "discrepancy", "umbrellas")}
    assert auto["guests"].detail == {"groups": 2, "people": 5}
    assert auto["umbrellas"].detail == {"qty": 2}
    assert auto["discrepancy"].detail["status"] == "open" and auto["discrepancy"].text == "水吧"
    assert {ln.state for ln in auto.values()} == {"info"}
    assert [ln.text for ln in lines(h.id, kind="key")] == ["冰箱门关不严", "后门钥匙在抽屉"]
    assert fresh(h.id).notes == "一切正常"
    assert keeper is not None
    # The model room counts only the groups inside its rooms.
    assert [p["kind"] for p in reads.pending_now(site_of(env), "model_room")] == ["umbrellas"]


def test_accept_closes_the_shift_once(ctx, env):
    """Only the incoming colleague accepts; accepting twice is refused with a clear message and changes nothing."""
    h = submitted_water_bar(env)
    day = fresh(h.id).day
    assert reads.shift_closed(site_of(env), who(env, "wb_out"), day) is False
    with pytest.raises(HandoverError, match="addressed to"):
        services.accept(site_of(env), who(env, "wb_out"), h)
    accepted = services.accept(site_of(env), who(env, "wb_in"), fresh(h.id))
    at = accepted.accepted_at
    assert accepted.status == "accepted" and at is not None
    with pytest.raises(HandoverError, match="already accepted"):
        services.accept(site_of(env), who(env, "wb_in"), fresh(h.id))
    assert fresh(h.id).accepted_at == at
    assert count_rows(AuditLog, AuditLog.action == "accept", AuditLog.entity == "handover") == 1
    assert reads.shift_closed(site_of(env), who(env, "wb_out"), day) is True
    assert reads.shift_closed(site_of(env), who(env, "desk"), day) is True  # the concierge does not hand over


def test_a_draft_cannot_be_accepted(ctx, env):
    """The incoming colleague accepts only what was handed over."""
    h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    with pytest.raises(HandoverError, match="not been handed over"):
        services.accept(site_of(env), who(env, "wb_in"), h)
    assert fresh(h.id).status == "draft"


def test_dispute_keeps_the_line_open_for_the_lead(ctx, env):
    """A disputed line needs a reason, stays open after acceptance, and only the lead or manager resolves it."""
    h = submitted_water_bar(env)
    inc = who(env, "wb_in")
    [key] = lines(h.id, kind="key")
    with pytest.raises(HandoverError) as e:
        services.dispute(site_of(env), inc, key, "  ")
    assert e.value.field == "reason"
    with pytest.raises(HandoverError, match="addressed to"):
        services.dispute(site_of(env), who(env, "wb_out"), key, "不对")
    services.dispute(site_of(env), inc, key, "钥匙不在领班处")
    services.accept(site_of(env), inc, fresh(h.id))
    key = lines(h.id, kind="key")[0]
    assert key.disputed and key.state == "open" and key.dispute_reason == "钥匙不在领班处"
    with pytest.raises(HandoverError, match="already accepted"):
        services.dispute(site_of(env), inc, key, "again")
    with pytest.raises(HandoverError, match="lead"):
        services.resolve(site_of(env), inc, key, "找到了")
    board = reads.board_summary(site_of(env), fresh(h.id).day)
    assert [ln.id for ln in board["disputed"]] == [key.id]
    assert board["disputes"] == {h.id: 1}
    with pytest.raises(HandoverError) as e:
        services.resolve(site_of(env), who(env, "lead"), key, "")
    assert e.value.field == "note"
    services.resolve(site_of(env), who(env, "lead"), key, "钥匙在保安室,已取回")
    key = lines(h.id, kind="key")[0]
    assert key.state == "resolved" and key.resolved_by_id == env.users["lead"]
    assert reads.board_summary(site_of(env), fresh(h.id).day)["disputed"] == []
    with pytest.raises(HandoverError, match="already been resolved"):
        services.resolve(site_of(env), who(env, "boss"), key, "again")


def test_a_dispute_can_be_withdrawn_before_accepting(ctx, env):
    """A dispute tapped by mistake is taken back; an automatic line goes back to a record."""
    h = submitted_water_bar(env)
    inc = who(env, "wb_in")
    [key] = lines(h.id, kind="key")
    services.dispute(site_of(env), inc, key, "误点")
    services.withdraw_dispute(site_of(env), inc, key)
    key = lines(h.id, kind="key")[0]
    assert not key.disputed and key.state == "open" and key.dispute_reason is None


def test_unresolved_lines_carry_over_to_the_next_handover(ctx, env):
    """Open lines of the post's last accepted handover are copied into the next one; resolving one resolves both."""
    h1 = submitted_water_bar(env, lines=("后门钥匙在抽屉", "冰箱温度偏高"))
    services.accept(site_of(env), who(env, "wb_in"), fresh(h1.id))
    back, fridge = lines(h1.id, kind="key")
    services.resolve(site_of(env), who(env, "wb_in"), back, "钥匙已还")  # the holder resolves what is done
    h2 = services.start(site_of(env), who(env, "wb_in"), env.users["wb_out"], None)
    carried = [ln for ln in lines(h2.id) if ln.carried_from_id]
    assert [(ln.text, ln.carried_from_id, ln.origin_id, ln.state) for ln in carried] == [
        ("冰箱温度偏高", fridge.id, fridge.id, "open")]
    services.resolve(site_of(env), who(env, "wb_in"), carried[0], "已报修,温度正常")
    assert {ln.state for ln in (fresh_line(fridge.id), fresh_line(carried[0].id))} == {"resolved"}
    count_all_match(env, fresh(h2.id), who(env, "wb_in"))
    services.submit(site_of(env), who(env, "wb_in"), fresh(h2.id), env.users["wb_out"], "", True)
    services.accept(site_of(env), who(env, "wb_out"), fresh(h2.id))
    h3 = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    assert [ln for ln in lines(h3.id) if ln.carried_from_id] == []


def fresh_line(line_id: int) -> HandoverLine:
    return db.session.get(HandoverLine, line_id, populate_existing=True)


def test_a_disputed_automatic_line_carries_over(ctx, env):
    """An automatic line the incoming colleague disputed is open, so the next handover carries it."""
    visits.record_arrival(site_of(env), who(env, "sec_out"), 2, False, None, None)
    h1 = submitted_water_bar(env, lines=())
    [guests] = lines(h1.id, kind="guests")
    services.dispute(site_of(env), who(env, "wb_in"), guests, "客人已经走了")
    services.accept(site_of(env), who(env, "wb_in"), fresh(h1.id))
    h2 = services.start(site_of(env), who(env, "wb_in"), env.users["wb_out"], None)
    [carried] = [ln for ln in lines(h2.id) if ln.carried_from_id]
    assert carried.kind == "guests" and carried.origin_id == guests.id and not carried.disputed


def test_staff_of_another_post_cannot_resolve(ctx, env):
    """A model-room attendant does not resolve the water bar's lines."""
    h = submitted_water_bar(env)
    services.accept(site_of(env), who(env, "wb_in"), fresh(h.id))
    [key] = lines(h.id, kind="key")
    with pytest.raises(HandoverError, match="post"):
        services.resolve(site_of(env), who(env, "mr_in"), key, "x")
    assert fresh_line(key.id).state == "open"


def test_lines_are_added_and_removed_only_while_preparing(ctx, env):
    """Manual lines need a kind and a text; after submitting nothing can be added or removed."""
    out = who(env, "wb_out")
    h = ready_water_bar(env)
    with pytest.raises(HandoverError) as e:
        services.add_line(site_of(env), out, h, "key", "  ", None)
    assert e.value.field == "text"
    with pytest.raises(HandoverError) as e:
        services.add_line(site_of(env), out, h, "gossip", "x", None)
    assert e.value.field == "kind"
    with pytest.raises(HandoverError):
        services.add_line(site_of(env), out, h, "key", "长" * 201, None)
    a = services.add_line(site_of(env), out, h, "watch", "注意3号桌客人", "idem0001")
    assert services.add_line(site_of(env), out, h, "watch", "注意3号桌客人", "idem0001").id == a.id
    b = services.add_line(site_of(env), out, h, "key", "钥匙", None)
    services.delete_line(site_of(env), out, b)
    assert [ln.text for ln in lines(h.id)] == ["注意3号桌客人"]
    services.submit(site_of(env), out, fresh(h.id), env.users["wb_in"], "", True)
    with pytest.raises(HandoverError, match="submitted"):
        services.add_line(site_of(env), out, fresh(h.id), "key", "晚了", None)
    with pytest.raises(HandoverError, match="submitted"):
        services.delete_line(site_of(env), out, fresh_line(a.id))


def test_cancel_frees_the_post(ctx, env):
    """A cancelled handover is history; a colleague can then start theirs."""
    h = services.start(site_of(env), who(env, "wb_out"), env.users["wb_in"], None)
    with pytest.raises(HandoverError, match="Only"):
        services.cancel(site_of(env), who(env, "wb_in"), h)
    services.cancel(site_of(env), who(env, "lead"), fresh(h.id))
    assert fresh(h.id).status == "cancelled"
    h2 = services.start(site_of(env), who(env, "wb_in"), env.users["wb_out"], None)
    assert h2.id != h.id


def test_today_card_for_both_sides_and_the_lead(ctx, env):
    """The incoming colleague sees the handover waiting; the outgoing one sees who it waits for; the lead counts."""
    assert reads.today_card(site_of(env), who(env, "wb_in"))["incoming"] == []
    h = submitted_water_bar(env)
    card_in = reads.today_card(site_of(env), who(env, "wb_in"))
    assert [x.id for x in card_in["incoming"]] == [h.id] and card_in["mine"] is None
    card_out = reads.today_card(site_of(env), who(env, "wb_out"))
    assert card_out["mine"].id == h.id and card_out["mine"].to_user_id == env.users["wb_in"]
    assert card_out["mine"].to_name == db.session.get(User, env.users["wb_in"]).name  # the card names who takes over
    assert reads.today_card(site_of(env), who(env, "desk"))["show"] is False
    [key] = lines(h.id, kind="key")
    services.dispute(site_of(env), who(env, "wb_in"), key, "不对")
    lead_card = reads.today_card(site_of(env), who(env, "lead"))
    assert (lead_card["waiting"], lead_card["disputed"]) == (1, 1)


def test_history_and_summaries(ctx, env):
    """History lists the post's handovers newest first, with the counts' results and the disputes."""
    h1 = submitted_water_bar(env)
    services.accept(site_of(env), who(env, "wb_in"), fresh(h1.id))
    h2 = services.start(site_of(env), who(env, "wb_in"), env.users["wb_out"], None)
    rows, more = reads.history(site_of(env), "water_bar")
    assert [h.id for h in rows] == [h2.id, h1.id] and more is False
    counts, disputes = reads.summaries([fresh(h1.id), fresh(h2.id)])
    assert counts == {h1.id: [("水吧", "matched")]} and disputes == {}
    assert reads.history(site_of(env), "model_room") == ([], False)
    assert isinstance(who(env, "lead"), User)
