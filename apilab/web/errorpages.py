"""Error answers a person can read: HTML pages for browsers, JSON for API clients.

``install(app)`` runs last in ``create_app``. It wraps every exception handler the app
registered (each returns ``{"error": message}``) so that a browser navigating to a page
(``GET``/``HEAD`` of a non-API path with ``text/html`` in ``Accept``) gets the same
status and message as a page in the site's layout, with the navigation and a way on.
It also answers Starlette's own 404/405 (unknown paths) and any unhandled exception
(500) the same way. Scripts, ``fetch`` calls, ``/api/...`` and the sandbox keep JSON.

It must not decide *what* went wrong (the handlers in ``app.py`` do) and must never
put a traceback or exception text from an unexpected error on a page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["error_page", "install", "wants_html"]

log = logging.getLogger(__name__)

Handler = Callable[[Request, Any], Awaitable[Response]]

# Paths whose clients are programs: they get JSON whatever their Accept header says.
_API_PREFIXES = ("/api/", "/sandbox", "/static/", "/healthz")

_TITLES = {
    400: "That request could not be handled",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Page not found",
    405: "Not available this way",
    422: "That request could not be handled",
    429: "Too busy",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}

INTERNAL_ERROR = ("Something went wrong on the server while making this page. It has been "
                  "logged; try again, and if it keeps happening tell whoever runs this lab.")


def wants_html(request: Request) -> bool:
    """Whether this request is a browser navigating to a page (not a script or an API)."""
    if getattr(request, "method", None) not in ("GET", "HEAD"):  # a WebSocket has none
        return False
    path = request.url.path
    if path.startswith(_API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> Response:
    """A page in the site's layout saying what went wrong and where to go next."""
    from apilab.content import load_course
    from apilab.web.templating import context, templates

    try:
        course = load_course()
    except Exception:  # noqa: BLE001 - an error page must render even if the course cannot
        course = None
    return templates.TemplateResponse(
        request, "error.html",
        context(request, course=course, status=status, message=message,
                heading=_TITLES.get(status, "Something went wrong"), nav=None),
        status_code=status, headers=headers,
    )


def _as_page(handler: Handler) -> Handler:
    """Wrap a JSON error handler: same answer, drawn as a page for a browser."""

    async def wrapped(request: Request, exc: Any) -> Response:
        response = await handler(request, exc)
        if not wants_html(request) or not isinstance(response, JSONResponse):
            return response
        try:
            message = str(json.loads(bytes(response.body))["error"])
        except (ValueError, KeyError, TypeError):
            return response
        keep = {k: v for k, v in response.headers.items()
                if k.lower() in ("retry-after", "www-authenticate")}
        return error_page(request, response.status_code, message, keep or None)

    return wrapped


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Unknown paths (404) and wrong methods (405): Starlette's own errors."""
    message = {404: "There is no page at this address.",
               405: "This address does not answer that kind of request."}.get(
        exc.status_code, str(exc.detail))
    headers = dict(exc.headers or {})
    if wants_html(request):
        return error_page(request, exc.status_code, message, headers or None)
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers or None)


async def _server_error(request: Request, exc: Exception) -> Response:
    """Anything unhandled: logged with its traceback, shown without it."""
    log.error("Unhandled error on %s %s", request.method, request.url.path,
              exc_info=(type(exc), exc, exc.__traceback__))
    if wants_html(request):
        try:
            return error_page(request, 500, INTERNAL_ERROR)
        except Exception:  # noqa: BLE001 - the page itself failed: fall back to JSON
            log.exception("The error page could not be rendered")
    return JSONResponse({"error": "Internal server error."}, status_code=500)


def install(app: FastAPI) -> None:
    """Make every error answer a page for browsers; call after all handlers are added."""
    for exc_type, handler in list(app.exception_handlers.items()):
        if exc_type is StarletteHTTPException or exc_type == 500:
            continue
        app.exception_handlers[exc_type] = _as_page(handler)
    app.exception_handlers[StarletteHTTPException] = _http_error
    app.exception_handlers[Exception] = _server_error
