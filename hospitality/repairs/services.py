"""Repair rules: report, assign, record fixed, check (or "not fixed"), and a crew registered for it. One transaction
per action, each step a row of the repair's timeline written with the change it records.

The seeds: the model room reports damage at once (报修), the manager receives damage reports; a construction crew
entering a model room is registered and the room counted before and after them (the worker register's own rule).
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..audit import record
from ..clock import utcnow
from ..database import locked, write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Location, Site, User
from ..models.incidents import Incident
from ..models.repairs import ASSIGNEES, KINDS, OPEN_STATES, Repair, RepairCrew, RepairEvent, RepairPhoto
from ..permissions import MODEL_ROOM, SECURITY, WATER_BAR, can

PHOTO_KIND = "repairs"  # folder of hospitality.photos
MAX_PHOTOS = 4
MAX_TEXT = 1000  # what is wrong, a note
MAX_SPOT = 100
# Which post owns a place, by the place's kind: its handover lists the place's open repairs, and its staff see them.
# Security hands over the company property everywhere else (the seeds: checking company property for damage).
EVERY_OTHER = ("*",)  # every kind of place no other post owns
OWNERS = {WATER_BAR: ("water_bar",), MODEL_ROOM: ("model_room",), SECURITY: EVERY_OTHER}
OWNED_ELSEWHERE = tuple(k for kinds in OWNERS.values() if kinds != EVERY_OTHER for k in kinds)


class RepairError(RuleError):
    """A repair rule said no; `field` names the form field the message belongs under."""


class RepairErrors(FieldErrors, RepairError):
    """Several fields of a form are wrong at once: every mistake is reported."""


def owner_post(location_kind: str) -> str:
    """The post whose handover carries a place's repairs."""
    return next((post for post, kinds in OWNERS.items() if location_kind in kinds),
                next(post for post, kinds in OWNERS.items() if kinds == EVERY_OTHER))


def _place(site: Site, raw) -> Location:
    try:
        loc = db.session.get(Location, int(raw))
    except (TypeError, ValueError, OverflowError):
        loc = None
    if loc is None or loc.site_id != site.id or not loc.active:
        raise RepairError(_("Choose where it is."), "location_id")
    return loc


def _by_key(model, key: str, *where):
    """The row a double tap's first request made with this key."""
    return db.session.scalar(select(model).where(model.idem_key == key, *where))


def _event(repair: Repair, user: User, kind: str, *, note=None, assignee=None, who=None, idem_key=None,
           names=()) -> RepairEvent:
    ev = RepairEvent(repair_id=repair.id, site_id=repair.site_id, kind=kind, user_id=user.id, note=note,
                     assignee=assignee, who=who, idem_key=idem_key)
    db.session.add(ev)
    db.session.flush()
    for name in names:
        db.session.add(RepairPhoto(repair_id=repair.id, event_id=ev.id, name=name))
    return ev


def report(site: Site, user: User, *, kind, location_id, spot=None, description, urgent=False, files=(),
           incident_id=None, idem_key: str | None = None) -> Repair:
    """Any post reports a defect: kind, place (required), where exactly, what is wrong, photos, urgent or not;
    perhaps from an incident handed over to a repair. A double tap records it once."""
    if not can(user, "repairs.report"):
        raise RepairError(_("Your post does not report repairs here."))
    errors: dict[str, str] = {}
    kind = fields.checked(errors, fields.choice, kind, KINDS, "kind")
    place = fields.checked(errors, _place, site, location_id)
    spot = fields.checked(errors, fields.text, spot, MAX_SPOT, "spot")
    text = fields.checked(errors, fields.text, description, MAX_TEXT, "description", _("Say what is wrong."))
    files = fields.checked(errors, fields.uploads, files, MAX_PHOTOS)
    incident = fields.checked(errors, fields.site_row, Incident, site.id, incident_id, "incident_id",
                              _("This incident is not one of this site's."))
    if errors:
        raise RepairErrors(errors)
    same_site = Repair.site_id == site.id
    if idem_key and (done := _by_key(Repair, idem_key, same_site)) is not None:
        return done
    names = fields.one(RepairErrors, fields.store, files, PHOTO_KIND)
    try:
        with write_tx():
            if idem_key and (done := _by_key(Repair, idem_key, same_site)) is not None:
                fields.discard(names, PHOTO_KIND)
                return done
            repair = Repair(site_id=site.id, kind=kind, location_id=place.id, spot=spot, description=text,
                            urgent=bool(urgent), reported_by_id=user.id, idem_key=idem_key,
                            incident_id=incident.id if incident else None)
            try:
                with db.session.begin_nested():
                    db.session.add(repair)
            except IntegrityError:  # the same key from a concurrent double tap (PostgreSQL)
                done = _by_key(Repair, idem_key, same_site) if idem_key else None
                if done is None:
                    raise
                fields.discard(names, PHOTO_KIND)
                return done
            _event(repair, user, "reported", note=text, names=names)
            record("report", "repair", repair.id, site_id=site.id, kind=kind, place=place.name, urgent=bool(urgent),
                   photos=len(names), incident=repair.incident_id)
    except BaseException:
        fields.discard(names, PHOTO_KIND)
        raise
    return repair


def _staff(site: Site, raw) -> User:
    found = fields.site_row(User, site.id, raw, "user_id", _("Choose a person of this site."))
    if found is None or not found.active:
        raise RepairError(_("Choose a person of this site."), "user_id")
    return found


def _step(repair: Repair, idem_key: str | None):
    """The event a double tap's first request wrote (the repair is locked first, so it is committed by then)."""
    return _by_key(RepairEvent, idem_key, RepairEvent.repair_id == repair.id) if idem_key else None


def assign(site: Site, user: User, repair: Repair, *, to, user_id=None, company=None, contact=None, phone=None,
           note=None, idem_key: str | None = None) -> RepairEvent:
    """The lead or the manager gives it to someone: a person of the site, the cleaners or maintenance, the property
    company, or a named contractor (company required; contact and phone). Again while assigned: reassigned."""
    if not can(user, "repairs.assign"):
        raise RepairError(_("The lead or the manager assigns repairs."))
    errors: dict[str, str] = {}
    to = fields.checked(errors, fields.choice, to, ASSIGNEES, "to")
    person = fields.checked(errors, _staff, site, user_id) if to == "staff" else None
    company = fields.checked(errors, fields.text, company, 80, "company",
                             _("Enter the contractor's name.") if to == "contractor" else None)
    contact = fields.checked(errors, fields.text, contact, 40, "contact")
    phone = fields.checked(errors, fields.phone, phone, "phone")
    note = fields.checked(errors, fields.text, note, MAX_TEXT, "note")
    if errors:
        raise RepairErrors(errors)
    if to in ("staff", "cleaners"):  # a contractor's company and phone do not belong to them
        company = contact = phone = None
    with write_tx():
        repair = locked(Repair, repair.id)
        if (done := _step(repair, idem_key)) is not None:
            return done
        if repair.status not in ("reported", "assigned"):
            raise RepairError(_("It is fixed already: check the fix instead."))
        repair.status, repair.assignee, repair.assigned_at = "assigned", to, utcnow()
        repair.assignee_user_id = person.id if person else None
        repair.company, repair.contact, repair.phone = company, contact, phone
        who = person.name if person else " · ".join(v for v in (company, contact, phone) if v) or None
        ev = _event(repair, user, "assigned", assignee=to, who=who, note=note, idem_key=idem_key)
        record("assign", "repair", repair.id, site_id=site.id, to=to, who=who)
    return ev


def fixed(site: Site, user: User, repair: Repair, *, note, files=(), idem_key: str | None = None) -> RepairEvent:
    """The fixer is done: the lead or the manager records it with a note and photos of the fix."""
    if not can(user, "repairs.fix"):
        raise RepairError(_("The lead or the manager records a repair fixed."))
    errors: dict[str, str] = {}
    note = fields.checked(errors, fields.text, note, MAX_TEXT, "fix_note", _("Say what was done."))
    files = fields.checked(errors, fields.uploads, files, MAX_PHOTOS)
    if errors:
        raise RepairErrors(errors)
    names = fields.one(RepairErrors, fields.store, files, PHOTO_KIND)
    try:
        with write_tx():
            repair = locked(Repair, repair.id)
            if (done := _step(repair, idem_key)) is not None:
                fields.discard(names, PHOTO_KIND)
                return done
            if repair.status != "assigned":
                raise RepairError(_("Assign it first: someone fixes it before it is fixed.")
                                  if repair.status == "reported" else _("It is recorded fixed already."))
            repair.status, repair.fixed_at = "fixed", utcnow()
            ev = _event(repair, user, "fixed", note=note, idem_key=idem_key, names=names)
            record("fixed", "repair", repair.id, site_id=site.id, note=note, photos=len(names))
    except BaseException:
        fields.discard(names, PHOTO_KIND)
        raise
    return ev


CHECK_OUTCOMES = ("ok", "not_fixed")


def check(site: Site, user: User, repair: Repair, *, outcome, note=None, idem_key: str | None = None) -> RepairEvent:
    """The lead or the manager checks the fix: checked closes the repair; "not fixed" (with what is still wrong)
    sends it back to whoever it was assigned to."""
    if not can(user, "repairs.check"):
        raise RepairError(_("The lead or the manager checks a fix."))
    if outcome not in CHECK_OUTCOMES:
        raise RepairErrors({"outcome": _("Choose from the list.")})
    note = fields.one(RepairErrors, fields.text, note, MAX_TEXT, "check_note",
                      _("Say what is still wrong.") if outcome == "not_fixed" else None)
    with write_tx():
        repair = locked(Repair, repair.id)
        if (done := _step(repair, idem_key)) is not None:
            return done
        if repair.status != "fixed":
            raise RepairError(_("It is checked already.") if repair.status == "checked"
                              else _("Only a repair recorded fixed is checked."))
        if outcome == "ok":
            repair.status, repair.checked_at = "checked", utcnow()
            ev = _event(repair, user, "checked", note=note, idem_key=idem_key)
        else:
            repair.status, repair.fixed_at = "assigned", None
            ev = _event(repair, user, "not_fixed", note=note, idem_key=idem_key)
        record("check", "repair", repair.id, site_id=site.id, outcome=outcome, note=note)
    return ev


def crew_repair(site: Site, raw, room_id) -> Repair | None:
    """The repair a crew being registered comes for (None when none): an open repair of this site, in the room the
    crew is registered for. For the worker register's form."""
    repair = fields.site_row(Repair, site.id, raw, "repair_id", _("This repair is not one of this site's."))
    if repair is None:
        return None
    if repair.status not in OPEN_STATES:
        raise RepairError(_("This repair is checked and closed."), "repair_id")
    if room_id is not None and str(repair.location_id) != str(room_id):
        raise RepairError(_("The repair is in another place: choose its room."), "location_id")
    return repair


def link_crew(repair: Repair, crew_id: int, user: User, names: list[str]) -> None:
    """Inside the register's transaction: the crew came for this repair (a row of its timeline too)."""
    db.session.add(RepairCrew(crew_id=crew_id, repair_id=repair.id))
    _event(repair, user, "crew", who="、".join(names)[:200] or None)
