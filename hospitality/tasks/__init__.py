"""Tasks one post asks of another (clear a table, call the cleaner, ready a room…) and those a failed
inspection item raises: raised, accepted, done, each with time and who."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)

from . import cards, routes  # noqa: E402,F401
