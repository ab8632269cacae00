"""A retried write is never counted twice: every write route has a class, and the same form sent again (a double
tap, a retry after a time-out) answers as the first time did and writes nothing more — no second row, ledger
movement, audit row or timeline event."""
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from hospitality.extensions import db
from hospitality.models import ChecklistItem, Site
from tests.factories import handover_env, location, make_user, site_of, submitted_water_bar, visit_env, who
from tests.harness import HX, login, snapshot

# What a write route does, and so what its replay must do.
KEYED = "keyed"  # makes a row, a ledger movement or counts something: its form carries an idem key
ONCE = "once"  # makes at most one row per thing (per visit, per count, per link): a replay finds that row
STATE = "state"  # sets a state (a setting, an edit, accept/close/done): a replay sets it again and records nothing
READ = "read"  # shows personal data and logs each showing: a replay is another reading, logged as such
SESSION = "session"  # signs in or out, or changes the session's language or site: no business row

WRITE_ROUTES = {
    # Admin, devices, auth: settings and people; a new place, site, person or rep (a unique name) is keyed, so a
    # resent form answers as the first did instead of "name taken" (tests/test_replays_admin.py).
    "admin.location": KEYED, "admin.new_site": KEYED, "admin.person": KEYED, "admin.reps": KEYED,
    "admin.site": STATE, "admin.unlock": STATE,
    # Shared devices: registering one is keyed (a resent form gets the same cookie); its settings, retiring it and
    # PINs set a state; the idle lock ends the session.
    "devices.index": KEYED, "devices.edit": STATE, "devices.retire": STATE, "devices.reset_pin": STATE,
    "devices.pin": STATE, "devices.lock": SESSION,
    "auth.language": SESSION, "auth.login": SESSION, "auth.logout": SESSION, "auth.switch_site": SESSION,
    # Alerts.
    "alerts.add": KEYED, "alerts.edit": STATE, "alerts.remove": STATE,
    # Attendance (clock-in and out are the offline outbox's: helper S).
    "attendance.clock_in": KEYED, "attendance.clock_out": KEYED, "attendance.leave": KEYED,
    "attendance.decide": STATE, "attendance.leave_cancel": STATE, "attendance.roster_add": KEYED,
    "attendance.roster_copy": ONCE, "attendance.roster_move": STATE, "attendance.roster_remove": STATE,
    "attendance.settings": KEYED,  # its form can add a shift
    # Checklists and routines.
    "checklists.answer": STATE, "checklists.complete": STATE, "checklists.item": KEYED, "checklists.move": KEYED,
    "checklists.template": KEYED,
    "routines.cleaning_done": STATE, "routines.cleaning_setup": ONCE, "routines.linen_back": KEYED,
    "routines.linen_send": KEYED,
    # The manager's cockpit.
    "cockpit.budget": STATE,
    # Complaints.
    "complaints.add_note": KEYED, "complaints.call": KEYED, "complaints.carry_out": KEYED, "complaints.choose": KEYED,
    "complaints.investigated": KEYED, "complaints.judge": KEYED, "complaints.new": KEYED,
    "complaints.propose": KEYED, "complaints.review": KEYED, "complaints.reveal": READ,
    "complaints.reveal_call": READ, "complaints.settings": STATE,
    # Front desk messages.
    "desk.new": KEYED, "desk.done": STATE,
    # Evaluation.
    "evaluation.adjust": KEYED, "evaluation.remove": STATE, "evaluation.settings": STATE,
    # Guests.
    "guests.add_vip": KEYED, "guests.edit_vip": STATE, "guests.handled": STATE, "guests.plan_call": ONCE,
    "guests.show_qr": ONCE, "guests.to_complaint": ONCE, "guests.visit_section": ONCE,
    "guests_public.answer": ONCE,
    # Shift handover.
    "handover.start": KEYED, "handover.add_line": KEYED, "handover.count": ONCE, "handover.accept": KEYED,
    "handover.cancel": STATE, "handover.check": STATE, "handover.delete_line": STATE, "handover.dispute": STATE,
    "handover.fixtures_ok": STATE, "handover.resolve": STATE, "handover.submit": STATE, "handover.undispute": STATE,
    # Incidents (the offline outbox's report: helper S).
    "incidents.new": KEYED, "incidents.add_action": KEYED, "incidents.drills": KEYED, "incidents.hand": KEYED,
    "incidents.acknowledge": STATE, "incidents.close": STATE,
    # Inspections.
    "inspections.raise_task": KEYED, "inspections.area_answer": STATE, "inspections.area_complete": STATE,
    "inspections.grooming_answer": STATE, "inspections.grooming_complete": STATE, "inspections.task_done": STATE,
    # Stock (the count's submit: helper S).
    "inventory.moves": KEYED, "inventory.prepare": KEYED, "inventory.close_bar": KEYED, "inventory.count": KEYED,
    "inventory.start_count": ONCE, "inventory.cancel_count": STATE, "inventory.close": STATE,
    "inventory.confirm": STATE, "inventory.item_form": KEYED, "inventory.recipe": STATE, "inventory.reverse": ONCE,
    # Patrol (the scan is the offline outbox's: helper S).
    "patrol.checkpoint": KEYED, "patrol.tap": KEYED, "patrol.add_checkpoint": KEYED, "patrol.edit_checkpoint": STATE,
    "patrol.place": STATE, "patrol.setup": STATE, "patrol.task_done": STATE, "patrol.to_incident": ONCE,
    "patrol.to_morning": ONCE,
    # Purchasing.
    "purchasing.new": KEYED, "purchasing.receive": KEYED, "purchasing.releases": KEYED, "purchasing.decide": STATE,
    "purchasing.decide_release": STATE, "purchasing.edit": KEYED, "purchasing.sign": STATE,
    # Repairs.
    "repairs.new": KEYED, "repairs.assign": KEYED, "repairs.check": KEYED, "repairs.fixed": KEYED,
    # Tasks.
    "tasks.new": KEYED, "tasks.visit_tasks": KEYED, "tasks.accept": STATE, "tasks.cancel": STATE,
    "tasks.dispatch": STATE, "tasks.done": STATE, "tasks.settings": STATE,
    # Visits.
    "visits.new": KEYED, "visits.serve": KEYED, "visits.lend": KEYED, "visits.give_back": KEYED,
    "visits.refill": KEYED, "visits.admit": KEYED, "visits.leave_room": ONCE, "visits.car_left": STATE,
    "visits.correct": STATE, "visits.depart": STATE, "visits.greet": STATE, "visits.seen": STATE,
    # Construction workers.
    "workers.new": KEYED, "workers.count_in": ONCE, "workers.count_out": ONCE, "workers.cancel": STATE,
    "workers.go_in": STATE, "workers.out": STATE,
}
CLASSES = {KEYED, ONCE, STATE, READ, SESSION}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_write_route_has_a_class(app):
    """A write route missing from the list (or a class that is not one of the five) fails: say how its replay
    behaves before adding it."""
    writes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS}
    unclassed = writes - WRITE_ROUTES.keys()
    assert not unclassed, f"write routes without an idempotency class: {sorted(unclassed)}"
    assert not WRITE_ROUTES.keys() - writes, "classed routes that no longer write"
    assert set(WRITE_ROUTES.values()) <= CLASSES


def test_keyed_forms_carry_a_key(app):
    """Every keyed route reads the form's key (forms.idem), itself or through the view helper it calls."""
    import inspect
    for endpoint, kind in WRITE_ROUTES.items():
        if kind != KEYED:
            continue
        view = inspect.unwrap(app.view_functions[endpoint])
        module = inspect.getmodule(view)
        assert "idem" in inspect.getsource(view) or "idem()" in inspect.getsource(module), endpoint


# Replays: the same form twice, as a phone on a weak signal sends it.

_KEY = re.compile(r'name="idem" value="[0-9a-f]+"')


@dataclass
class Replay:
    user: str
    url: str
    data: dict
    htmx: bool = False


def _answer(r) -> tuple:
    """What a person sees of an answer: its status, where it sends them, and a fragment's text (each rendered form's
    fresh key left out)."""
    body = _KEY.sub("", r.get_data(as_text=True)) if r.status_code == 200 else ""
    return r.status_code, r.headers.get("Location"), body


def _visit(env) -> int:
    from hospitality.visits import services as visits
    v = visits.record_arrival(site_of(env), who(env, "security"), "3", False, None, None)
    return v.id


def _keyed_cases() -> dict[str, Callable]:
    """Each keyed route of the visit cast: set-up (in an app context) → the form to send twice."""
    return {
        "visits.new": lambda env: Replay(env.names["security"], "/visits/new",
                                         {"party_size": "2", "by_car": "0"}),
        "visits.serve": lambda env: Replay(env.names["water_bar"], f"/visits/{_visit(env)}/serve",
                                           {f"qty-{env.water}": "1"}),
        "visits.lend": lambda env: Replay(env.names["concierge"], f"/visits/{_visit(env)}/umbrellas", {"qty": "2"}),
        "visits.give_back": lambda env: _give_back(env),
        "visits.refill": lambda env: Replay(env.names["water_bar"], f"/visits/{_visit(env)}/refill", {}),
        "visits.admit": lambda env: Replay(env.names["model_room"], f"/visits/{_visit(env)}/rooms",
                                           {"location_id": str(env.room), "rep_id": str(env.rep)}),
        "tasks.new": lambda env: Replay(env.names["water_bar"], "/tasks/new",
                                        {"kind": "cleaner", "for_whom": "", "text": ""}),
        "desk.new": lambda env: Replay(env.names["concierge"], "/desk/new", {
            "kind": "call", "caller_name": "李先生", "caller_phone": "13812345678",
            "for_whom": f"user-{env.users['water_bar']}", "text": "请回电", "call_back_time": "15:30",
            "call_back_day": (site_of(env).today() + timedelta(days=1)).isoformat()}),  # ahead at any hour
        "repairs.new": lambda env: Replay(env.names["model_room"], "/repairs/new", {
            "kind": "fitting", "spot": "主卫", "description": "卫生间水龙头漏水", "location_id": str(env.room)}),
        "complaints.new": lambda env: Replay(env.names["water_bar"], "/complaints/new", {
            "topic": "waiting", "channel": "onsite", "said": "等了二十分钟没人接待", "guest_name": "张三",
            "guest_phone": "13812345678"}),
        "purchasing.new": lambda env: Replay(env.names["water_bar"], "/purchases/new",
                                             {f"qty-{env.water}": "5", "note": ""}),
        "inventory.moves": lambda env: Replay(env.names["water_bar"], f"/stock/loc/{location(env.site).id}/moves",
                                              {"reason": "served", f"qty-{env.water}": "1"}),
        "routines.linen_send": lambda env: Replay(env.names["model_room"], "/routines/linen",
                                                  {"location_id": str(env.room), "qty-sheet": "4"}),
        "alerts.add": lambda env: Replay(env.names["manager"], "/alerts/", {
            "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=tok987",
            "secret": "SECde3f9a8b7c6d5e4f3a2b1c0", "events": ["incident_urgent"]}),
        "guests.add_vip": lambda env: Replay(env.names["manager"], "/guests/vips",
                                             {"plate": "粤B88888", "phone": "", "note": "王总，请到贵宾室"}),
        "checklists.template": lambda env: Replay(env.names["manager"], "/checklists/templates/new", {
            "name": "水吧午间检查", "kind": "opening", "post": "water_bar", "due_time": "23:59", "active": "y"}),
        "checklists.item": lambda env: Replay(env.names["manager"], f"/checklists/templates/{_template(env)}/items/new",
                                              {"text": "擦桌子", "answer_type": "check", "required": "y",
                                               "active": "y"}),
        "checklists.move": lambda env: _move(env),
        "attendance.settings": lambda env: Replay(env.names["manager"], "/attendance/settings", {
            "grace_minutes": "5", "name-new": "中班", "starts-new": "12:00", "ends-new": "20:00"}),
    }


def _give_back(env) -> Replay:
    from hospitality.visits import services as visits
    vid = _visit(env)
    visits.lend_umbrellas(site_of(env), who(env, "concierge"), db.session.get(visits.Visit, vid), "3")
    return Replay(env.names["concierge"], f"/visits/{vid}/umbrellas/return", {"return_qty": "1"})


def _template(env) -> int:
    from tests.factories import routine
    return routine(env.site, "water_bar").id


def _move(env) -> Replay:
    """The last item of a routine moved up once: the replay must not move it a second step."""
    tid = _template(env)
    last = db.session.scalars(select(ChecklistItem).where(ChecklistItem.template_id == tid,
                                                          ChecklistItem.active.is_(True))
                              .order_by(ChecklistItem.position.desc())).first()
    return Replay(env.names["manager"], f"/checklists/templates/{tid}/items/{last.id}/move", {"step": "up"})


def _replay(app, case: Replay) -> None:
    """Send the form, then the same form again: the first writes, the second answers alike and writes nothing."""
    phone = login(app, case.user)
    data = case.data | {"idem": "replaykey000001"}
    headers = HX if case.htmx else {}
    with app.app_context():
        before = snapshot()
    first = phone.post(case.url, data=data, headers=headers)
    assert first.status_code in (200, 302), (case.url, first.status_code, first.get_data(as_text=True)[:2000])
    with app.app_context():
        after_first = snapshot()
    assert after_first != before, f"{case.url}: the first post wrote nothing"
    again = phone.post(case.url, data=data, headers=headers)
    assert _answer(again) == _answer(first)
    with app.app_context():
        after_again = snapshot()
    changed = {t for t in after_again if after_again[t] != after_first[t]}
    assert not changed, f"{case.url}: the replay wrote to {sorted(changed)}"


@pytest.mark.parametrize("endpoint", sorted(_keyed_cases()))
def test_a_keyed_form_sent_twice_counts_once(app, endpoint):
    """The same keyed form twice: one row (movement, event), the same answer."""
    env = visit_env(app)
    with app.test_request_context():
        case = _keyed_cases()[endpoint](env)
    _replay(app, case)


def test_a_moved_item_moves_one_step_when_sent_twice(app):
    """An item moved up by a tap sent twice is one place higher, not two."""
    env = visit_env(app)
    with app.test_request_context():
        case = _move(env)
        item_id = int(case.url.split("/items/")[1].split("/")[0])
        tid = _template(env)
        order = [i.id for i in db.session.get(ChecklistItem, item_id).template.items if i.active]
    phone = login(app, case.user)
    for _ in range(2):
        phone.post(case.url, data=case.data | {"idem": "movekey0000001"})
    with app.app_context():
        now = [i.id for i in db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.template_id == tid, ChecklistItem.active.is_(True))
            .order_by(ChecklistItem.position, ChecklistItem.id))]
    assert now.index(item_id) == order.index(item_id) - 1
    phone.post(case.url, data=case.data | {"idem": "movekey0000002"})  # a new tap (a new key) moves it again
    with app.app_context():
        now = [i.id for i in db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.template_id == tid, ChecklistItem.active.is_(True))
            .order_by(ChecklistItem.position, ChecklistItem.id))]
    assert now.index(item_id) == order.index(item_id) - 2


# State routes: the same form again sets the same state and records nothing more.

def _state_cases() -> dict[str, Callable]:
    return {
        "visits.greet": lambda env: Replay(env.names["concierge"], f"/visits/{_visit(env)}/greet",
                                           {"purpose": _purpose(), "rep_id": str(env.rep)}),
        "tasks.dispatch": lambda env: Replay(env.names["lead"], f"/tasks/{_task(env)}/dispatch",
                                             {"for_whom": "model_room"}, htmx=True),
        "tasks.settings": lambda env: Replay(env.names["manager"], "/tasks/settings",
                                             {"table_minutes": "7", "task_minutes": "25"}),
        "evaluation.settings": lambda env: Replay(env.names["manager"], "/evaluation/settings", {
            "late": "3", "left_early": "2", "absent": "10", "grooming": "1", "routine_late": "1",
            "routine_missed": "3", "discrepancy": "5", "task_overdue": "2"}),
        "cockpit.budget": lambda env: Replay(env.names["manager"], "/manager/budget",
                                             {"month": site_of(env).today().strftime("%Y-%m"), "amount": "3000"}),
        "complaints.settings": lambda env: Replay(env.names["manager"], "/complaints/settings",
                                                  {"respond_hours": "5", "close_days": "9"}),
        "checklists.answer": lambda env: _answer_case(env),
        "guests.edit_vip": lambda env: _vip_edit(env),
        "alerts.edit": lambda env: _robot_edit(env),
        "purchasing.decide": lambda env: _decide(env),
        "purchasing.decide_release": lambda env: _decide_release(env),
        "inventory.recipe": lambda env: _recipe(env),
        "guests.to_complaint": lambda env: _to_complaint(env),
    }


def _purpose() -> str:
    from hospitality.models.visits import PURPOSES
    return next(iter(PURPOSES))


def _task(env) -> int:
    from hospitality.tasks import services as tasks
    return tasks.raise_task(site_of(env), who(env, "water_bar"), kind="cleaner", for_whom="").id


def _answer_case(env) -> Replay:
    from tests.factories import routine
    tpl = routine(env.site, "water_bar")
    item = next(i for i in tpl.items if i.active and i.answer_type == "check")
    return Replay(env.names["water_bar"], f"/checklists/{tpl.id}/items/{item.id}", {"ok": "1"}, htmx=True)


def _vip_edit(env) -> Replay:
    from hospitality.guests import services as guests
    vip = guests.save_vip(site_of(env), who(env, "manager"), plate="粤B66666", phone="", note="李总")
    return Replay(env.names["manager"], f"/guests/vips/{vip.id}",
                  {"plate": "粤B66666", "phone": "", "note": "李总，常客", "active": "1"})


def _robot_edit(env) -> Replay:
    from hospitality.alerts import services as alerts
    robot = alerts.add_robot(site_of(env), who(env, "manager"), kind="dingtalk",
                             url="https://oapi.dingtalk.com/robot/send?access_token=a", secret="SECabc",
                             events=["incident_urgent"])
    return Replay(env.names["manager"], f"/alerts/{robot.id}/edit", {
        "url": "https://oapi.dingtalk.com/robot/send?access_token=b", "secret": "",
        "events": ["incident_urgent", "discrepancy"], "wait_hours": ""})


def _decide(env) -> Replay:
    from hospitality.purchasing import services as purchasing
    site = site_of(env)
    req = purchasing.create_request(site, who(env, "water_bar"), {env.water: "5"}, None, site.today(), None)
    return Replay(env.names["manager"], f"/purchases/{req.id}/decide",
                  {"version": str(req.version), "action": "approve"})


def _decide_release(env) -> Replay:
    from hospitality.models import Item
    from hospitality.purchasing import services as purchasing
    rel = purchasing.request_release(site_of(env), who(env, "model_room"), db.session.get(Item, env.vase), "1",
                                     "送修", None)
    return Replay(env.names["manager"], f"/purchases/releases/{rel.id}/decide", {"action": "approve"})


def _recipe(env) -> Replay:
    return Replay(env.names["manager"], f"/stock/items/{env.tea}/recipe", {f"qty-{env.water}": "2"})


def _to_complaint(env) -> Replay:
    from hospitality.guests import services as guests
    from hospitality.models import Visit
    visit = db.session.get(Visit, _visit(env))
    fb = guests.staff_feedback(site_of(env), who(env, "concierge"), visit, "unsatisfied", "茶太凉")
    return Replay(env.names["manager"], f"/guests/feedback/{fb.id}/complaint", {})


@pytest.mark.parametrize("endpoint", sorted(_state_cases()))
def test_a_state_set_twice_is_recorded_once(app, endpoint):
    """The same state form twice: the same answer, and no second audit row or timeline event."""
    env = visit_env(app)
    with app.test_request_context():
        case = _state_cases()[endpoint](env)
    _replay(app, case)


def _handover_cases() -> dict[str, Callable]:
    return {
        "handover.check": lambda env, h: Replay(env.names["mr_out"], f"/handover/lines/{_fixture(h)}/check",
                                                {"condition": "damaged", "note": "瓶口缺口"}, htmx=True),
        "handover.fixtures_ok": lambda env, h: Replay(env.names["mr_out"], f"/handover/{h.id}/fixtures", {},
                                                      htmx=True),
        "handover.dispute": lambda env, h: _dispute(env),
    }


def _fixture(h) -> int:
    return next(ln.id for ln in h.lines if ln.kind == "fixture")


def _dispute(env) -> Replay:
    h = submitted_water_bar(env)
    key = next(ln.id for ln in h.lines if ln.kind == "key")
    return Replay(env.names["wb_in"], f"/handover/lines/{key}/dispute", {"reason": "钥匙不在领班处"}, htmx=True)


@pytest.mark.parametrize("endpoint", sorted(_handover_cases()))
def test_a_handover_check_sent_twice_is_recorded_once(app, endpoint):
    """A fixture checked, all marked intact, a line disputed: the same tap twice is recorded once."""
    from hospitality.handover import services as handover
    env = handover_env(app)
    with app.test_request_context():
        h = handover.start(site_of(env), who(env, "mr_out"), env.users["mr_in"], None)
        case = _handover_cases()[endpoint](env, h)
    _replay(app, case)


def test_a_key_of_another_site_is_not_a_replay(app):
    """A key another site's form used does not stand for this site's write: the robot is added here."""
    from hospitality import idempotency
    from hospitality.alerts import services as alerts
    from tests.factories import make_site
    env = visit_env(app)
    with app.test_request_context():
        other = make_site()
        boss = make_user(other.id, "manager")
        first = alerts.add_robot(db.session.get(Site, other.id), boss, kind="wecom",
                                 url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", secret=None,
                                 events=["incident_urgent"], idem_key="sharedkey00001")
        here = alerts.add_robot(site_of(env), who(env, "manager"), kind="wecom",
                                url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=y", secret=None,
                                events=["incident_urgent"], idem_key="sharedkey00001")
        assert here.id != first.id and here.site_id == env.site
        assert idempotency.claim(None, "alert_robot", env.site) is None


def test_a_double_tap_racing_in_two_threads_adds_one(app):
    """Two requests with the same key at the same moment (a double tap on a slow line) add one VIP notice and one
    audit row: the key's row orders them on either engine."""
    from hospitality.guests import services as guests
    from hospitality.models import AuditLog
    from hospitality.models.guests import VipNotice
    from tests.harness import count_rows, in_threads
    env = visit_env(app)

    def add(_i):
        return guests.save_vip(site_of(env), who(env, "manager"), plate="粤B12345", phone="", note="贵宾",
                               idem_key="racekey0000001").id

    ids, errors = in_threads(app, 4, add, request=True)
    assert errors == [] and len(set(ids)) == 1
    assert count_rows(VipNotice, app=app) == 1
    assert count_rows(AuditLog, AuditLog.entity == "vip_notice", app=app) == 1
