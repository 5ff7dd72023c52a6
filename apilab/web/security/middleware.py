"""One ASGI middleware in front of the whole lab server (the sandbox mount included).

In order, for every HTTP request:

1. **Host** must be in the allow-list (400 otherwise): DNS rebinding cannot
   borrow the browser's same-origin trust.
2. **Fetch metadata**: a cross-site or same-site request (``Sec-Fetch-Site``) is
   refused unless it is a top-level page navigation; a state-changing request
   (not GET/HEAD/OPTIONS) with an ``Origin`` other than this server's is refused
   (403).
3. **JSON only** for state-changing requests (every POST; other unsafe methods
   when they carry a body): a cross-site ``<form>`` or a ``no-cors`` fetch can
   send only form, multipart or text/plain bodies without a CORS preflight, so
   requiring ``application/json`` closes CSRF even for a browser that sends no
   ``Origin``. The one HTML form left (a lab's reset)
   carries a CSRF token its route checks.
4. **Body size**: over ``max_body_bytes`` is 413, from ``Content-Length`` before
   reading, or while reading a chunked body.
5. **Strict JSON**: a JSON body is parsed once here with ``apilab.strictjson``
   (no NaN, no lone surrogates, 64-bit integers, 64 levels) and refused with a
   422 that does not quote it; the handler then reads the same bytes.
6. Every response gets ``headers.SECURITY_HEADERS``.

LTI 1.3 logins and launches (``/lti/login``, ``/lti/launch``) are cross-site form
posts from an LMS by design; they skip rules 2 and 3 and are authenticated by the
platform's signed ``id_token``, the state cookie and a one-use nonce instead.
The sandbox's provider endpoints (``/sandbox/v1/``) authenticate every request
with an API key a browser cannot attach cross-site without a preflight we never
grant; they skip rules 2, 3 and 5 and keep their provider-shaped errors.
Written as plain ASGI (not ``BaseHTTPMiddleware``) so streamed replies pass
through untouched and the chat hot path pays only a few dictionary lookups.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apilab.errors import InvalidInputError
from apilab.origins import SAFE_METHODS, cross_site, is_json, must_be_json, same_origin
from apilab.strictjson import loads_strict
from apilab.web.security.headers import SECURITY_HEADERS
from apilab.web.security.hosts import allowed_hosts, host_name

__all__ = ["BodyTooLargeError", "SecurityMiddleware", "SecurityPolicy"]

_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Strict-parse big bodies on a worker thread so the loop keeps serving meanwhile.
_THREAD_PARSE_BYTES = 64 * 1024


class BodyTooLargeError(HTTPException):
    """A request body over the limit (raised from ``receive``; the app answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


def _too_large_message(limit: int) -> str:
    return (f"The request body is larger than this server's limit of {limit:,} bytes "
            "(APILAB_MAX_BODY_BYTES). Send less, or split it.")


@dataclasses.dataclass(frozen=True)
class SecurityPolicy:
    """What the middleware enforces; built from settings by ``from_settings``."""

    allowed_hosts: frozenset[str] | None  # None: any Host (APILAB_ALLOWED_HOSTS='*')
    max_body_bytes: int
    open_prefixes: tuple[str, ...] = ("/sandbox/v1/",)
    form_paths: tuple[re.Pattern[str], ...] = (re.compile(r"^/labs/[^/]+/reset$"),)
    # An LMS posts LTI logins and launches as cross-site forms; they carry a signed
    # id_token (launch) or start a flow whose state and nonce the launch checks.
    lti_paths: tuple[str, ...] = ("/lti/login", "/lti/launch")

    @classmethod
    def from_settings(cls, settings: Any) -> SecurityPolicy:
        return cls(allowed_hosts=allowed_hosts(settings.allowed_hosts, str(settings.host)),
                   max_body_bytes=int(settings.max_body_bytes))

    def is_open(self, path: str) -> bool:
        return path.startswith(self.open_prefixes)

    def is_form(self, path: str) -> bool:
        return any(p.match(path) for p in self.form_paths)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class SecurityMiddleware:
    """The front-door checks of the module docstring, as plain ASGI."""

    def __init__(self, app: ASGIApp, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._refusal(scope)
        if problem is not None:
            await _error(send, *problem)
            return
        policy = self.policy
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > policy.max_body_bytes:
            await _error(send, 413, _too_large_message(policy.max_body_bytes))
            return
        path = scope["path"]
        if (scope["method"] not in SAFE_METHODS and not policy.is_open(path)
                and is_json(_header(scope, b"content-type"))):
            body = await _read_body(receive, policy.max_body_bytes)
            if body is None:
                await _error(send, 413, _too_large_message(policy.max_body_bytes))
                return
            if body.strip():
                try:
                    if len(body) > _THREAD_PARSE_BYTES:
                        await to_thread.run_sync(loads_strict, body)
                    else:
                        loads_strict(body)
                except InvalidInputError as exc:
                    await _error(send, 422, str(exc))
                    return
            receive = _replay(body, receive)
        else:
            receive = _counting(receive, policy.max_body_bytes)
        await self.app(scope, receive, _with_headers(send))

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, message) when the request must not reach the app, else ``None``."""
        policy = self.policy
        host_header = _header(scope, b"host") or ""
        if policy.allowed_hosts is not None and host_name(host_header) not in policy.allowed_hosts:
            return 400, (f"This server does not answer to the host name "
                         f"{host_name(host_header)[:100]!r}. Its operator can add it to "
                         "APILAB_ALLOWED_HOSTS.")
        path = scope["path"]
        if policy.is_open(path) or path in policy.lti_paths:
            return None
        method = scope["method"]
        if cross_site(_header(scope, b"sec-fetch-site")):
            navigation = (method in ("GET", "HEAD")
                          and (_header(scope, b"sec-fetch-mode") or "").lower() == "navigate"
                          and (_header(scope, b"sec-fetch-dest") or "document").lower()
                          == "document")
            if not navigation:
                return 403, ("Cross-site request refused: the lab's API answers only its own "
                             "pages.")
        if method in SAFE_METHODS:
            return None
        origin = _header(scope, b"origin")
        if origin is not None and not same_origin(origin, host_header):
            return 403, "Cross-origin request refused: the lab's API answers only its own pages."
        content_type = _header(scope, b"content-type")
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if (is_json(content_type) or (media_type in _FORM_TYPES and policy.is_form(path))
                or not must_be_json(method, _header(scope, b"content-length"),
                                    _header(scope, b"transfer-encoding"))):
            return None
        return 415, ("Send this request as JSON (Content-Type: application/json); the lab "
                     "refuses other bodies for anything that changes state.")


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` once it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left; the app will see the disconnect on its own receive
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` once, then the client's later messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect when the client goes away

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    """A ``receive`` that raises ``BodyTooLargeError`` once the body passes ``limit``."""
    size = 0

    async def counting() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLargeError(limit)
        return message

    return counting


def _with_headers(send: Send) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {key.lower() for key, _ in headers}
            headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers


async def _error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        *SECURITY_HEADERS,
    ]})
    await send({"type": "http.response.body", "body": body})
