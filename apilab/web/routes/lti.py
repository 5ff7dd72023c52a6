"""Routes: LTI 1.3 login, launch, the tool's JWKS and the deep-linking picker.

- ``GET|POST /lti/login``   the platform's OIDC login initiation; redirects to the platform.
- ``POST /lti/launch``      the platform's form post with the ``id_token``; signs the
  user in (session cookie) and redirects to the lab or the picker.
- ``GET /lti/jwks``         the tool's public key(s), for the platform.
- ``GET /lti/deep-link``    the picker: an instructor chooses labs to add to the course.
- ``POST /api/lti/deep-link`` the signed response to post back to the platform.

The launch and login accept cross-site form posts (see ``web.security.middleware``);
everything is validated by ``apilab.lti`` with PyLTI1p3, on a worker thread.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.accounts import INSTRUCTOR
from apilab.content import load_course
from apilab.errors import InvalidInputError
from apilab.web.identity import current_identity
from apilab.web.routes.account import set_session_cookie
from apilab.web.security.headers import CSP
from apilab.web.templating import context, templates

router = APIRouter()
_MAX_FORM = 64 * 1024  # an id_token is a few kilobytes


class DeepLinkIn(BaseModel):
    """The labs an instructor picked for a deep-linking request."""

    launch: str = Field(max_length=200)
    labs: list[str] = Field(max_length=10)


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if len(body) > _MAX_FORM:
            raise InvalidInputError("The LTI form is larger than any real launch.")
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), max_num_fields=50)
        params.update({k: v[0] for k, v in form.items() if v})
    return {k: v[:20_000] for k, v in params.items()}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _set_cookies(request: Request, response: Response,
                 cookies: dict[str, tuple[str, int]]) -> None:
    # Over HTTPS the LMS's cross-site form post must carry the state cookie: SameSite=None.
    for name, (value, max_age) in cookies.items():
        response.set_cookie(name, value, max_age=max_age, httponly=True, path="/",
                            secure=_secure(request),
                            samesite="none" if _secure(request) else "lax")


@router.api_route("/lti/login", methods=["GET", "POST"], include_in_schema=False)
async def lti_login(request: Request) -> Response:
    """Answer the platform's OIDC login initiation."""
    from apilab.lti.launch import login

    params = await _params(request)
    launch_url = str(request.base_url).rstrip("/") + "/lti/launch"
    result = await run_in_threadpool(login, request.app.state.db, request.app.state.settings,
                                     params, dict(request.cookies), _secure(request), launch_url)
    response = RedirectResponse(result.redirect_url, status_code=302)
    _set_cookies(request, response, result.cookies)
    return response


@router.post("/lti/launch", include_in_schema=False)
async def lti_launch(request: Request) -> Response:
    """Validate the launch, sign the user in, go to the lab (or the picker)."""
    from apilab.lti.launch import launch

    params = await _params(request)
    result = await run_in_threadpool(launch, request.app.state.db, request.app.state.settings,
                                     params, dict(request.cookies), _secure(request))
    response = RedirectResponse(result.target, status_code=303)
    _set_cookies(request, response, result.cookies)
    set_session_cookie(request, response, result.sign_in.token, result.sign_in.max_age_s)
    return response


@router.get("/lti/jwks", include_in_schema=False)
async def lti_jwks(request: Request) -> dict[str, Any]:
    """The tool's public keys (JWKS), for the platform to check our signatures."""
    from apilab.lti.tool import tool_config

    config = await run_in_threadpool(tool_config, request.app.state.settings)
    return config.get_jwks()  # type: ignore[no-any-return]


@router.get("/lti/deep-link", response_class=HTMLResponse)
async def deep_link_page(request: Request, launch: str = "") -> HTMLResponse:
    """Pick the labs to add to the LMS course."""
    from apilab.lti.launch import deep_link_return_url

    who = current_identity(request)
    who.require(INSTRUCTOR)
    url = await run_in_threadpool(deep_link_return_url, request.app.state.db,
                                  request.app.state.settings, launch[:200])
    origin = urllib.parse.urlsplit(url)
    response = templates.TemplateResponse(request, "deep_link.html", context(
        request, course=load_course(), nav=None, launch=launch[:200]))
    if origin.scheme in ("http", "https") and origin.netloc:
        # This page alone may post a form to the platform (the response goes there).
        response.headers["content-security-policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {origin.scheme}://{origin.netloc}")
    return response


@router.post("/api/lti/deep-link")
async def deep_link(request: Request, body: DeepLinkIn) -> JSONResponse:
    """The signed deep-linking response for the chosen labs."""
    from apilab.lti.launch import deep_link_response

    who = current_identity(request)
    who.require(INSTRUCTOR)
    data = await run_in_threadpool(deep_link_response, request.app.state.db,
                                   request.app.state.settings, body.launch, body.labs,
                                   str(request.base_url))
    return JSONResponse(data)
