"""Issue 10, item 4: folder scans read regular files only, stop at their caps, and only
for the browser holding the install's local token, inside the allowed roots."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from apilab.secretscan.files import ScanLimits, scan_paths


@contextlib.contextmanager
def _owner(base: str, app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    """A client that opened the link `apilab serve` prints (the owner's browser)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get(f"/?local={app.state.tokens.local}").status_code == 303
        assert "apilab_local" in client.cookies
        yield client


@pytest.fixture
def workspace(lab):  # type: ignore[no-untyped-def]
    _base, app = lab
    folder = app.state.settings.data_path / "workspace" / "proj"
    folder.mkdir(parents=True)
    return folder


def test_fifo_and_device_answer_in_under_two_seconds(lab, workspace) -> None:  # type: ignore[no-untyped-def]
    base, app = lab
    (workspace / "app.py").write_text('TOKEN = "ghp_' + "A1b2C3d4" * 4 + 'zz"\n')
    os.mkfifo(workspace / "pipe")
    if os.geteuid() == 0:
        os.mknod(workspace / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    (workspace / "link-to-zero").symlink_to("/dev/zero")
    (workspace / "link-to-etc").symlink_to("/etc")
    with _owner(base, app) as client:
        started = time.perf_counter()
        response = client.post("/api/scan/path", json={"path": str(workspace)})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200 and elapsed < 2.0, (response.text, elapsed)
    summary = response.json()["summary"]
    assert summary["files_scanned"] == 1 and summary["stopped"] is None
    with _owner(base, app) as client:  # a FIFO named directly is refused the same way
        direct = client.post("/api/scan/path", json={"path": str(workspace / "pipe")})
    assert direct.status_code == 200 and direct.json()["summary"]["files_scanned"] == 0


def test_caps_stop_the_scan_and_say_so(serve) -> None:  # type: ignore[no-untyped-def]
    base, app = serve(scan_max_files=5)
    folder = app.state.settings.data_path / "workspace" / "many"
    folder.mkdir(parents=True)
    for i in range(20):
        (folder / f"f{i:02}.txt").write_text("nothing here\n")
    with _owner(base, app) as client:
        data = client.post("/api/scan/path", json={"path": str(folder)}).json()
    assert data["summary"]["files_scanned"] == 5
    assert data["summary"]["stopped"].startswith("stopped after 5 files")


def test_cancel_stops_a_running_scan(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i in range(2000):
        (tmp_path / f"f{i}.txt").write_text("x\n")
    limits = ScanLimits()
    threading.Timer(0.01, limits.cancel.set).start()
    report = scan_paths([tmp_path], limits=limits, project_checks=False)
    assert report.stopped == "cancelled: the client went away" and report.files < 2000


def test_no_token_or_outside_the_roots_is_refused(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, app = lab
    secret = tmp_path / ".env"
    secret.write_text('OPENAI_API_KEY="sk-proj-' + "Ab1" * 20 + '"\n')
    secret.chmod(0o600)
    with httpx.Client(base_url=base) as client:  # another local user: loopback, no token
        response = client.post("/api/scan/path", json={"path": str(tmp_path)})
        assert response.status_code == 403 and "apilab serve" in response.json()["error"]
        page = client.get("/labs/key-security").text
        assert 'id="scan-path-locked"' in page
    with _owner(base, app) as client:
        response = client.post("/api/scan/path", json={"path": str(tmp_path)})
        assert response.status_code == 403 and "outside the folders" in response.json()["error"]
        assert ".env" not in response.text
        assert client.post("/api/scan/path", json={"path": "/"}).status_code == 403
