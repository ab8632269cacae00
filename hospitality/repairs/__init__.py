"""Repairs (报修): a broken fitting, equipment, lift or fit-out defect, reported → assigned → fixed → checked."""
from flask import Blueprint

bp = Blueprint("repairs", __name__)

from . import labels, routes  # noqa: E402,F401
