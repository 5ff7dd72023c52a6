"""JSON APIs for lab 2: the scanner panel (/api/scan/...) and the leak drill (/api/drill/...).

Thin front doors: the scanner is ``apilab.secretscan``, the drill is ``_drill.DrillEngine``.
Responses carry redacted secrets only; pasted text is scanned in memory and
never stored or echoed back.

Scans run on a worker thread with a deadline (``APILAB_SCAN_MAX_SECONDS``), so
the event loop keeps serving every other learner. A folder scan reads files as
the server's user, so it is refused unless the browser holds the install's local
token (the link ``apilab serve`` prints; see ``web.security.tokens``) and the
folder lies inside ``APILAB_SCAN_ROOTS``; it stops at the file, byte and time
caps with a "stopped after …" note, and is cancelled when the browser leaves.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.errors import ForbiddenError
from apilab.secretscan import find_secrets
from apilab.secretscan.checks import gitignore_finding, is_env_file
from apilab.secretscan.files import ScanLimits, scan_paths
from apilab.secretscan.scanner import fingerprint_key
from apilab.web.identity import current_learner
from apilab.web.routes._drill import DrillEngine
from apilab.web.security.tokens import LOCAL_COOKIE

router = APIRouter()

MAX_TEXT_CHARS = 1_000_000
MAX_FINDINGS = 500
_POLL_SECONDS = 0.25


class ScanText(BaseModel):
    text: str = Field(max_length=MAX_TEXT_CHARS)
    kind: str = Field(default="code", pattern="^(code|env|gitignore)$")
    filename: str | None = Field(default=None, max_length=200)


class ScanFolder(BaseModel):
    path: str = Field(min_length=1, max_length=4096)


class AuditAnswer(BaseModel):
    attacker_ids: list[str] = Field(default_factory=list, max_length=2000)
    # The rows the learner's table showed: calls made after it was loaded are not scored.
    shown_ids: list[str] | None = Field(default=None, max_length=2000)


class Configure(BaseModel):
    key_id: str = Field(min_length=1, max_length=64)


def _default_name(kind: str) -> str:
    return {"env": ".env", "gitignore": ".gitignore"}.get(kind, "pasted.txt")


def _scan_text(body: ScanText, key: bytes) -> dict[str, Any]:
    name = (body.filename or "").strip()
    # The kind wins over a file name left in the form from an earlier paste ("app.js" on a
    # pasted .gitignore labelled its finding "app.js:1").
    if (body.kind == "gitignore" and not name.endswith(".gitignore")) or (
            body.kind == "env" and not is_env_file(name)) or not name:
        name = _default_name(body.kind)
    with fingerprint_key(key):
        findings = [f.to_dict() for f in find_secrets(body.text, name)]
    advice: list[str] = []
    if body.kind == "gitignore" or name.endswith(".gitignore"):
        missing = gitignore_finding(body.text, name)
        if missing is not None:
            findings.insert(0, missing.to_dict())
        else:
            advice.append(".gitignore ignores .env: local key files stay out of commits.")
    if body.kind == "env" or is_env_file(name):
        advice.append("A .env file must never be committed: check that .gitignore covers it, "
                      "and share a .env.example with empty values instead.")
    return {
        "findings": findings,
        "advice": advice,
        "summary": {"findings": len(findings), "lines": body.text.count("\n") + 1},
    }


@router.post("/api/scan/text")
async def scan_text(body: ScanText, request: Request) -> Any:
    """Scan pasted code, a .env file or a .gitignore; findings come back redacted."""
    deadline = float(request.app.state.settings.scan_max_seconds)
    try:
        return await asyncio.wait_for(
            run_in_threadpool(_scan_text, body, request.app.state.tokens.fingerprint_key),
            deadline)
    except TimeoutError:
        # Every rule is linear-time, so this is a backstop, not an expected path.
        return JSONResponse({"error": f"The scan took longer than {deadline:g} s; paste a "
                                      "smaller part."}, status_code=503)


def scan_roots(request: Request) -> list[Path]:
    """Folders the page may scan: APILAB_SCAN_ROOTS, or the data dir's workspace and the
    directory the server started in (never ``/``: that would be every file)."""
    app = request.app
    roots: list[Path] | None = getattr(app.state, "scan_roots", None)
    if roots is None:
        settings = app.state.settings
        if settings.scan_roots:
            raw = [p for p in str(settings.scan_roots).split(os.pathsep) if p.strip()]
        else:
            workspace = settings.data_path / "workspace"
            workspace.mkdir(mode=0o700, exist_ok=True)
            raw = [str(workspace), os.getcwd()]
        roots = [Path(os.path.realpath(os.path.expanduser(p))) for p in raw]
        roots = [r for r in roots if r != Path(r.anchor)]
        app.state.scan_roots = roots
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


@router.post("/api/scan/path")
async def scan_folder(body: ScanFolder, request: Request) -> JSONResponse:
    """Scan a file or folder on the server (the server owner's browser, allowed folders only)."""
    if not request.app.state.tokens.is_local(request.cookies.get(LOCAL_COOKIE)):
        raise ForbiddenError(
            "Folder scans read files as the server's user, so they need the link `apilab "
            "serve` printed when it started (it proves this browser is the owner's). Or paste "
            "the file instead, or run `apilab scan PATH` yourself.")
    roots = scan_roots(request)
    target = Path(os.path.realpath(os.path.expanduser(body.path)))
    if not _inside(target, roots):
        raise ForbiddenError(
            "That path is outside the folders this server may scan: "
            + ", ".join(str(r) for r in roots)
            + ". The operator sets them with APILAB_SCAN_ROOTS.")
    settings = request.app.state.settings
    limits = ScanLimits(max_files=int(settings.scan_max_files),
                        max_bytes=int(settings.scan_max_bytes),
                        max_seconds=float(settings.scan_max_seconds))
    key = request.app.state.tokens.fingerprint_key

    def scan() -> Any:
        with fingerprint_key(key):
            return scan_paths([target], limits=limits)

    task = asyncio.ensure_future(run_in_threadpool(scan))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=_POLL_SECONDS)
            if not task.done() and await request.is_disconnected():
                limits.cancel.set()  # the worker stops at its next file
                break
        report = await task
    finally:
        limits.cancel.set()
    data = report.to_dict()
    data["truncated"] = len(data["findings"]) > MAX_FINDINGS
    data["findings"] = data["findings"][:MAX_FINDINGS]
    return JSONResponse(data)


# --- the leak drill -------------------------------------------------------------------------
def _engine(request: Request) -> DrillEngine:
    return DrillEngine(request.app.state.db, request.app.state.settings, request.app)


@router.get("/api/drill")
async def drill_state(request: Request) -> dict[str, Any]:
    """The drill's state; the app's and the attacker's due calls happen on each poll."""
    engine = _engine(request)
    handle = current_learner(request)
    state = await engine.tick(handle)
    return state if state is not None else {"drill": None}


@router.post("/api/drill/start")
async def drill_start(request: Request) -> dict[str, Any]:
    """Issue a key to the learner's app (a fresh drill)."""
    return await _engine(request).start(current_learner(request))


@router.post("/api/drill/leak")
async def drill_leak(request: Request) -> dict[str, Any]:
    """Push the commit that leaks the key."""
    return await _engine(request).leak(current_learner(request))


@router.post("/api/drill/revoke")
async def drill_revoke(request: Request) -> dict[str, Any]:
    """Revoke the leaked key."""
    return await _engine(request).revoke(current_learner(request))


@router.get("/api/drill/audit")
def drill_audit(request: Request) -> dict[str, Any]:
    """The leaked key's audit log (opening it is recorded)."""
    return _engine(request).audit(current_learner(request))


@router.post("/api/drill/audit")
def drill_audit_answer(body: AuditAnswer, request: Request) -> dict[str, Any]:
    """Submit which audit rows were the attacker's."""
    return _engine(request).answer_audit(current_learner(request), body.attacker_ids,
                                             body.shown_ids)


@router.post("/api/drill/rotate")
async def drill_rotate(request: Request) -> dict[str, Any]:
    """Create the replacement key."""
    return await _engine(request).rotate(current_learner(request))


@router.post("/api/drill/configure")
async def drill_configure(body: Configure, request: Request) -> dict[str, Any]:
    """Point the app's configuration at a key."""
    return await _engine(request).configure(current_learner(request), body.key_id)


@router.post("/api/drill/verify")
async def drill_verify(request: Request) -> dict[str, Any]:
    """Make a test call with the app's configured key."""
    return await _engine(request).verify(current_learner(request))


@router.post("/api/drill/reset")
def drill_reset(request: Request) -> dict[str, Any]:
    """Abandon the current drill (its keys are revoked)."""
    return _engine(request).reset(current_learner(request))

