"""Head office (/hq): every site of the company side by side for a range, read-only."""
from flask import Blueprint

bp = Blueprint("hq", __name__)

from . import routes  # noqa: E402,F401
