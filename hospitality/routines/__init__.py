"""Routines beyond every day: the cleaning rota (daily, weekly, half-monthly, monthly), rounds given to a post,
and linen (布草) sent to the laundry and back."""
from flask import Blueprint

bp = Blueprint("routines", __name__)

from . import routes  # noqa: E402,F401
