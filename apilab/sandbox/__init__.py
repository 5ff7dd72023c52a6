"""apilab.sandbox (see docs/architecture.md)."""
