"""Optional services for tests: PostgreSQL, Redis, Chromium.

On a laptop without them the tests that need them skip; with CI=true they
fail instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

POSTGRES_URL = os.environ.get(
    "APILAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("APILAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("APILAB_TEST_CHROMIUM", "/usr/bin/chromium")

# In-process clients talk to the lab as a browser on the same machine would: the server's
# default Host allow-list and a real peer address (TestClient's own "testserver" Host and
# "testclient" peer are refused by the lab's front door, as they would be in production).
TEST_BASE_URL = "http://127.0.0.1"
TEST_PEER = ("127.0.0.1", 50000)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, why: str) -> None:
    """Skip on a laptop, fail in CI."""
    message = f"{what} is not available: {why}"
    if in_ci():
        pytest.fail(message + " (CI=true: tests needing it must run)")
    pytest.skip(message)


def require_postgres() -> str:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    return POSTGRES_URL


def require_redis() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", str(exc))
    return REDIS_URL


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        unavailable("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return CHROMIUM
