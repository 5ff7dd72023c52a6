"""apilab.calls (see docs/architecture.md)."""
