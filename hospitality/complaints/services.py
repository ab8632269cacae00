"""Complaint rules: register, the six steps, deadlines, the follow-up call, the reveal of a guest's number. One
transaction per action; every step is a row of the timeline written with the change it records.

Who does what (hospitality.permissions): anyone on duty registers; the manager judges, picks the remedy and reviews;
the lead, the manager and the front desk investigate, propose remedies, carry them out and make the follow-up
calls. A guest's name and phone are whole only for the lead and the manager; the front desk reveals a number on a
follow-up call, and every reveal is audited.
"""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..audit import record
from ..clock import utcnow
from ..database import locked, write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User, Visit
from ..models.complaints import (
    CHANNELS,
    RESPONSIBLE,
    TOPICS,
    Complaint,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintRemedy,
    FollowUp,
)
from ..models.incidents import Incident
from ..permissions import can

PHOTO_KIND = "complaints"
MAX_PHOTOS = 4
MAX_TEXT = 1000
MAX_PEOPLE = 200
FOLLOW_UP_DAYS = 3  # the seeds: a follow-up call within three days of closing


class ComplaintError(RuleError):
    """A complaint rule said no; `field` names the form field the message belongs under."""


class ComplaintErrors(FieldErrors, ComplaintError):
    """Several fields of a form are wrong at once: every mistake is reported."""


def mask_name(name: str | None) -> str:
    """张** (the family name only)."""
    return name[0] + "*" * max(1, len(name) - 1) if name else ""


def _event(c: Complaint, user: User, kind: str, *, note=None, people=None, incident_id=None, visit_id=None,
           names=(), idem_key=None) -> ComplaintEvent:
    ev = ComplaintEvent(complaint_id=c.id, site_id=c.site_id, kind=kind, user_id=user.id, note=note, people=people,
                        incident_id=incident_id, visit_id=visit_id, idem_key=idem_key)
    db.session.add(ev)
    db.session.flush()
    for name in names:
        db.session.add(ComplaintPhoto(complaint_id=c.id, event_id=ev.id, name=name))
    return ev


def _locked(complaint_id: int) -> Complaint:
    return locked(Complaint, complaint_id)


def _at_step(c: Complaint, *steps: int) -> Complaint:
    if c.closed:
        raise ComplaintError(_("This complaint is closed."))
    if c.step not in steps:
        raise ComplaintError(_("This step is not open now: reload the page."))
    return c


def _by_key(model, key: str | None):
    return db.session.scalar(select(model).where(model.idem_key == key)) if key else None


def register(site: Site, user: User, *, visit_id=None, guest_name=None, guest_phone=None, channel, topic, said,
             files=(), idem_key: str | None = None) -> Complaint:
    """Anyone on duty registers a complaint: who (a visit, or a name and phone), the channel, what about, what the
    guest said, photos. Its deadlines follow the site's settings. A double tap records it once."""
    if not can(user, "complaints.register"):
        raise ComplaintError(_("Your post does not register complaints."))
    errors: dict[str, str] = {}
    visit = fields.checked(errors, fields.site_row, Visit, site.id, visit_id, "visit_id",
                           _("This visit is not one of this site's."))
    name = fields.checked(errors, fields.text, guest_name, 40, "guest_name")
    phone = fields.checked(errors, fields.phone, guest_phone, "guest_phone")
    channel = fields.checked(errors, fields.choice, channel, CHANNELS, "channel")
    topic = fields.checked(errors, fields.choice, topic, TOPICS, "topic")
    said = fields.checked(errors, fields.text, said, MAX_TEXT, "said", _("Write what the guest said."))
    files = fields.checked(errors, fields.uploads, files, MAX_PHOTOS)
    if not errors and visit is None and not (name or phone):
        errors["guest_name"] = _("Say who complained: pick the visit, or give a name or a phone number.")
    if errors:
        raise ComplaintErrors(errors)
    if (done := _by_key(Complaint, idem_key)) is not None and done.site_id == site.id:
        return done
    names = fields.one(ComplaintErrors, fields.store, files, PHOTO_KIND)
    try:
        with write_tx():
            now = utcnow()
            c = Complaint(site_id=site.id, visit_id=visit.id if visit else None, guest_name=name, guest_phone=phone,
                          channel=channel, topic=topic, said=said, registered_by_id=user.id, registered_at=now,
                          respond_by=now + timedelta(hours=site.complaint_respond_hours),
                          close_by=now + timedelta(days=site.complaint_close_days), idem_key=idem_key)
            try:
                with db.session.begin_nested():
                    db.session.add(c)
            except IntegrityError:  # the same key from a concurrent double tap
                done = _by_key(Complaint, idem_key)
                if done is None:
                    raise
                fields.discard(names, PHOTO_KIND)
                return done
            _event(c, user, "registered", note=said, names=names)
            record("register", "complaint", c.id, site_id=site.id, user_id=user.id, topic=topic, channel=channel,
                   photos=len(names))
    except BaseException:
        fields.discard(names, PHOTO_KIND)
        raise
    return c


def _step(site: Site, user: User, complaint: Complaint, action: str, change, idem_key: str | None = None):
    """Run one step under the complaint's lock: `change(c)` checks and changes it and returns the event's kind and
    fields. A double tap (same key) does nothing the second time."""
    if not can(user, action):
        raise ComplaintError(_("Your post does not do this step."))
    with write_tx():
        c = _locked(complaint.id)  # first: on PostgreSQL a double tap's second request then sees the first's event
        if _by_key(ComplaintEvent, idem_key) is not None:
            return c
        kind, extra = change(c)
        _event(c, user, kind, idem_key=idem_key, **extra)
        record(kind, "complaint", c.id, site_id=site.id, user_id=user.id, step=c.step)
    return c


def judge(site: Site, user: User, complaint: Complaint, founded, reason, idem_key=None) -> Complaint:
    """Step 2 (the manager): founded or not, with the reason. An unfounded one goes straight to the reply (step 5)."""
    errors: dict[str, str] = {}
    if founded not in ("1", "0"):
        errors["founded"] = _("Say whether the complaint is founded.")
    reason = fields.checked(errors, fields.text, reason, MAX_TEXT, "reason", _("Give the reason."))
    if errors:
        raise ComplaintErrors(errors)

    def change(c):
        _at_step(c, 1)
        c.founded, c.judged_at, c.step = founded == "1", utcnow(), 2
        return "judged", {"note": reason}
    return _step(site, user, complaint, "complaints.decide", change, idem_key)


def add_note(site: Site, user: User, complaint: Complaint, note, people=None, incident_id=None, visit_id=None,
             files=(), idem_key=None) -> Complaint:
    """Step 3 (investigation): a note, the people involved, a linked incident or visit, photos."""
    errors: dict[str, str] = {}
    note = fields.checked(errors, fields.text, note, MAX_TEXT, "note", _("Write what you found."))
    people = fields.checked(errors, fields.text, people, MAX_PEOPLE, "people")
    incident = fields.checked(errors, fields.site_row, Incident, site.id, incident_id, "incident_id",
                              _("This incident is not one of this site's."))
    visit = fields.checked(errors, fields.site_row, Visit, site.id, visit_id, "visit_id",
                           _("This visit is not one of this site's."))
    files = fields.checked(errors, fields.uploads, files, MAX_PHOTOS)
    if errors:
        raise ComplaintErrors(errors)
    names = fields.one(ComplaintErrors, fields.store, files, PHOTO_KIND)

    def change(c):
        _at_step(c, 2)
        if not c.founded:
            raise ComplaintError(_("An unfounded complaint is not investigated: reply to the guest."))
        return "note", {"note": note, "people": people, "incident_id": incident.id if incident else None,
                        "visit_id": visit.id if visit else None, "names": names}
    try:
        return _step(site, user, complaint, "complaints.work", change, idem_key)
    except BaseException:
        fields.discard(names, PHOTO_KIND)
        raise


def finish_investigation(site: Site, user: User, complaint: Complaint, idem_key=None) -> Complaint:
    """Step 3 done: at least one note was written."""
    def change(c):
        _at_step(c, 2)
        notes = db.session.scalar(select(ComplaintEvent.id).where(ComplaintEvent.complaint_id == c.id,
                                                                   ComplaintEvent.kind == "note").limit(1))
        if not c.founded or notes is None:
            raise ComplaintError(_("Write at least one investigation note first."))
        c.step = 3
        return "investigated", {}
    return _step(site, user, complaint, "complaints.work", change, idem_key)


def propose(site: Site, user: User, complaint: Complaint, text, idem_key=None) -> Complaint:
    """Step 4: a remedy proposed (several may be); the manager picks one."""
    text = fields.one(ComplaintErrors, fields.text, text, MAX_TEXT, "remedy", _("Describe the remedy."))

    def change(c):
        _at_step(c, 3)
        db.session.add(ComplaintRemedy(complaint_id=c.id, text=text, proposed_by_id=user.id))
        return "remedy", {"note": text}
    return _step(site, user, complaint, "complaints.work", change, idem_key)


def choose(site: Site, user: User, complaint: Complaint, remedy_id, idem_key=None) -> Complaint:
    """Step 4 done (the manager): the remedy to carry out."""
    def change(c):
        _at_step(c, 3)
        remedy = next((r for r in c.remedies if str(r.id) == str(remedy_id)), None)
        if remedy is None:
            raise ComplaintError(_("Pick one of the remedies proposed."), "remedy_id")
        remedy.chosen, c.step = True, 4
        return "chosen", {"note": remedy.text}
    return _step(site, user, complaint, "complaints.decide", change, idem_key)


def carry_out(site: Site, user: User, complaint: Complaint, done, confirmed, guest_said, idem_key=None) -> Complaint:
    """Step 5: what was done (an unfounded complaint: the reply given), and whether the guest accepted it."""
    errors: dict[str, str] = {}
    done = fields.checked(errors, fields.text, done, MAX_TEXT, "done", _("Say what was done."))
    if confirmed not in ("1", "0"):
        errors["confirmed"] = _("Say whether the guest accepted it.")
    said = fields.checked(errors, fields.text, guest_said, MAX_TEXT, "guest_said",
                          _("Write what the guest said.") if confirmed == "0" else None)
    if errors:
        raise ComplaintErrors(errors)

    def change(c):
        _at_step(c, 4 if c.founded else 2)
        c.guest_confirmed, c.step = confirmed == "1", 5
        return "carried_out", {"note": done + (f"\n{said}" if said else "")}
    return _step(site, user, complaint, "complaints.work", change, idem_key)


def review(site: Site, user: User, complaint: Complaint, cause, responsible_post, preventive, idem_key=None):
    """Step 6 (the manager): the cause, the post responsible, the preventive action; the complaint closes and a
    follow-up call falls due within three days."""
    errors: dict[str, str] = {}
    cause = fields.checked(errors, fields.text, cause, MAX_TEXT, "cause", _("Write the cause."))
    post = fields.checked(errors, fields.choice, responsible_post, RESPONSIBLE, "responsible_post")
    preventive = fields.checked(errors, fields.text, preventive, MAX_TEXT, "preventive",
                                _("Write what will prevent it."))
    if errors:
        raise ComplaintErrors(errors)

    def change(c):
        _at_step(c, 5)
        c.cause, c.responsible_post, c.preventive = cause, None if post == "none" else post, preventive
        c.step, c.closed_at = 6, utcnow()
        db.session.add(FollowUp(site_id=c.site_id, complaint_id=c.id,
                                due_on=site.today() + timedelta(days=FOLLOW_UP_DAYS)))
        return "reviewed", {"note": cause}
    return _step(site, user, complaint, "complaints.decide", change, idem_key)


def plan_call(site: Site, user: User, visit: Visit, guest_name, guest_phone) -> FollowUp:
    """A visit the site chooses to follow up (a first visit above all): a call due within three days, to the number
    the guests left. Once per visit: a second tap finds the first."""
    if not can(user, "complaints.follow_up"):
        raise ComplaintError(_("Your post does not make follow-up calls."))
    errors: dict[str, str] = {}
    name = fields.checked(errors, fields.text, guest_name, 40, "guest_name")
    phone = fields.checked(errors, fields.phone, guest_phone, "guest_phone")
    if "guest_phone" not in errors and not phone:
        errors["guest_phone"] = _("Give the number to call.")
    if errors:
        raise ComplaintErrors(errors)
    with write_tx():
        if db.session.get_bind().dialect.name == "postgresql":  # SQLite's write lock is held by write_tx already
            # Two taps at once: the visit's row lock makes the second find the first's call (no unique key here).
            db.session.execute(select(Visit.id).where(Visit.id == visit.id).with_for_update(key_share=True))
        fu = db.session.scalar(select(FollowUp).where(FollowUp.visit_id == visit.id))
        if fu is None:
            fu = FollowUp(site_id=site.id, visit_id=visit.id, guest_name=name, guest_phone=phone,
                          created_by_id=user.id, due_on=site.today() + timedelta(days=FOLLOW_UP_DAYS))
            db.session.add(fu)
            db.session.flush()
            record("plan_call", "visit", visit.id, site_id=site.id, user_id=user.id)
    return fu


def call(site: Site, user: User, follow_up: FollowUp, outcome, note, idem_key=None) -> FollowUp:
    """A follow-up call: reached and satisfied (done), reached and not satisfied (done; a complaint reopens at its
    investigation with a new closing deadline, a visit's call becomes a complaint), or not reached (one more attempt,
    still due)."""
    if not can(user, "complaints.follow_up"):
        raise ComplaintError(_("Your post does not make follow-up calls."))
    errors: dict[str, str] = {}
    if outcome not in ("satisfied", "unsatisfied", "no_answer"):
        errors["outcome"] = _("Choose how the call went.")
    note = fields.checked(errors, fields.text, note, MAX_TEXT, "note",
                          _("Write what the guest said.") if outcome == "unsatisfied" else None)
    if errors:
        raise ComplaintErrors(errors)
    complaint = None
    if follow_up.complaint_id is None and follow_up.done_at is None and outcome == "unsatisfied":
        # A visit's guests were not satisfied: their complaint first (its key makes a retry find it), then the call.
        complaint = register(site, user, visit_id=follow_up.visit_id, guest_name=follow_up.guest_name,
                             guest_phone=follow_up.guest_phone, channel="phone", topic="other", said=note,
                             idem_key=f"followup{follow_up.id}")
    with write_tx():
        fu = db.session.get(FollowUp, follow_up.id, populate_existing=True, with_for_update=True)
        if fu.done_at is not None or (idem_key and fu.last_idem == idem_key) \
                or _by_key(ComplaintEvent, idem_key) is not None:
            return fu  # done already (a double tap, or a colleague's call); a "not reached" tapped twice counts once
        if complaint is not None:
            fu.complaint_id = complaint.id
            c = None  # just registered from this call: nothing to reopen
        else:
            c = _locked(fu.complaint_id) if fu.complaint_id else None
        fu.attempts += 1
        fu.outcome, fu.note, fu.last_idem = outcome, note, idem_key
        if outcome != "no_answer":
            fu.done_at, fu.done_by_id = utcnow(), user.id
        if c is not None:
            _event(c, user, "follow_up", note=f"{outcome}: {note or ''}".strip(), idem_key=idem_key)
            if outcome == "unsatisfied":
                c.closed_at, c.step = None, 2  # founded: investigated again; unfounded: answered again
                c.close_by = utcnow() + timedelta(days=site.complaint_close_days)
                # The old outcome and review no longer hold (the report counts it again once it is reviewed again).
                c.guest_confirmed = c.cause = c.responsible_post = c.preventive = None
                for r in c.remedies:
                    r.chosen = False
                _event(c, user, "reopened", note=note)
        record("follow_up", "complaint" if fu.visit_id is None else "visit", fu.visit_id or fu.complaint_id,
               site_id=site.id, user_id=user.id, outcome=outcome, attempts=fu.attempts)
    return fu


def reveal_call(site: Site, user: User, follow_up: FollowUp) -> str:
    """The whole number of a follow-up call (a complaint's guest, or a visit's): audited."""
    if not can(user, "complaints.follow_up"):
        raise ComplaintError(_("Your post does not make follow-up calls."))
    with write_tx():
        record("reveal_phone", "follow_up", follow_up.id, site_id=site.id, user_id=user.id)
    if follow_up.guest_phone:
        return follow_up.guest_phone
    return db.session.get(Complaint, follow_up.complaint_id).guest_phone or "" if follow_up.complaint_id else ""


def reveal(site: Site, user: User, complaint: Complaint) -> str:
    """The guest's whole number, for a follow-up call: audited."""
    if not can(user, "complaints.follow_up"):
        raise ComplaintError(_("Your post does not make follow-up calls."))
    with write_tx():
        record("reveal_phone", "complaint", complaint.id, site_id=site.id, user_id=user.id)
    return complaint.guest_phone or ""


def exported(site: Site, user: User, what: str, **detail) -> None:
    """An export of complaint data goes into the audit trail (who took which file, when)."""
    with write_tx():
        record("export", "complaints", None, site_id=site.id, user_id=user.id, what=what, **detail)


def settings(site: Site, user: User, respond_hours, close_days) -> Site:
    errors = {}
    try:
        hours = int(respond_hours)
        if not 1 <= hours <= 72:
            raise ValueError
    except (TypeError, ValueError):
        errors["respond_hours"] = _("Enter a number of hours from %(low)s to %(high)s.", low=1, high=72)
    try:
        days = int(close_days)
        if not 1 <= days <= 60:
            raise ValueError
    except (TypeError, ValueError):
        errors["close_days"] = _("Enter a number of days from %(low)s to %(high)s.", low=1, high=60)
    if errors:
        raise ComplaintErrors(errors)
    with write_tx():
        site = db.session.get(Site, site.id, populate_existing=True)
        if (site.complaint_respond_hours, site.complaint_close_days) == (hours, days):
            return site  # nothing changes (the same form sent again): no second audit row
        site.complaint_respond_hours, site.complaint_close_days = hours, days
        record("complaint_settings", "site", site.id, site_id=site.id, user_id=user.id, respond_hours=hours,
               close_days=days)
    return site


def overdue(c, now: datetime) -> str | None:
    """"respond" when the first response is late, "close" when closing is, else None (closed ones never)."""
    if c.closed_at is not None:
        return None
    if c.step == 1 and now > c.respond_by:
        return "respond"
    return "close" if now > c.close_by else None
