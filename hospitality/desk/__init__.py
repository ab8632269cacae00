"""The front desk's call and message log: calls, messages and visitors for staff, a sales rep or the manager."""
from flask import Blueprint

bp = Blueprint("desk", __name__)

from . import cards, routes  # noqa: E402,F401
