"""Visit rules: arrival, acknowledgement, greeting, serving, rooms, departure. One transaction per action."""
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from ..audit import record
from ..database import select_rows, write_tx
from ..extensions import db
from ..i18n import text as _
from ..inventory import ledger
from ..inventory import services as inventory
from ..inventory.ledger import StockError
from ..models import (
    Discrepancy,
    Item,
    Location,
    RoomVisit,
    SalesRep,
    Site,
    StockCount,
    StockMove,
    UmbrellaLoan,
    User,
    Visit,
    VisitEvent,
    VisitSeen,
)
from ..models.checklists import _localized
from ..models.core import utcnow
from ..models.inventory import RecipeLine
from ..models.visits import EVENT_KINDS, PURPOSES

REFILL_MINUTES = 10  # the seeds: refill every ~10 minutes while guests sit (Site.refill_minutes)
MAX_PARTY = 50
MAX_UMBRELLAS = 20
# Posts that are told of an arrival and acknowledge it; security records it, so has seen it.
ACK_POSTS = ("water_bar", "concierge", "model_room", "security")
LIVE_LIMIT = 12
# A Chinese plate: province character, a letter (not I or O), then 5 characters (6 on green
# new-energy plates); the last may be 学/警/挂/港/澳 on special plates.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9学警挂港澳]"
                   rf"|[A-HJ-NP-Z0-9]{{6}})$")


class VisitError(Exception):
    """A visit rule said no; `field` names the form field the message belongs under."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_plate(raw: str | None) -> str | None:
    """Upper case, no spaces or dots; None when empty. Raises VisitError for a wrong format."""
    plate = re.sub(r"[\s·.\-]", "", raw or "").upper()
    if not plate:
        return None
    if not PLATE.match(plate):
        raise VisitError(_("Not a valid plate, e.g. 粤B12345 or 粤BD12345 (no letters I or O)."), "plate")
    return plate


def parse_int(raw, field: str, low: int, high: int, message: str) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise VisitError(message, field) from None
    if not low <= value <= high:
        raise VisitError(message, field)
    return value


def _event(visit: Visit, user: User, kind: str, **detail) -> VisitEvent:
    ev = VisitEvent(visit_id=visit.id, site_id=visit.site_id, kind=kind, user_id=user.id,
                    detail={k: str(v) if not isinstance(v, (int, str, bool, list, dict)) else v
                            for k, v in detail.items()})
    db.session.add(ev)
    return ev


def _locked(visit_id: int) -> Visit:
    """The visit, fresh, under a row lock on PostgreSQL (SQLite's write lock is held by write_tx)."""
    q = select(Visit).where(Visit.id == visit_id)
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one()


def _active(visit_id: int) -> Visit:
    visit = _locked(visit_id)
    if visit.status != "active":
        raise VisitError(_("This group has already left."))
    return visit


def _rep(site: Site, rep_id, required: bool = False) -> SalesRep | None:
    if rep_id in (None, "", "0"):
        if required:
            raise VisitError(_("Choose the sales rep."), "rep_id")
        return None
    try:
        rep = db.session.get(SalesRep, int(rep_id))
    except (TypeError, ValueError):
        rep = None
    if rep is None or rep.site_id != site.id or not rep.active:
        raise VisitError(_("Choose the sales rep."), "rep_id")
    return rep


def known_plate(site: Site, plate: str | None) -> Visit | None:
    """The last visit of this plate at the site, for 'seen before' on the arrival form."""
    if not plate:
        return None
    return db.session.scalar(select(Visit).where(Visit.site_id == site.id, Visit.plate == plate)
                             .order_by(Visit.id.desc()).limit(1).options(joinedload(Visit.rep)))


def record_arrival(site: Site, user: User, party_size, by_car: bool, plate: str | None,
                   idem_key: str | None) -> Visit:
    """Security (or the concierge, for walk-ins) records a group; a double tap records it once."""
    if user.post not in ("security", "concierge"):
        raise VisitError(_("Security or the concierge records arrivals."))
    size = parse_int(party_size, "party_size", 1, MAX_PARTY,
                     _("Party size is 1 to %(n)s people.", n=MAX_PARTY))
    plate = normalize_plate(plate) if by_car else None
    if by_car and not plate:
        raise VisitError(_("Enter the plate, or choose on foot."), "plate")
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(Visit).where(Visit.idem_key == idem_key))
            if done is not None:
                return done
        visit = Visit(site_id=site.id, by_car=by_car, plate=plate, party_size=size, recorded_by_id=user.id,
                      idem_key=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(visit)
        except IntegrityError:  # the same key from a concurrent double tap (PostgreSQL)
            return db.session.scalar(select(Visit).where(Visit.idem_key == idem_key))
        db.session.add(VisitSeen(visit_id=visit.id, post=user.post, user_id=user.id))
        _event(visit, user, "arrived", party_size=size, plate=plate or "")
        record("arrive", "visit", visit.id, site_id=site.id, party_size=size, plate=plate)
    return visit


def acknowledge(site: Site, user: User, visit: Visit) -> bool:
    """A post has seen the arrival; tapping again (or a colleague on the same post) changes nothing."""
    if user.post not in ACK_POSTS:
        raise VisitError(_("Your post does not acknowledge arrivals."))
    with write_tx():
        if db.session.scalar(select(VisitSeen.id).where(VisitSeen.visit_id == visit.id,
                                                        VisitSeen.post == user.post)):
            return False
        try:
            with db.session.begin_nested():
                db.session.add(VisitSeen(visit_id=visit.id, post=user.post, user_id=user.id))
        except IntegrityError:
            return False
        _event(visit, user, "seen", post=user.post)
        record("seen", "visit", visit.id, site_id=site.id, post=user.post)
    return True


def greet(site: Site, user: User, visit: Visit, purpose: str, rep_id) -> Visit:
    """The concierge greets the group, asks why they came and calls a sales rep."""
    if purpose not in PURPOSES:
        raise VisitError(_("Choose why they came."), "purpose")
    rep = _rep(site, rep_id, required=True)
    with write_tx():
        visit = _active(visit.id)
        visit.purpose, visit.rep_id = purpose, rep.id
        if visit.greeted_at is None:
            visit.greeted_at, visit.greeted_by_id = utcnow(), user.id
        _event(visit, user, "greeted", purpose=purpose, rep=rep.name)
        record("greet", "visit", visit.id, site_id=site.id, purpose=purpose, rep=rep.name)
    return visit


_BAR = (select(Location.id).where(Location.site_id == bindparam("site_id"), Location.kind == "water_bar",
                                  Location.active.is_(True)).order_by(Location.position).limit(1))
_BAR_ITEMS = (select(Item).where(Item.location_id == _BAR.scalar_subquery(), Item.active.is_(True))
              .order_by(Item.position, Item.id))


def bar_items(site: Site) -> list[Item]:
    """What the water bar serves: the consumables of its bar."""
    return list(db.session.scalars(_BAR_ITEMS, {"site_id": site.id}))


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


_PREPARED = exists().where(RecipeLine.item_id == Item.id)
_NEWEST_BALANCE = (select(StockMove.balance_after).where(StockMove.item_id == Item.id)
                   .order_by(StockMove.id.desc()).limit(1).correlate(Item).scalar_subquery())
# What a guest is served (not cups, tea leaves or fruit by the 斤: Item.serve_as), and whether a prepared one is out.
_BAR_CHOICES = (select(Item.id, Item.name, Item.name_en, Item.whole, Item.unit, Item.serve_as,
                       and_(_PREPARED, func.coalesce(_NEWEST_BALANCE, 0) <= 0).label("out"))
                .where(Item.location_id == _BAR.scalar_subquery(), Item.active.is_(True), Item.kind == "consumable",
                       Item.serve_as.is_not(None))
                .order_by(Item.position, Item.id))


def bar_choices(site: Site) -> list[Choice]:
    """The serve form's drinks and table items, read as plain rows."""
    return [Choice(i, _localized(name, name_en), whole, unit, serve_as == "drink", bool(out))
            for i, name, name_en, whole, unit, serve_as, out in select_rows(_BAR_CHOICES, {"site_id": site.id})]


def _with_guest_choices(offered: dict[int, Item], quantities: dict[int, str], choices: list[str],
                        party_size: int) -> tuple[dict[int, str], list[str]]:
    """Add one of each guest's chosen drink to the typed quantities; the names, guest by guest."""
    picked = [(n, c.strip()) for n, c in enumerate(choices, 1) if c and c.strip()]
    if len(picked) > party_size:
        raise VisitError(_("More guests than in the group."), "guests")
    merged, names = dict(quantities), []
    for n, raw in picked:
        item = offered.get(int(raw)) if raw.isdigit() else None
        if item is None:
            raise VisitError(_("Choose what guest %(n)s drinks from the list.", n=n), f"guest-{n}")
        typed = str(merged.get(item.id) or "").strip() or "0"
        try:
            merged[item.id] = str(Decimal(typed) + 1)
        except ArithmeticError:
            pass  # the typed quantity is wrong: its own field says so
        names.append(f"{n}:{item.label}")
    return merged, names


def serve(site: Site, user: User, visit: Visit, quantities: dict[int, str], idem_key: str | None,
          guest_choices: list[str] | None = None):
    """Ledger 'served' rows tied to the visit (each guest's drink plus what was typed); the refill timer starts."""
    offered = {i.id: i for i in bar_items(site) if i.kind == "consumable" and i.serve_as}
    drinks = {i: item for i, item in offered.items() if item.serve_as == "drink"}
    quantities, guests = _with_guest_choices(drinks, quantities, guest_choices or [], visit.party_size)
    try:
        entries = [(item, -qty, "served") for item, qty in inventory.quantities_for(offered, quantities)]
    except StockError as e:
        raise VisitError(e.message, e.field) from None
    with write_tx():
        visit = _active(visit.id)
        if idem_key and db.session.scalar(select(StockMove.id).where(StockMove.idem_key == idem_key).limit(1)):
            return visit
        try:
            ledger.post(site.id, user.id, entries, ref_type="visit", ref_id=visit.id, idem_key=idem_key)
        except StockError as e:
            raise VisitError(e.message, e.field) from None
        visit.last_refill_at = utcnow()
        visit.served_cost = (visit.served_cost or 0) + sum((-q * i.unit_price for i, q, _r in entries), Decimal(0))
        served = {i.name: str(-q) for i, q, _r in entries}
        _event(visit, user, "served", items=served, guests=guests)
        record("serve", "visit", visit.id, site_id=site.id, items=served, guests=guests)
    return visit


def refill(site: Site, user: User, visit: Visit) -> Visit:
    with write_tx():
        visit = _active(visit.id)
        visit.last_refill_at = utcnow()
        _event(visit, user, "refilled")
        record("refill", "visit", visit.id, site_id=site.id)
    return visit


def _tapped_before(visit_id: int, kind: str, idem_key: str | None) -> bool:
    """Whether this form's key already did this umbrella action: the key rides in the timeline row, and it is
    read under the visit's lock, so the two requests of a double tap cannot both pass."""
    if not idem_key:
        return False
    details = db.session.scalars(select(VisitEvent.detail).where(VisitEvent.visit_id == visit_id,
                                                                 VisitEvent.kind == kind))
    return any((d or {}).get("idem") == idem_key for d in details)


def lend_umbrellas(site: Site, user: User, visit: Visit, qty, idem_key: str | None = None) -> UmbrellaLoan | None:
    """The concierge lends umbrellas to the group; a double tap lends once (None: it had already)."""
    n = parse_int(qty, "qty", 1, MAX_UMBRELLAS, _("Lend 1 to %(n)s umbrellas.", n=MAX_UMBRELLAS))
    with write_tx():
        visit = _locked(visit.id)
        if _tapped_before(visit.id, "umbrella_lent", idem_key):
            return None
        loan = UmbrellaLoan(visit_id=visit.id, site_id=site.id, qty=n, lent_by_id=user.id)
        db.session.add(loan)
        _event(visit, user, "umbrella_lent", qty=n, **({"idem": idem_key} if idem_key else {}))
        record("lend", "umbrella", visit.id, site_id=site.id, qty=n)
    return loan


_OPEN_LOANS = (select(UmbrellaLoan).where(UmbrellaLoan.visit_id == bindparam("visit_id"),
                                          UmbrellaLoan.returned_at.is_(None))
               .order_by(UmbrellaLoan.id).execution_options(populate_existing=True))


def return_umbrellas(site: Site, user: User, visit: Visit, qty, idem_key: str | None = None) -> int:
    """Some or all of the group's umbrellas come back; returns how many are still out.

    The oldest loans are closed first. A loan returned in part is split: the part that came back becomes a
    returned row of its own and the open row keeps the rest, so "out" stays the sum of open rows for the
    handover and the today screen. The visit's lock orders concurrent returns: none can return what another
    has just taken back."""
    with write_tx():
        visit = _locked(visit.id)
        loans = list(db.session.scalars(_OPEN_LOANS, {"visit_id": visit.id}))
        out = sum(loan.qty for loan in loans)
        if _tapped_before(visit.id, "umbrella_returned", idem_key):
            return out
        if not out:
            raise VisitError(_("None of this group's umbrellas are out."))
        n = parse_int(qty, "return_qty", 1, out, _("Umbrellas out: %(n)s. Return 1 to %(n)s.", n=out))
        now, left = utcnow(), n
        for loan in loans:
            if not left:
                break
            if loan.qty <= left:
                loan.returned_at, left = now, left - loan.qty
            else:
                loan.qty -= left
                db.session.add(UmbrellaLoan(visit_id=loan.visit_id, site_id=loan.site_id, qty=left,
                                            lent_by_id=loan.lent_by_id, lent_at=loan.lent_at, returned_at=now))
                left = 0
        _event(visit, user, "umbrella_returned", qty=n, **({"idem": idem_key} if idem_key else {}))
        record("return", "umbrella", visit.id, site_id=site.id, qty=n, still_out=out - n)
    return out - n


_MODEL_ROOM_WHERE = (Location.site_id == bindparam("site_id"), Location.kind == "model_room",
                     Location.active.is_(True))
_REP_CHOICES = (select(SalesRep.id, SalesRep.name)
                .where(SalesRep.site_id == bindparam("site_id"), SalesRep.active.is_(True)).order_by(SalesRep.name))
_ROOM_CHOICES = select(Location.id, Location.name).where(*_MODEL_ROOM_WHERE).order_by(Location.position)


def rep_choices(site_id: int):
    """The site's active reps as a page's picker lists them: rows of id, name."""
    return select_rows(_REP_CHOICES, {"site_id": site_id}).all()


def room_choices(site_id: int):
    """The site's model rooms as a page's picker lists them: rows of id, name."""
    return select_rows(_ROOM_CHOICES, {"site_id": site_id}).all()


_MODEL_ROOMS = select(Location).where(*_MODEL_ROOM_WHERE).order_by(Location.position)


def model_rooms(site_id: int) -> list[Location]:
    return list(db.session.scalars(_MODEL_ROOMS, {"site_id": site_id}))


def admit(site: Site, user: User, visit: Visit, location_id, rep_id) -> RoomVisit:
    """Admit a group escorted by its rep; without one it is refused politely, and the record says so."""
    room = next((r for r in model_rooms(site.id) if str(r.id) == str(location_id)), None)
    if room is None:
        raise VisitError(_("Choose the model room."), "location_id")
    rep = _rep(site, rep_id)
    with write_tx():
        visit = _active(visit.id)
        rv = RoomVisit(visit_id=visit.id, site_id=site.id, location_id=room.id, rep_id=rep.id if rep else None,
                       escorted=rep is not None, refused=rep is None, recorded_by_id=user.id)
        try:
            with db.session.begin_nested():
                db.session.add(rv)
        except IntegrityError:
            raise VisitError(_("This group is already in %(room)s.", room=room.name), "location_id") from None
        if rep is None:
            _event(visit, user, "room_refused", room=room.name)
            record("refuse", "room_visit", rv.id, site_id=site.id, visit=visit.id, room=room.name)
        else:
            _event(visit, user, "room_admitted", room=room.name, rep=rep.name)
            record("admit", "room_visit", rv.id, site_id=site.id, visit=visit.id, room=room.name, rep=rep.name)
    return rv


def leave_room(site: Site, user: User, rv: RoomVisit):
    """The group leaves the room; the attendant counts it (一客一盘点) on the stock count page."""
    if rv.refused:
        raise VisitError(_("This group was not admitted."))
    with write_tx():
        visit = _locked(rv.visit_id)
        rv = db.session.get(RoomVisit, rv.id, populate_existing=True)
        if rv.left_at is None:
            rv.left_at = utcnow()
            _event(visit, user, "room_left", room=rv.location.name)
            record("leave", "room_visit", rv.id, site_id=site.id, visit=visit.id)
    if rv.count_id:
        return rv, db.session.get(StockCount, rv.count_id)
    return count_after_visit(site, user, rv.location)


def count_after_visit(site: Site, user: User, location: Location):
    """Start the count of a room for the group that last left it; no group, no visit count."""
    rv = room_to_count(site, location.id)
    if rv is None:
        raise VisitError(_("No group has left %(room)s to count after.", room=location.name))
    try:
        count = inventory.start_count(site, user, location, "visit", ref_type="visit", ref_id=rv.visit_id)
    except StockError as e:
        raise VisitError(e.message) from None
    with write_tx():
        rv = db.session.get(RoomVisit, rv.id, populate_existing=True)
        rv.count_id = count.id
    return rv, count


def room_to_count(site: Site, location_id: int) -> RoomVisit | None:
    """The group that last left this room and still awaits its count (None: no visit to count)."""
    return db.session.scalar(select(RoomVisit).where(
        RoomVisit.site_id == site.id, RoomVisit.location_id == location_id, RoomVisit.refused.is_(False),
        RoomVisit.left_at.is_not(None), RoomVisit.count_id.is_(None)).order_by(RoomVisit.id.desc()).limit(1))


def depart(site: Site, user: User, visit: Visit) -> Visit:
    """The group leaves the sales center; the water bar clears the table."""
    with write_tx():
        visit = _locked(visit.id)
        if visit.status == "left":
            return visit
        now = utcnow()
        visit.status, visit.left_at, visit.left_by_id = "left", now, user.id
        db.session.execute(RoomVisit.__table__.update().where(
            RoomVisit.visit_id == visit.id, RoomVisit.left_at.is_(None), RoomVisit.refused.is_(False))
            .values(left_at=now))
        _event(visit, user, "departed")
        record("depart", "visit", visit.id, site_id=site.id)
    return visit


def car_left(site: Site, user: User, visit: Visit) -> Visit:
    if not visit.by_car:
        raise VisitError(_("This group came on foot."))
    with write_tx():
        visit = _locked(visit.id)
        if visit.car_left_at is not None:
            return visit
        visit.car_left_at = utcnow()
        _event(visit, user, "car_left", plate=visit.plate)
        record("car_left", "visit", visit.id, site_id=site.id, plate=visit.plate)
    return visit


def correct(site: Site, user: User, visit: Visit, party_size, purpose: str | None) -> Visit:
    """The lead or manager corrects party size and purpose; the audit keeps before and after."""
    if user.post not in ("lead", "manager"):
        raise VisitError(_("Only the lead or the manager corrects a visit."))
    size = parse_int(party_size, "party_size", 1, MAX_PARTY, _("Party size is 1 to %(n)s people.", n=MAX_PARTY))
    purpose = purpose or None
    if purpose is not None and purpose not in PURPOSES:
        raise VisitError(_("Choose why they came."), "purpose")
    with write_tx():
        visit = _locked(visit.id)
        before = {"party_size": visit.party_size, "purpose": visit.purpose}
        after = {"party_size": size, "purpose": purpose}
        if before == after:
            return visit
        visit.party_size, visit.purpose = size, purpose
        _event(visit, user, "corrected", **{f"{k}_before": v or "" for k, v in before.items()},
               **{k: v or "" for k, v in after.items()})
        record("correct", "visit", visit.id, site_id=site.id, before=before, after=after)
    return visit


def day_bounds(site: Site, day) -> tuple[datetime, datetime]:
    """A site-local calendar day as naive UTC bounds."""
    start = datetime.combine(day, time(0), site.tz).astimezone(UTC).replace(tzinfo=None)
    return start, start + timedelta(days=1)


def day_visits(site: Site, day) -> list[Visit]:
    start, end = day_bounds(site, day)
    rows = db.session.scalars(select(Visit).where(Visit.site_id == site.id, Visit.arrived_at >= start,
                                                  Visit.arrived_at < end)
                              .options(joinedload(Visit.rep)).order_by(Visit.arrived_at.desc())).all()
    return sorted(rows, key=lambda v: v.status != "active")  # still on site first


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
_UMBRELLAS_OUT_OF = select(func.coalesce(func.sum(UmbrellaLoan.qty), 0)).where(
    UmbrellaLoan.visit_id == bindparam("visit_id"), UmbrellaLoan.returned_at.is_(None))
_VISIT = select(Visit).options(joinedload(Visit.rep)).where(Visit.id == bindparam("visit_id"))


def get_visit(site_id: int, visit_id: int) -> Visit | None:
    """A visit of this site with its rep (one prebuilt statement), or None."""
    visit = db.session.scalars(_VISIT, {"visit_id": visit_id}).first()
    return visit if visit is not None and visit.site_id == site_id else None


def event_labels() -> dict[str, str]:
    """The timeline's kinds translated once per page."""
    return {k: str(v) for k, v in EVENT_KINDS.items()}


def timeline(visit: Visit):
    """The visit's timeline rows (id, kind, at, detail, user_name, user_post), oldest first."""
    return select_rows(_TIMELINE, {"visit_id": visit.id}).all()


def durations(visit: Visit, events: list[VisitEvent], rooms: list[RoomVisit]) -> list[tuple[str, int]]:
    """The waits and stays a lead looks at: arrival → greeting, → first drink, in model rooms, on site."""
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


def net_served(visit_ids, by: str | None = None) -> dict[tuple, Decimal]:
    """Net quantity served per (visit id or rep id, item id) — or per (item id,) with by=None — for the
    visits in `visit_ids` (a list or a subquery): 'served' rows of the visits plus any row reversing them,
    in one aggregate query."""
    keys = {"visit": [StockMove.ref_id], "rep": [Visit.rep_id]}.get(by, [])
    q = (select(*keys, StockMove.item_id, func.sum(StockMove.qty + func.coalesce(Reversal.qty, 0)))
         .select_from(StockMove).outerjoin(Reversal, Reversal.reverses_id == StockMove.id)
         .where(StockMove.ref_type == "visit", StockMove.reason == "served", StockMove.ref_id.in_(visit_ids))
         .group_by(*keys, StockMove.item_id))
    if by == "rep":
        q = q.join(Visit, Visit.id == StockMove.ref_id)
    # Served rows are negative, their reversals positive: what was used is minus the sum.
    return {tuple(key): -Decimal(str(qty)) for *key, qty in db.session.execute(q)}


# What the visit's page lists as served: each item with the net quantity (its 'served' rows plus any row
# reversing them), in one statement built once, as plain rows.
_SERVED_OF = (select(Item.id, Item.name, Item.name_en, Item.unit, Item.unit_price,
                     func.sum(StockMove.qty + func.coalesce(Reversal.qty, 0)))
              .select_from(StockMove).join(Item, Item.id == StockMove.item_id)
              .outerjoin(Reversal, Reversal.reverses_id == StockMove.id)
              .where(StockMove.ref_type == "visit", StockMove.reason == "served",
                     StockMove.ref_id == bindparam("visit_id"))
              .group_by(Item.id, Item.name, Item.name_en, Item.unit, Item.unit_price, Item.position)
              .order_by(Item.position, Item.id))


@dataclass(frozen=True)
class ServedItem:
    """An item as the visit's page lists it."""
    id: int
    label: str
    unit: str
    unit_price: Decimal


def served(visit: Visit) -> tuple[list[tuple[ServedItem, Decimal]], Decimal]:
    """What the bar served this group, net of reversals, and its consumable cost (at the day's prices)."""
    # Served rows are negative, their reversals positive: what was used is minus the sum.
    lines = [(ServedItem(i, _localized(name, name_en), unit, price), -Decimal(str(qty)))
             for i, name, name_en, unit, price, qty in select_rows(_SERVED_OF, {"visit_id": visit.id}) if qty]
    return lines, visit.served_cost or Decimal(0)


def rooms_of(visit: Visit):
    """The visit's model-room rows (id, admitted_at, left_at, refused, count_id, room_name, rep_name)."""
    return select_rows(_ROOMS_OF, {"visit_id": visit.id}).all()


def umbrellas_out_of(visit: Visit) -> int:
    """How many of the group's umbrellas are still out (the sum of its open loans)."""
    return select_rows(_UMBRELLAS_OUT_OF, {"visit_id": visit.id}).scalar()


_UMBRELLAS_OUT = select(func.coalesce(func.sum(UmbrellaLoan.qty), 0)).where(
    UmbrellaLoan.site_id == bindparam("site_id"), UmbrellaLoan.returned_at.is_(None))


def umbrellas_out(site_id: int) -> int:
    return select_rows(_UMBRELLAS_OUT, {"site_id": site_id}).scalar()


# The concierge's today screen: each group with umbrellas out, on site or gone (guests often leave with them),
# read off the open loans (the partial index on site_id) as plain rows.
_UMBRELLA_VISITS = (select(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate,
                           func.sum(UmbrellaLoan.qty).label("out"))
                    .join(Visit, Visit.id == UmbrellaLoan.visit_id)
                    .where(UmbrellaLoan.site_id == bindparam("site_id"), UmbrellaLoan.returned_at.is_(None))
                    .group_by(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate)
                    .order_by(Visit.arrived_at.desc()).limit(LIVE_LIMIT))


def umbrella_visits(site_id: int):
    """The groups with umbrellas out (id, arrived_at, party_size, plate, out), latest first."""
    return select_rows(_UMBRELLA_VISITS, {"site_id": site_id}).all()


_VERSION = select(func.coalesce(func.max(VisitEvent.id), 0)).where(VisitEvent.site_id == bindparam("site_id"))


def version(site_id: int) -> int:
    """The newest timeline row of the site: the live panel changes only when it does (one index seek)."""
    return select_rows(_VERSION, {"site_id": site_id}).scalar()


_SEEN_BY_POST = exists().where(and_(VisitSeen.visit_id == Visit.id, VisitSeen.post == bindparam("post")))
_LIVE_ROWS = (select(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate, Visit.last_refill_at,
                     Visit.greeted_at, _SEEN_BY_POST.label("seen"))
              .where(Visit.site_id == bindparam("site_id"), Visit.status == "active",
                     Visit.arrived_at >= bindparam("start"))
              .order_by(Visit.arrived_at.desc()).limit(LIVE_LIMIT))


def live_rows(site: Site, post: str):
    """Today's groups on site with an 'unseen by my post' flag, in one query."""
    start, _end = day_bounds(site, site.today())
    return select_rows(_LIVE_ROWS, {"post": post, "site_id": site.id, "start": start}).all()


def _disc_after_visits(fn):
    return (select(fn).where(Discrepancy.site_id == bindparam("site_id"), Discrepancy.status != "closed",
                             Discrepancy.visit_id.is_not(None)).scalar_subquery())


# The lead's and manager's live element also carries the alert for counts after a group that differed:
# still one statement (the version, how many are open, the newest).
_VERSION_ALERTS = select(_VERSION.scalar_subquery(), _disc_after_visits(func.count(Discrepancy.id)),
                         _disc_after_visits(func.max(Discrepancy.id)))


def live_state(site: Site, post: str) -> tuple[int, int, int | None]:
    """The live element's version, and for the lead and manager the open alerts: one statement."""
    if post in ("lead", "manager"):
        return tuple(select_rows(_VERSION_ALERTS, {"site_id": site.id}).one())
    return version(site.id), 0, None


def live_panel(site: Site, post: str, state: tuple | None = None) -> dict:
    """What the live element renders: the version it was built at, rows, and when a refill falls due.
    `state` is live_state() when the caller has read it already (the poll compares it first)."""
    v, alerts, alert_id = state or live_state(site, post)
    rows = live_rows(site, post)
    now = utcnow()
    due_ids, next_due, upcoming = set(), None, {}
    for r in rows:
        when = next_refill_at(r.last_refill_at, site)
        if when is None:
            continue
        if when <= now:
            due_ids.add(r.id)
        else:
            upcoming[r.id] = when
            if next_due is None or when < next_due:
                next_due = when
    bar = post == "water_bar"
    umbrellas = umbrella_visits(site.id) if post == "concierge" else []
    on_list = {r.id for r in rows}
    # The bar's rows show the due time itself (always right without a reload); when the earliest one
    # passes, the poll re-renders the element (live_next) and that row turns due.
    return {"live_v": v, "live_rows": rows, "live_due": due_ids if bar else set(),
            "live_refill_at": upcoming if bar else {},
            "live_next": int(next_due.replace(tzinfo=UTC).timestamp()) if next_due and bar
            else 0, "live_ack": post in ACK_POSTS, "live_alerts": alerts, "live_alert_id": alert_id,
            # The concierge sees umbrellas out on each group's row, and below them the groups gone with some.
            "live_umbrellas": {u.id: u.out for u in umbrellas},
            "live_umbrellas_gone": [u for u in umbrellas if u.id not in on_list]}


def next_refill_at(last_refill_at: datetime | None, site: Site) -> datetime | None:
    """When a group's next refill falls due: its last serve or refill plus the site's round (None: not served)."""
    if last_refill_at is None:
        return None
    return last_refill_at + timedelta(minutes=site.refill_minutes or REFILL_MINUTES)


def refill_due(visit: Visit, site: Site) -> bool:
    when = next_refill_at(visit.last_refill_at, site)
    return visit.status == "active" and when is not None and utcnow() >= when


def due_passed(due_ts: int) -> bool:
    """A refill the live element was built to expect has fallen due since (no query)."""
    return bool(due_ts) and datetime.now(UTC).timestamp() >= due_ts


def seen_in(events: list[VisitEvent], post: str) -> bool:
    """Whether a post has acknowledged the group, read off its timeline (no query): a "seen" row of that
    post, or the arrival recorded by that post."""
    if events and events[0].kind == "arrived" and events[0].user_post == post:
        return True
    return any(e.kind == "seen" and e.detail.get("post") == post for e in events)


def seen_by(visit: Visit, post: str) -> bool:
    return db.session.scalar(select(VisitSeen.id).where(VisitSeen.visit_id == visit.id,
                                                        VisitSeen.post == post)) is not None
