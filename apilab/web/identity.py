"""Who is the learner behind a request.

In order:

1. A deployment behind an authenticating reverse proxy names the header that
   carries the user (``APILAB_LEARNER_HEADER``, e.g. ``X-Forwarded-User``). Then
   the header is *required* and believed only from a trusted proxy
   (``APILAB_TRUSTED_PROXIES``, default loopback): a client that reaches the
   server directly could otherwise name any learner and read their transcript,
   and a request without the header must never fall back to the shared
   ``local`` learner (401 instead).
2. A session cookie (``apilab_session``) signs in an account (``accounts``):
   password, OIDC or an LTI launch.
3. With no account on the server at all, every request is the single local
   learner (``local``): ``apilab serve`` on a laptop needs no sign-up. Once an
   account exists, a request without a valid session gets 401 (browsers are sent
   to the sign-in page).

The answer is kept on the request's scope, so a route asking twice pays once.
"""

from __future__ import annotations

import re

from fastapi import Request

from apilab.accounts import Accounts, Identity, local_identity
from apilab.errors import ForbiddenError, IdentityRequiredError, InvalidInputError
from apilab.storage.conversations import LOCAL_LEARNER

__all__ = ["LOCAL_LEARNER", "SESSION_COOKIE", "SignInRequiredError", "accounts_of",
           "current_identity", "current_learner"]

SESSION_COOKIE = "apilab_session"
_SCOPE_KEY = "apilab.identity"
_HANDLE = re.compile(r"^[A-Za-z0-9_.@+-]{1,100}$")


class SignInRequiredError(IdentityRequiredError):
    """This server has accounts and the request carries no valid session."""


def accounts_of(request: Request) -> Accounts:
    """The process's ``Accounts`` engine for this app."""
    return Accounts.for_db(request.app.state.db, request.app.state.settings)


def _from_header(request: Request, header: str) -> Identity:
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
    return local_identity(value)


def current_identity(request: Request) -> Identity:
    """Who this request is (raises 401/403/422 errors when it cannot be told)."""
    found = request.scope.get(_SCOPE_KEY)
    if isinstance(found, Identity):
        return found
    header = request.app.state.settings.learner_header
    if header:
        identity = _from_header(request, header)
    else:
        accounts = accounts_of(request)
        token = request.cookies.get(SESSION_COOKIE)
        signed = accounts.identity(token) if token else None
        if signed is not None:
            identity = signed
        elif accounts.accounts_exist():
            raise SignInRequiredError(
                "Sign in to use this lab" + (": your session has ended." if token else "."))
        else:
            identity = local_identity(LOCAL_LEARNER)
    request.scope[_SCOPE_KEY] = identity
    return identity


def current_learner(request: Request) -> str:
    """The learner handle for this request (raises 401/403/422 errors when it has none)."""
    return current_identity(request).handle
