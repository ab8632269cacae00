"""The stylesheets and scripts under static/ sent compressed at the best level, compressed once per process.

Flask-Compress compresses every response as it goes out, at one level for all: the level that suits a page
made per request (fast) is a poor one for files that never change and are cached for a year. A static file
is compressed here once per encoding at the highest level and kept in memory (the vendored CSS and JS are
about 150 KB raw); Flask-Compress leaves a response that already has a Content-Encoding alone.
"""
import gzip
from pathlib import Path

import brotli
from flask import Flask, request

TYPES = {"text/css", "application/javascript", "text/javascript", "image/svg+xml"}


def _encoding(accept: str) -> str | None:
    accept = accept.lower()
    if "br" in accept:
        return "br"
    if "gzip" in accept:
        return "gzip"
    return None


def init_app(app: Flask) -> None:
    packed: dict[tuple[str, str], bytes] = {}

    @app.after_request
    def _precompressed(response):
        if request.endpoint != "static" or response.status_code != 200 or response.mimetype not in TYPES:
            return response
        enc = _encoding(request.headers.get("Accept-Encoding", ""))
        if enc is None:
            return response
        filename = (request.view_args or {}).get("filename", "")
        body = packed.get((filename, enc))
        if body is None:
            # send_static_file has found this file inside the static folder already (safe_join).
            raw = Path(app.static_folder, filename).read_bytes()
            body = brotli.compress(raw, quality=11) if enc == "br" else gzip.compress(raw, 9, mtime=0)
            packed[(filename, enc)] = body
        response.close()  # the file send_file opened
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = enc
        response.vary.add("Accept-Encoding")
        return response
