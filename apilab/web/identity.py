"""Who is the learner behind a request.

Without accounts there is one local learner (handle ``local``). A deployment
behind an authenticating reverse proxy names the header that carries the
user (``APILAB_LEARNER_HEADER``, e.g. ``X-Forwarded-User``); only then is the
header trusted. Accounts later change this one function, not the routes.
"""

from __future__ import annotations

import re

from fastapi import Request

from apilab.errors import InvalidInputError
from apilab.storage.conversations import LOCAL_LEARNER

__all__ = ["LOCAL_LEARNER", "current_learner"]

_HANDLE = re.compile(r"^[A-Za-z0-9_.@+-]{1,100}$")


def current_learner(request: Request) -> str:
    """The learner handle for this request."""
    header = request.app.state.settings.learner_header
    if not header:
        return LOCAL_LEARNER
    value = request.headers.get(header, "").strip()
    if not value:
        return LOCAL_LEARNER
    if not _HANDLE.match(value):
        raise InvalidInputError(
            f"The {header} header must be 1-100 letters, digits or ._@+- characters."
        )
    return value
