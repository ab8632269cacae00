"""Visit rules: arrival, acknowledgement, greeting, serving, rooms, departure. One transaction per action."""
import re
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from .. import idempotency
from ..audit import record
from ..clock import utcnow
from ..database import write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..inventory import ledger
from ..inventory import services as inventory
from ..inventory.ledger import StockError
from ..models import (
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
from ..models.visits import PURPOSES
from ..permissions import can
from .reads.detail import bar_menu, model_rooms

MAX_PARTY = 50
MAX_UMBRELLAS = 20
# A Chinese plate: province character, a letter (not I or O), then 5 characters (6 on green
# new-energy plates); the last may be 学/警/挂/港/澳 on special plates.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9学警挂港澳]"
                   rf"|[A-HJ-NP-Z0-9]{{6}})$")


class VisitError(RuleError):
    """A visit rule said no; `field` names the form field the message belongs under."""


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


def record_arrival(site: Site, user: User, party_size, by_car: bool, plate: str | None,
                   idem_key: str | None) -> Visit:
    """Security (or the concierge, for walk-ins) records a group; a double tap records it once."""
    if not can(user, "visits.register"):
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
    if not can(user, "visits.acknowledge"):
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
        if visit.greeted_at is not None and (visit.purpose, visit.rep_id) == (purpose, rep.id):
            return visit  # the same greeting sent again: one on the timeline
        visit.purpose, visit.rep_id = purpose, rep.id
        if visit.greeted_at is None:
            visit.greeted_at, visit.greeted_by_id = utcnow(), user.id
        _event(visit, user, "greeted", purpose=purpose, rep=rep.name)
        record("greet", "visit", visit.id, site_id=site.id, purpose=purpose, rep=rep.name)
    return visit


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
    offered = bar_menu(site)
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


def refill(site: Site, user: User, visit: Visit, idem_key: str | None = None) -> Visit:
    """The water bar refilled the group's drinks: the same tap sent twice is one refill."""
    with write_tx():
        visit = _active(visit.id)
        if idempotency.claim(idem_key, "visit_refill", site.id) is not None:
            return visit
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


def admit(site: Site, user: User, visit: Visit, location_id, rep_id, idem_key: str | None = None) -> RoomVisit:
    """Admit a group escorted by its rep; without one it is refused politely, and the record says so. The same
    form sent twice is one admission (or refusal)."""
    room = next((r for r in model_rooms(site.id) if str(r.id) == str(location_id)), None)
    if room is None:
        raise VisitError(_("Choose the model room."), "location_id")
    rep = _rep(site, rep_id)
    with write_tx():
        visit = _active(visit.id)
        if (earlier := idempotency.claim(idem_key, "room_visit", site.id)) is not None:
            return db.session.get(RoomVisit, earlier)
        rv = RoomVisit(visit_id=visit.id, site_id=site.id, location_id=room.id, rep_id=rep.id if rep else None,
                       escorted=rep is not None, refused=rep is None, recorded_by_id=user.id)
        try:
            with db.session.begin_nested():
                db.session.add(rv)
        except IntegrityError:
            raise VisitError(_("This group is already in %(room)s.", room=room.name), "location_id") from None
        idempotency.done(idem_key, "room_visit", site.id, rv.id)
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
    if not can(user, "visits.correct"):
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

