"""Routes: Lab 4's prompt workbench, a thin door over ``apilab.promptlab``.

- ``GET  /api/promptlab``                     versions, cases, recent runs, providers
- ``POST /api/promptlab/versions``            save a new version
- ``POST /api/promptlab/versions/{id}/restore`` restore an old version (as a new one)
- ``GET  /api/promptlab/diff?a=ID&b=ID``      unified diff between two versions
- ``POST /api/promptlab/cases``               add a test case
- ``POST /api/promptlab/cases/{id}/delete``   delete a test case
- ``POST /api/promptlab/pack``                add the injection pack (one click)
- ``POST /api/promptlab/runs``                run a version: Server-Sent Events ``start``,
  ``result`` per case as it finishes, ``done`` (or ``error``)
- ``GET  /api/promptlab/runs/{id}``           one stored run with its results
- ``GET  /api/promptlab/compare?a=RUN&b=RUN`` two runs side by side (the matrix)

Runs against the sandbox use the sandbox mounted in this server, in process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount

from apilab.errors import ApilabError
from apilab.promptlab import PromptLab, VersionIn
from apilab.promptlab.lab import CaseIn
from apilab.web.identity import current_learner
from apilab.web.sse import sse_event

router = APIRouter()

QueryId = Annotated[int, Query(ge=1, le=2**31 - 1)]
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class RunIn(BaseModel):
    """Which version to run, against which provider."""

    version_id: int = Field(ge=1, le=2**31 - 1)
    provider: str = Field(default="sandbox:echo", max_length=100)


def _lab(request: Request) -> PromptLab:
    state = request.app.state
    lab = getattr(state, "promptlab", None)
    if lab is None:
        sandbox = next((r.app for r in request.app.routes
                        if isinstance(r, Mount) and r.path == "/sandbox"), None)
        lab = state.promptlab = PromptLab(state.db, state.settings, sandbox)
    return lab  # type: ignore[no-any-return]


@router.get("/api/promptlab")
async def promptlab_state(request: Request) -> dict[str, Any]:
    """Your prompt versions, test cases, recent runs and the providers a run may use."""
    return await run_in_threadpool(_lab(request).state, current_learner(request))


@router.post("/api/promptlab/versions")
async def save_version(request: Request, body: VersionIn) -> dict[str, Any]:
    """Save the editor's content as a new version."""
    return await run_in_threadpool(_lab(request).save_version, current_learner(request), body)


@router.post("/api/promptlab/versions/{version_id}/restore")
async def restore_version(request: Request, version_id: PathId) -> dict[str, Any]:
    """Make an earlier version current again (saved as a new version)."""
    return await run_in_threadpool(_lab(request).restore, current_learner(request), version_id)


@router.get("/api/promptlab/diff")
async def diff_versions(request: Request, a: QueryId, b: QueryId) -> dict[str, Any]:
    """A unified diff from version ``a`` to version ``b``."""
    return await run_in_threadpool(_lab(request).diff, current_learner(request), a, b)


@router.post("/api/promptlab/cases")
async def add_case(request: Request, body: CaseIn) -> dict[str, Any]:
    """Add a test case (input and assertions)."""
    return await run_in_threadpool(_lab(request).add_case, current_learner(request), body)


@router.post("/api/promptlab/cases/{case_id}/delete")
async def delete_case(request: Request, case_id: PathId) -> dict[str, Any]:
    """Delete a test case."""
    await run_in_threadpool(_lab(request).delete_case, current_learner(request), case_id)
    return {"deleted": case_id}


@router.post("/api/promptlab/pack")
async def add_pack(request: Request) -> dict[str, Any]:
    """Add the prompt-injection pack's cases you do not have yet."""
    return await run_in_threadpool(_lab(request).add_pack, current_learner(request))


@router.post("/api/promptlab/runs")
async def run_version(request: Request, body: RunIn) -> StreamingResponse:
    """Run a version over your cases and stream each case's result as it arrives."""
    from apilab.promptlab.runs import run_version as run

    events = run(_lab(request), current_learner(request), body.version_id, body.provider)
    try:  # bad input (unknown version, no cases, busy) is a 4xx, never half a stream
        first = await events.__anext__()
    except StopAsyncIteration:  # pragma: no cover - a run always starts with "start"
        first = ("done", {})

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse_event(*first)
            async for name, data in events:
                yield sse_event(name, data)
        except ApilabError as exc:
            yield sse_event("error", {"error": str(exc)})
        finally:
            await events.aclose()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


@router.get("/api/promptlab/runs/{run_id}")
async def get_run(request: Request, run_id: PathId) -> dict[str, Any]:
    """One stored run with every case's result."""
    from apilab.errors import NotFoundError
    from apilab.promptlab.runs import run_dict
    from apilab.storage import promptlab as repo

    lab, handle = _lab(request), current_learner(request)

    def load() -> dict[str, Any]:
        with lab.db.session() as session:
            row = repo.get_run(session, lab._learner(session, handle), run_id)
            if row is None:
                raise NotFoundError(f"No run {run_id}.")
            return run_dict(row)

    return await run_in_threadpool(load)


@router.get("/api/promptlab/compare")
async def compare_runs(request: Request, a: QueryId, b: QueryId) -> dict[str, Any]:
    """Two runs side by side: verdict per case, which flipped, cost and latency deltas."""
    from apilab.promptlab.runs import compare

    return await run_in_threadpool(compare, _lab(request), current_learner(request), a, b)
