"""Error pages in one place: a full page for a browser, a short toast fragment for htmx."""
from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .htmx import is_htmx
from .i18n import text as _


class RuleError(Exception):
    """A rule said no. Every capability's error is a subclass (VisitError, StockError…), so a view catches
    RuleError and shows `message` under the form field `field` (None: the form's own message)."""

    field_default: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field if field is not None else self.field_default


class FieldErrors:
    """Mixed into a capability's error (`class VisitErrors(FieldErrors, VisitError)`): several fields of a form are
    wrong at once, and every mistake is reported."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        RuleError.__init__(self, errors[first], first)
        self.errors = errors


def messages(e: RuleError) -> dict[str, str]:
    """A refusal's messages by form field ("form": the form's own message)."""
    return e.errors if isinstance(e, FieldErrors) else {e.field or "form": e.message}


def _messages():
    return {
        400: _("The request could not be understood."),
        401: _("Please log in."),
        403: _("Your post does not have access to this page."),
        404: _("Not found. It may belong to another site or have been removed."),
        405: _("This action is not allowed here."),
        409: _("Someone else changed this at the same time. Please reload and try again."),
        413: _("The upload is too large."),
        422: _("Please correct the marked fields."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }


def error_response(code: int, message: str | None = None):
    message = message or _messages().get(code, _messages()[400])
    template = "errors/_toast.html" if is_htmx() else "errors/page.html"
    return render_template(template, code=code, message=message), code


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return error_response(400, _("This form has expired. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(e):
        return error_response(e.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(e):
        from .extensions import db
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500)
