"""Worker register rules: register a crew, count the room before, in, out, count after. One transaction each.

The counts are the stock capability's own (`inventory.start_count`, ref_type "worker", ref_id = crew id):
a difference opens a discrepancy there, confirmed by security and closed by the manager.
"""
import re

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, attributes

from ..audit import record
from ..clock import utcnow
from ..database import write_tx
from ..errors import FieldErrors, RuleError, messages
from ..extensions import db
from ..forms import limited
from ..i18n import text as _
from ..inventory import services as inventory
from ..inventory.ledger import StockError
from ..models import Site, StockCount, User
from ..models.workers import WORKER_PURPOSES, WorkerEntry
from ..permissions import can
from ..repairs import services as repairs
from ..visits.reads.detail import room_choices

MAX_CREW = 10
SUBMITTED = ("matched", "discrepancy")  # a count saved, all present or not
# Mainland mobile numbers; a landline with or without its area code (010-62751234, 0755 2600123, 87654321):
# area codes are 010 and 02x, or four digits from 03xx on.
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^(0[12]\d|0[3-9]\d{2})?([2-9]\d{6,7})$")


class WorkerError(RuleError):
    """A register rule said no."""


class WorkerErrors(FieldErrors, WorkerError):
    """Several fields of the registration form are wrong at once: every mistake is reported."""


def _at_the_door(user: User) -> None:
    if not can(user, "workers.doors"):
        raise WorkerError(_("The model room attendant or security registers workers and lets them in and out."))


def normalize_phone(raw: str | None, field: str = "phone") -> str:
    """A mobile as 11 digits, a landline as 0755-12345678 (or 8 digits without an area code)."""
    digits = re.sub(r"[\s\-()（）]", "", raw or "")
    if not digits:
        raise WorkerError(_("Enter a phone number."), field)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if MOBILE.match(digits):
        return digits
    m = LANDLINE.match(digits)
    if m and digits.isdigit():
        return f"{m.group(1)}-{m.group(2)}" if m.group(1) else m.group(2)
    raise WorkerError(_("Not a valid phone number: a mobile of 11 digits starting 13–19, or a landline "
                        "such as 0755-12345678."), field)


def _supervisor(site: Site, supervisor_id, supervisor_name: str | None) -> tuple[int | None, str | None]:
    name = limited(supervisor_name, 40, "supervisor", WorkerError)
    if supervisor_id in (None, "", "0"):
        if not name:
            raise WorkerError(_("Choose who supervises them, or type a name."), "supervisor")
        return None, name
    if name:
        raise WorkerError(_("Choose a person or type a name, not both."), "supervisor")
    try:
        user = db.session.get(User, int(supervisor_id))
    except (TypeError, ValueError):
        user = None
    if user is None or user.site_id != site.id or not user.active or not can(user, "workers.supervise"):
        raise WorkerError(_("Choose who supervises them, or type a name."), "supervisor")
    return user.id, None


def _people(names: list[str], phones: list[str]) -> list[tuple[str, str]]:
    """The crew's rows: a name and a phone each; empty rows are skipped, every mistake is reported."""
    errors, people = {}, []
    for n, (raw_name, raw_phone) in enumerate(zip(names, phones, strict=True)):
        name, phone = (raw_name or "").strip(), (raw_phone or "").strip()
        if not name and not phone:
            continue
        if not name:
            errors[f"name-{n}"] = _("Enter the worker's name.")
        elif len(name) > 40:
            errors[f"name-{n}"] = _("At most %(n)s characters.", n=40)
        try:
            phone = normalize_phone(phone, f"phone-{n}")
        except WorkerError as e:
            errors[e.field] = e.message
        people.append((name, phone))
    if not people and not errors:
        errors["name-0"] = _("Enter at least one worker.")
    if len(people) > MAX_CREW:
        errors["name-0"] = _("At most %(n)s workers per registration.", n=MAX_CREW)
    if errors:
        raise WorkerErrors(errors)
    return people


def register(site: Site, user: User, *, location_id, company: str, names: list[str], phones: list[str],
             purpose: str, purpose_note: str | None, supervisor_id, supervisor_name: str | None,
             idem_key: str | None, repair_id=None) -> WorkerEntry:
    """Register a crew (one row per person) for a model room; a double tap registers it once. A crew that comes
    for a repair of the room (hospitality/repairs) is linked to it in the same transaction."""
    _at_the_door(user)
    errors = {}
    room = next((r for r in room_choices(site.id) if str(r.id) == str(location_id)), None)
    if room is None:
        errors["location_id"] = _("Choose the model room.")
    company = (company or "").strip()
    if not company:
        errors["company"] = _("Enter their company.")
    elif len(company) > 80:
        errors["company"] = _("At most %(n)s characters.", n=80)
    note = (purpose_note or "").strip() or None
    if purpose not in WORKER_PURPOSES:
        errors["purpose"] = _("Choose what they come to do.")
    elif purpose == "other" and not note:
        errors["purpose_note"] = _("Say what they come to do.")
    if note and len(note) > 200:  # the input's maxlength: refused, never cut
        errors["purpose_note"] = _("At most %(n)s characters.", n=200)
    checks = [lambda: _people(names, phones), lambda: _supervisor(site, supervisor_id, supervisor_name),
              lambda: repairs.crew_repair(site, repair_id, room.id if room else None)]
    results = []
    for check in checks:
        try:
            results.append(check())
        except RuleError as e:  # the register's own, or the repair's (another site's, closed, another room)
            errors |= messages(e)
    if errors:
        raise WorkerErrors(errors)
    people, (sup_id, sup_name), repair = results
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(WorkerEntry).where(WorkerEntry.idem_key == idem_key))
            if done is not None:
                return done
        entries = [WorkerEntry(site_id=site.id, location_id=room.id, name=name, company=company, phone=phone,
                               purpose=purpose, purpose_note=note, supervisor_id=sup_id, supervisor_name=sup_name,
                               recorded_by_id=user.id, idem_key=idem_key if n == 0 else None)
                   for n, (name, phone) in enumerate(people)]
        try:
            with db.session.begin_nested():
                db.session.add(entries[0])
        except IntegrityError:  # the same key from a concurrent double tap (PostgreSQL)
            return db.session.scalar(select(WorkerEntry).where(WorkerEntry.idem_key == idem_key))
        for e in entries:
            e.crew_id = entries[0].id
        db.session.add_all(entries[1:])
        db.session.flush()
        if repair is not None:
            repairs.link_crew(repair, entries[0].id, user, [name for name, _phone in people])
        record("register", "worker_entry", entries[0].id, site_id=site.id, room=room.name, company=company,
               workers=[f"{n} {p}" for n, p in people], purpose=purpose, note=note,
               supervisor_id=sup_id, supervisor_name=sup_name)
    return entries[0]


def crew_of(entry: WorkerEntry) -> list[WorkerEntry]:
    """Everyone registered with this person, first row first."""
    return list(db.session.scalars(select(WorkerEntry).where(WorkerEntry.crew_id == entry.crew_id)
                                   .order_by(WorkerEntry.id)))


def _locked_crew(crew_id: int) -> list[WorkerEntry]:
    """The crew's rows, fresh, under row locks on PostgreSQL (SQLite's write lock is held by write_tx)."""
    q = select(WorkerEntry).where(WorkerEntry.crew_id == crew_id).order_by(WorkerEntry.id)
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return list(db.session.scalars(q.execution_options(populate_existing=True)))


def _fresh_count(count_id: int | None) -> StockCount | None:
    if count_id is None:
        return None
    return db.session.get(StockCount, count_id, populate_existing=True)


def _counting(site: Site, user: User, crew: list[WorkerEntry], kind: str, current_id: int | None) -> StockCount:
    """Start (or resume) the count of the crew's room and tie it to every row of the crew."""
    first = crew[0]
    if not inventory.can_handle(user, first.location):  # security confirms differences, so does not count
        raise WorkerError(_("The model room attendant counts the room."))
    current = _fresh_count(current_id)
    if current is not None and current.status == "open" and current.started_by_id == user.id:
        return current
    try:
        count = inventory.start_count(site, user, first.location, kind, ref_type="worker", ref_id=first.crew_id)
    except StockError as e:
        raise WorkerError(e.message) from None
    column = "count_in_id" if kind == "worker_in" else "count_out_id"
    with write_tx():
        for m in _locked_crew(first.crew_id):
            setattr(m, column, count.id)
        record("count_" + kind[len("worker_"):], "worker_entry", first.crew_id, site_id=site.id, count=count.id)
    return count


def count_before(site: Site, user: User, entry: WorkerEntry) -> StockCount:
    """The count before they go in: everything present, in one tap when it all matches."""
    crew = crew_of(entry)
    if any(m.status == "cancelled" for m in crew):
        raise WorkerError(_("This registration was cancelled."))
    if any(m.status != "registered" for m in crew):
        raise WorkerError(_("They are already inside: the count before is closed."))
    done = _fresh_count(crew[0].count_in_id)
    if done is not None and done.status in SUBMITTED:
        raise WorkerError(_("The room has already been counted before they went in."))
    return _counting(site, user, crew, "worker_in", crew[0].count_in_id)


def go_in(site: Site, user: User, entry: WorkerEntry) -> list[WorkerEntry]:
    """The crew goes in, once the room has been counted; a second tap changes nothing."""
    _at_the_door(user)
    with write_tx():
        crew = _locked_crew(entry.crew_id)
        waiting = [m for m in crew if m.status == "registered"]
        if not waiting:
            if any(m.status == "cancelled" for m in crew):
                raise WorkerError(_("This registration was cancelled."))
            return crew
        count = _fresh_count(crew[0].count_in_id)
        if count is None or count.status not in SUBMITTED:
            raise WorkerError(_("Count the room before they go in."))
        now = utcnow()
        for m in waiting:
            m.status, m.in_at, m.in_by_id = "in", now, user.id
        record("in", "worker_entry", crew[0].crew_id, site_id=site.id, workers=[m.name for m in waiting])
    return crew


def leave(site: Site, user: User, entry: WorkerEntry, ids: list[int] | None = None) -> list[WorkerEntry]:
    """Some or all of the crew leave; returns who is still inside."""
    _at_the_door(user)
    with write_tx():
        crew = _locked_crew(entry.crew_id)
        inside = [m for m in crew if m.status == "in"]
        if not inside:
            if any(m.status in ("out", "closed") for m in crew):
                raise WorkerError(_("They have already left."), "who")
            raise WorkerError(_("They have not gone in yet."), "who")
        if ids is not None:  # the form's ticks; None: everyone inside leaves
            gone = [m for m in crew if m.id in ids and m.status != "in"]
            if gone:
                raise WorkerError(_("Already left or not inside: %(names)s.",
                                    names="、".join(m.name for m in gone)), "who")
            leaving = [m for m in inside if m.id in ids]
        else:
            leaving = inside
        if not leaving:
            raise WorkerError(_("Tick who is leaving."), "who")
        now = utcnow()
        for m in leaving:
            m.status, m.out_at, m.out_by_id = "out", now, user.id
        record("out", "worker_entry", crew[0].crew_id, site_id=site.id, workers=[m.name for m in leaving])
        return [m for m in inside if m not in leaving]


def count_after(site: Site, user: User, entry: WorkerEntry) -> StockCount:
    """The count after the whole crew has left; the entry closes when it is submitted."""
    crew = crew_of(entry)
    if any(m.status == "cancelled" for m in crew):
        raise WorkerError(_("This registration was cancelled."))
    still = [m.name for m in crew if m.status == "in"]
    if still:
        raise WorkerError(_("Still inside: %(names)s. Count the room when the last one has left.",
                            names="、".join(still)))
    if any(m.status == "registered" for m in crew):
        raise WorkerError(_("They have not gone in yet."))
    if all(m.status == "closed" for m in crew):
        raise WorkerError(_("The room has already been counted after they left."))
    return _counting(site, user, crew, "worker_out", crew[0].count_out_id)


def cancel(site: Site, user: User, entry: WorkerEntry) -> None:
    """Cancel a registration whose crew never went in (turned away, or registered by mistake)."""
    _at_the_door(user)
    with write_tx():
        crew = _locked_crew(entry.crew_id)
        if all(m.status == "cancelled" for m in crew):
            return
        if any(m.status != "registered" for m in crew):
            raise WorkerError(_("They have gone in: record them leaving instead."))
        count = _fresh_count(crew[0].count_in_id)
        if count is not None and count.status == "open":
            raise WorkerError(_("The room is being counted for them: finish or cancel that count first."))
        for m in crew:
            m.status = "cancelled"
        record("cancel", "worker_entry", crew[0].crew_id, site_id=site.id)


@event.listens_for(Session, "before_flush")
def _close_on_count(session, _flush_context, _instances):
    """A crew's entry closes in the same transaction as the count after it is submitted.

    The stock capability submits the count and knows nothing of workers; it only returns to their page.
    """
    for obj in session.dirty:
        if not isinstance(obj, StockCount) or obj.ref_type != "worker" or obj.kind != "worker_out":
            continue
        if obj.status in SUBMITTED and attributes.get_history(obj, "status").has_changes():
            session.connection().execute(
                WorkerEntry.__table__.update().where(WorkerEntry.crew_id == obj.ref_id,
                                                     WorkerEntry.count_out_id == obj.id,
                                                     WorkerEntry.status == "out").values(status="closed"))
