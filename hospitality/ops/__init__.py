"""What the people running the app need: is it up (/healthz), can it serve (/readyz: database, Redis, photo store),
how is it doing (/metrics for Prometheus), and one log line per request with its id, who, which site and how long.

`init_app` installs the request hooks and the log format; the blueprint holds the three endpoints (no login: a
load balancer and Prometheus call them; /metrics wants its token).
"""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from . import routes  # noqa: E402,F401
from .requests import init_app  # noqa: E402,F401
