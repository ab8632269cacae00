"""Request input made safe once for every form, the one way a view runs a form through a service, and dates
read from the query string."""
import re
from datetime import date

from flask import Request, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

from .i18n import text as _

# PostgreSQL's INTEGER, the type of every id column (and of version counters): a larger number makes it refuse
# the whole statement (a 500), and SQLite refuses anything beyond 64 bits. Ids are bounded here, in one place.
MAX_ID = 2**31 - 1
# Fields that carry a row's id without saying so in their name (the rest end in _id, or carry the id in their
# own name: qty-<item id>, name-<shift id>).
ID_NAMES = frozenset({"rep", "who", "guest"})
_NUMBERED = re.compile(r"^(.+)-([^-]+)$")
# Control characters: PostgreSQL refuses NUL in text (SQLite stores it), the others only hide in stored names.
# Tabs and line breaks stay (notes are multi-line); a browser's CRLF becomes LF, as its maxlength counts it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class IdConverter(IntegerConverter):
    """The app's <int:...>: a path id no id column can hold does not match the route (404), never a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def clean_text(value: str) -> str:
    """The text without control characters (tabs and line breaks kept, line breaks as LF)."""
    if value.isprintable():  # the common case, checked in C
        return value
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _fits(raw: str) -> bool:
    """False for a number no INTEGER column holds, or for digits int() cannot read ('²' passes isdigit())."""
    try:
        return -MAX_ID - 1 <= int(raw) <= MAX_ID
    except ValueError:
        return not raw.strip().isdigit()


def _carries_id(key: str) -> bool:
    return key == "id" or key.endswith("_id") or key in ID_NAMES


def clean_pairs(pairs):
    """Each (name, value) of a request with its text cleaned and its ids bounded.

    An id out of range becomes MAX_ID, an id no row has (sequences start at 1 and would need two billion rows):
    each capability then answers as it does for a removed row — 404, or a message under the field — and its
    "none chosen" values ("", "0") are never what an out-of-range id turns into.
    """
    for key, value in pairs:
        key = clean_text(key)
        numbered = _NUMBERED.match(key)
        if numbered and not _fits(numbered.group(2)):
            key = f"{numbered.group(1)}-{MAX_ID}"
        if isinstance(value, str):  # uploads (FileStorage) pass as they are
            value = clean_text(value)
            if _carries_id(key) and not _fits(value):
                value = str(MAX_ID)
        yield key, value


class InputDict(ImmutableMultiDict):
    """request.args, request.form and request.files: every such dict Werkzeug builds for a request passes here,
    so WTForms forms (Flask-WTF reads request.form) and the views' raw request.form reads get the same values."""

    def __init__(self, mapping=None):
        super().__init__(list(clean_pairs(MultiDict(mapping).items(multi=True))) if mapping else None)

    def get(self, key, default=None, type=None):
        """As MultiDict.get; with type=int, a number no INTEGER column holds is malformed too (the default)."""
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            return default
        return value


class InputRequest(Request):
    """The app's request class (hospitality/__init__.py): its form and query values are cleaned (InputDict)."""
    parameter_storage_class = InputDict


def limited(text: str | None, limit: int, field: str, error: type[Exception]) -> str | None:
    """Free text from a form, stripped (None when empty); longer than its input's maxlength it is refused under
    its field with error(message, field), never cut: a script does not stop at maxlength, and text cut
    silently is text lost. The template says the limit with _macros/forms.html limit()."""
    text = (text or "").strip()
    if len(text) > limit:
        raise error(_("At most %(n)s characters.", n=limit), field)
    return text or None


def apply_form(form, action, refusals: tuple[type[Exception], ...], default_field: str) -> tuple[bool, int]:
    """Validate the form and run the service; a rule's refusal becomes an error under its field.

    Returns (saved, status): 200 for a plain GET, 422 for a form that was refused.
    """
    if not form.validate_on_submit():
        return False, 422 if form.is_submitted() else 200
    try:
        action()
    except refusals as e:
        getattr(form, getattr(e, "field", None) or default_field).errors.append(e.message)
        return False, 422
    return True, 200


def idem() -> str | None:
    """The idempotency key a form carried (one per rendered form): a double tap sends the same key twice."""
    key = request.form.get("idem", "")
    return key if 8 <= len(key) <= 64 and key.isalnum() else None


def qty_fields(form, prefix: str = "qty-") -> dict[int, str]:
    """The per-item inputs of a form (qty-<id>, or another prefix), by item id, ignoring malformed names."""
    out = {}
    for key, value in form.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            out[int(key[len(prefix):])] = value
    return out


EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # what a filter may ask for: any real record


def iso_day(raw) -> date | None:
    """A day typed as YYYY-MM-DD within EARLIEST_DAY..LATEST_DAY, else None (a day at either end of the calendar
    would overflow when turned into a site's UTC bounds)."""
    try:
        day = date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def arg_date(name: str, default: date) -> date:
    """?name=YYYY-MM-DD, or the default when it is missing or not a date."""
    day = iso_day(request.args.get(name, ""))
    return default if day is None else day
