"""Each post's shift screen ("today") and the lead's board: thin compositions of capabilities."""
from flask import Blueprint

bp = Blueprint("today", __name__)

from . import routes  # noqa: E402,F401
