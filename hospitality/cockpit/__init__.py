"""The manager's day (/manager): one screen of how the day and the month are going, each figure linking to its list."""
from flask import Blueprint

bp = Blueprint("cockpit", __name__)

from . import routes  # noqa: E402,F401
