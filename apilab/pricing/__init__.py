"""apilab.pricing (see docs/architecture.md)."""
