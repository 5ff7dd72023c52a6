"""Password hashing with Argon2id (argon2-cffi) and the password rule.

Hashing costs tens of milliseconds of CPU and 64 MiB by design (argon2-cffi's
RFC 9106 low-memory profile), so callers on the event loop run it on a worker
thread. ``verify`` also runs a hash for an unknown account, so the time a
sign-in takes does not tell whether the email has an account.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from apilab.errors import InvalidInputError

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "check_password_rule", "hash_password",
           "needs_rehash", "verify_password"]

MIN_PASSWORD = 10
# Argon2 hashes any length, but a megabyte "password" is a cheap way to burn CPU.
MAX_PASSWORD = 1024
_HASHER = PasswordHasher()
# A real hash of a random password: what an unknown email is checked against.
_DUMMY = _HASHER.hash("apilab-no-such-account-0f1e2d3c")


def check_password_rule(password: str) -> str:
    """The password if it is acceptable, else ``InvalidInputError`` saying why."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInputError(
            f"Passwords need at least {MIN_PASSWORD} characters (a few words are easiest).")
    if len(password) > MAX_PASSWORD:
        raise InvalidInputError(f"Passwords can be at most {MAX_PASSWORD} characters.")
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (``None``: no password; still costs a hash)."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash uses weaker parameters than today's (rehash at sign-in)."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True
