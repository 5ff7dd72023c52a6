"""apilab.web (see docs/architecture.md)."""
