"""gunicorn settings for one app server behind the reverse proxy (docs/nginx.conf).

    gunicorn -c docs/gunicorn.conf.py app:app

The environment carries the app's settings (docs/operations.md): DATABASE_URL, SECRET_KEY, REDIS_URL, S3_*,
HTTPS=1, HOSPITALITY_PROXY_COUNT=1, METRICS_TOKEN. Run the same on every server.
"""
import multiprocessing
import os
import shutil

# Sync workers: a page is ~5 ms of CPU and every statement is short, so one worker per core keeps the cores busy
# without queueing inside the process. More workers than cores only adds memory and context switches.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
bind = os.environ.get("BIND", "127.0.0.1:8000")  # the proxy reaches it; nothing else should
timeout = 30            # a request longer than this is a bug: the worker is replaced
graceful_timeout = 20   # on a deploy, requests in flight finish (a write is one transaction: never half-done)
keepalive = 5           # the proxy keeps connections open between requests
max_requests = 5000     # replace workers now and then (memory held by a long life)
max_requests_jitter = 500
# The proxy is the only client: believe its X-Forwarded-* (the app's HOSPITALITY_PROXY_COUNT=1 does the same for
# the address the login limit counts).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None        # the app writes one JSON line per request (request id, user, site, duration)
errorlog = "-"
control_socket_disable = True  # several instances on one machine would share its default path

# Prometheus: every worker writes its counters to files in this directory and /metrics adds them up. It must be
# empty when the server starts.
PROMETHEUS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/hospitality-metrics")


def on_starting(server):
    shutil.rmtree(PROMETHEUS_DIR, ignore_errors=True)
    os.makedirs(PROMETHEUS_DIR, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
