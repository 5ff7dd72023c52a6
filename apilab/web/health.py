"""Health and failure answers: ``/healthz`` checks, 503s for a sick backend, safe 422s.

- ``check(db, settings)`` pings the database and (when configured) Redis and
  returns what is wrong, so ``/healthz`` stops saying "ok" while requests fail.
- ``unavailable_handler`` turns a database or Redis outage met inside any route
  into a 503 that says which store is unreachable, instead of a 500 traceback.
- ``validation_body`` is FastAPI's 422 without the ``input`` it would echo: a
  learner's over-long paste (a key in it, say) must not come back in the error.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from apilab.errors import ConfigError, StorageError

__all__ = ["UNAVAILABLE_ERRORS", "check", "check_redis_url", "unavailable_handler",
           "validation_body"]

log = logging.getLogger(__name__)

_DB_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError, StorageError)
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (*_DB_ERRORS, RedisError)


def check(db: Any, settings: Any) -> list[str]:
    """What is wrong with the database and Redis right now (empty when healthy)."""
    problems = []
    try:
        with db.engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        problems.append(f"database unreachable: {type(exc).__name__}")
    url = getattr(settings, "redis_url", None)
    if url:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"redis unreachable: {type(exc).__name__}")
        finally:
            client.close()
    return problems


def check_redis_url(url: str | None) -> None:
    """A malformed ``APILAB_REDIS_URL`` is a ``ConfigError`` at start (an unreachable one
    is not: requests get 503 and ``/healthz`` says so until Redis is back)."""
    if not url:
        return
    from redis.connection import parse_url

    try:
        parse_url(url)
    except ValueError as exc:
        raise ConfigError(f"APILAB_REDIS_URL is not a Redis URL ({exc}). Example: "
                          "redis://127.0.0.1:6379/0, or leave it unset for one server.") from None


async def unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """503 for a store that is down; the message names the store, not the internals."""
    store = "Redis (shared limit and budget state)" if isinstance(exc, RedisError) \
        else "the database"
    log.warning("%s %s: %s unavailable (%s)", request.method, request.url.path, store,
                type(exc).__name__)
    return JSONResponse(
        {"error": f"The server cannot reach {store} right now. Try again shortly; if it "
                  "persists, the operator should check /healthz."},
        status_code=503, headers={"Retry-After": "5"},
    )


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """The 422 body: where and what, never the rejected value."""
    details = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")),
         "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = next((str(p) for p in reversed(first["loc"]) if not isinstance(p, int)), "input")
    return {"error": f"{where}: {first['msg']}", "detail": details}
