"""Routes: the instructor's classes, a class's dashboard, its exports and transcripts.

Every route here starts from ``current_identity`` and goes through
``Classes.visible`` (admin: every class; instructor: classes they own or co-teach;
learner: none), so the forbidden paths are refused in one place; the tests try
each of them. A learner's transcript is readable only through a class that
learner belongs to.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.accounts import INSTRUCTOR
from apilab.classes import Classes
from apilab.classes.dashboard import build_dashboard
from apilab.classes.export import dashboard_csv, dashboard_json
from apilab.classes.rooms import BACKENDS
from apilab.content import load_course
from apilab.errors import ForbiddenError, InvalidInputError
from apilab.storage import classes as class_repo
from apilab.storage import conversations
from apilab.web.identity import current_identity
from apilab.web.templating import context, templates

router = APIRouter()


class ClassIn(BaseModel):
    """A class's options; omitted fields are left as they are."""

    slug: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=200)
    backend: str | None = Field(None, max_length=32)
    model: str | None = Field(None, max_length=128)
    learner_daily_usd: str | None = Field(None, max_length=20)
    class_monthly_usd: str | None = Field(None, max_length=20)
    open_labs: list[str] | None = Field(None, max_length=20)


class CloseIn(BaseModel):
    """Close (true) or reopen (false) a class."""

    closed: bool = True


def _classes(request: Request) -> Classes:
    return Classes.for_db(request.app.state.db, request.app.state.settings)


def _stuck_days(value: int | None) -> int:
    if value is None:
        return 3
    if not 1 <= value <= 365:
        raise InvalidInputError("stuck_days must be between 1 and 365.")
    return value


def _dashboard(request: Request, slug: str, stuck_days: int) -> dict[str, Any]:
    who = current_identity(request)
    classes = _classes(request)
    with request.app.state.db.session() as session:
        room = classes.visible(session, who, slug)
        return build_dashboard(session, room, request.app.state.settings,
                               stuck_days=stuck_days)


@router.get("/instructor", response_class=HTMLResponse)
async def instructor_home(request: Request) -> HTMLResponse:
    """The classes you teach, and a form to create one."""
    who = current_identity(request)
    who.require(INSTRUCTOR)
    rows = await run_in_threadpool(_classes(request).list, who)
    return templates.TemplateResponse(request, "instructor.html", context(
        request, course=load_course(), nav="instructor", who=who, classes=rows,
        backends=BACKENDS))


@router.get("/instructor/classes/{slug}", response_class=HTMLResponse)
async def dashboard_page(request: Request, slug: str,
                         stuck_days: int | None = None) -> HTMLResponse:
    """A class's dashboard: the matrix, who is stuck, objectives, tutor gaps, spend."""
    data = await run_in_threadpool(_dashboard, request, slug, _stuck_days(stuck_days))
    info = await run_in_threadpool(_info, request, slug)
    return templates.TemplateResponse(request, "dashboard.html", context(
        request, course=load_course(), nav="instructor", data=data, info=info,
        backends=BACKENDS))


def _info(request: Request, slug: str) -> dict[str, Any]:
    from apilab.classes.rooms import class_info

    who = current_identity(request)
    with request.app.state.db.session() as session:
        return class_info(_classes(request).visible(session, who, slug))


@router.get("/api/classes")
async def list_classes(request: Request) -> list[dict[str, Any]]:
    """The classes you may manage."""
    who = current_identity(request)
    who.require(INSTRUCTOR)
    return await run_in_threadpool(_classes(request).list, who)


@router.post("/api/classes")
async def create_class(request: Request, body: ClassIn) -> dict[str, Any]:
    """Create a class you own."""
    who = current_identity(request)
    who.require(INSTRUCTOR)
    if not body.slug:
        raise InvalidInputError("Give the class a slug, e.g. cs101-spring.")
    options = body.model_dump(exclude={"slug"}, exclude_none=True)
    name = options.pop("name", None)
    return await run_in_threadpool(
        lambda: _classes(request).create(who, slug=body.slug or "", name=name, **options))


@router.post("/api/classes/{slug}")
async def update_class(request: Request, slug: str, body: ClassIn) -> dict[str, Any]:
    """Change a class's name, backend, model, caps or open labs."""
    who = current_identity(request)
    options = body.model_dump(exclude={"slug"}, exclude_none=True)
    return await run_in_threadpool(lambda: _classes(request).update(who, slug, **options))


@router.post("/api/classes/{slug}/close")
async def close_class(request: Request, slug: str, body: CloseIn) -> dict[str, Any]:
    """Close or reopen a class."""
    who = current_identity(request)
    return await run_in_threadpool(_classes(request).close, who, slug, body.closed)


@router.post("/api/classes/{slug}/code")
async def new_code(request: Request, slug: str) -> dict[str, Any]:
    """Give a class a new join code (the old one stops working)."""
    who = current_identity(request)
    return await run_in_threadpool(_classes(request).new_code, who, slug)


@router.get("/api/classes/{slug}/dashboard")
async def dashboard_json_route(request: Request, slug: str,
                               stuck_days: int | None = None) -> dict[str, Any]:
    """The dashboard's figures as JSON."""
    return await run_in_threadpool(_dashboard, request, slug, _stuck_days(stuck_days))


@router.get("/api/classes/{slug}/export.csv")
async def export_csv(request: Request, slug: str) -> Response:
    """One CSV row per learner and lab."""
    data = await run_in_threadpool(_dashboard, request, slug, 3)
    return Response(dashboard_csv(data), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{slug}-progress.csv"'})


@router.get("/api/classes/{slug}/export.json")
async def export_json(request: Request, slug: str) -> Response:
    """The whole dashboard as a JSON download."""
    data = await run_in_threadpool(_dashboard, request, slug, 3)
    return Response(dashboard_json(data), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{slug}-dashboard.json"'})


def _transcript(request: Request, slug: str, learner_id: int, lab_id: str) -> dict[str, Any]:
    who = current_identity(request)
    load_course().lab(lab_id)
    with request.app.state.db.session() as session:
        room = _classes(request).visible(session, who, slug)
        members = {learner.id: account for account, learner, _m
                   in class_repo.members(session, room.id)}
        if learner_id not in members:
            raise ForbiddenError("That learner is not in this class.")
        messages = conversations.list_messages(session, learner_id, lab_id)
        return {"class": room.slug, "lab": lab_id, "learner": members[learner_id].email,
                "messages": [{"id": m.id, "role": m.role, "content": m.content,
                              "status": m.status, "counted": m.counted,
                              "kind": (m.meta or {}).get("answer_kind"),
                              "created_at": m.created_at} for m in messages]}


@router.get("/api/classes/{slug}/learners/{learner_id}/labs/{lab_id}")
async def transcript_json(request: Request, slug: str, learner_id: int,
                          lab_id: str) -> dict[str, Any]:
    """A class member's conversation in one lab."""
    return await run_in_threadpool(_transcript, request, slug, learner_id, lab_id)


@router.get("/instructor/classes/{slug}/learners/{learner_id}/labs/{lab_id}",
            response_class=HTMLResponse)
async def transcript_page(request: Request, slug: str, learner_id: int,
                          lab_id: str) -> HTMLResponse:
    """A class member's conversation in one lab, as a page."""
    data = await run_in_threadpool(_transcript, request, slug, learner_id, lab_id)
    course = load_course()
    return templates.TemplateResponse(request, "transcript.html", context(
        request, course=course, nav="instructor", data=data, lab=course.lab(lab_id),
        slug=slug))
