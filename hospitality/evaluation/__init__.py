"""Staff evaluation (/evaluation): a monthly score per person, item by item, and the weekly meeting sheet."""
from flask import Blueprint

bp = Blueprint("evaluation", __name__)

from . import routes  # noqa: E402,F401
