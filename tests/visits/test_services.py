"""Visit rules: arrival, acknowledgement, serving, rooms and counts, departure, corrections."""
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.inventory import services as inventory
from hospitality.models import AuditLog, Discrepancy, RoomVisit, StockMove, Visit, VisitEvent, VisitSeen
from hospitality.visits import services
from hospitality.visits.reads import detail as visit_reads
from hospitality.visits.reads import live as live_reads
from hospitality.visits.services import VisitError
from tests.factories import site_of, visit_env, who


@pytest.fixture
def env(app):
    return visit_env(app)


def arrive(env, size=3, plate="粤B12345", key=None, post="security"):
    return services.record_arrival(site_of(env), who(env, post), size, plate is not None, plate, key)


@pytest.mark.parametrize("raw, plate", [("粤B12345", "粤B12345"), ("粤b 123 45", "粤B12345"),
                                        ("粤BD12345", "粤BD12345"), ("京af12345", "京AF12345"),
                                        ("沪A1234警", "沪A1234警")])
def test_valid_plates_are_normalised(raw, plate):
    """Ordinary and 8-character new-energy plates pass, upper-cased and without spaces."""
    assert services.normalize_plate(raw) == (plate or raw.upper())


@pytest.mark.parametrize("raw", ["B12345", "粤I12345", "粤BO1234", "粤B1234", "粤B1234567", "XXB12345", "粤1B2345"])
def test_wrong_plates_are_refused(raw):
    """A plate without province, with I or O, or of the wrong length is refused under the plate field."""
    with pytest.raises(VisitError) as e:
        services.normalize_plate(raw)
    assert e.value.field == "plate"


@pytest.mark.parametrize("size", [0, 500, -1, "two", ""])
def test_party_size_out_of_range_is_refused(ctx, env, size):
    """A party of 0 or 500 (or not a number) is refused and nothing is written."""
    with pytest.raises(VisitError) as e:
        arrive(env, size)
    assert e.value.field == "party_size"
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_arrival_records_visit_event_seen_and_audit(ctx, env):
    """An arrival writes the visit, its first event, security's acknowledgement and an audit row."""
    v = arrive(env)
    assert (v.party_size, v.plate, v.status, v.by_car) == (3, "粤B12345", "active", True)
    assert [e.kind for e in visit_reads.timeline(v)] == ["arrived"]
    assert visit_reads.seen_by(v, "security") and not visit_reads.seen_by(v, "water_bar")
    events = visit_reads.timeline(v)  # the page reads the same off the timeline
    assert visit_reads.seen_in(events, "security") and not visit_reads.seen_in(events, "water_bar")
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity == "visit")) == "arrive"


def test_on_foot_has_no_plate_and_concierge_may_record(ctx, env):
    """A walk-in recorded by the concierge has no plate."""
    v = arrive(env, 2, None, post="concierge")
    assert v.plate is None and not v.by_car


def test_other_posts_cannot_record_arrivals(ctx, env):
    """The water bar does not record arrivals."""
    with pytest.raises(VisitError):
        arrive(env, post="water_bar")


def test_double_tap_records_once(ctx, env):
    """The same idempotency key twice records one visit."""
    a = arrive(env, key="k" * 12)
    b = arrive(env, key="k" * 12)
    assert a.id == b.id
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_known_plate_shows_last_visit_and_rep(ctx, env):
    """A plate seen before returns its last visit, with the rep who received them."""
    v = arrive(env)
    services.greet(site_of(env), who(env, "concierge"), v, "first", env.rep)
    last = visit_reads.known_plate(site_of(env), "粤B12345")
    assert last.id == v.id and last.rep.name == "王顾问"
    assert visit_reads.known_plate(site_of(env), "粤B99999") is None


def test_acknowledge_is_per_post_and_idempotent(ctx, env):
    """The first tap of a post records it; a second (any colleague) changes nothing."""
    v = arrive(env)
    assert services.acknowledge(site_of(env), who(env, "water_bar"), v) is True
    assert services.acknowledge(site_of(env), who(env, "water_bar"), v) is False
    assert db.session.scalar(select(func.count()).select_from(VisitSeen).where(VisitSeen.post == "water_bar")) == 1


def test_greet_needs_purpose_and_rep(ctx, env):
    """Greeting without a purpose or a rep is refused under the right field."""
    v = arrive(env)
    with pytest.raises(VisitError) as e:
        services.greet(site_of(env), who(env, "concierge"), v, "", env.rep)
    assert e.value.field == "purpose"
    with pytest.raises(VisitError) as e:
        services.greet(site_of(env), who(env, "concierge"), v, "first", "")
    assert e.value.field == "rep_id"
    v = services.greet(site_of(env), who(env, "concierge"), v, "return", env.rep)
    assert v.purpose == "return" and v.greeted_at is not None


def test_serve_posts_served_rows_tied_to_the_visit(ctx, env):
    """Serving writes 'served' ledger rows with ref visit, starts the refill timer, and costs add up."""
    v = arrive(env)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "3", env.tea: "1"}, "serve0001")
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "3", env.tea: "1"}, "serve0001")  # double tap
    rows = db.session.scalars(select(StockMove).where(StockMove.ref_type == "visit", StockMove.ref_id == v.id)).all()
    assert sorted((r.reason, r.qty) for r in rows) == [("served", Decimal(-3)), ("served", Decimal(-1))]
    assert db.session.get(Visit, v.id).last_refill_at is not None
    _lines, cost = visit_reads.served(v)
    assert cost == Decimal("14.00")


def test_serving_a_visit_that_has_left_is_refused(ctx, env):
    """Once the group has left, the bar cannot serve it and the ledger is untouched."""
    v = arrive(env)
    services.depart(site_of(env), who(env, "concierge"), v)
    with pytest.raises(VisitError):
        services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "1"}, None)
    assert db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.ref_type == "visit")) == 0


def test_serving_more_than_in_stock_is_refused(ctx, env):
    """Serving 31 of 30 bottles is refused with the stock message under that item."""
    v = arrive(env)
    with pytest.raises(VisitError) as e:
        services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "31"}, None)
    assert e.value.field == "qty"


def test_refill_resets_timer_and_due(ctx, env):
    """A group served 11 minutes ago is due; a refill resets the timer."""
    from datetime import timedelta
    v = arrive(env)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "1"}, None)
    v = db.session.get(Visit, v.id)
    v.last_refill_at -= timedelta(minutes=11)
    db.session.commit()
    panel = live_reads.live_panel(site_of(env), "water_bar")
    assert v.id in panel["live_due"] and visit_reads.refill_due(v, site_of(env))
    services.refill(site_of(env), who(env, "water_bar"), v)
    assert not visit_reads.refill_due(db.session.get(Visit, v.id), site_of(env))


def test_umbrellas_lent_and_returned(ctx, env):
    """Umbrellas lent show as out until returned; returning the same form twice is harmless."""
    v = arrive(env)
    services.lend_umbrellas(site_of(env), who(env, "concierge"), v, "2")
    assert live_reads.umbrellas_out(env.site) == 2
    services.return_umbrellas(site_of(env), who(env, "concierge"), v, "2", "returnkey01")
    services.return_umbrellas(site_of(env), who(env, "concierge"), v, "2", "returnkey01")
    assert live_reads.umbrellas_out(env.site) == 0
    with pytest.raises(VisitError):
        services.lend_umbrellas(site_of(env), who(env, "concierge"), v, "0")


def test_unescorted_group_is_refused_and_recorded(ctx, env):
    """Without a sales rep the group is refused politely; the record says so."""
    v = arrive(env)
    rv = services.admit(site_of(env), who(env, "model_room"), v, env.room, "")
    assert rv.refused and not rv.escorted
    assert visit_reads.timeline(v)[-1].kind == "room_refused"


def test_room_visit_then_count_all_match(ctx, env):
    """Leaving the room opens a 'visit' count tied to the visit; all match closes it matched."""
    v = arrive(env)
    rv = services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
    assert rv.escorted
    with pytest.raises(VisitError):  # already in this room
        services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
    rv, count = services.leave_room(site_of(env), who(env, "model_room"), rv)
    assert (count.kind, count.ref_type, count.ref_id) == ("visit", "visit", v.id)
    assert rv.count_id == count.id
    count = inventory.submit_count(site_of(env), who(env, "model_room"), count, None, all_match=True)
    assert count.status == "matched"


def test_room_count_with_difference_opens_discrepancy(ctx, env):
    """A vase missing after the group left opens a discrepancy, as any count does."""
    v = arrive(env)
    rv = services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
    _rv, count = services.leave_room(site_of(env), who(env, "model_room"), rv)
    count = inventory.submit_count(site_of(env), who(env, "model_room"), count, {env.vase: "1"})
    assert count.status == "discrepancy"
    assert db.session.scalar(select(Discrepancy).where(Discrepancy.count_id == count.id)) is not None


def test_counting_a_room_with_no_visit_is_refused(ctx, env):
    """No group has left the room: there is no visit count to start."""
    from hospitality.models import Location
    with pytest.raises(VisitError):
        services.count_after_visit(site_of(env), who(env, "model_room"), db.session.get(Location, env.room2))


def test_depart_and_car_left(ctx, env):
    """Departure times the visit out and closes open room visits; the car leaving is one tap."""
    v = arrive(env)
    services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
    services.depart(site_of(env), who(env, "security"), v)
    services.depart(site_of(env), who(env, "security"), v)  # second tap: nothing more
    services.car_left(site_of(env), who(env, "security"), v)
    v = db.session.get(Visit, v.id)
    assert v.status == "left" and v.left_at and v.car_left_at
    assert db.session.scalar(select(RoomVisit.left_at).where(RoomVisit.visit_id == v.id)) is not None
    kinds = [e.kind for e in visit_reads.timeline(v)]
    assert kinds.count("departed") == 1 and kinds[-1] == "car_left"


def test_correction_is_audited_with_before_and_after(ctx, env):
    """The lead corrects party size and purpose; the audit row keeps before and after."""
    v = arrive(env, 3)
    with pytest.raises(VisitError):
        services.correct(site_of(env), who(env, "water_bar"), v, "4", "first")
    with pytest.raises(VisitError):
        services.correct(site_of(env), who(env, "lead"), v, "500", "first")
    services.correct(site_of(env), who(env, "lead"), v, "4", "signing")
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "correct"))
    assert audit.detail == {"before": {"party_size": 3, "purpose": None},
                            "after": {"party_size": 4, "purpose": "signing"}}


def test_two_posts_acting_at_once_lose_nothing(app, env):
    """Concierge greets, bar serves, security departs and the bar acknowledges at the same moment."""
    with app.test_request_context():
        vid = arrive(env).id
    errors = []

    def act(fn):
        with app.test_request_context():
            try:
                fn(db.session.get(Visit, vid))
            except VisitError as e:
                errors.append(e.message)
            finally:
                db.session.remove()

    jobs = [lambda v: services.greet(site_of(env), who(env, "concierge"), v, "first", env.rep),
            lambda v: services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "2"}, None),
            lambda v: services.acknowledge(site_of(env), who(env, "water_bar"), v),
            lambda v: services.acknowledge(site_of(env), who(env, "model_room"), v),
            lambda v: services.lend_umbrellas(site_of(env), who(env, "concierge"), v, 1)]
    threads = [threading.Thread(target=act, args=(j,)) for j in jobs * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        kinds = db.session.scalars(select(VisitEvent.kind).where(VisitEvent.visit_id == vid)).all()
        assert kinds.count("served") == 2 and kinds.count("umbrella_lent") == 2
        assert kinds.count("greeted") == 1  # the same greeting twice is one (a replay records nothing more)
        assert kinds.count("seen") == 2  # one per post, however many taps
        assert live_reads.umbrellas_out(env.site) == 2


def test_double_tap_arrival_from_two_threads_records_once(app, env):
    """Two requests with the same key at the same moment record a single visit."""
    def go():
        with app.test_request_context():
            try:
                arrive(env, key="same-key-123")
            finally:
                db.session.remove()
    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_room_left_by_departure_can_still_be_counted(ctx, env):
    """A group that left the site from a room (departure closed the room visit) is still counted after."""
    v = arrive(env)
    rv = services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
    services.depart(site_of(env), who(env, "security"), v)
    rv, count = services.leave_room(site_of(env), who(env, "model_room"), db.session.get(RoomVisit, rv.id))
    assert count.ref_id == v.id and rv.count_id == count.id


def test_refill_round_follows_the_site_setting(ctx, env):
    """With a 15-minute round a group served 11 minutes ago is not due yet; at 16 minutes it is."""
    from datetime import timedelta
    s = site_of(env)
    s.refill_minutes = 15
    db.session.commit()
    v = arrive(env)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "1"}, None)
    v = db.session.get(Visit, v.id)
    v.last_refill_at -= timedelta(minutes=11)
    db.session.commit()
    assert v.id not in live_reads.live_panel(site_of(env), "water_bar")["live_due"]
    assert not visit_reads.refill_due(v, site_of(env))
    v.last_refill_at -= timedelta(minutes=5)
    db.session.commit()
    assert v.id in live_reads.live_panel(site_of(env), "water_bar")["live_due"] \
        and visit_reads.refill_due(v, site_of(env))


def test_each_guest_drink_is_served_and_remembered(ctx, env):
    """Three guests choose tea, water, tea and the table gets one more water: tea −2, water −2, names kept."""
    v = arrive(env, size=3)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "1"}, None,
                   [str(env.tea), str(env.water), str(env.tea)])
    moves = dict(db.session.execute(select(StockMove.item_id, func.sum(StockMove.qty)).where(
        StockMove.ref_type == "visit", StockMove.ref_id == v.id).group_by(StockMove.item_id)).all())
    assert moves == {env.tea: -2, env.water: -2}
    ev = db.session.scalar(select(VisitEvent).where(VisitEvent.kind == "served"))
    assert ev.detail["guests"] == ["1:铁观音", "2:矿泉水", "3:铁观音"]


@pytest.mark.parametrize("choices, field", [(["999999"], "guest-1"), (["", "abc"], "guest-2"),
                                            (["{tea}"] * 4, "guests")])
def test_bad_guest_choice_is_refused_and_nothing_served(ctx, env, choices, field):
    """A drink not on the bar, garbage, or more guests than the group: refused under the field, no rows."""
    v = arrive(env, size=3)
    with pytest.raises(services.VisitError) as e:
        services.serve(site_of(env), who(env, "water_bar"), v, {}, None, [c.format(tea=env.tea) for c in choices])
    assert e.value.field == field
    assert db.session.scalar(select(func.count(StockMove.id)).where(StockMove.ref_type == "visit")) == 0


def test_durations_of_a_visit(ctx, env):
    """Greeted 3 min after arrival, first drink at 5, 20 min in a room, left at 40: the lead sees each."""
    from datetime import timedelta
    v = arrive(env)
    services.greet(site_of(env), who(env, "concierge"), v, "first", env.rep)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "1"}, None)
    services.refill(site_of(env), who(env, "water_bar"), v)
    rv = services.admit(site_of(env), who(env, "model_room"), v, env.room, env.rep)
    services.depart(site_of(env), who(env, "concierge"), v)
    v = db.session.get(Visit, v.id)
    t0 = v.arrived_at
    for e in db.session.scalars(select(VisitEvent).where(VisitEvent.visit_id == v.id)):
        e.at = t0 + timedelta(minutes={"greeted": 3, "served": 5, "refilled": 15}.get(e.kind, 0))
    rv = db.session.get(RoomVisit, rv.id)
    rv.admitted_at, rv.left_at = t0 + timedelta(minutes=10), t0 + timedelta(minutes=30)
    v.left_at = t0 + timedelta(minutes=40)
    db.session.commit()
    got = [n for _label, n in visit_reads.durations(v, visit_reads.timeline(v), visit_reads.rooms_of(v))]
    assert got == [3, 5, 1, 20, 40]


def test_visit_cost_is_kept_with_its_rows_and_net_of_reversals(ctx, env):
    """Serving writes the cost on the visit; reversing a served row takes it off again, items too."""
    from hospitality.inventory import ledger
    v = arrive(env)
    services.serve(site_of(env), who(env, "water_bar"), v, {env.water: "2", env.tea: "1"}, None)
    v = db.session.get(Visit, v.id)
    assert v.served_cost == Decimal("12.00")  # 2 × ¥2 + 1 × ¥8
    tea_row = db.session.scalar(select(StockMove).where(StockMove.item_id == env.tea, StockMove.ref_id == v.id))
    ledger.reverse(tea_row, env.users["manager"], "记错了")
    db.session.commit()
    v = db.session.get(Visit, v.id, populate_existing=True)
    lines, cost = visit_reads.served(v)
    assert cost == Decimal("4.00") and v.served_cost == Decimal("4.00")
    assert [(i.id, q) for i, q in lines] == [(env.water, 2)]


def test_seen_read_off_the_timeline_matches_the_rows(ctx, env):
    """After the bar taps "seen", the timeline says so for the bar and still not for the model room."""
    v = arrive(env)
    services.acknowledge(site_of(env), who(env, "water_bar"), v)
    events = visit_reads.timeline(v)
    for post in ("water_bar", "model_room", "concierge", "security"):
        assert visit_reads.seen_in(events, post) == visit_reads.seen_by(v, post), post
