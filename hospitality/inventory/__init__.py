"""Stock: items, the ledger, counts, discrepancies and daily consumption."""
from flask import Blueprint

bp = Blueprint("inventory", __name__)

from . import recipe_routes, routes  # noqa: E402,F401
