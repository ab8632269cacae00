"""/healthz, /readyz and /metrics: no login (a load balancer and Prometheus call them), nothing personal."""
import hmac

from flask import Response, abort, current_app, jsonify, request

from ..extensions import csrf
from . import bp, checks, metrics


@bp.get("/healthz")
def healthz():
    """The process is up and answers (nothing else is touched: a slow database must not get it restarted)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Can this server do its work: the database, Redis (when configured) and the photo store each answer.
    503 names the part that is down, so the load balancer stops sending people here and the operator knows why."""
    ok, parts = checks.readiness()
    return jsonify(status="ok" if ok else "down", **parts), 200 if ok else 503


@bp.get("/metrics")
def prometheus():
    """Prometheus' scrape: `Authorization: Bearer <METRICS_TOKEN>`. Without a token configured it does not
    exist (404): a figure of the company's traffic is not for everyone who can reach the server."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"}, mimetype="text/plain")
    return Response(metrics.exposition(current_app._get_current_object()),
                    mimetype="text/plain; version=0.0.4")


csrf.exempt(bp)
