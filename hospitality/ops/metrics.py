"""Prometheus metrics: requests per endpoint (count and latency), and at each scrape the database pool and the
depth of the group-robot outbox.

Under gunicorn each worker is a process with its own counters: set PROMETHEUS_MULTIPROC_DIR (an empty directory,
emptied at each start; docs/gunicorn.conf.py does it) and /metrics adds up every worker's files. Without it (one
process, the tests) the process's own registry answers.
"""
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

# Buckets around the page budget (30 ms) and what a person notices (a few hundred ms).
BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter("hospitality_requests", "Requests answered, by endpoint, method and status class",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("hospitality_request_seconds", "Time to answer a request, by endpoint",
                    ["endpoint"], buckets=BUCKETS)


def observe(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method, f"{status // 100}xx").inc()
    LATENCY.labels(endpoint).observe(seconds)


class StateCollector:
    """Read at scrape time: this worker's database pool and the robots' outbox (rows not yet delivered)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from ..extensions import db
        with self.app.app_context():
            pool = db.engine.pool
            gauge = GaugeMetricFamily("hospitality_db_pool", "Database connections of the answering worker",
                                      labels=["state"])
            for state, fn in (("size", "size"), ("checked_out", "checkedout"), ("overflow", "overflow")):
                if hasattr(pool, fn):
                    gauge.add_metric([state], float(getattr(pool, fn)()))
            yield gauge
            from ..alerts.reads import outbox_depth
            depth = GaugeMetricFamily("hospitality_outbox_depth", "Group-robot messages waiting to be delivered",
                                      labels=["state"])
            for state, n in outbox_depth().items():
                depth.add_metric([state], float(n))
            yield depth


def exposition(app) -> bytes:
    """The text Prometheus reads: every worker's request metrics and the state read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REQUESTS, LATENCY):
            registry.register(collector)
    registry.register(StateCollector(app))
    return generate_latest(registry)

