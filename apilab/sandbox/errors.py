"""Error replies in each provider's own wire shape.

Engine code raises ``SandboxHTTPError(kind, message, ...)``; the front door
renders it as OpenAI's ``{"error": {message, type, param, code}}`` or
Anthropic's ``{"type": "error", "error": {type, message}, "request_id"}`` with
the status each provider uses for that kind (see
shared/reference/provider-wire-formats.md §1.4 and §2.4). Kinds:

    kind              OpenAI status/type/code                         Anthropic status/type
    invalid_request   400 invalid_request_error / (given)             400 invalid_request_error
    auth              401 invalid_request_error / invalid_api_key     401 authentication_error
    permission        403 invalid_request_error / model_not_found     403 permission_error
    not_found         404 invalid_request_error / (given, else null)  404 not_found_error
    too_large         413 invalid_request_error / request_too_large   413 request_too_large
    rate_requests     429 requests / rate_limit_exceeded              429 rate_limit_error
    rate_tokens       429 tokens / rate_limit_exceeded                429 rate_limit_error
    quota             429 insufficient_quota / insufficient_quota     400 invalid_request_error
    server            500 server_error                                500 api_error
    unavailable       503 server_error                                503 api_error
    overloaded        503 server_error (OpenAI never sends 529)       529 overloaded_error
"""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import Response

from apilab.sandbox.sse import JSONBytes, dumps

__all__ = ["SandboxHTTPError", "anthropic_body", "error_response", "is_store_outage",
           "openai_body", "retry_headers", "store_outage"]

_OPENAI: dict[str, tuple[int, str, str | None]] = {
    "invalid_request": (400, "invalid_request_error", None),
    "auth": (401, "invalid_request_error", "invalid_api_key"),
    "permission": (403, "invalid_request_error", "model_not_found"),
    # null unless given: only an unknown *model* says model_not_found (an unknown path or
    # response id does not, and clients would otherwise tell users the model is missing).
    "not_found": (404, "invalid_request_error", None),
    "too_large": (413, "invalid_request_error", "request_too_large"),
    "rate_requests": (429, "requests", "rate_limit_exceeded"),
    "rate_tokens": (429, "tokens", "rate_limit_exceeded"),
    "quota": (429, "insufficient_quota", "insufficient_quota"),
    "server": (500, "server_error", None),
    "unavailable": (503, "server_error", None),
    "overloaded": (503, "server_error", None),
}

_ANTHROPIC: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "invalid_request_error"),
    "auth": (401, "authentication_error"),
    "permission": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "too_large": (413, "request_too_large"),
    "rate_requests": (429, "rate_limit_error"),
    "rate_tokens": (429, "rate_limit_error"),
    "quota": (400, "invalid_request_error"),
    "server": (500, "api_error"),
    "unavailable": (503, "api_error"),
    "overloaded": (529, "overloaded_error"),
}


class SandboxHTTPError(Exception):
    """A refusal the sandbox sends as an HTTP error in the caller's provider shape.

    ``openai_message``/``anthropic_message`` override ``message`` for one flavour
    (the providers word some errors differently). ``retry_after`` (seconds)
    adds ``retry-after`` and ``retry-after-ms`` headers.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        anthropic_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if kind not in _OPENAI:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.param = param
        self.code = code
        self.retry_after = retry_after
        self.anthropic_message = anthropic_message
        self.headers = dict(headers or {})

    def status(self, api: str) -> int:
        """The HTTP status for this error in ``api`` ("openai" or "anthropic")."""
        return _ANTHROPIC[self.kind][0] if api == "anthropic" else _OPENAI[self.kind][0]

    def error_type(self, api: str) -> str:
        """The ``type`` field this error carries in ``api``."""
        return _ANTHROPIC[self.kind][1] if api == "anthropic" else _OPENAI[self.kind][1]


def openai_body(exc: SandboxHTTPError) -> dict[str, Any]:
    """OpenAI's error body: all four fields present, ``param``/``code`` possibly null."""
    _, kind_type, kind_code = _OPENAI[exc.kind]
    return {"error": {"message": exc.message, "type": kind_type, "param": exc.param,
                      "code": exc.code if exc.code is not None else kind_code}}


def anthropic_body(exc: SandboxHTTPError, request_id: str) -> dict[str, Any]:
    """Anthropic's error body, with the request id repeated inside it."""
    _, kind_type = _ANTHROPIC[exc.kind]
    return {"type": "error",
            "error": {"type": kind_type, "message": exc.anthropic_message or exc.message},
            "request_id": request_id}


def retry_headers(seconds: float, api: str = "openai") -> dict[str, str]:
    """``retry-after`` (whole seconds, rounded up, at least 1), plus OpenAI's exact
    ``retry-after-ms``. Anthropic sends only ``retry-after``, so its SDK waits whole seconds."""
    out = {"retry-after": str(max(1, math.ceil(seconds)))}
    if api != "anthropic":
        out["retry-after-ms"] = str(max(1, math.ceil(seconds * 1000)))
    return out


def error_response(
    exc: SandboxHTTPError, api: str, request_id: str, headers: dict[str, str] | None = None
) -> Response:
    """The JSON error response for ``api`` with request-id and any extra headers."""
    body = anthropic_body(exc, request_id) if api == "anthropic" else openai_body(exc)
    out = dict(headers or {})
    out.update(exc.headers)
    if exc.retry_after is not None:
        out.update(retry_headers(exc.retry_after, api))
    return JSONBytes(dumps(body), exc.status(api), out)


def is_store_outage(exc: BaseException) -> bool:
    """True for a database or Redis failure: the sandbox is unavailable, not broken."""
    from redis.exceptions import RedisError  # imported here: only on the error path
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    from apilab.errors import StorageError

    return isinstance(exc, RedisError | OperationalError | InterfaceError | PoolTimeoutError
                      | StorageError)


def store_outage() -> SandboxHTTPError:
    """The 503 for a store outage, with a short Retry-After."""
    return SandboxHTTPError(
        "unavailable", "The sandbox cannot reach its key or rate-limit store right now "
        "(database or Redis); retry shortly.", retry_after=5.0)
