"""Alerts out to the site's group chat (WeCom, DingTalk, Feishu robots): an outbox written with what caused the event,
sent by a worker with retries, backoff, rate limits and signatures."""
from flask import Blueprint

bp = Blueprint("alerts", __name__)

from . import routes  # noqa: E402,F401
