"""JSON APIs for lab 2: the scanner panel (/api/scan/...) and the leak drill (/api/drill/...).

Thin front doors: the scanner is ``apilab.secretscan``, the drill is ``_drill.DrillEngine``.
Responses carry redacted secrets only; pasted text is scanned in memory and
never stored or echoed back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from apilab.secretscan import find_secrets
from apilab.secretscan.checks import gitignore_finding, is_env_file
from apilab.secretscan.files import scan_paths
from apilab.web.identity import current_learner
from apilab.web.routes._drill import DrillEngine

router = APIRouter()

MAX_TEXT_CHARS = 1_000_000
MAX_FINDINGS = 500
_LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}


class ScanText(BaseModel):
    text: str = Field(max_length=MAX_TEXT_CHARS)
    kind: str = Field(default="code", pattern="^(code|env|gitignore)$")
    filename: str | None = Field(default=None, max_length=200)


class ScanFolder(BaseModel):
    path: str = Field(min_length=1, max_length=4096)


class AuditAnswer(BaseModel):
    attacker_ids: list[str] = Field(default_factory=list, max_length=2000)


class Configure(BaseModel):
    key_id: str = Field(min_length=1, max_length=64)


def _default_name(kind: str) -> str:
    return {"env": ".env", "gitignore": ".gitignore"}.get(kind, "pasted.txt")


@router.post("/api/scan/text")
def scan_text(body: ScanText) -> dict[str, Any]:
    """Scan pasted code, a .env file or a .gitignore; findings come back redacted."""
    name = (body.filename or "").strip() or _default_name(body.kind)
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


@router.post("/api/scan/path")
def scan_folder(body: ScanFolder, request: Request) -> JSONResponse:
    """Scan a file or folder on the server (only for a browser on the server itself)."""
    host = request.client.host if request.client else ""
    if host not in _LOOPBACK:
        return JSONResponse(
            {"error": "Folder scans are only available from a browser on the server itself; "
                      "paste the file instead, or run `apilab scan PATH` there."},
            status_code=403,
        )
    report = scan_paths([body.path])
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
    return _engine(request).answer_audit(current_learner(request), body.attacker_ids)


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

