"""Routes of /tasks (being built)."""
from . import bp  # noqa: F401
