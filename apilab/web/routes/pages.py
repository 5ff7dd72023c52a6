"""Routes: the course map, lesson pages, the progress page and the favicon."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from apilab.assistant.completion import progress_report
from apilab.content import load_course
from apilab.storage import conversations
from apilab.web.identity import current_learner
from apilab.web.security.tokens import LOCAL_COOKIE
from apilab.web.templating import context, templates

router = APIRouter()
_STATIC = resources.files("apilab.web") / "static"


def load_progress(request: Request, learner: str) -> dict[str, Any]:
    """The learner's LabProgress rows by lab id."""
    with request.app.state.db.session() as session:
        learner_row = conversations.get_or_create_learner(session, learner)
        return dict(conversations.get_progress(session, learner_row.id))


@router.get("/", response_class=HTMLResponse, response_model=None)
async def course_map(
    request: Request, learner: str = Depends(current_learner), local: str | None = None
) -> HTMLResponse | RedirectResponse:
    """The course map. ``?local=TOKEN`` (the link ``apilab serve`` prints) marks this
    browser as the owner's: the token moves to an HttpOnly, SameSite=Strict cookie and
    the address bar is cleaned, so the token is not left in history or a Referer."""
    if local is not None:
        response = RedirectResponse("/", status_code=303)
        if request.app.state.tokens.is_local(local):
            response.set_cookie(LOCAL_COOKIE, local, max_age=30 * 24 * 3600, httponly=True,
                                samesite="strict", path="/")
        return response
    progress = await run_in_threadpool(load_progress, request, learner)
    return templates.TemplateResponse(
        request, "index.html", context(request, course=load_course(), progress=progress, nav="home")
    )


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
async def lesson_page(request: Request, lesson_id: str) -> HTMLResponse:
    course = load_course()
    lesson = course.lesson(lesson_id)
    lab = course.lab(lesson.lab)
    return templates.TemplateResponse(
        request, "lesson.html",
        context(request, course=course, lesson=lesson, lab=lab, nav="home"),
    )


@router.get("/progress", response_class=HTMLResponse)
async def progress_page(request: Request, learner: str = Depends(current_learner)) -> HTMLResponse:
    course = load_course()
    progress = await run_in_threadpool(load_progress, request, learner)
    rows = []
    for lab in course.labs:
        p = progress.get(lab.id)
        rows.append({
            "lab": lab,
            "count": p.exchange_count if p else 0,
            "covered": list(p.objectives_covered) if p else [],
            "completed_at": p.completed_at if p else None,
        })
    return templates.TemplateResponse(
        request, "progress.html", context(request, course=course, rows=rows, nav="progress")
    )


@router.get("/api/progress")
async def progress_json(
    request: Request, learner: str = Depends(current_learner)
) -> dict[str, Any]:
    """Each lab's counted exchanges, objectives covered and completion time."""
    return await run_in_threadpool(progress_report, request.app.state.db, learner)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    """The site icon, where browsers ask for it before reading any page."""
    return FileResponse(str(_STATIC / "favicon.ico"), media_type="image/vnd.microsoft.icon",
                        headers={"Cache-Control": "public, max-age=86400"})
