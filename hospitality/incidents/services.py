"""Incident rules: report, acknowledge, act, hand over, close; and drills. One transaction per action.

The seeds: security keeps out hawkers and suspicious people and reports them, looks for fire hazards at night and
reports incidents to the supervisor at once; the model room reports damage or loss at once. Every step is a row of
the incident's timeline, written in the same transaction as the change it records (the live element's version).
"""
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..alerts.services import emit as alert
from ..audit import record
from ..clock import utcnow
from ..database import locked, write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..forms import MAX_ID
from ..i18n import text as _
from ..models import Location, Site, User, Visit
from ..models.incidents import (
    DRILL_KINDS,
    HANDED_TO,
    KINDS,
    LEVELS,
    Drill,
    DrillPerson,
    Incident,
    IncidentEvent,
    IncidentPhoto,
)
from ..permissions import can

PHOTO_KIND = "incidents"  # folder of hospitality.photos
MAX_PHOTOS = 4
MAX_TEXT = 1000  # what happened, an action's note, the outcome, a drill's notes
MAX_HAND_NOTE = 200  # a case number, who came
MAX_OTHERS = 200


class IncidentError(RuleError):
    """An incident rule said no; `field` names the form field the message belongs under."""


class IncidentErrors(FieldErrors, IncidentError):
    """Several fields of a form are wrong at once: every mistake is reported."""


def _place(site: Site, raw) -> Location:
    try:
        loc = db.session.get(Location, int(raw))
    except (TypeError, ValueError):
        loc = None
    if loc is None or loc.site_id != site.id or not loc.active:
        raise IncidentError(_("Choose where it happened."), "location_id")
    return loc


def _visit(site: Site, raw) -> Visit | None:
    return fields.site_row(Visit, site.id, raw, "visit_id", _("This visit is not one of this site's."))


def _event(incident: Incident, user: User, kind: str, *, note=None, handed_to=None, idem_key=None,
           names=()) -> IncidentEvent:
    ev = IncidentEvent(incident_id=incident.id, site_id=incident.site_id, kind=kind, user_id=user.id, note=note,
                       handed_to=handed_to, idem_key=idem_key)
    db.session.add(ev)
    db.session.flush()
    for name in names:
        db.session.add(IncidentPhoto(incident_id=incident.id, event_id=ev.id, name=name))
    return ev


def _locked(incident_id: int) -> Incident:
    return locked(Incident, incident_id)


def _not_closed(incident: Incident) -> Incident:
    if incident.status == "closed":
        raise IncidentError(_("This incident is closed."))
    return incident


def report(site: Site, user: User, *, kind, location_id, level, description, visit_id=None, files=(),
           idem_key: str | None = None, made_at: datetime | None = None) -> Incident:
    """Any post reports an incident (kind, place, how serious, what happened, photos); an urgent one alerts the lead,
    the manager and security at once. A double tap records it once (and so does the phone's outbox sending it again).
    `made_at`: the phone's time of a report kept without signal and sent later, kept beside its arrival."""
    if not can(user, "incidents.report"):
        raise IncidentError(_("Your post does not report incidents here."))
    errors: dict[str, str] = {}
    kind = fields.checked(errors, fields.choice, kind, KINDS, "kind")
    place = fields.checked(errors, _place, site, location_id)
    level = fields.checked(errors, fields.choice, level or "note", LEVELS, "level")
    text = fields.checked(errors, fields.text, description, MAX_TEXT, "description", _("Say what happened."))
    tied = fields.checked(errors, _visit, site, visit_id)
    files = fields.checked(errors, fields.uploads, files, MAX_PHOTOS)
    if errors:
        raise IncidentErrors(errors)
    if idem_key and (done := _by_key(Incident, idem_key, Incident.site_id == site.id)) is not None:
        return done
    names = fields.one(IncidentErrors, fields.store, files, PHOTO_KIND)
    try:
        with write_tx():
            if idem_key and (done := _by_key(Incident, idem_key, Incident.site_id == site.id)) is not None:
                fields.discard(names, PHOTO_KIND)
                return done
            incident = Incident(site_id=site.id, kind=kind, level=level, location_id=place.id,
                                visit_id=tied.id if tied else None, description=text, reported_by_id=user.id,
                                idem_key=idem_key, made_at=made_at)
            try:
                with db.session.begin_nested():
                    db.session.add(incident)
            except IntegrityError:  # the same key from a concurrent double tap (PostgreSQL)
                done = _by_key(Incident, idem_key, Incident.site_id == site.id) if idem_key else None
                if done is None:  # refused for another reason: not a double tap
                    raise
                fields.discard(names, PHOTO_KIND)
                return done
            _event(incident, user, "reported", note=text, names=names)
            record("report", "incident", incident.id, site_id=site.id, kind=kind, level=level, place=place.name,
                   visit=incident.visit_id, photos=len(names))
            if level == "urgent":  # to the site's group chat, with the incident (hospitality.alerts)
                alert(site.id, "incident_urgent", _("Urgent incident at %(place)s: %(text)s", place=place.name,
                                                    text=text))
    except BaseException:
        fields.discard(names, PHOTO_KIND)
        raise
    return incident


def _by_key(model, key: str, *where):
    """The row a double tap's first request made with this key (within the site or incident it is about)."""
    return db.session.scalar(select(model).where(model.idem_key == key, *where))


def acknowledge(site: Site, user: User, incident: Incident) -> bool:
    """The lead, the manager or a guard has seen it: the alert stops for all of them, and who and when is kept.
    A second tap, or a colleague's at the same moment, changes nothing (False)."""
    if not can(user, "incidents.acknowledge"):
        raise IncidentError(_("The lead, the manager or security acknowledges incidents."))
    with write_tx():
        incident = _locked(incident.id)
        if incident.acknowledged_at is not None:
            return False
        _not_closed(incident)
        if incident.reported_by_id == user.id:
            raise IncidentError(_("You reported it: the lead, the manager or another guard acknowledges it."))
        incident.acknowledged_at, incident.acknowledged_by_id = utcnow(), user.id
        _event(incident, user, "acknowledged")
        record("acknowledge", "incident", incident.id, site_id=site.id)
    return True


def may_act(user: User, incident) -> bool:
    """Who adds actions, notes and photos: the lead, the manager and security, and whoever reported it."""
    return can(user, "incidents.act") or incident.reported_by_id == user.id


def add_action(site: Site, user: User, incident: Incident, note, files=(),
               idem_key: str | None = None) -> IncidentEvent:
    """An action taken, with a note and any photos (the timeline's "action taken")."""
    if not may_act(user, incident):
        raise IncidentError(_("The lead, the manager, security or whoever reported it adds to an incident."))
    errors: dict[str, str] = {}
    note = fields.checked(errors, fields.text, note, MAX_TEXT, "note", _("Say what was done."))
    files = fields.checked(errors, fields.uploads, files, MAX_PHOTOS)
    if errors:
        raise IncidentErrors(errors)
    same = IncidentEvent.incident_id == incident.id
    if idem_key and (done := _by_key(IncidentEvent, idem_key, same)) is not None:
        return done
    _not_closed(incident)
    names = fields.one(IncidentErrors, fields.store, files, PHOTO_KIND)
    try:
        with write_tx():
            # The key again once the incident is locked: a double tap's second request waited on the lock
            # for the first, whose event is committed by then (PostgreSQL reads it in this statement).
            incident = _locked(incident.id)
            if idem_key and (done := _by_key(IncidentEvent, idem_key, same)) is not None:
                fields.discard(names, PHOTO_KIND)
                return done
            _not_closed(incident)
            ev = _event(incident, user, "action", note=note, idem_key=idem_key, names=names)
            record("action", "incident", incident.id, site_id=site.id, note=note, photos=len(names))
    except BaseException:
        fields.discard(names, PHOTO_KIND)
        raise
    return ev


def hand_over(site: Site, user: User, incident: Incident, to, note, idem_key: str | None = None) -> IncidentEvent:
    """Handed to the police, property management or a repair: it waits on them until it is closed."""
    if not can(user, "incidents.act"):
        raise IncidentError(_("The lead, the manager or security hands an incident over."))
    errors: dict[str, str] = {}
    to = fields.checked(errors, fields.choice, to, HANDED_TO, "to")
    note = fields.checked(errors, fields.text, note, MAX_HAND_NOTE, "hand_note")
    if errors:
        raise IncidentErrors(errors)
    with write_tx():
        incident = _locked(incident.id)  # first: a double tap's second request then sees the first one's event
        if idem_key and (done := _by_key(IncidentEvent, idem_key, IncidentEvent.incident_id == incident.id)) \
                is not None:
            return done
        _not_closed(incident)
        incident.status, incident.handed_to = "handed", to
        ev = _event(incident, user, "handed", note=note, handed_to=to, idem_key=idem_key)
        record("hand_over", "incident", incident.id, site_id=site.id, to=to, note=note)
    return ev


def close(site: Site, user: User, incident: Incident, outcome) -> Incident:
    """The lead or the manager closes it with its outcome; a second tap changes nothing."""
    if not can(user, "incidents.close"):
        raise IncidentError(_("The lead or the manager closes an incident."))
    outcome = fields.one(IncidentErrors, fields.text, outcome, MAX_TEXT, "outcome", _("Say how it ended."))
    with write_tx():
        incident = _locked(incident.id)
        if incident.status == "closed":
            return incident
        incident.status, incident.closed_at, incident.closed_by_id, incident.outcome = \
            "closed", utcnow(), user.id, outcome
        _event(incident, user, "closed", note=outcome)
        record("close", "incident", incident.id, site_id=site.id, outcome=outcome)
    return incident


def _drill_day(site: Site, raw) -> date:
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        raise IncidentError(_("Not a date: use the date picker or YYYY-MM-DD."), "day") from None
    if day > site.today():
        raise IncidentError(_("A drill is recorded once it has been held."), "day")
    return day


def _people(site: Site, raw_ids) -> list[int]:
    ids = set()
    for raw in raw_ids or ():
        if not (str(raw).isdecimal() and int(raw) <= MAX_ID):  # no id column holds a larger one
            raise IncidentError(_("Tick people of this site."), "people")
        ids.add(int(raw))
    if ids:
        found = set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.site_id == site.id,
                                                             User.active.is_(True))))
        if found != ids:
            raise IncidentError(_("Tick people of this site."), "people")
    return sorted(ids)


def record_drill(site: Site, user: User, *, day, kind, people, others, notes, idem_key: str | None = None) -> Drill:
    """A drill held (消防演练 and the others): its day, kind, who took part and notes. A double tap records it once."""
    if not can(user, "incidents.drills"):
        raise IncidentError(_("The lead or the manager records drills."))
    errors: dict[str, str] = {}
    day = fields.checked(errors, _drill_day, site, day)
    kind = fields.checked(errors, fields.choice, kind, DRILL_KINDS, "kind")
    ids = fields.checked(errors, _people, site, people)
    others = fields.checked(errors, fields.text, others, MAX_OTHERS, "others")
    notes = fields.checked(errors, fields.text, notes, MAX_TEXT, "notes")
    if "people" not in errors and "others" not in errors and not ids and not others:
        errors["people"] = _("Tick who took part, or name them.")
    if errors:
        raise IncidentErrors(errors)
    with write_tx():
        if idem_key and (done := _by_key(Drill, idem_key, Drill.site_id == site.id)) is not None:
            return done
        drill = Drill(site_id=site.id, day=day, kind=kind, others=others, notes=notes, recorded_by_id=user.id,
                      idem_key=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(drill)
        except IntegrityError:  # the same key from a concurrent double tap (PostgreSQL)
            return _by_key(Drill, idem_key, Drill.site_id == site.id)
        db.session.add_all([DrillPerson(drill_id=drill.id, user_id=uid) for uid in ids])
        record("drill", "drill", drill.id, site_id=site.id, day=day.isoformat(), kind=kind, people=ids,
               others=others)
    return drill
