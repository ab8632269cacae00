"""Shift handover rules (交接班): start, count, check, note what is pending, submit, accept or dispute, resolve.

The seeds: stock must reconcile before the shift is handed over (盘点库存食品,核对无误后方可交接班), and company
property is checked for damage at every handover (交接班時必須嚴格檢查公司物品有無損壞). One transaction per action.
Reading (the screens, the "today" card, the lead's board, shift_closed) lives in reads.py.
"""
from datetime import date

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import idempotency
from ..audit import record
from ..clock import to_local
from ..database import next_position, select_rows, write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..inventory import services as inventory
from ..inventory.ledger import StockError
from ..models import Item, Location, Site, StockCount, User
from ..models.attendance import Attendance
from ..models.core import utcnow
from ..models.handover import MANUAL_KINDS, Handover, HandoverCount, HandoverLine
from ..permissions import can
from .reads import count_locations, count_states, holds_post, last_accepted, lines_of, open_for_post, pending_now

MAX_TEXT = 200
MAX_NOTE = 500
MAX_NOTES = 2000


class HandoverError(RuleError):
    """A handover rule said no; `field` names the form field the message belongs under."""


def _locked(handover_id: int) -> Handover:
    """The handover, fresh, under a row lock on PostgreSQL (SQLite's write lock is held by write_tx)."""
    q = select(Handover).where(Handover.id == handover_id)
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one()


def _fresh_line(line_id: int) -> HandoverLine:
    return db.session.get(HandoverLine, line_id, populate_existing=True)


def _incoming(site: Site, user: User, raw) -> User:
    """The colleague chosen on the form, checked; a clear message under the field otherwise."""
    if raw in (None, ""):
        raise HandoverError(_("Choose the colleague who takes over."), "to_user_id")
    try:
        other = db.session.get(User, int(raw))
    except (TypeError, ValueError):
        other = None
    if other is not None and other.id == user.id:
        raise HandoverError(_("You cannot hand over to yourself: choose the colleague who takes over."),
                            "to_user_id")
    if other is None or other.site_id != site.id:
        raise HandoverError(_("Choose the colleague who takes over."), "to_user_id")
    if other.post != user.post:
        raise HandoverError(_("%(name)s does not work on your post.", name=other.name), "to_user_id")
    if not other.active:
        raise HandoverError(_("%(name)s is no longer active.", name=other.name), "to_user_id")
    return other


_FIXTURES = (select(Item.id, Item.name).join(Location, Item.location_id == Location.id).where(
    Item.site_id == bindparam("site_id"), Item.kind == "fixture", Item.active.is_(True), Location.active.is_(True),
    Location.kind.in_(bindparam("kinds", expanding=True))).order_by(Location.position, Item.position, Item.id))


def _fixtures(site_id: int, post: str) -> list[Row]:
    """The company items on the post (id, name): the fixtures of its locations."""
    kinds = inventory.POST_LOCATIONS.get(post, ())
    if not kinds:
        return []
    return select_rows(_FIXTURES, {"site_id": site_id, "kinds": list(kinds)}).all()


_OPEN_CLOCK_IN_DAY = (select(Attendance.day).where(
    Attendance.user_id == bindparam("user_id"), Attendance.site_id == bindparam("site_id"),
    Attendance.clock_out_at.is_(None)).order_by(Attendance.day.desc()).limit(1))


def _shift_day(site: Site, user: User) -> date:
    """The outgoing shift's day: the day of their open clock-in (a night shift belongs to the day it
    started), else today at the site."""
    return select_rows(_OPEN_CLOCK_IN_DAY, {"user_id": user.id, "site_id": site.id}).scalar() or site.today()


def start(site: Site, user: User, to_user_id, idem_key: str | None) -> Handover:
    """Open the post's handover: fixture lines to check and last handover's open lines carried over.

    One handover per post at a time: a double tap (same key, or the same person again) finds the same one.
    """
    if not can(user, "handover.hand"):
        raise HandoverError(_("Your post does not hand over shifts here."))
    incoming = _incoming(site, user, to_user_id)
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(Handover).where(Handover.idem_key == idem_key))
            if done is not None:
                return done
        current = open_for_post(site.id, user.post)
        if current is not None:
            return _existing(current, user)
        handover = Handover(site_id=site.id, post=user.post, day=_shift_day(site, user), from_user_id=user.id,
                            to_user_id=incoming.id, idem_key=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(handover)
        except IntegrityError:  # a colleague's or a concurrent tap's handover got in first (PostgreSQL)
            current = open_for_post(site.id, user.post)
            if current is None:
                raise
            return _existing(current, user)
        position = 0
        for position, item in enumerate(_fixtures(site.id, user.post), start=1):
            db.session.add(HandoverLine(handover_id=handover.id, site_id=site.id, position=position,
                                        kind="fixture", text=item.name, item_id=item.id, state="info"))
        carried = 0
        prev = last_accepted(site.id, user.post)
        if prev is not None and prev.still_open:
            for line in db.session.scalars(select(HandoverLine).where(
                    HandoverLine.handover_id == prev.id, HandoverLine.state == "open").order_by(HandoverLine.position)):
                position += 1
                carried += 1
                db.session.add(HandoverLine(
                    handover_id=handover.id, site_id=site.id, position=position, kind=line.kind, text=line.text,
                    item_id=line.item_id, condition=line.condition, note=line.note, detail=line.detail,
                    state="open", carried_from_id=line.id, origin_id=line.chain))
        record("start", "handover", handover.id, site_id=site.id, post=user.post, to=incoming.name,
               carried=carried)
    return handover


def _existing(current: Handover, user: User) -> Handover:
    """The post's handover already in progress: the same person gets theirs back, others are told why not."""
    if current.from_user_id == user.id:
        return current
    if current.to_user_id == user.id and current.status == "submitted":
        raise HandoverError(_("%(name)s's handover to you is waiting: accept it first.",
                              name=current.from_user.name))
    raise HandoverError(_("%(name)s has a handover of this post in progress. It must be accepted or cancelled "
                          "first.", name=current.from_user.name))


def _draft_of(handover_id: int, user: User) -> Handover:
    """The handover, locked, if it is this user's and still being prepared."""
    handover = _locked(handover_id)
    if handover.from_user_id != user.id:
        raise HandoverError(_("Only %(name)s can change this handover.", name=handover.from_user.name))
    if handover.status != "draft":
        raise HandoverError(_("This handover has been submitted; it can no longer be changed."))
    return handover


def start_count(site: Site, user: User, handover: Handover, location: Location) -> StockCount:
    """The handover count of one location, on the ordinary count page (the same counter as every count)."""
    if location.id not in {loc.id for loc in count_locations(site.id, handover.post)}:
        raise HandoverError(_("%(place)s is not counted at this handover.", place=location.name))
    with write_tx():
        _draft_of(handover.id, user)
    try:
        count = inventory.start_count(site, user, location, "handover", ref_type="handover", ref_id=handover.id)
    except StockError as e:
        raise HandoverError(e.message) from None
    if count.ref_type != "handover" or count.ref_id != handover.id:
        raise HandoverError(_("You have another count of %(place)s open: finish or cancel it first.",
                              place=location.name))
    with write_tx():
        if db.session.scalar(select(HandoverCount.id).where(HandoverCount.count_id == count.id)) is None:
            try:
                with db.session.begin_nested():
                    db.session.add(HandoverCount(handover_id=handover.id, count_id=count.id))
            except IntegrityError:  # the same count linked by a concurrent tap
                pass
    return count


def check_fixture(site: Site, user: User, line: HandoverLine, condition: str, note: str | None) -> HandoverLine:
    """One company item: intact, or damaged with a note (a damaged one stays open until it is dealt with)."""
    if line.kind != "fixture" or line.carried_from_id is not None:
        raise HandoverError(_("This line is not a company item to check."))
    if condition not in ("intact", "damaged"):
        raise HandoverError(_("Choose intact or damaged."), "condition")
    note = (note or "").strip()
    if condition == "damaged" and not note:
        raise HandoverError(_("Say what is damaged."), "note")
    if len(note) > MAX_TEXT:
        raise HandoverError(_("At most %(n)s characters.", n=MAX_TEXT), "note")
    with write_tx():
        _draft_of(line.handover_id, user)
        line = _fresh_line(line.id)
        if (line.condition, line.note) == (condition, note or None):
            return line  # the same check sent again: recorded once
        line.condition, line.note = condition, note or None
        line.state = "open" if condition == "damaged" else "info"
        record("check", "handover_line", line.id, site_id=site.id, item=line.text, condition=condition,
               note=line.note)
    return line


def all_intact(site: Site, user: User, handover: Handover) -> int:
    """Every company item not yet checked is intact (one tap); the ones marked damaged stay so."""
    with write_tx():
        _draft_of(handover.id, user)
        n = db.session.execute(update(HandoverLine).where(
            HandoverLine.handover_id == handover.id, HandoverLine.kind == "fixture",
            HandoverLine.carried_from_id.is_(None), HandoverLine.condition.is_(None))
            .values(condition="intact")).rowcount
        if n:  # a second tap finds none left to mark: nothing to record
            record("all_intact", "handover", handover.id, site_id=site.id, lines=n)
    return n


def add_line(site: Site, user: User, handover: Handover, kind: str, text: str | None,
             idem_key: str | None) -> HandoverLine:
    """A pending line the outgoing person adds (keys, anything to watch, damage found): open until resolved."""
    if kind not in MANUAL_KINDS:
        raise HandoverError(_("Choose what kind of line this is."), "kind")
    text = (text or "").strip()
    if not text:
        raise HandoverError(_("Write what the next shift needs to know."), "text")
    if len(text) > MAX_TEXT:
        raise HandoverError(_("At most %(n)s characters.", n=MAX_TEXT), "text")
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(HandoverLine).where(HandoverLine.idem_key == idem_key))
            if done is not None:
                return done
        _draft_of(handover.id, user)
        position = next_position(HandoverLine.position, HandoverLine.handover_id == handover.id)
        line = HandoverLine(handover_id=handover.id, site_id=site.id, kind=kind, text=text, state="open",
                            idem_key=idem_key, position=position)
        db.session.add(line)
        db.session.flush()
        record("add_line", "handover", handover.id, site_id=site.id, line=line.id, kind=kind, text=text)
    return line


def delete_line(site: Site, user: User, line: HandoverLine) -> None:
    """Take back a line one added to a handover still being prepared."""
    if line.kind not in MANUAL_KINDS or line.carried_from_id is not None:
        raise HandoverError(_("Only lines you added can be removed."))
    with write_tx():
        _draft_of(line.handover_id, user)
        line = _fresh_line(line.id)
        record("delete_line", "handover", line.handover_id, site_id=site.id, line=line.id, text=line.text)
        db.session.delete(line)


def _check_counts(states: list[dict]) -> None:
    for s in states:
        place = s["location"].name
        if s["state"] == "todo":
            raise HandoverError(_("Count %(place)s before handing over.", place=place), "counts")
        if s["state"] == "counting":
            raise HandoverError(_("Finish the count of %(place)s first.", place=place), "counts")
        if s["state"] == "waiting":
            raise HandoverError(_("The count of %(place)s differs from the book: check it with the security guard "
                                  "on duty, who confirms it on their phone, then hand over.", place=place),
                                "counts")


def submit(site: Site, user: User, handover: Handover, to_user_id, notes: str | None,
           property_checked: bool) -> Handover:
    """Hand over: only when every count reconciles and every company item is checked; pending lines are
    snapshotted now. The incoming colleague then reviews it on their own phone."""
    incoming = _incoming(site, user, to_user_id)
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise HandoverError(_("At most %(n)s characters.", n=MAX_NOTES), "notes")
    with write_tx():
        handover = _locked(handover.id)
        if handover.status == "submitted" and handover.from_user_id == user.id:
            return handover  # a double tap
        handover = _draft_of(handover.id, user)
        _check_counts(count_states(handover))
        fixture_lines = [ln for ln in lines_of(handover) if ln.kind == "fixture" and ln.carried_from_id is None]
        unchecked = [ln for ln in fixture_lines if ln.condition is None]
        if unchecked:
            raise HandoverError(_("Check every company item: %(n)s not checked yet.", n=len(unchecked)), "fixtures")
        if not fixture_lines and not property_checked:
            raise HandoverError(_("Confirm that you checked the company property on your post for damage."),
                                "property")
        position = next_position(HandoverLine.position, HandoverLine.handover_id == handover.id)
        auto = pending_now(site, handover.post)
        for n, line in enumerate(auto):
            db.session.add(HandoverLine(handover_id=handover.id, site_id=site.id, position=position + n,
                                        state="info", **line))
        handover.to_user_id, handover.notes = incoming.id, notes or None
        handover.property_checked = property_checked or bool(fixture_lines)
        handover.status, handover.submitted_at = "submitted", utcnow()
        record("submit", "handover", handover.id, site_id=site.id, to=incoming.name, pending=len(auto),
               damaged=sum(ln.condition == "damaged" for ln in fixture_lines))
    return handover


def cancel(site: Site, user: User, handover: Handover) -> Handover:
    """The outgoing person (or the lead or manager) withdraws a handover that is not accepted yet."""
    with write_tx():
        handover = _locked(handover.id)
        if handover.from_user_id != user.id and not can(user, "handover.oversee"):
            raise HandoverError(_("Only %(name)s or the lead can cancel this handover.", name=handover.from_user.name))
        if handover.status == "accepted":
            raise HandoverError(_("This handover has already been accepted."))
        if handover.status == "cancelled":
            return handover
        handover.status, handover.cancelled_at, handover.cancelled_by_id = "cancelled", utcnow(), user.id
        record("cancel", "handover", handover.id, site_id=site.id)
    return handover


def _reviewing(site: Site, handover_id: int, user: User) -> Handover:
    """The handover, locked, if it is addressed to this user and waits for them."""
    return _waits_for(site, _locked(handover_id), user)


def _waits_for(site: Site, handover: Handover, user: User) -> Handover:
    """The (locked) handover if it is addressed to this user and waits for them, else why not."""
    if handover.to_user_id != user.id:
        raise HandoverError(_("This handover is addressed to %(name)s.", name=handover.to_user.name))
    if handover.status == "accepted":
        at = to_local(site, handover.accepted_at).strftime("%H:%M")
        raise HandoverError(_("You already accepted this handover at %(time)s.", time=at))
    if handover.status != "submitted":
        raise HandoverError(_("This handover has not been handed over to you yet."))
    return handover


def accept(site: Site, user: User, handover: Handover, idem_key: str | None = None) -> Handover:
    """The incoming person accepts: the outgoing shift closes. Disputed lines stay open for the lead.

    The same accept form sent again (its key: a double tap, a retry after a time-out) answers as the accept did and
    records nothing, while the handover is as that accept left it; another form, another person, or a replay after
    a line of it was resolved is told it is accepted already."""
    with write_tx():
        handover = _locked(handover.id)
        if (idempotency.claim(idem_key, "handover_accept", site.id) == handover.id
                and _as_accepted(handover, user)):
            return handover
        handover = _waits_for(site, handover, user)
        handover.status, handover.accepted_at = "accepted", utcnow()
        disputes = db.session.scalar(select(func.count(HandoverLine.id)).where(
            HandoverLine.handover_id == handover.id, HandoverLine.disputed.is_(True)))
        idempotency.done(idem_key, "handover_accept", site.id, handover.id)
        record("accept", "handover", handover.id, site_id=site.id, disputes=disputes)
    return handover


def _as_accepted(handover: Handover, user: User) -> bool:
    """Whether the handover is still as this user's accept left it: theirs, accepted, no line resolved since."""
    return (handover.status == "accepted" and handover.to_user_id == user.id and handover.accepted_at is not None
            and not db.session.scalar(select(HandoverLine.id).where(
                HandoverLine.handover_id == handover.id,
                HandoverLine.resolved_at > handover.accepted_at).limit(1)))


def _natural_state(line: HandoverLine) -> str:
    """What a line's state is without a dispute: open while something is left to do, else a record."""
    if line.kind in MANUAL_KINDS or line.carried_from_id is not None or line.condition == "damaged":
        return "open"
    return "info"


def dispute(site: Site, user: User, line: HandoverLine, reason: str | None) -> HandoverLine:
    """The incoming person disagrees with a line: it stays open and goes to the lead."""
    reason = (reason or "").strip()
    if not reason:
        raise HandoverError(_("Say what is not right."), "reason")
    if len(reason) > MAX_NOTE:
        raise HandoverError(_("At most %(n)s characters.", n=MAX_NOTE), "reason")
    with write_tx():
        _reviewing(site, line.handover_id, user)
        line = _fresh_line(line.id)
        if line.state == "resolved":
            raise HandoverError(_("This line has already been resolved."))
        if line.disputed and line.dispute_reason == reason:
            return line  # the same dispute sent again: recorded once
        line.disputed, line.dispute_reason, line.disputed_at, line.state = True, reason, utcnow(), "open"
        record("dispute", "handover_line", line.id, site_id=site.id, handover=line.handover_id, reason=reason)
    return line


def withdraw_dispute(site: Site, user: User, line: HandoverLine) -> HandoverLine:
    """A dispute tapped by mistake is taken back before accepting."""
    with write_tx():
        _reviewing(site, line.handover_id, user)
        line = _fresh_line(line.id)
        if line.disputed:
            line.disputed, line.dispute_reason, line.disputed_at = False, None, None
            line.state = _natural_state(line)
            record("withdraw_dispute", "handover_line", line.id, site_id=site.id, handover=line.handover_id)
    return line


def resolve(site: Site, user: User, line: HandoverLine, note: str | None) -> HandoverLine:
    """An open line is dealt with: the lead or manager for any (disputed ones are theirs), the post's staff for
    the open lines they hold. Its carried copies are resolved with it."""
    note = (note or "").strip()
    if not note:
        raise HandoverError(_("Write how it was resolved."), "note")
    if len(note) > MAX_NOTE:
        raise HandoverError(_("At most %(n)s characters.", n=MAX_NOTE), "note")
    with write_tx():
        handover = _locked(line.handover_id)
        line = _fresh_line(line.id)
        if line.state != "open":
            raise HandoverError(_("This line has already been resolved.") if line.state == "resolved"
                                else _("This line needs nothing resolved."))
        if not can(user, "handover.oversee"):
            if line.disputed:
                raise HandoverError(_("A disputed line is resolved by the lead."))
            if not holds_post(user, handover):
                raise HandoverError(_("Your post does not hold this line."))
            if not (handover.status == "accepted"
                    or (handover.status == "draft" and handover.from_user_id == user.id)):
                raise HandoverError(_("This handover is not yours to change."))
        now = utcnow()
        db.session.execute(update(HandoverLine).where(
            or_(HandoverLine.id == line.chain, HandoverLine.origin_id == line.chain),
            HandoverLine.state == "open").values(state="resolved", resolved_at=now, resolved_by_id=user.id,
                                                 resolution=note))
        record("resolve", "handover_line", line.id, site_id=site.id, handover=handover.id, note=note,
               disputed=line.disputed)
    return _fresh_line(line.id)
