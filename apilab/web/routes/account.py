"""Routes: sign-in and sign-out, reset links, joining a class, and a learner's own data.

- ``GET /signin`` and ``POST /api/auth/signin`` (JSON, rate-limited) set the
  ``apilab_session`` cookie: HttpOnly, SameSite=Lax, Secure when the request came
  over HTTPS; ``POST /api/auth/signout`` ends the session.
- ``GET /reset?token=`` and ``POST /api/auth/reset``: a link an admin printed with
  ``apilab users reset-link`` sets a new password.
- ``GET /account``: who you are, your classes (and that their instructors can read
  your lab conversations), joining by code, exporting and deleting your data.
- ``GET /join/{code}``: the join link an instructor hands out.

The decisions are the engines' (``accounts``, ``classes``); this module only
translates HTTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.classes import Classes
from apilab.classes.privacy import delete_own, export_own
from apilab.content import load_course
from apilab.errors import InvalidInputError
from apilab.web.identity import SESSION_COOKIE, accounts_of, current_identity
from apilab.web.templating import context, templates

router = APIRouter()


class SignInIn(BaseModel):
    """Email and password."""

    email: str = Field(max_length=300)
    password: str = Field(max_length=2000)


class ResetIn(BaseModel):
    """A reset link's token and the new password."""

    token: str = Field(max_length=200)
    password: str = Field(max_length=2000)


class JoinIn(BaseModel):
    """A class's join code."""

    code: str = Field(max_length=40)


class DeleteIn(BaseModel):
    """Deleting your data must be confirmed by typing ``delete``."""

    confirm: str = Field(max_length=20)


def safe_next(target: str | None) -> str:
    """A same-site path to go to after signing in (never another site)."""
    target = (target or "/").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def _classes(request: Request) -> Classes:
    return Classes.for_db(request.app.state.db, request.app.state.settings)


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
    """The sign-in form (and, when configured, the OIDC button)."""
    from apilab.oidc import oidc_config

    accounts = accounts_of(request)
    has_accounts = await run_in_threadpool(accounts.accounts_exist)
    oidc = oidc_config(request.app.state.settings)
    return templates.TemplateResponse(request, "signin.html", context(
        request, course=load_course(), nav="signin", next=safe_next(next),
        has_accounts=has_accounts, oidc_name=oidc.name if oidc else None,
        password_signin=accounts.password_signin))


@router.post("/api/auth/signin")
async def signin(request: Request, body: SignInIn, next: str | None = None) -> JSONResponse:  # noqa: A002
    """Check email and password; on success set the session cookie."""
    peer = request.client.host if request.client else None
    done = await accounts_of(request).sign_in(body.email, body.password, peer)
    response = JSONResponse({"ok": True, "next": safe_next(next), "role": done.identity.role,
                             "name": done.identity.name})
    # A fresh token on every sign-in; a session this browser had before is ended.
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(accounts_of(request).sign_out, old)
    set_session_cookie(request, response, done.token, done.max_age_s)
    return response


@router.post("/api/auth/signout")
async def signout(request: Request) -> JSONResponse:
    """End this browser's session.

    A session opened through OIDC also gets ``logout_url``: the identity provider's
    logout page (RP-initiated logout), where the page sends the browser next so that
    signing in again asks for the provider's password too.
    """
    via = await run_in_threadpool(accounts_of(request).sign_out,
                                  request.cookies.get(SESSION_COOKIE))
    body: dict[str, object] = {"ok": True}
    if via == "oidc":
        from apilab.oidc import logout_url

        after = str(request.base_url).rstrip("/") + "/signin"
        url = await run_in_threadpool(logout_url, request.app.state.settings, after)
        if url:
            body["logout_url"] = url
    response = JSONResponse(body)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response


@router.get("/reset", response_class=HTMLResponse)
async def reset_page(request: Request, token: str = "") -> HTMLResponse:
    """The new-password form of a reset link."""
    return templates.TemplateResponse(request, "reset.html", context(
        request, course=load_course(), nav=None, token=token[:200]))


@router.post("/api/auth/reset")
async def reset(request: Request, body: ResetIn) -> JSONResponse:
    """Set a new password with a reset link's token, and sign in."""
    accounts = accounts_of(request)
    identity = await run_in_threadpool(accounts.reset_password, body.token, body.password)
    assert identity.account_id is not None
    done = await run_in_threadpool(accounts.start_session, identity.account_id, "password")
    response = JSONResponse({"ok": True, "next": "/"})
    set_session_cookie(request, response, done.token, done.max_age_s)
    return response


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request) -> HTMLResponse:
    """Your account: classes, joining one, your data."""
    who = current_identity(request)
    mine = await run_in_threadpool(_classes(request).my_classes, who)
    return templates.TemplateResponse(request, "account.html", context(
        request, course=load_course(), nav="account", who=who, classes=mine))


@router.get("/join/{code}", response_class=HTMLResponse, response_model=None)
async def join_link(request: Request, code: str) -> HTMLResponse | RedirectResponse:
    """A class's join link: the account page with the code filled in."""
    who = current_identity(request)
    mine = await run_in_threadpool(_classes(request).my_classes, who)
    return templates.TemplateResponse(request, "account.html", context(
        request, course=load_course(), nav="account", who=who, classes=mine,
        join_code=code[:40]))


@router.get("/api/me")
async def me(request: Request) -> dict[str, Any]:
    """Who you are and your classes."""
    who = current_identity(request)
    mine = await run_in_threadpool(_classes(request).my_classes, who)
    return {"handle": who.handle, "role": who.role, "email": who.email, "name": who.name,
            "signed_in": who.signed_in, "classes": mine}


@router.post("/api/classes/join")
async def join(request: Request, body: JoinIn) -> dict[str, Any]:
    """Join a class by its code."""
    who = current_identity(request)
    return await run_in_threadpool(_classes(request).join, who, body.code)


@router.get("/api/me/export")
async def export_mine(request: Request) -> JSONResponse:
    """Everything stored about you, as a JSON download."""
    who = current_identity(request)
    data = await run_in_threadpool(export_own, request.app.state.db, who)
    return JSONResponse(_jsonable(data), headers={
        "Content-Disposition": 'attachment; filename="apilab-my-data.json"'})


@router.post("/api/me/delete")
async def delete_mine(request: Request, body: DeleteIn) -> JSONResponse:
    """Delete your account and everything stored about you (confirm with ``delete``)."""
    if body.confirm.strip().lower() != "delete":
        raise InvalidInputError("Type delete to confirm: this cannot be undone.")
    who = current_identity(request)
    counts = await run_in_threadpool(delete_own, request.app.state.db, who)
    accounts = accounts_of(request)
    accounts.forget_all()
    _classes(request).forget()
    response = JSONResponse({"ok": True, "deleted": counts})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _jsonable(value: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
