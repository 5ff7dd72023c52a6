"""The FastAPI application factory.

``create_app(settings)`` opens (and migrates) the database, marks replies left
``streaming`` by a killed process as interrupted, includes one router per page
family from ``web/routes/``, serves ``/static`` and mounts the sandbox provider
at ``/sandbox``. The web layer is a thin front door over the engines.

Everything passes ``web.security.SecurityMiddleware`` first (Host allow-list,
same-origin and JSON-only state changes, body limit, strict JSON, security
headers). Errors leave as ``{"error": message}`` and never quote the input;
database or Redis trouble is a 503 that says which, and ``/healthz`` reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import importlib
import logging
import urllib.parse
from collections.abc import AsyncIterator
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from apilab.assistant.offline import OfflineTutor
from apilab.classes.privacy import retention_loop
from apilab.errors import (
    ApilabError,
    ForbiddenError,
    IdentityRequiredError,
    InvalidInputError,
    NotFoundError,
    TooBusyError,
)
from apilab.sandbox.app import create_sandbox_app
from apilab.settings import Settings, get_settings
from apilab.storage import conversations
from apilab.storage.db import Database, open_database
from apilab.web import errorpages, health
from apilab.web.identity import SignInRequiredError
from apilab.web.security import (
    BodyTooLargeError,
    InstallTokens,
    ProxyTrust,
    SecurityMiddleware,
    SecurityPolicy,
    accesslog,
)

__all__ = ["create_app"]

log = logging.getLogger(__name__)

# One module per page family; each exposes ``router``.
ROUTE_MODULES = (
    "pages", "lab", "workbench", "pricing", "arena", "scan", "prompts", "promptlab", "inspector",
    "apidocs", "account", "instructor", "lti", "oidc",
)


_FROZEN = False


def _freeze_start_up_objects() -> None:
    """Move what start-up loaded (course, index, imports) out of the collector's view.

    They live as long as the process, yet every full collection walked them again: one took
    120 ms in the first second of bench/lab_chat.py, stalling every reply in flight. Once
    per process: a test run builds many apps, and their objects must stay collectable.
    """
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.collect()
        gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the lab server for the given settings (environment by default)."""
    settings = settings or get_settings()
    policy = SecurityPolicy.from_settings(settings)  # bad settings fail before anything opens
    proxies = ProxyTrust.from_setting(settings.trusted_proxies)
    health.check_redis_url(settings.redis_url)
    db = open_database(settings.db_url)

    # One SQLite file means one server: every reply still streaming at start-up was cut
    # off. A server database may be shared by several processes; there only replies
    # older than any reply can take are stale, and every process sweeps for them.
    shared = not db.url.startswith("sqlite")
    stale_after = dt.timedelta(seconds=float(settings.total_deadline) * 2 + 60)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _recover_interrupted(db, stale_after if shared else None)
        sweeper = asyncio.create_task(_sweep_stale_replies(db, stale_after)) if shared else None
        # Class mode: transcripts past APILAB_RETENTION_DAYS are purged daily (idempotent).
        purger = asyncio.create_task(retention_loop(db, settings)) \
            if settings.retention_days else None
        # The offline tutor answers every lab (and is every backend's last fallback):
        # load the course, index and prices now, not on the first learner's message.
        OfflineTutor().warm_up()
        # ...and in worker processes, warmed in the background (in-process until then).
        from apilab.assistant.offline import workers

        workers.start_pool(settings.tutor_workers)
        # After uvicorn set up its loggers: no OIDC code or reset token in the access log.
        accesslog.install()
        problems = await run_in_threadpool(health.check, db, settings)
        if problems:  # serve anyway: requests that need the store get 503 until it is back
            log.warning("Starting with problems (see /healthz): %s", "; ".join(problems))
        _freeze_start_up_objects()
        yield
        for task in (sweeper, purger):
            if task is not None:
                task.cancel()
        workers.stop_pool()
        # Graceful shutdown: store the ledger rows still queued behind replies.
        from apilab.calls.writer import flush_ledger_writers

        await run_in_threadpool(flush_ledger_writers)

    # Swagger UI would load its scripts from a CDN; /api/docs is our own page (routes/apidocs).
    app = FastAPI(title="apilab", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = db
    app.state.tokens = InstallTokens(settings.data_path)
    app.state.proxies = proxies
    app.add_middleware(SecurityMiddleware, policy=policy)

    @app.get("/healthz", include_in_schema=False, response_model=None)
    async def healthz() -> PlainTextResponse | JSONResponse:
        problems = await run_in_threadpool(health.check, db, settings)
        # Not a health problem (replies are composed in-process meanwhile), but a load test
        # or an operator may want to know: "ready", "starting" or "off".
        from apilab.assistant.offline import workers

        found = workers.pool()
        state = {"X-Tutor-Worker": "off" if found is None else
                 "ready" if found.ready else "starting"}
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems},
                                status_code=503, headers=state)
        return PlainTextResponse("ok", headers=state)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(_request: Request, exc: BodyTooLargeError) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=413)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(health.validation_body(exc), status_code=422)

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, _exc: OverflowError) -> JSONResponse:
        # A number past what the database stores: the caller's mistake, not the server's.
        return JSONResponse({"error": "A number in the request is too large to be a real "
                                      "value."}, status_code=422)

    for exc_type in health.UNAVAILABLE_ERRORS:
        app.add_exception_handler(exc_type, health.unavailable_handler)

    @app.exception_handler(NotFoundError)
    async def _not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=404)

    @app.exception_handler(InvalidInputError)
    async def _invalid(_request: Request, exc: InvalidInputError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(IdentityRequiredError)
    async def _identity(request: Request, exc: IdentityRequiredError) -> Response:
        if isinstance(exc, SignInRequiredError) and errorpages.wants_html(request):
            # A browser opening a page of a server with accounts: to the sign-in form.
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/signin?next=" + urllib.parse.quote(target, safe=""),
                                    status_code=303)
        return JSONResponse({"error": str(exc)}, status_code=401)

    @app.exception_handler(ForbiddenError)
    async def _forbidden(_request: Request, exc: ForbiddenError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=403)

    @app.exception_handler(TooBusyError)
    async def _busy(_request: Request, exc: TooBusyError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=429, headers={"Retry-After": "5"})

    @app.exception_handler(ApilabError)
    async def _apilab_error(_request: Request, exc: ApilabError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    for name in ROUTE_MODULES:
        module = importlib.import_module(f"apilab.web.routes.{name}")
        app.include_router(module.router)

    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("apilab.web") / "static")),
        name="static",
    )
    app.mount("/sandbox", create_sandbox_app(settings, db))
    errorpages.install(app)  # last: wraps every handler above (HTML pages for browsers)
    return app


def _recover_interrupted(db: Database, older_than: dt.timedelta | None = None) -> None:
    """Mark replies a killed process left half-written as interrupted."""
    with db.session() as session:
        count = conversations.mark_stale_replies_interrupted(session, older_than)
    if count:
        log.warning("Marked %d reply(ies) interrupted by an earlier shutdown.", count)


async def _sweep_stale_replies(db: Database, older_than: dt.timedelta) -> None:
    """With a shared database, a process that died mid-reply is noticed by the others."""
    while True:
        await asyncio.sleep(60)
        try:
            await run_in_threadpool(_recover_interrupted, db, older_than)
        except Exception:  # noqa: BLE001 - a failed sweep is retried next minute
            log.warning("Could not sweep stale replies", exc_info=True)
