"""Purchase requests with the manager's approval, receipts, and fixture releases."""
from flask import Blueprint

bp = Blueprint("purchasing", __name__)

from . import routes  # noqa: E402,F401
