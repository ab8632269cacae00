"""The manager's set-up: sites, locations, staff, sales reps, the audit trail."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import routes  # noqa: E402,F401
