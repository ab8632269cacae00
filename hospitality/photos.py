"""Photos from a phone: checked, re-encoded without metadata (no GPS position), stored in instance/."""
import io
import math
import uuid
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import RuleError
from .i18n import text as _

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
    image.save(folder(kind) / name, "JPEG", quality=82, optimize=True)
    return name


def remove(kind: str, name: str | None) -> None:
    if name:
        (folder(kind) / name).unlink(missing_ok=True)
