"""Shared devices: a tablet or phone the manager registers for a site, on which staff switch user with their
badge number and a PIN."""
from flask import Blueprint

bp = Blueprint("devices", __name__)

from . import routes  # noqa: E402,F401
