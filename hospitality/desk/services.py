"""Desk rules: take a call, a message or a visitor for someone, and mark it done. One transaction per action.

The front desk, the lead and the manager take messages (hospitality.permissions "desk.take"); a message is for a
person of the site, who sees it on their today screen, or for a sales rep (no login), whom the front desk tells. It
is done in one tap by the person it is for, or by the front desk, the lead or the manager ("desk.done_any"). A
call-back promised to the caller and not kept by then is overdue until the message is done. The caller's phone is
whole only for the person it is for and "desk.personal"; masked for everyone else, never in the audit trail.
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..audit import record
from ..clock import local_start, utcnow
from ..database import write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..fields import mask_phone
from ..forms import MAX_ID
from ..i18n import text as _
from ..models import Site, User
from ..models.messages import KINDS, DeskMessage
from ..permissions import can
from . import reads

MAX_TEXT = 500
MAX_DAYS_AHEAD = 31  # a call-back promised further ahead is a typo


class DeskError(RuleError):
    """A desk rule said no; `field` names the form field the message belongs under."""


class DeskErrors(FieldErrors, DeskError):
    """Several fields of a form are wrong at once: every mistake is reported."""


def _recipient(site: Site, raw) -> tuple[int | None, int | None]:
    """(user id, rep id) of the form's "for_whom": user-<id> (an active person of the site) or rep-<id> (an active
    sales rep of the site)."""
    kind, _sep, ident = (raw or "").partition("-")
    if ident.isdecimal() and int(ident) <= MAX_ID:
        if kind == "user" and int(ident) in {p.id for p in reads.people(site.id)}:
            return int(ident), None
        if kind == "rep" and int(ident) in {r.id for r in reads.reps(site.id)}:
            return None, int(ident)
    raise RuleError(_("Choose who it is for."), "for_whom")


def _call_back(site: Site, raw_day, raw_time) -> datetime | None:
    """The promised call-back as stored UTC: HH:MM today, or on the day given; None when none was promised."""
    raw_day, raw_time = (raw_day or "").strip(), (raw_time or "").strip()
    if not raw_time:
        if raw_day:
            raise RuleError(_("Give the time to call back by."), "call_back_time")
        return None
    try:
        at = time.fromisoformat(raw_time).replace(tzinfo=None, microsecond=0)
        day = date.fromisoformat(raw_day) if raw_day else site.today()
    except ValueError:
        raise RuleError(_("Enter the time as HH:MM (and a date if it is not today)."), "call_back_time") from None
    moment, now = local_start(site, day, at), utcnow()
    if moment <= now:
        raise RuleError(_("This time has passed: choose a later one."), "call_back_time")
    if moment > now + timedelta(days=MAX_DAYS_AHEAD):
        raise RuleError(_("At most %(n)s days ahead.", n=MAX_DAYS_AHEAD), "call_back_time")
    return moment


def _by_key(key: str | None) -> DeskMessage | None:
    return db.session.scalar(select(DeskMessage).where(DeskMessage.idem_key == key)) if key else None


def take(site: Site, user: User, *, kind, caller_name, caller_phone, for_whom, text, call_back_day=None,
         call_back_time=None, idem_key: str | None = None) -> DeskMessage:
    """Take a call, a message or a visitor for someone: who called or came, for whom, the message, and the time
    the caller was promised a call-back by. A double tap records it once."""
    if not can(user, "desk.take"):
        raise DeskError(_("Your post does not take messages."))
    errors: dict[str, str] = {}
    kind = fields.checked(errors, fields.choice, kind, KINDS, "kind")
    name = fields.checked(errors, fields.text, caller_name, 40, "caller_name")
    phone = fields.checked(errors, fields.phone, caller_phone, "caller_phone")
    recipient = fields.checked(errors, _recipient, site, for_whom)
    text = fields.checked(errors, fields.text, text, MAX_TEXT, "text", _("Write the message."))
    call_back = fields.checked(errors, _call_back, site, call_back_day, call_back_time)
    if "caller_name" not in errors and "caller_phone" not in errors and not (name or phone):
        errors["caller_name"] = _("Say who called or came: a name or a phone number.")
    if call_back is not None and "caller_phone" not in errors and not phone:
        errors["caller_phone"] = _("Give the number to call back.")
    if errors:
        raise DeskErrors(errors)
    if (done := _by_key(idem_key)) is not None and done.site_id == site.id:
        return done
    for_user_id, for_rep_id = recipient
    with write_tx():
        m = DeskMessage(site_id=site.id, kind=kind, caller_name=name, caller_phone=phone, for_user_id=for_user_id,
                        for_rep_id=for_rep_id, text=text, call_back_by=call_back, taken_by_id=user.id,
                        taken_at=utcnow(), idem_key=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(m)
        except IntegrityError:  # the same key from a concurrent double tap
            done = _by_key(idem_key)
            if done is None:
                raise
            return done
        record("take", "desk_message", m.id, site_id=site.id, kind=kind, for_user_id=for_user_id,
               for_rep_id=for_rep_id, call_back=call_back is not None)
    return m


def may_finish(user: User, message) -> bool:
    """The person a message is for marks it done, and the front desk, the lead or the manager any message."""
    return message.for_user_id == user.id or can(user, "desk.done_any")


def mark_done(site: Site, user: User, message: DeskMessage) -> DeskMessage:
    """Done, in one tap; a second tap (or a colleague's at the same moment) changes nothing."""
    if not may_finish(user, message):
        raise DeskError(_("This message is not for you."))
    with write_tx():
        m = db.session.get(DeskMessage, message.id, populate_existing=True, with_for_update=True)
        if m.done_at is not None:
            return m
        m.done_at, m.done_by_id = utcnow(), user.id
        record("done", "desk_message", m.id, site_id=site.id)
    return m


def shows_phone(user: User, message) -> bool:
    """The caller's number in full: for the person the message is for, and the front desk, the lead, the manager."""
    return message.for_user_id == user.id or can(user, "desk.personal")


def phone_for(user: User, message) -> str:
    """The caller's number as this user may see it: whole, or masked (138****5678)."""
    return (message.caller_phone or "") if shows_phone(user, message) else mask_phone(message.caller_phone)


def overdue(message, now: datetime) -> bool:
    """A call-back promised by a time now past, and the message not done."""
    return message.done_at is None and message.call_back_by is not None and now > message.call_back_by
