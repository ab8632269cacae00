"""Routes of /repairs (being built)."""
from . import bp  # noqa: F401
