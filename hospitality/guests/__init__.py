"""Knowing the guests: satisfaction at departure (staff's tap or the guests' own answer on a public page), the
alert an unsatisfied group raises, satisfaction per day, rep and post, and VIP notices."""
from flask import Blueprint

bp = Blueprint("guests", __name__)
public_bp = Blueprint("guests_public", __name__)  # /f/<token>: the page a guest's phone opens, no login

from . import routes  # noqa: E402,F401
