"""workers models: filled in by its capability."""
