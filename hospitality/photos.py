"""Photos from a phone: checked, re-encoded without metadata (no GPS position), and kept in the photo store.

The store is instance/uploads/<kind>/ (the embedded default) or, when S3_BUCKET is set, an S3-compatible object
store (MinIO, Alibaba OSS, Tencent COS, AWS S3: hospitality/photo_store.py) that every app server shares. A photo
is served through its capability's route, after that route's access check (`send`): streamed by the app, or with
PHOTO_URLS=signed a redirect to a short-lived signed URL of the store.
"""
import io
import math
import uuid
from pathlib import Path

from flask import Response, abort, current_app, send_from_directory
from PIL import Image, ImageOps, UnidentifiedImageError

from . import photo_store
from .errors import RuleError
from .i18n import text as _

YEAR = 365 * 24 * 3600
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# A phone camera's photo is at most ~50 Mpx. The size is read from the file's header before anything is decoded:
# a 140 KB PNG can say 12000x12000, and decoding it would take the worker ~0.8 GB.
MAX_PIXELS = 50_000_000
FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: what some phone cameras call their JPEGs
DRAFT_FORMATS = {"JPEG", "MPO"}  # decoded straight at 1/2, 1/4 or 1/8 scale: the full frame is never built


class PhotoError(RuleError):
    """The upload is not a photo we keep (missing, too large, not an image)."""

    field_default = "photo"


def folder(kind: str) -> Path:
    path = Path(current_app.instance_path) / "uploads" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fitted(width: int, height: int) -> tuple[int, int]:
    """The size the stored copy will have: within MAX_SIDE x MAX_SIDE, the same shape."""
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def store(upload, kind: str) -> str:
    """Validate an uploaded image and write a clean JPEG copy; returns its file name."""
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise PhotoError(_("Choose a photo."))
    if len(data) > MAX_BYTES:
        raise PhotoError(_("The photo is larger than 5 MB."))
    too_large = _("The picture is too large: at most 50 million pixels.")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        if image.format not in FORMATS:
            raise PhotoError(_("This is not a photo (JPEG, PNG or WebP)."))
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise PhotoError(too_large)
        if image.format in DRAFT_FORMATS:
            image.draft("RGB", _fitted(width, height))
        image.load()
    except Image.DecompressionBombError:  # Pillow's own guard, at twice its limit, already in open()
        raise PhotoError(too_large) from None
    except (UnidentifiedImageError, OSError):
        raise PhotoError(_("This is not a photo (JPEG, PNG or WebP).")) from None
    # Shrink first (a PNG is decoded whole: no second full-size copy), turn it upright, and save a new file:
    # EXIF (with any GPS position) is not copied. Palette and 16-bit images are converted first to resize well.
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    image = ImageOps.exif_transpose(image).convert("RGB")
    name = f"{uuid.uuid4().hex}.jpg"
    store_ = photo_store.current()
    if store_ is None:
        image.save(folder(kind) / name, "JPEG", quality=82, optimize=True)
        return name
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True)
    try:
        store_.put(kind, name, out.getvalue())
    except photo_store.StoreDown:
        current_app.logger.warning("photo store refused a photo", exc_info=True)
        raise PhotoError(_("The photo could not be kept right now. Nothing was saved: try again in a moment.")) \
            from None
    return name


def remove(kind: str, name: str | None) -> None:
    """Take a photo away (a form that failed after its photos were kept): best effort, never raises."""
    if not name:
        return
    store_ = photo_store.current()
    if store_ is None:
        (folder(kind) / name).unlink(missing_ok=True)
        return
    try:
        store_.delete(kind, name)
    except photo_store.StoreDown:
        current_app.logger.warning("photo store could not delete %s/%s", kind, name, exc_info=True)


def send(kind: str, name: str) -> Response:
    """The photo as an answer, for a route that has checked who may see it. Names are random and a photo never
    changes: the browser keeps it for a year (private: it is not for shared caches)."""
    store_ = photo_store.current()
    if store_ is None:
        response = send_from_directory(folder(kind), name, max_age=YEAR)
    else:
        try:
            response = store_.answer(kind, name)
        except photo_store.Missing:
            abort(404)
        except photo_store.StoreDown:
            abort(503)
    response.cache_control.private = True
    response.cache_control.public = False
    return response


def ready() -> None:
    """Raise if photos cannot be kept now (the operations check /readyz): the folder must take a file, or the
    store must answer."""
    store_ = photo_store.current()
    if store_ is not None:
        store_.check()
        return
    probe = folder("ready") / f".probe-{uuid.uuid4().hex}"
    probe.write_bytes(b"")
    probe.unlink()
