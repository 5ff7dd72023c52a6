"""apilab.web.routes (see docs/architecture.md)."""
