"""Photos from a phone: checked, re-encoded without metadata (no GPS position), stored in instance/."""
import io
import uuid
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from .i18n import text as _

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: what some phone cameras call their JPEGs


class PhotoError(Exception):
    def __init__(self, message: str, field: str = "photo"):
        super().__init__(message)
        self.message = message
        self.field = field


def folder(kind: str) -> Path:
    path = Path(current_app.instance_path) / "uploads" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(upload, kind: str) -> str:
    """Validate an uploaded image and write a clean JPEG copy; returns its file name."""
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise PhotoError(_("Choose a photo."))
    if len(data) > MAX_BYTES:
        raise PhotoError(_("The photo is larger than 5 MB."))
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise PhotoError(_("This is not a photo (JPEG, PNG or WebP)."))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise PhotoError(_("This is not a photo (JPEG, PNG or WebP).")) from None
    # Turn it upright, shrink it, and save a new file: EXIF (with any GPS position) is not copied.
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    name = f"{uuid.uuid4().hex}.jpg"
    image.save(folder(kind) / name, "JPEG", quality=82, optimize=True)
    return name


def remove(kind: str, name: str | None) -> None:
    if name:
        (folder(kind) / name).unlink(missing_ok=True)
