"""Password hashing with Argon2id (argon2-cffi) and the password rule.

Hashing costs tens of milliseconds of CPU by design, so callers on the event loop
run it on a worker thread. The parameters are OWASP's first recommended Argon2id
configuration (m = 19 MiB, t = 2, p = 1; OWASP Password Storage Cheat Sheet, read
2026-12-04), not argon2-cffi's default RFC 9106 low-memory profile (64 MiB, t = 3,
p = 4): measured on this project's 2-core box, the default took 336 ms of CPU per
sign-in against 55 ms, and a class of 300 signing in at the start of a session
queued for over a minute (bench/classes.py: 37 of 300 sign-ins timed out). Hashes
made with other parameters still verify and are re-hashed at the next sign-in.

``verify`` also runs a hash for an unknown account, so the time a sign-in takes
does not tell whether the email has an account.
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
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
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
