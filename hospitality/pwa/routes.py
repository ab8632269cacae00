"""Placeholder: filled by the installable-app work (issue 18)."""
from flask import Response

from . import bp


@bp.get("/manifest.webmanifest")
def manifest():
    return Response("{}", mimetype="application/manifest+json")


@bp.get("/sw.js")
def sw():
    return Response("", mimetype="text/javascript")
