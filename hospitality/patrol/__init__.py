"""Night patrols: checkpoints with printed codes, hourly rounds through the night shift, scans with proof of
presence, problems found passed on as incidents or morning tasks, and the night report."""
from flask import Blueprint

bp = Blueprint("patrol", __name__)

from . import routes  # noqa: E402,F401
