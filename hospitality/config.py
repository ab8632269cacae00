"""Configuration: defaults here, overridden by instance/config.py and the environment."""
import os
from datetime import timedelta


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # filled from instance/secret_key when unset
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default: SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"  # also the zone of a DEMO_CLOCK without one
    # Demo mode: the app serves the demo data (`make serve` sets HOSPITALITY_DEMO=1). Only in demo mode (or when
    # TESTING) may DEMO_CLOCK start the app's clock elsewhere: an ISO date-time such as 2026-12-06T23:30, local to
    # BABEL_DEFAULT_TIMEZONE unless it names an offset; the clock runs on with real seconds (hospitality/clock.py).
    DEMO = os.environ.get("HOSPITALITY_DEMO", "0") == "1"
    DEMO_CLOCK = os.environ.get("DEMO_CLOCK") or None
    # When (Unix seconds, real time) DEMO_CLOCK was set: every process started later (seeding, each gunicorn worker,
    # a worker gunicorn restarts) runs the same clock instead of starting again at DEMO_CLOCK.
    DEMO_CLOCK_SET_AT = os.environ.get("DEMO_CLOCK_SET_AT") or None
    LANGUAGES = ("zh_Hans", "en")
    PERMANENT_SESSION_LIFETIME = timedelta(hours=14)  # one long shift
    KEPT_PAGES_MAX_AGE = None  # the oldest page copy the service worker shows (None: a session's lifetime)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("HTTPS", "0") == "1"
    FORCE_HTTPS = os.environ.get("HTTPS", "0") == "1"
    WTF_CSRF_TIME_LIMIT = 14 * 3600
    RATELIMIT_ENABLED = True
    # Shared state between app servers lives in PostgreSQL and Redis. With REDIS_URL (redis://host:6379/0) the
    # login and PIN limits count across every worker and server; without it each worker counts on its own
    # (memory://, the embedded default). Redis down: the limits fall back to each worker's memory, logins go on
    # (the per-account lockout in the database still holds), and /readyz says redis is down.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A Redis that stopped answering costs a login at most this long, not a hung worker.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    RATELIMIT_HEADERS_ENABLED = False
    # Per address, the second line behind the lockout: per worker with memory://, across servers with Redis.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # Per account, the same for every worker (hospitality/auth/lockout.py): this many wrong passwords in a row
    # lock the account; the first lock lasts LOGIN_LOCK_MINUTES, each further one twice the last, at most
    # LOGIN_LOCK_MAX_MINUTES.
    LOGIN_LOCK_AFTER = 5
    LOGIN_LOCK_MINUTES = 5
    LOGIN_LOCK_MAX_MINUTES = 60
    # How many reverse proxies in front of the app to believe about the client's address and scheme
    # (X-Forwarded-For / -Proto, werkzeug's ProxyFix). 0: none, the connection's own address counts; any other
    # value lets a client that reaches the app directly pick its own address for the per-address limit.
    PROXY_COUNT = int(os.environ.get("HOSPITALITY_PROXY_COUNT", "0"))
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 2  # pages: a tenth of a millisecond for 10-20 KB; static files: hospitality/static_files.py
    COMPRESS_LEVEL = 5
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/javascript", "text/javascript",
                          "application/json", "image/svg+xml"]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600  # static URLs carry a content hash
    # Photos: instance/uploads/ (the embedded default), or with S3_BUCKET an S3-compatible store every server
    # shares (hospitality/photo_store.py). Credentials: these or boto3's own (AWS_* variables, an instance role).
    # PHOTO_URLS=signed sends the browser to a five-minute signed URL of the store instead of streaming through
    # the app (the store's origin is then added to the pages' img-src).
    S3_BUCKET = os.environ.get("S3_BUCKET") or None
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None  # e.g. https://oss-cn-shanghai.aliyuncs.com
    S3_REGION = os.environ.get("S3_REGION") or None
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID") or None
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY") or None
    S3_PREFIX = os.environ.get("S3_PREFIX", "photos/")
    S3_ADDRESSING = os.environ.get("S3_ADDRESSING", "auto")  # "path" for MinIO and most self-hosted stores
    PHOTO_URLS = os.environ.get("PHOTO_URLS", "app")
    # Operations (hospitality/ops): one JSON line per request on stderr; /metrics answers only with this token
    # (Authorization: Bearer …), and does not exist without one.
    LOG_JSON = os.environ.get("LOG_JSON", "1") == "1"
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    SQL_COUNT_HEADER = os.environ.get("SQL_COUNT_HEADER", "0") == "1"  # used by the benchmark
    AUDIT_PAGE_SIZE = 50
    # Four 5 MB phone photos and their form (an incident's report or action; photos.MAX_BYTES each): a larger
    # request is refused with 413 before it is read.
    MAX_CONTENT_LENGTH = 21 * 1024 * 1024
