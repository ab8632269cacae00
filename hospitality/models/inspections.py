"""inspections models: filled in by its capability."""
