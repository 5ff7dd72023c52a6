"""The FastAPI application factory.

``create_app(settings)`` opens (and migrates) the database, marks replies left
``streaming`` by a killed process as interrupted, includes one router per page
family from ``web/routes/``, serves ``/static`` and mounts the sandbox provider
at ``/sandbox``. The web layer is a thin front door over the engines.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from apilab.assistant.offline import OfflineTutor
from apilab.errors import ApilabError, InvalidInputError, NotFoundError
from apilab.settings import Settings, get_settings
from apilab.storage.db import open_database

__all__ = ["create_app"]

log = logging.getLogger(__name__)

# One module per page family; each exposes ``router``.
ROUTE_MODULES = (
    "pages", "lab", "workbench", "pricing", "arena", "scan", "prompts", "inspector",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the lab server for the given settings (environment by default)."""
    settings = settings or get_settings()
    db = open_database(settings.db_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _recover_interrupted(db)
        # The offline tutor answers every lab (and is every backend's last fallback):
        # load the course, index and prices now, not on the first learner's message.
        OfflineTutor().warm_up()
        yield

    app = FastAPI(title="apilab", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.db = db

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.exception_handler(NotFoundError)
    async def _not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=404)

    @app.exception_handler(InvalidInputError)
    async def _invalid(_request: Request, exc: InvalidInputError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(ApilabError)
    async def _apilab_error(_request: Request, exc: ApilabError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(f"apilab.web.routes.{name}")
        except ImportError as exc:  # BOOTSTRAP-GUARD: removed once every engine has landed
            log.warning("route module %s not loaded: %s", name, exc)
            continue
        app.include_router(module.router)

    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("apilab.web") / "static")),
        name="static",
    )
    _mount_sandbox(app, settings, db)
    return app


def _recover_interrupted(db: object) -> None:
    """Mark replies a killed process left half-written as interrupted."""
    try:
        from apilab.storage import conversations
    except ImportError:  # pragma: no cover - during bootstrap only
        return
    with db.session() as session:  # type: ignore[attr-defined]
        count = conversations.mark_stale_replies_interrupted(session)
    if count:
        log.warning("Marked %d reply(ies) interrupted by an earlier shutdown.", count)


def _mount_sandbox(app: FastAPI, settings: Settings, db: object) -> None:
    try:
        from apilab.sandbox.app import create_sandbox_app
    except ImportError:  # pragma: no cover - during bootstrap only
        return
    app.mount("/sandbox", create_sandbox_app(settings, db))
