"""Checks of one form field each, and the photos a form carries, for the capabilities' services.

Each check raises RuleError(message, field); `checked` collects the refusals of a whole form so that every mistake
is reported at once (the service then raises its FieldErrors). Views catch RuleError.
"""
import re

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
