"""The one way a view runs a form through a service, and reads a date from the query string."""
from datetime import date

from flask import request


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


def arg_date(name: str, default: date) -> date:
    """?name=YYYY-MM-DD, or the default when it is missing or not a date."""
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default
