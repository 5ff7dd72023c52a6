"""Random tokens for session cookies and reset links; only their hashes are stored.

A token is 32 random bytes, URL-safe. The database keeps ``token_hash(token)``
(SHA-256 hex): a copy of the database or a backup cannot be replayed as a
cookie. SHA-256 without a salt is enough here because the token itself has 256
bits of entropy (a password would need Argon2; a token does not).
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["new_token", "token_hash"]


def new_token() -> str:
    """A fresh unguessable token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
