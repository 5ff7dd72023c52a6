"""apilab.calls.state (see docs/architecture.md)."""
