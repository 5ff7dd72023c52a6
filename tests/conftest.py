"""Shared fixtures: every test gets its own data dir and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.settings import Settings, get_settings
from tests._services import TEST_BASE_URL, TEST_PEER

_STRIP_SUFFIXES = ("_API_KEY",)
_STRIP_NAMES = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture(autouse=True)
def clean_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point APILAB_DATA_DIR at a temp dir; strip API keys, proxies and APILAB_* settings."""
    for name in list(os.environ):
        if name.endswith(_STRIP_SUFFIXES) or name in _STRIP_NAMES or (
            name.startswith("APILAB_") and not name.startswith("APILAB_TEST_")
        ):
            monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("APILAB_DATA_DIR", str(data_dir))
    # Compose in-process: hundreds of test apps would each spawn a tutor worker. The browser
    # tests' live server and tests/assistant/offline/test_workers.py turn it on.
    monkeypatch.setenv("APILAB_TUTOR_WORKERS", "0")
    yield data_dir
    from apilab.storage.db import close_all

    close_all()


@pytest.fixture
def settings(clean_environ: Path) -> Settings:
    return get_settings()


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from apilab.web.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER) as test_client:
        yield test_client
