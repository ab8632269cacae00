"""The installable app: the web app manifest, the service worker (served from the root so its scope is the whole
app) and the page it shows when it cannot reach the server."""
from flask import Blueprint

bp = Blueprint("pwa", __name__)

from . import routes  # noqa: E402,F401
