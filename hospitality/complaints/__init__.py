"""Customer care: complaints in the seeds' six steps with deadlines, and the follow-up calls after them."""
from flask import Blueprint

bp = Blueprint("complaints", __name__)

from . import routes  # noqa: E402,F401
