"""Per request: an id (the proxy's X-Request-ID when it sent a sane one, else a new one), echoed in the response,
carried by every log line of the request; at the end one structured line (method, path, status, duration, user,
site) and the request counted in the metrics."""
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

from . import metrics

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
log = logging.getLogger("hospitality.request")


class RequestContext(logging.Filter):
    """Adds the request's id, user and site to every record logged while it runs (blank outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.__dict__.update(_who() if has_request_context() else {})
        return True


def _who() -> dict:
    user = _user()
    return {"request_id": g.get("request_id", ""), "user_id": user.id if user is not None else None,
            "site_id": user.site_id if user is not None else None}


class JsonLines(logging.Formatter):
    """One JSON object per line: what a log collector (Loki, ELK, Alibaba SLS) indexes without a parser."""
    EXTRA = ("request_id", "user_id", "site_id", "method", "path", "status", "duration_ms", "endpoint")

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for key in self.EXTRA:
            value = getattr(record, key, None)
            if value not in (None, ""):
                out[key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


JsonLines.converter = time.gmtime


def _user():
    """The user if this request has already loaded one: never a database read just to log."""
    user = g.get("_login_user")
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def init_app(app: Flask) -> None:
    logger = app.logger  # "hospitality": the app's own messages and hospitality.request's lines
    if app.config.get("LOG_JSON", True) and not any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        handler.addFilter(RequestContext())
        # The test suite's requests would fill its captured output: there only warnings and errors are written.
        handler.setLevel(logging.WARNING if app.testing else logging.INFO)
        logger.handlers = [handler]
    logger.setLevel(logging.INFO)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex[:16]

    @app.after_request
    def _finish(response):
        started = g.get("request_started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        endpoint = request.endpoint or "unmatched"
        response.headers["X-Request-ID"] = g.request_id
        metrics.observe(endpoint, request.method, response.status_code, seconds)
        if endpoint != "static":
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={**_who(), "method": request.method, "path": request.path, "status": response.status_code,
                            "duration_ms": round(seconds * 1000, 1), "endpoint": endpoint})
        return response
