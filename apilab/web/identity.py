"""Who is the learner behind a request.

Without accounts there is one local learner (handle ``local``). A deployment
behind an authenticating reverse proxy names the header that carries the
user (``APILAB_LEARNER_HEADER``, e.g. ``X-Forwarded-User``). Then the header is
*required* and believed only from a trusted proxy (``APILAB_TRUSTED_PROXIES``,
default loopback): a client that reaches the server directly could otherwise
name any learner and read their transcript, and a request without the header
must never fall back to the shared ``local`` learner (401 instead). Accounts
later change this one function, not the routes.
"""

from __future__ import annotations

import re

from fastapi import Request

from apilab.errors import ForbiddenError, IdentityRequiredError, InvalidInputError
from apilab.storage.conversations import LOCAL_LEARNER

__all__ = ["LOCAL_LEARNER", "current_learner"]

_HANDLE = re.compile(r"^[A-Za-z0-9_.@+-]{1,100}$")


def current_learner(request: Request) -> str:
    """The learner handle for this request (raises 401/403/422 errors when it has none)."""
    header = request.app.state.settings.learner_header
    if not header:
        return LOCAL_LEARNER
    peer = request.client.host if request.client else None
    if not request.app.state.proxies.trusts(peer):
        raise ForbiddenError(
            "This server learns who you are from its sign-in proxy; open the lab through "
            "the class's address, not the server's own.")
    value = request.headers.get(header, "").strip()
    if not value:
        raise IdentityRequiredError(
            f"No learner identity: the sign-in proxy sent no {header} header. Sign in "
            "through the class's address.")
    if not _HANDLE.match(value):
        raise InvalidInputError(
            f"The {header} header must be 1-100 letters, digits or ._@+- characters."
        )
    return value
