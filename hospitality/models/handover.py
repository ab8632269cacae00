"""handover models: filled in by its capability."""
