"""Incidents: any post reports one; urgent ones alert the lead, the manager and security; a timeline; drills."""
from flask import Blueprint

bp = Blueprint("incidents", __name__)

from . import labels, routes  # noqa: E402,F401
