"""Issue 10, item 7: security headers, no CDN, private files, rotation, arena caps."""

from __future__ import annotations

import re
import stat

import httpx


def test_every_answer_carries_the_security_headers(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in ("/", "/labs/api-basics", "/api/progress", "/static/chat.js", "/nope",
                     "/sandbox/v1/models"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
            assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_and_load_nothing_from_elsewhere(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in ("/", "/labs/api-basics", "/labs/key-security", "/labs/rate-limits-cost",
                     "/labs/production-prompts", "/progress", "/api/docs"):
            html = client.get(path).text
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
            assert not re.search(r"\son[a-z]+=", html), path
            assert " style=" not in html, path
            assert not re.search(r"(src|href)=\"https?://", html), path
        docs = client.get("/api/docs").text
        assert "/api/labs/{lab_id}/messages" in docs and "swagger" not in docs.lower()


def test_api_docs_can_be_turned_off(serve) -> None:  # type: ignore[no-untyped-def]
    base, _app = serve(api_docs=False)
    with httpx.Client(base_url=base) as client:
        assert client.get("/api/docs").status_code == 404
        assert client.get("/sandbox/docs").status_code == 404  # no Swagger UI anywhere


def test_data_dir_and_database_files_are_private(lab) -> None:  # type: ignore[no-untyped-def]
    base, app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post("/api/labs/api-basics/messages", json={"message": "What is a 401?"})
    data = app.state.settings.data_path
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("apilab.db", "apilab.db-wal", "apilab.db-shm", "install.key"):
        path = data / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_rotation_is_idempotent_and_refused_for_revoked_keys(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        key = client.post("/sandbox/admin/keys", json={"name": "svc"}).json()["key"]
        first = client.post(f"/sandbox/admin/keys/{key['id']}/rotate", json={})
        assert first.status_code == 201
        again = client.post(f"/sandbox/admin/keys/{key['id']}/rotate", json={})
        assert again.status_code == 400 and "already revoked" in again.json()["error"]
        other = client.post("/sandbox/admin/keys", json={"name": "other"}).json()["key"]
        client.post(f"/sandbox/admin/keys/{other['id']}/revoke", json={})
        refused = client.post(f"/sandbox/admin/keys/{other['id']}/rotate", json={})
        assert refused.status_code == 400
        live = [k for k in client.get("/sandbox/admin/keys").json()["keys"] if not k["revoked"]]
        assert [k["rotated_from"] for k in live] == [key["id"]]


def test_arena_work_and_concurrency_are_capped(serve) -> None:  # type: ignore[no-untyped-def]
    base, app = serve(arena_max_runs=1)
    with httpx.Client(base_url=base, timeout=60) as client:
        big = client.post("/api/arena/run", json={"clients": 500, "requests_per_client": 100})
        assert big.status_code == 422 and "allows" in big.json()["error"]
        app.state.arena_running = __import__("collections").Counter({"local": 1})
        busy = client.post("/api/arena/run", json={})
        assert busy.status_code == 429
        app.state.arena_running.clear()
        assert client.post("/api/arena/run", json={"clients": 2}).status_code == 200
