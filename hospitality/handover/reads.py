"""What the handover screens read: the post's locations and counts, what is pending now, lines, history, and the
pieces other screens show (the "today" card, the lead's board, whether a shift is closed). Queries stay constant
in number as handovers pile up; the hot ones are built once with bind parameters."""
from datetime import date

from sqlalchemy import bindparam, exists, func, select, union
from sqlalchemy.orm import joinedload

from ..database import select_rows
from ..extensions import db
from ..inventory import services as inventory
from ..models import Discrepancy, Item, Location, RoomVisit, Site, StockCount, User, Visit
from ..models.handover import HANDOVER_POSTS, OPEN_STATUSES, Handover, HandoverCount, HandoverLine
from ..visits.services import umbrellas_out

OVERSEERS = ("lead", "manager")
HISTORY_PAGE = 20
BOARD_LIMIT = 50

_HAS_ITEMS = exists().where(Item.location_id == Location.id, Item.active.is_(True))
_COUNT_LOCATIONS = (select(Location).where(Location.site_id == bindparam("site_id"), Location.active.is_(True),
                                          Location.kind.in_(bindparam("kinds", expanding=True)), _HAS_ITEMS)
                    .order_by(Location.position))


def count_locations(site_id: int, post: str) -> list[Location]:
    """The stock locations the post counts at handover (water bar: the bar; model room: its rooms), with items."""
    kinds = inventory.POST_LOCATIONS.get(post, ())
    if not kinds:
        return []  # security keeps no stock: no count needed
    return list(db.session.scalars(_COUNT_LOCATIONS, {"site_id": site_id, "kinds": list(kinds)}))


_OPEN_FOR_POST = (select(Handover).where(
    Handover.site_id == bindparam("site_id"), Handover.post == bindparam("post"), Handover.status.in_(OPEN_STATUSES))
    .options(joinedload(Handover.from_user), joinedload(Handover.to_user)))


def open_for_post(site_id: int, post: str) -> Handover | None:
    return db.session.scalar(_OPEN_FOR_POST, {"site_id": site_id, "post": post})


def previous_accepted(site_id: int, post: str, before_id: int | None = None) -> Handover | None:
    """The post's last accepted handover (before a given one): where the open lines live."""
    q = select(Handover).where(Handover.site_id == site_id, Handover.post == post, Handover.status == "accepted")
    if before_id is not None:
        q = q.where(Handover.id < before_id)
    # One handover of a post is open at a time, so they are accepted in the order they were started.
    return db.session.scalar(q.order_by(Handover.id.desc()).limit(1))


_HANDOVER_COUNTS = (
    select(StockCount, Discrepancy, HandoverCount.handover_id)
    .join(HandoverCount, HandoverCount.count_id == StockCount.id)
    .outerjoin(Discrepancy, Discrepancy.count_id == StockCount.id)
    .where(HandoverCount.handover_id.in_(bindparam("ids", expanding=True)), StockCount.status != "cancelled")
    .order_by(StockCount.id).options(joinedload(StockCount.location)))


def _handover_counts(handover_ids: list[int]):
    """The counts made for these handovers (with their discrepancy and location), oldest first."""
    return db.session.execute(_HANDOVER_COUNTS, {"ids": handover_ids}).all()


def count_states(handover: Handover) -> list[dict]:
    """Each location the post counts, with this handover's latest count there and whether it reconciles."""
    locations = count_locations(handover.site_id, handover.post)
    if not locations:
        return []
    latest = {count.location_id: (count, disc) for count, disc, _hid in _handover_counts([handover.id])}
    out = []
    for loc in locations:
        count, disc = latest.get(loc.id, (None, None))
        out.append({"location": loc, "count": count, "disc": disc, "state": _count_state(count, disc)})
    return out


def _count_state(count: StockCount | None, disc: Discrepancy | None) -> str:
    """todo | counting | matched | waiting (differs, security has not confirmed) | confirmed."""
    if count is None:
        return "todo"
    if count.status == "open":
        return "counting"
    if count.status == "matched":
        return "matched"
    return "confirmed" if disc is not None and disc.status != "open" else "waiting"


def pending_now(site: Site, post: str) -> list[dict]:
    """What is pending right now, as the automatic lines of a handover: guests inside, open discrepancies,
    umbrellas out (not saved; submit takes the snapshot)."""
    lines = []
    if post == "model_room":
        groups = db.session.execute(select(func.count(RoomVisit.id), func.coalesce(func.sum(Visit.party_size), 0))
                                    .join(Visit, Visit.id == RoomVisit.visit_id).where(
            RoomVisit.site_id == site.id, RoomVisit.refused.is_(False), RoomVisit.left_at.is_(None),
            Visit.status == "active")).one()
    else:
        groups = db.session.execute(select(func.count(Visit.id), func.coalesce(func.sum(Visit.party_size), 0))
                                    .where(Visit.site_id == site.id, Visit.status == "active")).one()
    if groups[0]:
        lines.append({"kind": "guests", "text": "", "detail": {"groups": int(groups[0]), "people": int(groups[1])}})
    q = select(Discrepancy.id, Discrepancy.status, Location.name).join(
        Location, Location.id == Discrepancy.location_id).where(Discrepancy.site_id == site.id)
    if post == "security":
        q = q.where(Discrepancy.status == "open")  # waiting for security to confirm
    else:
        q = q.where(Discrepancy.status != "closed", Location.kind.in_(inventory.POST_LOCATIONS.get(post, ())))
    for disc_id, status, place in db.session.execute(q.order_by(Discrepancy.id)):
        lines.append({"kind": "discrepancy", "text": place, "detail": {"disc_id": disc_id, "status": status}})
    out = umbrellas_out(site.id)
    if out:
        lines.append({"kind": "umbrellas", "text": "", "detail": {"qty": int(out)}})
    return lines


_LINES = (select(HandoverLine).where(HandoverLine.handover_id == bindparam("handover_id"))
          .order_by(HandoverLine.position, HandoverLine.id)
          .options(joinedload(HandoverLine.item).joinedload(Item.location), joinedload(HandoverLine.resolved_by),
                   joinedload(HandoverLine.carried_from)))


def lines_of(handover: Handover) -> list[HandoverLine]:
    return list(db.session.scalars(_LINES, {"handover_id": handover.id}))


def open_lines_of_post(site_id: int, post: str) -> tuple[Handover | None, int]:
    """The post's last accepted handover and how many of its lines are still open (what the holder carries)."""
    still_open = (select(func.count(HandoverLine.id)).where(HandoverLine.handover_id == Handover.id,
                                                            HandoverLine.state == "open").scalar_subquery())
    row = db.session.execute(select(Handover, still_open).where(
        Handover.site_id == site_id, Handover.post == post, Handover.status == "accepted")
        .order_by(Handover.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (None, 0)


_DISPUTES_PER_HANDOVER = (select(HandoverLine.handover_id, func.count(HandoverLine.id))
                          .where(HandoverLine.handover_id.in_(bindparam("ids", expanding=True)),
                                 HandoverLine.disputed.is_(True)).group_by(HandoverLine.handover_id))


def summaries(handovers: list[Handover]) -> tuple[dict[int, list[tuple[str, str]]], dict[int, int]]:
    """Per handover: its counts' results [(place, state)] and its number of disputed lines (two queries)."""
    if not handovers:
        return {}, {}
    ids = [h.id for h in handovers]
    counts: dict[int, dict[int, tuple[str, str]]] = {}
    for count, disc, hid in _handover_counts(ids):
        counts.setdefault(hid, {})[count.location_id] = (count.location.name, _count_state(count, disc))
    disputes = dict(select_rows(_DISPUTES_PER_HANDOVER, {"ids": ids}).all())
    return {hid: list(by_loc.values()) for hid, by_loc in counts.items()}, disputes


def history(site: Site, post: str, before: int | None = None) -> tuple[list[Handover], bool]:
    """A post's handovers, newest first, a page at a time (click to load older ones)."""
    q = select(Handover).where(Handover.site_id == site.id, Handover.post == post)
    if before:
        q = q.where(Handover.id < before)
    rows = db.session.scalars(q.order_by(Handover.id.desc()).limit(HISTORY_PAGE + 1)
                              .options(joinedload(Handover.from_user), joinedload(Handover.to_user))).all()
    return list(rows[:HISTORY_PAGE]), len(rows) > HISTORY_PAGE


def today_card(site: Site, user: User) -> dict:
    """What the "today" screen shows about handovers: for staff, handovers addressed to them and their own in
    progress; for the lead and manager, how many wait and how many disputed lines are open."""
    if user.post in OVERSEERS:
        waiting = db.session.scalar(select(func.count(Handover.id)).where(
            Handover.site_id == site.id, Handover.status == "submitted"))
        disputed = db.session.scalar(select(func.count(HandoverLine.id)).where(
            HandoverLine.site_id == site.id, HandoverLine.disputed.is_(True), HandoverLine.state == "open"))
        return {"show": True, "overseer": True, "waiting": waiting, "disputed": disputed,
                "incoming": [], "mine": None, "current": None}
    if user.post not in HANDOVER_POSTS:
        return {"show": False, "overseer": False, "incoming": [], "mine": None, "current": None}
    # One handover of a post is open at a time: the one addressed to this user, or theirs, is that one.
    current = open_for_post(site.id, user.post)
    incoming = [current] if current is not None and current.to_user_id == user.id else []
    mine = current if current is not None and current.from_user_id == user.id else None
    return {"show": True, "overseer": False, "incoming": incoming, "mine": mine, "current": current}


_DISPUTED_OPEN = (select(HandoverLine).where(
    HandoverLine.site_id == bindparam("site_id"), HandoverLine.disputed.is_(True), HandoverLine.state == "open")
    .order_by(HandoverLine.disputed_at.desc()).limit(BOARD_LIMIT)
    .options(joinedload(HandoverLine.handover).joinedload(Handover.from_user),
             joinedload(HandoverLine.handover).joinedload(Handover.to_user),
             joinedload(HandoverLine.item)))
# The day's handovers and any still open: two index seeks (site+day, site+status) instead of an OR that
# walks the site's whole history.
_BOARD_IDS = union(
    select(Handover.id).where(Handover.site_id == bindparam("site_id"), Handover.day == bindparam("day")),
    select(Handover.id).where(Handover.site_id == bindparam("site_id"), Handover.status.in_(OPEN_STATUSES)))
_BOARD_HANDOVERS = (select(Handover).where(Handover.id.in_(_BOARD_IDS)).order_by(Handover.id).limit(BOARD_LIMIT)
                    .options(joinedload(Handover.from_user), joinedload(Handover.to_user)))


def board_summary(site: Site, day: date) -> dict:
    """The lead's view: disputed lines still open (to resolve), and the day's handovers per post with their
    state, who → who, counts' results and disputes (a constant number of queries)."""
    disputed = list(db.session.scalars(_DISPUTED_OPEN, {"site_id": site.id}))
    handovers = list(db.session.scalars(_BOARD_HANDOVERS, {"site_id": site.id, "day": day}))
    counts, disputes = summaries(handovers)
    by_post = {post: [h for h in handovers if h.post == post] for post in HANDOVER_POSTS}
    return {"day": day, "disputed": disputed, "by_post": by_post, "counts": counts, "disputes": disputes}


# By person and day only (ix_handovers_from_day: a person hands over once or twice a day); with the site and
# status in the WHERE too, SQLite without statistics would walk the site's accepted handovers instead.
_SHIFT_HANDOVERS = select(Handover.site_id, Handover.status).where(
    Handover.from_user_id == bindparam("user_id"), Handover.day == bindparam("day"))


def shift_handover(site: Site, user: User, day: date) -> str:
    """Where the user's handover of that day stands: "closed" (accepted, or a post that does not hand over),
    "waiting" (handed over, not accepted yet), "draft" (being prepared) or "none" (not started)."""
    if user.post not in HANDOVER_POSTS:
        return "closed"
    statuses = {status for site_id, status in select_rows(_SHIFT_HANDOVERS, {"user_id": user.id, "day": day})
                if site_id == site.id}
    return next((state for status, state in (("accepted", "closed"), ("submitted", "waiting"), ("draft", "draft"))
                 if status in statuses), "none")


def shift_closed(site: Site, user: User, day: date) -> bool:
    """Whether the user's shift of that day is handed over and accepted.

    Posts that do not hand over are always closed; a post that does is not, until its handover is accepted.
    """
    return shift_handover(site, user, day) == "closed"
