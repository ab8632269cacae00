"""Configuration: defaults here, overridden by instance/config.py and the environment."""
import os
from datetime import timedelta


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # filled from instance/secret_key when unset
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default: SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans", "en")
    PERMANENT_SESSION_LIFETIME = timedelta(hours=14)  # one long shift
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("HTTPS", "0") == "1"
    FORCE_HTTPS = os.environ.get("HTTPS", "0") == "1"
    WTF_CSRF_TIME_LIMIT = 14 * 3600
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT = "10 per minute"
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 2  # pages: a tenth of a millisecond for 10-20 KB; static files: hospitality/static_files.py
    COMPRESS_LEVEL = 5
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/javascript", "text/javascript",
                          "application/json", "image/svg+xml"]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600  # static URLs carry a content hash
    SQL_COUNT_HEADER = os.environ.get("SQL_COUNT_HEADER", "0") == "1"  # used by the benchmark
    AUDIT_PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # a 5 MB photo and its form
