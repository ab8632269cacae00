"""The checklist engine: a post's routines to fill in, the manager's templates to edit."""
from flask import Blueprint

bp = Blueprint("checklists", __name__)

from . import routes  # noqa: E402,F401
