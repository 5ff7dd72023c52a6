"""The roles and the ``Identity`` every request resolves to.

Roles are ordered: an admin may do what an instructor may, an instructor what a
learner may. What each role may *see* is decided where the data is read (an
instructor sees only classes they own or co-teach, see ``classes.rooms``); this
module only names the roles and checks rank.
"""

from __future__ import annotations

import dataclasses

from apilab.errors import ForbiddenError, InvalidInputError

__all__ = ["ADMIN", "INSTRUCTOR", "LEARNER", "ROLES", "Identity", "check_role",
           "local_identity"]

LEARNER, INSTRUCTOR, ADMIN = "learner", "instructor", "admin"
ROLES = (LEARNER, INSTRUCTOR, ADMIN)
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def check_role(role: str) -> str:
    """``role`` if it is one of ``ROLES``, else ``InvalidInputError`` naming them."""
    if role not in _RANK:
        raise InvalidInputError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    return role


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who a request is: the learner handle their data hangs off, and their account.

    ``account_id`` is ``None`` for the single local learner (no accounts) and for
    a learner named by a trusted proxy header.
    """

    handle: str
    role: str = LEARNER
    account_id: int | None = None
    email: str | None = None
    display_name: str | None = None
    learner_id: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None

    def at_least(self, role: str) -> bool:
        """Whether this identity holds ``role`` or a higher one."""
        return _RANK.get(self.role, -1) >= _RANK[role]

    def require(self, role: str) -> None:
        """``ForbiddenError`` unless this identity holds ``role`` or higher."""
        if not self.at_least(role):
            raise ForbiddenError(f"This page is for {role}s; your account is a {self.role}.")

    @property
    def name(self) -> str:
        return self.display_name or self.email or self.handle


def local_identity(handle: str) -> Identity:
    """The identity of a server without accounts (or of a proxy-named learner)."""
    return Identity(handle=handle)
