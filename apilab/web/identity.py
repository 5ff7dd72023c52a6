"""Who is the learner behind a request.

Today there is one local learner (handle ``local``); accounts arrive by
changing this one function (e.g. reading a session cookie), not the routes.
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["LOCAL_LEARNER", "current_learner"]

LOCAL_LEARNER = "local"


def current_learner(_request: Request) -> str:
    """The learner handle for this request."""
    return LOCAL_LEARNER
