"""Checks of one form field each, and the photos a form carries, for the capabilities' services.

Each check raises RuleError(message, field); `checked` collects the refusals of a whole form so that every mistake
is reported at once (the service then raises its FieldErrors). Views catch RuleError.
"""
import re
from datetime import UTC, datetime, timedelta

from . import photos
from .errors import RuleError
from .extensions import db
from .forms import limited
from .i18n import text as _


def checked(errors: dict, check, *args):
    """Run one field's check; a refusal goes into `errors` under its field (None returned)."""
    try:
        return check(*args)
    except RuleError as e:
        errors[e.field or "form"] = e.message
        return None


def one(errors_class, check, *args):
    """Run a single check outside a form's collection: a refusal is raised as the capability's FieldErrors."""
    errors: dict[str, str] = {}
    value = checked(errors, check, *args)
    if errors:
        raise errors_class(errors)
    return value


def text(raw, limit: int, field: str, required: str | None = None) -> str | None:
    """Free text within its limit (None when empty); `required` is the message when it must be given."""
    value = limited(raw, limit, field, RuleError)
    if value is None and required:
        raise RuleError(required, field)
    return value


PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def phone(raw, field: str) -> str | None:
    """A phone number as typed (digits, spaces, dashes, a leading +), kept as its digits (and the +) so the same
    number typed two ways is one number; None when empty."""
    value = text(raw, 20, field)
    if value is None:
        return None
    if not PHONE.match(value):
        raise RuleError(_("Enter a phone number (digits only)."), field)
    return re.sub(r"[ -]", "", value)


def mask_phone(number: str | None) -> str:
    """138****5678: enough to tell two numbers apart, not enough to call."""
    if not number:
        return ""
    digits = number.replace(" ", "").replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) > 7 else "****"


TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what secrets.token_urlsafe makes (a printed code's, a QR link's)


def token_ok(token: str | None) -> bool:
    """Whether a token from a URL can be one we made (anything else is not looked up: PostgreSQL refuses a NUL)."""
    return bool(token) and TOKEN.fullmatch(token) is not None


def whole(raw, low: int, high: int) -> int | None:
    """A whole number typed in plain digits (0-9: not "²" or "٣", which str.isdigit() accepts and int() may refuse),
    within low..high; else None, for the caller's message next to its field."""
    raw = str(raw if raw is not None else "").strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    number = int(raw)
    return number if low <= number <= high else None


def choice(raw, choices: dict, field: str) -> str:
    if raw not in choices:
        raise RuleError(_("Choose from the list."), field)
    return raw


def site_row(model, site_id: int, raw, field: str, message: str):
    """A row of this site picked by its id in a form (None when none was picked); another site's or none: refused."""
    if raw in (None, "", "0"):
        return None
    try:
        found = db.session.get(model, int(raw))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None or found.site_id != site_id:
        raise RuleError(message, field)
    return found


def uploads(files, limit: int, field: str = "photos") -> list:
    """The photos chosen (an empty file input sends one nameless part), at most `limit`."""
    files = [f for f in files or () if getattr(f, "filename", None)]
    if len(files) > limit:
        raise RuleError(_("At most %(n)s photos at a time.", n=limit), field)
    return files


def store(files, kind: str, field: str = "photos") -> list[str]:
    """Check and store each photo (re-encoded without EXIF/GPS); one refused removes the others again."""
    names = []
    try:
        for f in files:
            names.append(photos.store(f, kind))
    except photos.PhotoError as e:
        discard(names, kind)
        raise RuleError(e.message, field) from None
    return names


def discard(names: list[str], kind: str) -> None:
    for name in names:
        photos.remove(kind, name)


# A tap kept on the phone without signal (the offline outbox) is sent later with the phone's time of the tap. The
# rules use that time when it is plausible: not after it arrived (a minute's grace for clocks a little apart) and
# not more than a shift before it (a phone left offline longer, or with its clock wrong, gets the arrival time).
MADE_AHEAD = timedelta(minutes=1)
MADE_BEHIND = timedelta(hours=12)
_MADE_KEPT = timedelta(days=366)  # beyond this a phone's clock is broken: its time is kept at this bound


def made_at(raw, now: datetime) -> datetime | None:
    """The phone's time of a tap sent from the outbox (ISO 8601, e.g. 2026-12-06T19:12:49.123Z; without an offset:
    UTC) as naive UTC like the other columns; None when not given or not a time. Kept as said, plausible or not
    (counted() decides), within a year of now so that any stored value still converts to a wall clock."""
    text = str(raw or "").strip()
    if not text or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return min(max(moment, now - _MADE_KEPT), now + _MADE_KEPT)


def plausible(made: datetime | None, arrived: datetime) -> bool:
    """Whether the phone's time of a tap can be believed (see MADE_AHEAD, MADE_BEHIND); False when there is none."""
    return made is not None and arrived - MADE_BEHIND <= made <= arrived + MADE_AHEAD


def counted(made: datetime | None, arrived: datetime) -> datetime:
    """The time the rules use: when the tap was made if that is plausible, else when it arrived."""
    return made if plausible(made, arrived) else arrived


def clock_off(made: datetime | None, arrived: datetime | None) -> bool:
    """The row says the phone's clock was off: a time was sent and it could not be believed."""
    return made is not None and arrived is not None and not plausible(made, arrived)
