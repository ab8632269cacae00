"""inspections."""
from flask import Blueprint

bp = Blueprint("inspections", __name__)

from . import routes  # noqa: E402,F401
