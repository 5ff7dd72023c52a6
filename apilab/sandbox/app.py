"""The sandbox provider's ASGI app: ``create_sandbox_app(settings, db)``.

Serves the OpenAI (``/v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``,
``/v1/completions``, ``/v1/models``) and Anthropic (``/v1/messages``) wire formats,
the admin API (``/admin``) and its OpenAPI document (``/openapi.json``). The lab
server mounts it at ``/sandbox``; ``apilab sandbox`` serves it alone. Both use the
data dir's database, so keys and the audit log are shared.

Importing this module is cheap and never fails for lack of optional data: the
price table and tokenizer load on the first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from apilab.sandbox import openapi
from apilab.sandbox.admin import admin_error_handlers, build_admin_router
from apilab.sandbox.anthropic_api import AnthropicFrontDoor
from apilab.sandbox.completions_api import CompletionsFrontDoor
from apilab.sandbox.embeddings import EmbeddingsFrontDoor
from apilab.sandbox.errors import SandboxHTTPError, anthropic_body, openai_body
from apilab.sandbox.openai_api import OpenAIFrontDoor
from apilab.sandbox.responses_api import ResponsesFrontDoor
from apilab.sandbox.service import Service, request_id
from apilab.sandbox.sse import dumps
from apilab.sandbox.state import state_for

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["create_sandbox_app"]


def _looks_anthropic(request: Request) -> bool:
    return "anthropic-version" in request.headers or request.url.path.endswith("/messages")


class SandboxApp:
    """The FastAPI app behind a fast path for the two completion endpoints.

    Those handlers take the raw request, validate the body themselves and never
    raise, so FastAPI's routing, dependency solving and middleware would only
    add CPU time to every completion (about a quarter of it, measured with
    bench/sandbox.py). Everything else (models, admin, docs, OpenAPI, errors
    for unknown paths) goes to the FastAPI app, which also documents the fast
    endpoints. Attributes such as ``state`` are the FastAPI app's.
    """

    def __init__(self, app: FastAPI, hot: dict[tuple[str, str], Any]) -> None:
        self.app = app
        self._hot = hot

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):  # mounted: route on the path below the mount
                path = path[len(root):]
            handler = self._hot.get((scope["method"], path))
            if handler is not None:
                response = await handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_sandbox_app(settings: Settings, db: Database) -> ASGIApp:
    """Build the sandbox app for a database (state shared with ``state_for(db)``).

    Returns an ASGI app; its ``state.sandbox`` is the ``SandboxState``.
    """
    state = state_for(db, settings)
    service = Service(state)
    oa = OpenAIFrontDoor(service)
    an = AnthropicFrontDoor(service)
    rs = ResponsesFrontDoor(service)
    em = EmbeddingsFrontDoor(service)
    cp = CompletionsFrontDoor(service)

    app = FastAPI(
        title="apilab sandbox provider",
        version="1.0",
        description="A local OpenAI- and Anthropic-compatible API with keys, rate limits, "
        "spending caps, injected failures and cache-aware billing. Use the official SDKs "
        "with base URL <this server>/v1.",
        # No Swagger UI: it loads its scripts from a CDN (and the lab runs offline); the
        # document itself is at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.sandbox = state
    app.state.service = service

    async def models_router(request: Request) -> Response:
        if "anthropic-version" in request.headers:
            return await an.list_models(request)
        return await oa.list_models(request)

    app.add_api_route("/v1/chat/completions", oa.chat_completions, methods=["POST"],
                      summary="Create a chat completion (OpenAI wire format)",
                      openapi_extra=openapi.body(openapi.OPENAI_CHAT),
                      responses=openapi.error_responses(400, 401, 403, 404, 413, 429, 500, 503),
                      tags=["openai"])
    app.add_api_route("/v1/responses", rs.create, methods=["POST"],
                      summary="Create a model response (OpenAI Responses API)",
                      openapi_extra=openapi.body(openapi.OPENAI_RESPONSES),
                      responses=openapi.error_responses(400, 401, 403, 404, 413, 429, 500, 503),
                      tags=["openai"])
    app.add_api_route("/v1/responses/{response_id}/input_items", rs.input_items,
                      methods=["GET"], summary="List a stored response's input items",
                      responses=openapi.error_responses(400, 401, 404), tags=["openai"])
    app.add_api_route("/v1/responses/{response_id}", rs.retrieve, methods=["GET"],
                      summary="Retrieve a stored response",
                      responses=openapi.error_responses(401, 404), tags=["openai"])
    app.add_api_route("/v1/responses/{response_id}", rs.delete, methods=["DELETE"],
                      summary="Delete a stored response",
                      responses=openapi.error_responses(401, 404), tags=["openai"])
    app.add_api_route("/v1/embeddings", em.create, methods=["POST"],
                      summary="Create embeddings (OpenAI wire format)",
                      openapi_extra=openapi.body(openapi.OPENAI_EMBEDDINGS),
                      responses=openapi.error_responses(400, 401, 403, 404, 429, 500, 503),
                      tags=["openai"])
    app.add_api_route("/v1/completions", cp.create, methods=["POST"],
                      summary="Create a legacy text completion (OpenAI wire format)",
                      openapi_extra=openapi.body(openapi.OPENAI_COMPLETIONS),
                      responses=openapi.error_responses(400, 401, 403, 404, 429, 500, 503),
                      tags=["openai"])
    app.add_api_route("/v1/models", models_router, methods=["GET"],
                      summary="List models (OpenAI shape; Anthropic shape with anthropic-version)",
                      responses=openapi.error_responses(401), tags=["openai"])
    async def model_router(request: Request) -> Response:
        if "anthropic-version" in request.headers:
            return await an.get_model(request)
        return await oa.get_model(request)

    app.add_api_route("/v1/models/{model_id:path}", model_router, methods=["GET"],
                      summary="Retrieve a model (Anthropic shape with anthropic-version)",
                      responses=openapi.error_responses(401, 404), tags=["openai"])
    app.add_api_route("/v1/messages/count_tokens", an.count_tokens, methods=["POST"],
                      summary="Count a message's input tokens (Anthropic wire format, free)",
                      responses=openapi.error_responses(400, 401, 403, 404),
                      tags=["anthropic"])
    app.add_api_route("/v1/messages", an.messages, methods=["POST"],
                      summary="Create a message (Anthropic wire format)",
                      openapi_extra=openapi.body(openapi.ANTHROPIC_MESSAGES),
                      responses=openapi.error_responses(400, 401, 403, 404, 413, 429, 500, 503,
                                                        529),
                      tags=["anthropic"])

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.include_router(build_admin_router(state, getattr(settings, "admin_token", None),
                                          str(getattr(settings, "host", "127.0.0.1"))))
    for exc_type, handler in admin_error_handlers().items():
        app.add_exception_handler(exc_type, handler)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Unknown paths and methods answer in the caller's provider shape, not FastAPI's.
        status = getattr(exc, "status_code", 404)
        if request.url.path.startswith(("/admin", request.scope.get("root_path", "") + "/admin")):
            return Response(dumps({"error": str(getattr(exc, "detail", "Not found"))}),
                            status_code=status, media_type="application/json")
        kind = "not_found" if status == 404 else "invalid_request"
        message = f"Invalid URL ({request.method} {request.url.path})"
        err = SandboxHTTPError(kind, message)
        anthropic = _looks_anthropic(request)
        rid = request_id("anthropic" if anthropic else "openai")
        payload: dict[str, Any] = anthropic_body(err, rid) if anthropic else openai_body(err)
        header = {"request-id": rid} if anthropic else {"x-request-id": rid}
        return Response(dumps(payload), status_code=status, headers=header,
                        media_type="application/json")

    async def validation_error(request: Request, exc: Exception) -> Response:
        err = SandboxHTTPError("invalid_request", f"Invalid request: {exc}"[:500])
        anthropic = _looks_anthropic(request)
        rid = request_id("anthropic" if anthropic else "openai")
        payload = anthropic_body(err, rid) if anthropic else openai_body(err)
        header = {"request-id": rid} if anthropic else {"x-request-id": rid}
        return Response(dumps(payload), status_code=400, headers=header,
                        media_type="application/json")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    return SandboxApp(app, {("POST", "/v1/chat/completions"): oa.chat_completions,
                            ("POST", "/v1/messages"): an.messages,
                            ("POST", "/v1/responses"): rs.create})
