"""Routes of /routines (being built)."""
from . import bp  # noqa: F401
