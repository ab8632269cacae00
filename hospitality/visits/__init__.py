"""Visits: the reception chain from the car park to the model room, live across posts."""
from flask import Blueprint

bp = Blueprint("visits", __name__)

from . import routes  # noqa: E402,F401
