"""Access rules of the handover routes (merged into tests/test_access.py's MATRIX).

Each site gets: the water bar's handover submitted to the actor when the actor works the bar (else to a second
attendant), the model room's draft prepared by the actor when the actor works the model rooms (else by a second
attendant), and security's accepted handover, received by the actor when the actor is security, with an open line.
"""
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.handover import reads, services
from hospitality.inventory import services as inventory
from hospitality.models import Site, User
from hospitality.models.handover import HandoverLine
from tests.access_rules import HASH, LEAD_MANAGER, Rule

STAFF = frozenset({"water_bar", "model_room", "security"})
EVERYONE = STAFF | LEAD_MANAGER
BAR_ONLY = frozenset({"water_bar"})
ROOM_ONLY = frozenset({"model_room"})
WB = {"handover_id": "wb_handover_id"}
MR = {"handover_id": "mr_handover_id"}

MATRIX = {
    ("/handover/", "GET"): Rule(EVERYONE),
    # The lead's and manager's today screen loads it with htmx; a plain GET goes to the handovers page.
    ("/handover/board", "GET"): Rule(LEAD_MANAGER, 302),
    # No colleague chosen: every post that hands over is told to choose one (its own start: tests/handover).
    ("/handover/", "POST"): Rule(STAFF, 422, {"to_user_id": ""}),
    ("/handover/<int:handover_id>", "GET"): Rule(BAR_ONLY | LEAD_MANAGER, ids=WB),
    ("/handover/<int:handover_id>/count/<int:location_id>", "POST"): Rule(
        ROOM_ONLY, 302, writes=True, ids=MR | {"location_id": "ho_room_id"}),
    ("/handover/<int:handover_id>/fixtures", "POST"): Rule(ROOM_ONLY, 302, writes=True, ids=MR),
    ("/handover/<int:handover_id>/lines", "POST"): Rule(
        ROOM_ONLY, 302, {"kind": "watch", "text": "注意空调漏水", "idem": "matrixho01"}, True, ids=MR),
    # Not counted yet: the submit is refused.
    ("/handover/<int:handover_id>/submit", "POST"): Rule(ROOM_ONLY, 422, {"to_user_id": "{ho_keeper_id}"}, ids=MR),
    ("/handover/<int:handover_id>/cancel", "POST"): Rule(ROOM_ONLY | LEAD_MANAGER, 302, writes=True, ids=MR),
    ("/handover/<int:handover_id>/accept", "POST"): Rule(BAR_ONLY, 302, writes=True, ids=WB),
    ("/handover/lines/<int:line_id>/check", "POST"): Rule(
        ROOM_ONLY, 302, {"condition": "intact"}, True, ids={"line_id": "mr_fixture_line_id"}),
    ("/handover/lines/<int:line_id>/delete", "POST"): Rule(
        ROOM_ONLY, 302, writes=True, ids={"line_id": "mr_manual_line_id"}),
    ("/handover/lines/<int:line_id>/dispute", "POST"): Rule(
        BAR_ONLY, 302, {"reason": "钥匙不在"}, True, ids={"line_id": "wb_line_id"}),
    # Nothing disputed yet: withdrawing changes nothing.
    ("/handover/lines/<int:line_id>/undispute", "POST"): Rule(BAR_ONLY, 302, ids={"line_id": "wb_line_id"}),
    ("/handover/lines/<int:line_id>/resolve", "POST"): Rule(
        frozenset({"security"}) | LEAD_MANAGER, 302, {"note": "已处理"}, True, ids={"line_id": "sec_line_id"}),
    ("/handover/history", "GET"): Rule(LEAD_MANAGER),
}


def _person(site: Site, post: str, username: str) -> User:
    with write_tx():
        user = User(site_id=site.id, username=username, name=f"{post}接班", badge_no=username, post=post,
                    password_hash=HASH)
        db.session.add(user)
    return user


def _by_name(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def rows(site: Site, ids: dict) -> dict:
    code = site.code.lower()
    actor = db.session.get(User, ids["actor_id"]) if ids.get("actor_id") else None

    def actor_or_new(post: str, username: str) -> User:
        return actor if actor is not None and actor.post == post else _person(site, post, username)

    # The water bar: submitted to the actor (or a second attendant), with a key line to dispute.
    bar_out = db.session.get(User, ids["user_id"])
    bar_in = actor_or_new("water_bar", f"{code}-bar-in")
    wb = services.start(site, bar_out, bar_in.id, None)
    for loc in reads.count_locations(site.id, "water_bar"):
        count = services.start_count(site, bar_out, wb, loc)
        inventory.submit_count(site, bar_out, count, None, all_match=True)
    wb_line = services.add_line(site, bar_out, wb, "key", "储物柜钥匙在领班处", None)
    services.submit(site, bar_out, wb, bar_in.id, "一切正常", True)

    # The model rooms: a draft prepared by the actor (or a second attendant) for the keeper.
    keeper = _by_name(f"{code}-keeper")
    room_out = actor_or_new("model_room", f"{code}-room-out")
    mr = services.start(site, room_out, keeper.id, None)
    manual = services.add_line(site, room_out, mr, "watch", "2号样板间空调漏水", None)
    fixture = db.session.scalar(select(HandoverLine).where(HandoverLine.handover_id == mr.id,
                                                           HandoverLine.kind == "fixture").limit(1))

    # Security: accepted by the actor (or a second guard), with a line still open.
    guard = _by_name(f"{code}-guard")
    sec_in = actor_or_new("security", f"{code}-sec-in")
    sec = services.start(site, guard, sec_in.id, None)
    sec_line = services.add_line(site, guard, sec, "key", "大门钥匙两把", None)
    services.submit(site, guard, sec, sec_in.id, "", True)
    services.accept(site, sec_in, sec)
    return {"wb_handover_id": wb.id, "wb_line_id": wb_line.id, "mr_handover_id": mr.id,
            "mr_fixture_line_id": fixture.id, "mr_manual_line_id": manual.id,
            "ho_room_id": reads.count_locations(site.id, "model_room")[0].id, "ho_keeper_id": keeper.id,
            "sec_handover_id": sec.id, "sec_line_id": sec_line.id}
