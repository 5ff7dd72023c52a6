"""Routes: the lab page, its chat (streamed over SSE), transcript and reset.

The chat endpoint validates the message and commits it (by priming the
exchange) before the response starts, so a bad request gets a proper 4xx and
a good one is never lost. The rest of the exchange streams as SSE events:
``accepted``, ``delta``..., then ``completed`` or ``failed``.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from jinja2 import TemplateNotFound
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.assistant.base import Accepted, Completed, Delta, ExchangeEvent, Failed
from apilab.assistant.exchange import run_exchange
from apilab.content import load_course
from apilab.errors import ForbiddenError
from apilab.storage import conversations
from apilab.web.identity import current_learner
from apilab.web.routes import _classmode
from apilab.web.sse import sse_event
from apilab.web.templating import context, render_markdown, templates

router = APIRouter()
log = logging.getLogger(__name__)

# Workbench panels shown under each lab's chat: (name, template).
LAB_PANELS: dict[str, tuple[tuple[str, str], ...]] = {
    "api-basics": (("workbench", "_panel_workbench.html"),),
    "key-security": (("scanner", "_panel_scanner.html"), ("drill", "_panel_drill.html")),
    "rate-limits-cost": (("calculator", "_panel_calculator.html"), ("arena", "_panel_arena.html")),
    "production-prompts": (("promptlab", "_panel_promptlab.html"),
                           ("validate", "_panel_validate.html")),
}


class MessageIn(BaseModel):
    """A learner's chat message."""

    message: str = Field(description="What the learner typed.")


def _panels(lab_id: str) -> list[dict[str, str]]:
    panels = []
    for name, template in LAB_PANELS.get(lab_id, ()):
        try:
            templates.env.get_template(template)
        except TemplateNotFound:
            continue  # a capability that is not installed shows no panel
        panels.append({"name": name, "template": template})
    return panels


def _load_lab_state(request: Request, learner: str, lab_id: str) -> tuple[list[Any], Any]:
    with request.app.state.db.session() as session:
        learner_row = conversations.get_or_create_learner(session, learner)
        messages = conversations.list_messages(session, learner_row.id, lab_id)
        progress = conversations.get_progress(session, learner_row.id).get(lab_id)
        return list(messages), progress


@router.get("/labs/{lab_id}", response_class=HTMLResponse)
async def lab_page(
    request: Request, lab_id: str, learner: str = Depends(current_learner)
) -> HTMLResponse:
    course = load_course()
    lab = course.lab(lab_id)
    in_class = await run_in_threadpool(_classmode.class_context, request)
    # 403 if the class keeps it shut (the context is cached now: no query on the loop).
    _classmode.lab_settings(request, lab_id, writing=False)
    messages, progress = await run_in_threadpool(_load_lab_state, request, learner, lab_id)
    return templates.TemplateResponse(
        request,
        "lab.html",
        context(
            request, course=course, lab=lab, lesson=course.lesson_for_lab(lab_id),
            messages=messages, progress=progress, panels=_panels(lab_id), nav=lab_id,
            csrf_token=request.app.state.tokens.csrf(learner), class_context=in_class,
        ),
    )


@router.post("/labs/{lab_id}/reset")
async def reset_lab(
    request: Request, lab_id: str, learner: str = Depends(current_learner)
) -> RedirectResponse:
    """Clear this lab's conversation (progress already earned is kept by the repository).

    Posted by the page's HTML form (which carries the learner's CSRF token) or as
    JSON by a script; the security middleware has already refused other bodies
    and other origins.
    """
    load_course().lab(lab_id)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("csrf_token") or [""])[0]
        if not request.app.state.tokens.csrf_ok(learner, token):
            raise ForbiddenError("This reset form is stale or came from another site: reload "
                                 "the lab page and try again.")

    def _reset() -> None:
        with request.app.state.db.session() as session:
            learner_row = conversations.get_or_create_learner(session, learner)
            conversations.reset(session, learner_row.id, lab_id)

    await run_in_threadpool(_reset)
    return RedirectResponse(f"/labs/{lab_id}", status_code=303)


@router.get("/api/labs/{lab_id}/messages")
async def transcript(
    request: Request, lab_id: str, learner: str = Depends(current_learner)
) -> dict[str, Any]:
    """The stored transcript of this lab (message text is stored redacted)."""
    load_course().lab(lab_id)
    messages, progress = await run_in_threadpool(_load_lab_state, request, learner, lab_id)
    return {
        "lab": lab_id,
        "messages": [
            {
                "id": m.id, "role": m.role, "content": m.content, "status": m.status,
                "counted": m.counted, "why_not_counted": m.why_not_counted,
                "backend": m.backend, "created_at": m.created_at,
            }
            for m in messages
        ],
        "exchange_count": progress.exchange_count if progress else 0,
        "completed_at": progress.completed_at if progress and progress.completed_at else None,
    }


def _frame(event: ExchangeEvent, min_exchanges: int) -> bytes:
    if isinstance(event, Accepted):
        return sse_event("accepted", {
            "message_id": event.message_id, "reply_id": event.reply_id,
            "content": event.content, "secret_detected": event.secret_detected,
        })
    if isinstance(event, Delta):
        return sse_event("delta", {"text": event.text})
    if isinstance(event, Completed):
        return sse_event("completed", {
            "reply_id": event.reply_id, "html": str(render_markdown(event.reply)),
            "counted": event.counted, "why_not_counted": event.why_not_counted,
            "objectives_covered": event.objectives_covered,
            "exchange_count": event.exchange_count, "min_exchanges": min_exchanges,
            "completed_at": event.completed_at, "backend": event.backend,
            "retracted_reply_id": event.retracted_reply_id,
        })
    if isinstance(event, Failed):
        return sse_event("failed", {"message": event.message, "reply_id": event.reply_id})
    raise TypeError(f"unknown exchange event {event!r}")


async def _chat_learner(request: Request) -> str:
    """``current_learner`` run on the event loop: as a plain (sync) dependency FastAPI
    sends it to a worker thread, a thread hop per chat message for a header lookup.

    With accounts, the session and the learner's class are cached per process for a few
    seconds, so this stays on the loop too; handing them to worker threads on PostgreSQL
    was measured slower (bench/classes.py, 300 learners: TTFT p50 1.9 s against 0.25 s
    inline), because the threads queue behind the exchanges' own database work.
    """
    return current_learner(request)


@router.post("/api/labs/{lab_id}/messages")
async def send_message(
    request: Request, lab_id: str, body: MessageIn, learner: str = Depends(_chat_learner)
) -> StreamingResponse:
    """Send a message to the lab assistant; the reply streams back as SSE."""
    lab = load_course().lab(lab_id)
    # Class mode: the class's backend and budget caps, and 403 for a lab it keeps shut.
    settings = _classmode.lab_settings(request, lab_id, writing=True)
    events = run_exchange(
        request.app.state.db, settings,
        learner=learner, lab_id=lab_id, message=body.message,
    )
    # Prime: validation errors surface here as 404/422 before any byte is sent,
    # and the learner's message is committed before the reply starts streaming.
    first = await events.__anext__()

    pace = request.app.state.settings.stream_pace_ms / 1000

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield _frame(first, lab.min_exchanges)
            async for event in events:
                if pace and isinstance(event, Delta):
                    await asyncio.sleep(pace)
                yield _frame(event, lab.min_exchanges)
                if isinstance(event, Completed):
                    _classmode.after_exchange(request, lab_id, event.counted)
        finally:
            # A disconnected browser cancels this generator; closing the exchange
            # lets it mark the reply interrupted instead of leaving it streaming.
            await events.aclose()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
