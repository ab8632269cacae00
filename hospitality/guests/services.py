"""Guest rules: how satisfied a group left (staff tap it, or the guests answer on the public page of their visit's QR
code), the alert an unsatisfied answer raises for the lead and the manager, and VIP notices. One transaction per
action.

Each answer and each alert handled is also a row of the visit's timeline (VisitEvent): the live element's version
changes with it, so the lead's open screen shows an unsatisfied answer within one poll.
"""
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields, idempotency
from ..audit import record
from ..clock import utcnow
from ..complaints import services as complaints
from ..database import write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User, Visit, VisitEvent
from ..models.guests import LINK_HOURS, RATINGS, FeedbackLink, GuestFeedback, VipNotice
from ..permissions import can
from ..visits.services import normalize_plate

MAX_REMARK = 200  # the public page's one free-text field


class GuestError(RuleError):
    """A guest rule said no (feedback given already, a link that expired, a VIP notice's edit…)."""


class GuestErrors(FieldErrors, GuestError):
    """Several fields of a form are wrong at once."""


class LinkGone(GuestError):
    """The public page's link does not answer: unknown, expired, or used (`reason`)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def _parse(rating, remark) -> tuple[str, str | None]:
    errors: dict[str, str] = {}
    if rating not in RATINGS:
        errors["rating"] = _("Choose how satisfied the guests were.")
    remark = fields.checked(errors, fields.text, remark, MAX_REMARK, "remark")
    if errors:
        raise GuestErrors(errors)
    return rating, remark


def _answer(visit: Visit, rating: str, remark: str | None, *, user: User | None, source: str) -> GuestFeedback:
    """Insert the visit's answer and its timeline row (inside the caller's transaction); the first answer stands."""
    done = db.session.scalar(select(GuestFeedback).where(GuestFeedback.visit_id == visit.id))
    if done is not None:
        raise GuestError(_("This group's satisfaction was recorded already."))
    site = db.session.get(Site, visit.site_id)
    fb = GuestFeedback(site_id=visit.site_id, visit_id=visit.id, rating=rating, remark=remark, source=source,
                       recorded_by_id=user.id if user else None, post=user.post if user else None,
                       at=utcnow(), day=site.today())
    try:
        with db.session.begin_nested():
            db.session.add(fb)
    except IntegrityError:  # the other phone (or the guests) answered at the same moment
        raise GuestError(_("This group's satisfaction was recorded already.")) from None
    db.session.add(VisitEvent(visit_id=visit.id, site_id=visit.site_id, kind="feedback",
                              user_id=user.id if user else None, detail={"rating": rating, "source": source}))
    return fb


def staff_feedback(site: Site, user: User, visit: Visit, rating, remark) -> GuestFeedback:
    """At departure the concierge or the model room taps how satisfied the group was (and an optional remark)."""
    if not can(user, "guests.feedback"):
        raise GuestError(_("Your post does not record guests' satisfaction."))
    rating, remark = _parse(rating, remark)
    with write_tx():
        fb = _answer(visit, rating, remark, user=user, source="staff")
        record("feedback", "visit", visit.id, site_id=site.id, rating=rating)
    return fb


def link(site: Site, user: User, visit: Visit) -> FeedbackLink:
    """The token of the visit's QR code (a new one when the last expired unused); refused once the group answered."""
    with write_tx():
        if db.session.scalar(select(GuestFeedback.id).where(GuestFeedback.visit_id == visit.id)) is not None:
            raise GuestError(_("This group's satisfaction was recorded already."))
        found = db.session.scalar(select(FeedbackLink).where(FeedbackLink.visit_id == visit.id))
        now = utcnow()
        if found is None:
            found = FeedbackLink(site_id=site.id, visit_id=visit.id, token=secrets.token_urlsafe(16),
                                 created_at=now, expires_at=now + timedelta(hours=LINK_HOURS))
            db.session.add(found)
        elif found.expires_at <= now:
            found.token, found.created_at = secrets.token_urlsafe(16), now
            found.expires_at = now + timedelta(hours=LINK_HOURS)
        db.session.flush()
    return found


def open_link(token: str) -> FeedbackLink:
    """The link a public page's token names, if it still answers; else LinkGone with a reason the page explains."""
    found = db.session.scalar(select(FeedbackLink).where(FeedbackLink.token == token)) \
        if fields.token_ok(token) else None
    if found is None:
        raise LinkGone(_("This link is not valid."), "unknown")
    if found.used_at is not None:
        raise LinkGone(_("Thank you: this group has answered already."), "used")
    if found.expires_at <= utcnow():
        raise LinkGone(_("This link has expired."), "expired")
    return found


def guest_answer(token: str, rating, remark) -> GuestFeedback:
    """The guests answer on the public page: once per visit, within a day of the code being shown."""
    rating, remark = _parse(rating, remark)
    with write_tx():
        found = open_link(token)
        visit = db.session.get(Visit, found.visit_id)
        try:
            fb = _answer(visit, rating, remark, user=None, source="guest")
        except GuestError:
            raise LinkGone(_("Thank you: this group has answered already."), "used") from None
        found.used_at = utcnow()
        record("feedback", "visit", visit.id, site_id=visit.site_id, user_id=None, rating=rating, source="guest")
    return fb


def _unhandled(site: Site, feedback: GuestFeedback) -> GuestFeedback:
    fb = db.session.get(GuestFeedback, feedback.id, populate_existing=True, with_for_update=True)
    if fb.rating != "unsatisfied":
        raise GuestError(_("Only an unsatisfied answer needs handling."))
    return fb


def handle(site: Site, user: User, feedback: GuestFeedback) -> GuestFeedback:
    """The lead or manager has dealt with an unsatisfied answer: its alert stops (a second tap changes nothing)."""
    with write_tx():
        fb = _unhandled(site, feedback)
        if fb.handled_at is None:
            fb.handled_at, fb.handled_by_id = utcnow(), user.id
            db.session.add(VisitEvent(visit_id=fb.visit_id, site_id=fb.site_id, kind="feedback_handled",
                                      user_id=user.id, detail={}))
            record("feedback_handled", "visit", fb.visit_id, site_id=site.id)
    return fb


def to_complaint(site: Site, user: User, feedback: GuestFeedback):
    """An unsatisfied answer becomes a complaint about the visit in one tap (what the guests said is its text); the
    alert stops. A second tap finds the same complaint."""
    if feedback.rating != "unsatisfied":
        raise GuestError(_("Only an unsatisfied answer needs handling."))
    fb = feedback
    said = fb.remark or str(RATINGS[fb.rating])
    complaint = complaints.register(site, user, visit_id=fb.visit_id, channel="onsite" if fb.source == "staff"
                                    else "message", topic="other", said=said, idem_key=f"feedback{fb.id}")
    with write_tx():
        fb = db.session.get(GuestFeedback, fb.id, populate_existing=True)
        if fb.complaint_id is not None:
            return complaint  # a second tap: the complaint and its record are there already
        fb.complaint_id = complaint.id
        if fb.handled_at is None:
            fb.handled_at, fb.handled_by_id = utcnow(), user.id
            db.session.add(VisitEvent(visit_id=fb.visit_id, site_id=fb.site_id, kind="feedback_handled",
                                      user_id=user.id, detail={"complaint": complaint.id}))
        record("feedback_complaint", "visit", fb.visit_id, site_id=site.id, complaint=complaint.id)
    return complaint


# VIP notices (the manager)


def _vip_fields(raw_plate, raw_phone, raw_note) -> tuple[str | None, str | None, str]:
    errors: dict[str, str] = {}
    plate = fields.checked(errors, normalize_plate, raw_plate)
    phone = fields.checked(errors, fields.phone, raw_phone, "phone")
    note = fields.checked(errors, fields.text, raw_note, 500, "note", _("Write how to greet them."))
    if not errors and not (plate or phone):
        errors["plate"] = _("Give a plate or a phone number.")
    if errors:
        raise GuestErrors(errors)
    return plate, phone, note


def save_vip(site: Site, user: User, *, plate, phone, note, vip: VipNotice | None = None,
             active: bool = True, idem_key: str | None = None) -> VipNotice:
    """Add a VIP notice, or change one (its plate, phone, note; retire it). A plate has one notice. The same add
    form sent twice adds one; the same change saved twice is recorded once."""
    plate, phone, note = _vip_fields(plate, phone, note)
    with write_tx():
        if vip is None and (earlier := idempotency.claim(idem_key, "vip_notice", site.id)) is not None:
            return db.session.get(VipNotice, earlier)
        if vip is not None:
            vip = db.session.get(VipNotice, vip.id, populate_existing=True)
            if (vip.plate, vip.phone, vip.note, vip.active) == (plate, phone, note, active):
                return vip
        clash = db.session.scalar(select(VipNotice).where(VipNotice.site_id == site.id, VipNotice.plate == plate)) \
            if plate else None
        if clash is not None and (vip is None or clash.id != vip.id):
            if vip is not None or clash.active:
                raise GuestErrors({"plate": _("This plate has a VIP notice already.")})
            vip = clash  # a retired notice for the plate comes back
        if vip is None:
            vip = VipNotice(site_id=site.id, created_by_id=user.id)
            db.session.add(vip)
        vip.plate, vip.phone, vip.note, vip.active = plate, phone, note, active
        db.session.flush()
        idempotency.done(idem_key, "vip_notice", site.id, vip.id)
        record("vip", "vip_notice", vip.id, site_id=site.id, plate=plate, active=active)
    return vip
