"""Accounts and sign-in: who a request is, what role they hold, how they signed in.

- ``roles``: the three roles and the ``Identity`` a request resolves to;
- ``passwords``: Argon2 hashing (argon2-cffi) and the password rule;
- ``tokens``: session and reset tokens (random; only their SHA-256 is stored);
- ``service``: ``Accounts``, the engine the CLI and the web door share: create,
  sign in (rate-limited through the call layer's shared limit store), sign out,
  reset links, roles, disable, resolving a session cookie to an ``Identity``, and
  signing in an externally authenticated user (LTI, OIDC).

With no account at all the server keeps its single local learner: nobody has to
sign up to use ``apilab serve`` on a laptop. This package never imports ``web``.
"""

from apilab.accounts.roles import ADMIN, INSTRUCTOR, LEARNER, ROLES, Identity, local_identity
from apilab.accounts.service import Accounts, normalise_email

__all__ = ["ADMIN", "INSTRUCTOR", "LEARNER", "ROLES", "Accounts", "Identity", "local_identity",
           "normalise_email"]
