"""Visits: the reception chain from the car park to the model room, live across posts."""
from flask import Blueprint

bp = Blueprint("visits", __name__)

from . import report_routes, routes  # noqa: E402,F401
