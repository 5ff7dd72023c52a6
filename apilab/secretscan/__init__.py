"""apilab.secretscan (see docs/architecture.md)."""
