"""What the handover screens read: the post's locations and counts, what is pending now, lines, history, and the
pieces other screens show (the "today" card, the lead's board, whether a shift is closed). Queries stay constant
in number as handovers pile up; the hot ones are built once with bind parameters and return named rows."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, bindparam, exists, func, select, union
from sqlalchemy.orm import aliased, joinedload

from ..database import Reads, read_panels, select_rows
from ..extensions import db
from ..incidents import reads as incident_reads
from ..inventory import services as inventory
from ..models import Discrepancy, Item, Location, RoomVisit, Site, StockCount, User, Visit
from ..models.checklists import _localized
from ..models.core import POSTS
from ..models.handover import LINE_KINDS, MANUAL_KINDS, OPEN_STATUSES, Handover, HandoverCount, HandoverLine
from ..permissions import can, post_can
from ..repairs import reads as repair_reads
from ..routines import reads as linen_reads
from ..visits.reads.live import umbrellas_out

# The posts that hand over between shifts, in screen order (the board's sections, the history's tabs).
HANDOVER_POSTS = tuple(post for post in POSTS if post_can(post, "handover.hand"))
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


# A post's handover in progress (one at a time): the services lock and change it as a mapped object, the screens read
# it as a plain row (_OPEN_ROW below).
_OPEN_WHERE = (Handover.site_id == bindparam("site_id"), Handover.post == bindparam("post"),
               Handover.status.in_(OPEN_STATUSES))
_OPEN_FOR_POST = (select(Handover).where(*_OPEN_WHERE)
                  .options(joinedload(Handover.from_user), joinedload(Handover.to_user)))


def open_for_post(site_id: int, post: str) -> Handover | None:
    """The post's handover in progress (one at a time), with both people loaded."""
    return db.session.scalar(_OPEN_FOR_POST, {"site_id": site_id, "post": post})


_STILL_OPEN = (select(func.count(HandoverLine.id))
               .where(HandoverLine.handover_id == Handover.id, HandoverLine.state == "open").scalar_subquery())
# One handover of a post is open at a time, so they are accepted in the order they were started.
_LAST_ACCEPTED = (select(Handover.id, Handover.day, _STILL_OPEN.label("still_open"))
                  .where(Handover.site_id == bindparam("site_id"), Handover.post == bindparam("post"),
                         Handover.status == "accepted").order_by(Handover.id.desc()).limit(1))


def last_accepted(site_id: int, post: str) -> Row | None:
    """The post's last accepted handover (id, day) and how many of its lines are still open: where the open
    lines live, which a new handover carries over and the post's staff resolve."""
    return select_rows(_LAST_ACCEPTED, {"site_id": site_id, "post": post}).first()


_COLLEAGUES = (select(User.id, User.name).where(
    User.site_id == bindparam("site_id"), User.post == bindparam("post"), User.active.is_(True),
    User.id != bindparam("user_id")).order_by(User.name, User.id))


def colleagues(site: Site, user: User) -> list[Row]:
    """Who can take over from this user (id, name): same site, same post, active, not themselves."""
    return select_rows(_COLLEAGUES, {"site_id": site.id, "post": user.post, "user_id": user.id}).all()


def _counts_of(handover_ids):
    """The counts of some handovers (`handover_ids`: bound ids or a subquery) with their places and discrepancies."""
    return (select(HandoverCount.handover_id, StockCount.id.label("count_id"), StockCount.status.label("count_status"),
                   StockCount.location_id, Location.name.label("place"), Discrepancy.id.label("disc_id"),
                   Discrepancy.status.label("disc_status"))
            .select_from(StockCount)
            .join(HandoverCount, HandoverCount.count_id == StockCount.id)
            .join(Location, Location.id == StockCount.location_id)
            .outerjoin(Discrepancy, Discrepancy.count_id == StockCount.id)
            .where(HandoverCount.handover_id.in_(handover_ids), StockCount.status != "cancelled")
            .order_by(StockCount.id))


_HANDOVER_COUNTS = _counts_of(bindparam("ids", expanding=True))


def _count_state(count_status: str | None, disc_status: str | None) -> str:
    """todo | counting | matched | waiting (differs, security has not confirmed) | confirmed."""
    if count_status is None:
        return "todo"
    if count_status == "open":
        return "counting"
    if count_status == "matched":
        return "matched"
    return "confirmed" if disc_status is not None and disc_status != "open" else "waiting"


def count_states(handover: Handover) -> list[dict]:
    """Each location the post counts ("location"), with this handover's latest count there ("count_id", and
    "disc_id" when it differed) and whether it reconciles ("state")."""
    locations = count_locations(handover.site_id, handover.post)
    if not locations:
        return []
    latest = {r.location_id: r for r in select_rows(_HANDOVER_COUNTS, {"ids": [handover.id]})}
    out = []
    for loc in locations:
        r = latest.get(loc.id)
        out.append({"location": loc, "count_id": r.count_id if r else None, "disc_id": r.disc_id if r else None,
                    "state": _count_state(r.count_status, r.disc_status) if r else "todo"})
    return out


_GUESTS_ON_SITE = select(func.count(Visit.id).label("groups"),
                         func.coalesce(func.sum(Visit.party_size), 0).label("people")).where(
    Visit.site_id == bindparam("site_id"), Visit.status == "active")
_GUESTS_IN_ROOMS = (select(func.count(RoomVisit.id).label("groups"),
                           func.coalesce(func.sum(Visit.party_size), 0).label("people"))
                    .join(Visit, Visit.id == RoomVisit.visit_id).where(
    RoomVisit.site_id == bindparam("site_id"), RoomVisit.refused.is_(False), RoomVisit.left_at.is_(None),
    Visit.status == "active"))
_DISCREPANCIES = (select(Discrepancy.id, Discrepancy.status, Location.name.label("place"))
                  .join(Location, Location.id == Discrepancy.location_id)
                  .where(Discrepancy.site_id == bindparam("site_id")).order_by(Discrepancy.id))
_TO_CONFIRM = _DISCREPANCIES.where(Discrepancy.status == "open")  # waiting for security to confirm
_OF_LOCATIONS = _DISCREPANCIES.where(Discrepancy.status != "closed",
                                     Location.kind.in_(bindparam("kinds", expanding=True)))


def pending_now(site: Site, post: str) -> list[dict]:
    """What is pending right now, as the automatic lines of a handover: guests inside, open discrepancies,
    umbrellas out (not saved; submit takes the snapshot)."""
    lines = []
    params = {"site_id": site.id}
    # The post that takes groups through the model rooms hands over the guests inside them; others, the site's.
    guests = select_rows(_GUESTS_IN_ROOMS if post_can(post, "visits.rooms") else _GUESTS_ON_SITE, params).one()
    if guests.groups:
        lines.append({"kind": "guests", "text": "",
                      "detail": {"groups": int(guests.groups), "people": int(guests.people)}})
    if post_can(post, "stock.confirm"):
        discrepancies = select_rows(_TO_CONFIRM, params)
    else:
        kinds = inventory.POST_LOCATIONS.get(post, ())
        discrepancies = select_rows(_OF_LOCATIONS, params | {"kinds": list(kinds)}) if kinds else ()
    for d in discrepancies:
        lines.append({"kind": "discrepancy", "text": d.place, "detail": {"disc_id": d.id, "status": d.status}})
    out = umbrellas_out(site.id)
    if out:
        lines.append({"kind": "umbrellas", "text": "", "detail": {"qty": int(out)}})
    if post_can(post, "incidents.handover"):
        # Every handover of the post lists the incidents still open, so each one is carried to the next shift
        # until it is closed (closing is the incident's own step, not a line to resolve here).
        for i in incident_reads.open_incidents(site.id):
            lines.append({"kind": "incident", "text": i.place,
                          "detail": {"incident_id": i.id, "kind": i.kind, "level": i.level, "status": i.status,
                                     "acknowledged": i.acknowledged_at is not None}})
    # The open repairs of the places the post owns, carried from shift to shift until the fix is checked.
    for r in repair_reads.for_handover(site.id, post):
        lines.append({"kind": "repair", "text": r.place,
                      "detail": {"repair_id": r.id, "kind": r.kind, "status": r.status, "urgent": r.urgent}})
    return lines


_LINES = (select(HandoverLine).where(HandoverLine.handover_id == bindparam("handover_id"))
          .order_by(HandoverLine.position, HandoverLine.id)
          .options(joinedload(HandoverLine.item).joinedload(Item.location), joinedload(HandoverLine.resolved_by),
                   joinedload(HandoverLine.carried_from)))


def lines_of(handover: Handover) -> list[HandoverLine]:
    """The handover's lines in order (objects: the submit and the page's line forms work on them)."""
    return list(db.session.scalars(_LINES, {"handover_id": handover.id}))


def holds_post(user: User, handover: Handover) -> bool:
    """Whether the user works the post the handover is of (its open lines are theirs to resolve)."""
    return user.post == handover.post


def may_see(user: User, handover: Handover) -> bool:
    """A handover is seen by its own post's staff, and by the lead and manager."""
    return can(user, "handover.oversee") or holds_post(user, handover)


def page(site: Site, user: User, handover: Handover) -> dict:
    """What the handover page shows this user: its lines and counts, and which forms are theirs."""
    draft_mine = handover.status == "draft" and handover.from_user_id == user.id
    lines = lines_of(handover)
    return {
        "h": handover, "lines": lines, "counts": count_states(handover),
        "pending": pending_now(site, handover.post) if draft_mine else [],
        "colleagues": colleagues(site, user) if draft_mine else [],
        "draft_mine": draft_mine, "reviewing": handover.status == "submitted" and handover.to_user_id == user.id,
        "holds_post": holds_post(user, handover),
        "kinds": {k: LINE_KINDS[k] for k in MANUAL_KINDS},
        "disputed_n": sum(1 for ln in lines if ln.disputed),
        # The model room hands over what is still at the laundry (linen counted out, not yet back): what is away
        # now, so only while the handover is open (an accepted one is history: today's laundry is not its).
        "linen_away": linen_reads.away(site.id) if post_can(handover.post, "linen.handover")
        and handover.status in ("draft", "submitted") else [],
    }


def _disputes_of(handover_ids):
    """The number of disputed lines of some handovers (`handover_ids`: bound ids or a subquery)."""
    return (select(HandoverLine.handover_id, func.count(HandoverLine.id).label("n"))
            .where(HandoverLine.handover_id.in_(handover_ids), HandoverLine.disputed.is_(True))
            .group_by(HandoverLine.handover_id))


_DISPUTES_PER_HANDOVER = _disputes_of(bindparam("ids", expanding=True))


def summaries(handovers: Sequence[Row | Handover]) -> tuple[dict[int, list[tuple[str, str]]], dict[int, int]]:
    """Per handover (anything with an id): its counts' results [(place, state)] and its number of disputed
    lines (two queries)."""
    if not handovers:
        return {}, {}
    ids = [h.id for h in handovers]
    return _summaries(select_rows(_HANDOVER_COUNTS, {"ids": ids}), select_rows(_DISPUTES_PER_HANDOVER, {"ids": ids}))


def _summaries(count_rows, dispute_rows) -> tuple[dict[int, list[tuple[str, str]]], dict[int, int]]:
    counts: dict[int, dict[int, tuple[str, str]]] = {}
    for r in count_rows:
        counts.setdefault(r.handover_id, {})[r.location_id] = (r.place, _count_state(r.count_status, r.disc_status))
    disputes = {r.handover_id: r.n for r in dispute_rows}
    return {hid: list(by_loc.values()) for hid, by_loc in counts.items()}, disputes


_FROM, _TO = aliased(User), aliased(User)
# A handover as a card of a list (the board, the history): who → who, its day, state and times.
_CARDS = (select(Handover.id, Handover.post, Handover.day, Handover.status, Handover.started_at,
                 Handover.submitted_at, Handover.accepted_at, _FROM.name.label("from_name"),
                 _TO.name.label("to_name"))
          .join(_FROM, _FROM.id == Handover.from_user_id).join(_TO, _TO.id == Handover.to_user_id))
_HISTORY = (_CARDS.where(Handover.site_id == bindparam("site_id"), Handover.post == bindparam("post"))
            .order_by(Handover.id.desc()).limit(HISTORY_PAGE + 1))
_HISTORY_OLDER = _HISTORY.where(Handover.id < bindparam("before"))


def history(site: Site, post: str, before: int | None = None) -> tuple[list[Row], bool]:
    """A post's handovers as cards, newest first, a page at a time (click to load older ones)."""
    params = {"site_id": site.id, "post": post}
    rows = select_rows(_HISTORY_OLDER, params | {"before": before}) if before else select_rows(_HISTORY, params)
    rows = rows.all()
    return rows[:HISTORY_PAGE], len(rows) > HISTORY_PAGE


def history_page(site: Site, post: str | None, before: int | None) -> dict:
    """The history screen of a post (the first that hands over when none or another is asked for)."""
    if post is None or not post_can(post, "handover.hand"):
        post = HANDOVER_POSTS[0]
    rows, more = history(site, post, before)
    counts, disputes = summaries(rows)
    return {"rows": rows, "more": more, "post": post, "posts": {p: POSTS[p] for p in HANDOVER_POSTS},
            "counts": counts, "disputes": disputes}


_OVERSEER_CARD = select(
    select(func.count(Handover.id)).where(Handover.site_id == bindparam("site_id"), Handover.status == "submitted")
    .scalar_subquery().label("waiting"),
    select(func.count(HandoverLine.id)).where(HandoverLine.site_id == bindparam("site_id"),
                                              HandoverLine.disputed.is_(True), HandoverLine.state == "open")
    .scalar_subquery().label("disputed"))


# The post's handover in progress as the today screen's card and the handover page show it: plain columns, both
# people's names.
_OPEN_ROW = (select(Handover.id, Handover.status, Handover.from_user_id, Handover.to_user_id, Handover.submitted_at,
                    _FROM.name.label("from_name"), _TO.name.label("to_name"))
             .join(_FROM, _FROM.id == Handover.from_user_id).outerjoin(_TO, _TO.id == Handover.to_user_id)
             .where(*_OPEN_WHERE).limit(1))


def today_card(site: Site, user: User) -> dict:
    """What the "today" screen shows about handovers: for staff, handovers addressed to them and their own in
    progress; for the lead and manager, how many wait and how many disputed lines are open."""
    if can(user, "handover.oversee"):
        r = select_rows(_OVERSEER_CARD, {"site_id": site.id}).one()
        return {"show": True, "overseer": True, "waiting": r.waiting, "disputed": r.disputed,
                "incoming": [], "mine": None, "current": None}
    if not can(user, "handover.hand"):
        return no_card()
    return _staff_card(select_rows(_OPEN_ROW, {"site_id": site.id, "post": user.post}).first(), user.id)


def no_card() -> dict:
    """The card of someone who does not hand over: not shown."""
    return {"show": False, "overseer": False, "incoming": [], "mine": None, "current": None}


def _staff_card(current: Row | None, user_id: int) -> dict:
    """One handover of a post is open at a time: the one addressed to this user, or theirs, is that one."""
    incoming = [current] if current is not None and current.to_user_id == user_id else []
    mine = current if current is not None and current.from_user_id == user_id else None
    return {"show": True, "overseer": False, "incoming": incoming, "mine": mine, "current": current}


def card_reads(site: Site, user: User) -> Reads:
    """today_card() of a post's staff, for a screen that reads its panels at once (`handover_card`): nothing to read
    for someone who does not hand over."""
    if not can(user, "handover.hand"):
        return Reads({}, {}, lambda _got: {"handover_card": no_card()})
    return Reads({"open": _OPEN_ROW}, {"site_id": site.id, "post": user.post},
                 lambda got: {"handover_card": _staff_card(got["open"][0] if got["open"] else None, user.id)})


def staff_index(site: Site, user: User) -> dict:
    """The handover screen of a post's staff: what waits for them, their handover in progress or the form to
    start one, and the open lines the post holds."""
    card = today_card(site, user)
    return {"handover_card": card, "current": card["current"], "colleagues": colleagues(site, user),
            "held": last_accepted(site.id, user.post)}


@dataclass(frozen=True, slots=True)
class DisputedLine:
    """A disputed line on the lead's board: where it is, what it says, who handed it to whom, and why not."""
    id: int
    handover_id: int
    post: str
    kind: str
    subject: str  # the item's name for a company item, else the line's text ("" for automatic lines)
    reason: str | None
    from_name: str
    to_name: str


_DISPUTED_OPEN = (
    select(HandoverLine.id, HandoverLine.handover_id, HandoverLine.kind, HandoverLine.text,
           HandoverLine.item_id, HandoverLine.dispute_reason, Handover.post, Item.name.label("item_name"),
           Item.name_en.label("item_name_en"), _FROM.name.label("from_name"), _TO.name.label("to_name"))
    .join(Handover, Handover.id == HandoverLine.handover_id)
    .join(_FROM, _FROM.id == Handover.from_user_id).join(_TO, _TO.id == Handover.to_user_id)
    .outerjoin(Item, Item.id == HandoverLine.item_id)
    .where(HandoverLine.site_id == bindparam("site_id"), HandoverLine.disputed.is_(True),
           HandoverLine.state == "open")
    .order_by(HandoverLine.disputed_at.desc()).limit(BOARD_LIMIT))
# The day's handovers and any still open: two index seeks (site+day, site+status) instead of an OR that
# walks the site's whole history.
_BOARD_IDS = union(
    select(Handover.id).where(Handover.site_id == bindparam("site_id"), Handover.day == bindparam("day")),
    select(Handover.id).where(Handover.site_id == bindparam("site_id"), Handover.status.in_(OPEN_STATUSES)))
_BOARD_HANDOVERS = _CARDS.where(Handover.id.in_(_BOARD_IDS)).order_by(Handover.id).limit(BOARD_LIMIT)
_BOARD_COUNTS, _BOARD_DISPUTES = _counts_of(_BOARD_IDS), _disputes_of(_BOARD_IDS)


def _disputed_line(r: Row) -> DisputedLine:
    subject = (_localized(r.item_name, r.item_name_en) if r.item_id is not None else r.text) if r.text else ""
    return DisputedLine(r.id, r.handover_id, r.post, r.kind, subject, r.dispute_reason, r.from_name, r.to_name)


def board_summary(site: Site, day: date) -> dict:
    """The lead's view: disputed lines still open (to resolve), and the day's handovers per post with their
    state, who → who, counts' results and disputes (read at once: one statement on PostgreSQL)."""
    def build(got: dict) -> dict:
        handovers = got["handovers"]
        counts, disputes = _summaries(got["counts"], got["disputes"]) if handovers else ({}, {})
        by_post = {post: [h for h in handovers if h.post == post] for post in HANDOVER_POSTS}
        return {"day": day, "disputed": [_disputed_line(r) for r in got["disputed"]], "by_post": by_post,
                "counts": counts, "disputes": disputes}
    return read_panels(Reads({"disputed": _DISPUTED_OPEN, "handovers": _BOARD_HANDOVERS, "counts": _BOARD_COUNTS,
                              "disputes": _BOARD_DISPUTES}, {"site_id": site.id, "day": day}, build))


# By person and day only (ix_handovers_from_day: a person hands over once or twice a day); with the site and
# status in the WHERE too, SQLite without statistics would walk the site's accepted handovers instead. The days
# first..last: the clock card reads it with its own rows (attendance.reads.card_reads), before it knows which day
# the person's running shift is.
SHIFT_HANDOVERS = select(Handover.site_id, Handover.status, Handover.day).where(
    Handover.from_user_id == bindparam("user_id"), Handover.day >= bindparam("first"),
    Handover.day <= bindparam("last"))


def shift_handover(site: Site, user: User, day: date, rows: list | None = None) -> str:
    """Where the user's handover of that day stands: "closed" (accepted, or a post that does not hand over),
    "waiting" (handed over, not accepted yet), "draft" (being prepared) or "none" (not started). `rows`: the
    SHIFT_HANDOVERS rows of days around `day`, when the caller read them already."""
    if not can(user, "handover.hand"):
        return "closed"
    if rows is None:
        rows = select_rows(SHIFT_HANDOVERS, {"user_id": user.id, "first": day, "last": day}).all()
    statuses = {r.status for r in rows if r.site_id == site.id and r.day == day}
    return next((state for status, state in (("accepted", "closed"), ("submitted", "waiting"), ("draft", "draft"))
                 if status in statuses), "none")


def shift_closed(site: Site, user: User, day: date) -> bool:
    """Whether the user's shift of that day is handed over and accepted.

    Posts that do not hand over are always closed; a post that does is not, until its handover is accepted.
    """
    return shift_handover(site, user, day) == "closed"
