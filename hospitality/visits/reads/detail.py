"""A visit's page: the visit, its timeline, rooms, what was served, the waits; and the pickers of its forms (and
of the arrival form's plate hint). Prebuilt statements of plain columns, a fixed number of queries per page."""
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Row, and_, bindparam, exists, func, select
from sqlalchemy.orm import aliased, joinedload

from ...clock import utcnow
from ...database import Reads, read_panels, select_rows
from ...extensions import db
from ...i18n import text as _
from ...inventory.ledger import NEWEST_BALANCE
from ...models import (
    Item,
    Location,
    RoomVisit,
    SalesRep,
    Site,
    StockMove,
    UmbrellaLoan,
    User,
    Visit,
    VisitEvent,
    VisitSeen,
)
from ...models.checklists import _localized
from ...models.inventory import RecipeLine
from ...models.visits import EVENT_KINDS
from ...permissions import post_can
from .live import next_refill_at

_VISIT = select(Visit).options(joinedload(Visit.rep)).where(Visit.id == bindparam("visit_id"))


def get_visit(site_id: int, visit_id: int) -> Visit | None:
    """A visit of this site with its rep (one prebuilt statement), or None."""
    visit = db.session.scalars(_VISIT, {"visit_id": visit_id}).first()
    return visit if visit is not None and visit.site_id == site_id else None


def known_plate(site: Site, plate: str | None) -> Visit | None:
    """The last visit of this plate at the site, for 'seen before' on the arrival form."""
    if not plate:
        return None
    return db.session.scalar(select(Visit).where(Visit.site_id == site.id, Visit.plate == plate)
                             .order_by(Visit.id.desc()).limit(1).options(joinedload(Visit.rep)))


# The timeline and the model rooms as plain rows: the page shows a few columns of each.
_TIMELINE = (select(VisitEvent.id, VisitEvent.kind, VisitEvent.at, VisitEvent.detail,
                    User.name.label("user_name"), User.post.label("user_post"))
             .outerjoin(User, User.id == VisitEvent.user_id)
             .where(VisitEvent.visit_id == bindparam("visit_id")).order_by(VisitEvent.id))
_ROOMS_OF = (select(RoomVisit.id, RoomVisit.admitted_at, RoomVisit.left_at, RoomVisit.refused, RoomVisit.count_id,
                    Location.name.label("room_name"), SalesRep.name.label("rep_name"))
             .join(Location, Location.id == RoomVisit.location_id)
             .outerjoin(SalesRep, SalesRep.id == RoomVisit.rep_id)
             .where(RoomVisit.visit_id == bindparam("visit_id")).order_by(RoomVisit.id))
_UMBRELLAS_OUT_OF = select(func.coalesce(func.sum(UmbrellaLoan.qty), 0).label("out")).where(
    UmbrellaLoan.visit_id == bindparam("visit_id"), UmbrellaLoan.returned_at.is_(None))


def event_labels() -> dict[str, str]:
    """The timeline's kinds translated once per page."""
    return {k: str(v) for k, v in EVENT_KINDS.items()}


def timeline(visit: Visit) -> Sequence[Row]:
    """The visit's timeline rows (id, kind, at, detail, user_name, user_post), oldest first."""
    return select_rows(_TIMELINE, {"visit_id": visit.id}).all()


def rooms_of(visit: Visit) -> Sequence[Row]:
    """The visit's model-room rows (id, admitted_at, left_at, refused, count_id, room_name, rep_name)."""
    return select_rows(_ROOMS_OF, {"visit_id": visit.id}).all()


def umbrellas_out_of(visit: Visit) -> int:
    """How many of the group's umbrellas are still out (the sum of its open loans)."""
    return select_rows(_UMBRELLAS_OUT_OF, {"visit_id": visit.id}).scalar()


def durations(visit: Visit, events: Sequence[Row], rooms: Sequence[Row]) -> list[tuple[str, int]]:
    """The waits and stays a lead looks at: arrival → greeting, → first drink, in model rooms, on site
    (`events` and `rooms` as timeline() and rooms_of() read them)."""
    first = {}
    for e in events:
        first.setdefault(e.kind, e.at)

    def minutes(a, b):
        return int((b - a).total_seconds() // 60)

    out = []
    if "greeted" in first:
        out.append((_("Arrival to greeting"), minutes(visit.arrived_at, first["greeted"])))
    if "served" in first:
        out.append((_("Arrival to first drink"), minutes(visit.arrived_at, first["served"])))
    refills = sum(1 for e in events if e.kind == "refilled")
    if refills:
        out.append((_("Refills"), refills))
    in_rooms = sum(minutes(r.admitted_at, r.left_at) for r in rooms if r.left_at and not r.refused)
    if in_rooms:
        out.append((_("In model rooms (min)"), in_rooms))
    end = visit.left_at or utcnow()
    out.append((_("On site (min)") if visit.left_at else _("On site so far (min)"), minutes(visit.arrived_at, end)))
    return out


Reversal = aliased(StockMove)
# What the bar served groups: each item with the net quantity (its 'served' rows plus any row reversing them),
# a line per visit and item, in item order. The visit's page reads one visit's (SERVED_OF, built once); the
# export adds its own condition on the visits. Served rows are negative, their reversals positive: what was
# used is minus `net`.
SERVED_LINES = (select(StockMove.ref_id.label("visit_id"), Item.id, Item.name, Item.name_en, Item.unit,
                       Item.unit_price, func.sum(StockMove.qty + func.coalesce(Reversal.qty, 0)).label("net"))
                .select_from(StockMove).join(Item, Item.id == StockMove.item_id)
                .outerjoin(Reversal, Reversal.reverses_id == StockMove.id)
                .where(StockMove.ref_type == "visit", StockMove.reason == "served")
                .group_by(StockMove.ref_id, Item.id, Item.name, Item.name_en, Item.unit, Item.unit_price,
                          Item.position)
                .order_by(StockMove.ref_id, Item.position, Item.id))
SERVED_OF = SERVED_LINES.where(StockMove.ref_id == bindparam("visit_id"))


@dataclass(frozen=True)
class ServedItem:
    """An item as the visit's page lists it."""
    id: int
    label: str
    unit: str
    unit_price: Decimal


def served(visit: Visit) -> tuple[list[tuple[ServedItem, Decimal]], Decimal]:
    """What the bar served this group, net of reversals, and its consumable cost (at the day's prices)."""
    return _served(visit, select_rows(SERVED_OF, {"visit_id": visit.id}))


def _served(visit: Visit, rows) -> tuple[list[tuple[ServedItem, Decimal]], Decimal]:
    lines = [(ServedItem(r.id, _localized(r.name, r.name_en), r.unit, r.unit_price), -Decimal(str(r.net)))
             for r in rows if r.net]
    return lines, visit.served_cost or Decimal(0)


@dataclass(frozen=True)
class Choice:
    """A consumable as the serve form offers it: each guest's drink or for the table, in its unit. `out`: a
    prepared item (a pot of tea) with none made, so the form links to preparing it."""
    id: int
    label: str
    whole: bool
    unit: str
    drink: bool
    out: bool = False


_BAR = (select(Location.id).where(Location.site_id == bindparam("site_id"), Location.kind == "water_bar",
                                  Location.active.is_(True)).order_by(Location.position).limit(1))
_PREPARED = exists().where(RecipeLine.item_id == Item.id)
# What a guest is served at the site's water bar (not cups, tea leaves or fruit by the 斤: Item.serve_as), and
# whether a prepared one is out. The page reads its columns (bar_choices); serving needs the items themselves.
_BAR_MENU = (select(Item, and_(_PREPARED, func.coalesce(NEWEST_BALANCE, 0) <= 0).label("out"))
             .where(Item.location_id == _BAR.scalar_subquery(), Item.active.is_(True), Item.kind == "consumable",
                    Item.serve_as.is_not(None))
             .order_by(Item.position, Item.id))


def bar_choices(site: Site) -> list[Choice]:
    """The serve form's drinks and table items, read as plain rows."""
    return _choices(select_rows(_BAR_MENU, {"site_id": site.id}))


def _choices(rows) -> list[Choice]:
    return [Choice(r.id, _localized(r.name, r.name_en), r.whole, r.unit, r.serve_as == "drink", bool(r.out))
            for r in rows]


def bar_menu(site: Site) -> dict[int, Item]:
    """The items the serve form offers, by id (what a serve may post)."""
    return {r.Item.id: r.Item for r in db.session.execute(_BAR_MENU, {"site_id": site.id})}


_REP_CHOICES = (select(SalesRep.id, SalesRep.name)
                .where(SalesRep.site_id == bindparam("site_id"), SalesRep.active.is_(True)).order_by(SalesRep.name))
# The site's model rooms: the rooms themselves for an action that takes one, their columns for a picker.
_MODEL_ROOMS = (select(Location).where(Location.site_id == bindparam("site_id"), Location.kind == "model_room",
                                      Location.active.is_(True)).order_by(Location.position))


def room_choices(site_id: int) -> Sequence[Row]:
    """The site's model rooms as a page's picker lists them: rows of a room's columns (id, name…)."""
    return select_rows(_MODEL_ROOMS, {"site_id": site_id}).all()


def model_rooms(site_id: int) -> list[Location]:
    """The site's model rooms themselves (for actions that take one)."""
    return list(db.session.scalars(_MODEL_ROOMS, {"site_id": site_id}))


def seen_in(events: Sequence[Row], post: str) -> bool:
    """Whether a post has acknowledged the group, read off its timeline (no query): a "seen" row of that
    post, or the arrival recorded by that post."""
    if events and events[0].kind == "arrived" and events[0].user_post == post:
        return True
    return any(e.kind == "seen" and e.detail.get("post") == post for e in events)


_SEEN_BY = select(VisitSeen.id).where(VisitSeen.visit_id == bindparam("visit_id"),
                                      VisitSeen.post == bindparam("post"))


def seen_by(visit: Visit, post: str) -> bool:
    """Whether a post has acknowledged the group, read off its acknowledgements."""
    return select_rows(_SEEN_BY, {"visit_id": visit.id, "post": post}).first() is not None


def refill_due(visit: Visit, site: Site) -> bool:
    when = next_refill_at(visit.last_refill_at, site)
    return visit.status == "active" and when is not None and utcnow() >= when


def page(site: Site, visit: Visit, post: str) -> dict:
    """What the visit's page shows someone of this post: the timeline, rooms, what was served, the waits and the
    pickers of the forms this post may use (each read only for the post that gets the form), read at once
    (database.read_panels: one statement on PostgreSQL)."""
    return read_panels(page_reads(site, visit, post))


def page_reads(site: Site, visit: Visit, post: str) -> Reads:
    parts = {"served": SERVED_OF, "events": _TIMELINE, "rooms": _ROOMS_OF, "umbrellas": _UMBRELLAS_OUT_OF}
    if post_can(post, "visits.greet") or post_can(post, "visits.rooms"):
        parts["reps"] = _REP_CHOICES
    if post_can(post, "visits.serve"):
        parts["bar_items"] = _BAR_MENU
    if post_can(post, "visits.rooms"):
        parts["model_rooms"] = _MODEL_ROOMS

    def build(got: dict) -> dict:
        lines, cost = _served(visit, got["served"])
        events, rooms = got["events"], got["rooms"]
        out = {"visit": visit, "events": events, "event_labels": event_labels(), "served": lines, "cost": cost,
               "rooms": rooms, "durations": durations(visit, events, rooms), "refill_due": refill_due(visit, site),
               "next_refill": next_refill_at(visit.last_refill_at, site) if visit.status == "active" else None,
               "umbrellas_out": got["umbrellas"][0].out, "seen": seen_in(events, post)}
        for name in ("reps", "model_rooms"):
            if name in got:
                out[name] = got[name]
        if "bar_items" in got:
            out["bar_items"] = _choices(got["bar_items"])
        return out
    return Reads(parts, {"visit_id": visit.id, "site_id": site.id}, build)
