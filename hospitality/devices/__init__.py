"""Shared devices: a tablet or phone the manager registers for a site, on which staff switch user with their
badge number and a PIN."""
from flask import Blueprint, request
from flask_login import current_user

bp = Blueprint("devices", __name__)

from . import routes  # noqa: E402,F401
from .reads import current_device  # noqa: E402

bp.add_app_template_global(current_device, "current_device")


@bp.after_app_request
def _no_store(response):
    """A person's pages are never kept by the browser's HTTP cache (nor shown by Back after someone else took the
    shared device): every logged-in HTML response says no-store. Static files and the login page keep their
    caching. The service worker keeps copies on a personal phone only, under rules of its own (pwa/kept.py)."""
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers \
            and request.endpoint != "static" and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response
