"""apilab.secretscan: find API keys and other secrets, and redact them everywhere.

The public API other packages use (see docs/secretscan.md):

    find_secrets(text, path=None) -> list[Finding]
    redact(secret) -> str                       "sk-proj-…9f2a"
    redact_text(text) -> (text, list[Finding])  every secret replaced by its redacted form

This package is a leaf: it imports nothing from apilab except ``errors``.
"""

from apilab.secretscan.redact import redact
from apilab.secretscan.scanner import Finding, find_secrets, redact_text

__all__ = ["Finding", "find_secrets", "redact", "redact_text"]
