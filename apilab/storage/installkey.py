"""The per-install secret: one random key in ``<data dir>/install.key`` (mode 0600).

Things that must be unguessable to anyone but this install's owner are derived
from it with HMAC, one purpose string each: the folder-scan token that proves a
browser belongs to the person who started the server, the CSRF token of the
remaining HTML form, and the key of the secret scanner's finding fingerprints
(so a fingerprint cannot be used to confirm a guessed password offline). The
key never leaves the data directory and is never logged; deleting the file
rotates every derived value at the next start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

__all__ = ["INSTALL_KEY_FILE", "derive", "fingerprint_key", "install_key"]

INSTALL_KEY_FILE = "install.key"


def install_key(data_path: Path) -> bytes:
    """This install's key, created (0600) on first use; concurrent first starts agree on one."""
    path = data_path / INSTALL_KEY_FILE
    try:
        return bytes.fromhex(path.read_text("ascii").strip()[:64])
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    tmp = data_path / f".{INSTALL_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.hex().encode("ascii") + b"\n")
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic and exclusive: the first process to link wins
    except FileExistsError:
        return bytes.fromhex(path.read_text("ascii").strip()[:64])
    finally:
        tmp.unlink(missing_ok=True)
    return key


def derive(key: bytes, purpose: str) -> str:
    """A URL-safe token for one purpose (HMAC-SHA256 of the purpose under the key)."""
    digest = hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def fingerprint_key(data_path: Path) -> bytes:
    """The secret scanner's fingerprint key for this install (see secretscan.scanner)."""
    return derive(install_key(data_path), "secretscan-fingerprint").encode("ascii")
