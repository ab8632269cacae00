"""Placeholder: the shared devices' tables (issue 18)."""
