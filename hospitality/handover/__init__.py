"""handover."""
from flask import Blueprint

bp = Blueprint("handover", __name__)

from . import labels, routes  # noqa: E402,F401
