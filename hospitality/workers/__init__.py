"""Workers: construction crews entering a model room, registered and counted before and after."""
from flask import Blueprint

bp = Blueprint("workers", __name__)

from . import routes  # noqa: E402,F401
