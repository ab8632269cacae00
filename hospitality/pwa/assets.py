"""What the service worker keeps on the phone, and the version that names its cache.

The version is a digest of every static file and of this package's templates (the worker's own script and the
offline page): a deploy that changes any of them changes /sw.js, the browser installs the new worker, and the
new worker drops the old version's cache. Computed once per process, like the ?v= of static_url.
"""
import hashlib
from pathlib import Path

from flask import current_app

from ..static_files import STYLESHEETS

# Every page's stylesheets and scripts (base.html) and the icons of the manifest: kept at install time, so a page
# opened without signal still has its look, and the offline page its scripts (the outbox's count).
# idiomorph: loaded by app.js only to bring a kept page up to date (it keeps what did not change, so nothing moves).
MORPH = "vendor/idiomorph-0.8.0.min.js"
PRECACHE = STYLESHEETS + ("vendor/htmx-2.0.11.min.js", "app.js", MORPH)
ICONS = (("icons/icon-192.png", 192, "any"), ("icons/icon-512.png", 512, "any"),
         ("icons/icon-maskable-512.png", 512, "maskable"))
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "pwa"

_versions: dict[str, str] = {}


def tree_digest(*folders: Path) -> str:
    """A short digest of every file under the folders: names and contents."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def version() -> str:
    """The current deploy's version: changes when a static file or the worker's templates change."""
    folder = current_app.static_folder
    found = _versions.get(folder)
    if found is None:
        found = _versions[folder] = tree_digest(Path(folder), TEMPLATES)
    return found
