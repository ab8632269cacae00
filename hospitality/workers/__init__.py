"""workers."""
from flask import Blueprint

bp = Blueprint("workers", __name__)

from . import routes  # noqa: E402,F401
