"""apilab.providers (see docs/architecture.md)."""
