"""Tokens a page receives, derived from the per-install key.

- The **local token** proves "this browser belongs to whoever started the
  server": ``apilab serve`` prints a link carrying it, the first visit stores it
  in an HttpOnly, SameSite=Strict cookie, and folder scans require it. The peer
  address proves nothing (every user of the machine, and every user behind a
  same-host proxy, is 127.0.0.1).
- The **CSRF token** rides in the one remaining HTML form (a lab's reset); it
  is bound to the learner, so one learner's page cannot be replayed for another.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from apilab.storage.installkey import derive, fingerprint_key, install_key

__all__ = ["LOCAL_COOKIE", "InstallTokens"]

LOCAL_COOKIE = "apilab_local"


class InstallTokens:
    """The derived tokens of one install (the key is read once, at app start)."""

    def __init__(self, data_path: Path) -> None:
        self._key = install_key(data_path)
        self.local = derive(self._key, "local-folder-scan")
        self.fingerprint_key = fingerprint_key(data_path)

    def csrf(self, learner: str) -> str:
        """The reset form's token for one learner."""
        return derive(self._key, "csrf-form:" + learner)

    def is_local(self, token: str | None) -> bool:
        """True for this install's local token (constant-time compare)."""
        return bool(token) and hmac.compare_digest(str(token), self.local)

    def csrf_ok(self, learner: str, token: str | None) -> bool:
        """True when ``token`` is this learner's CSRF token."""
        return bool(token) and hmac.compare_digest(str(token), self.csrf(learner))
