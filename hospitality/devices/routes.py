"""Placeholder: filled by the shared-devices work (issue 18)."""
from . import bp  # noqa: F401
