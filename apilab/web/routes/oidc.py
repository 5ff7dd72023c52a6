"""Routes: OpenID Connect sign-in ("Sign in with <provider>" on the sign-in page).

- ``GET /auth/oidc/start?next=``  sends the browser to the provider (302), setting the
  ``apilab_oidc`` cookie that binds the flow to this browser.
- ``GET /auth/oidc/callback``     the provider's redirect back (``code``, ``state`` or
  ``error``): signs in (the same ``apilab_session`` cookie as a password sign-in) and
  goes to ``next`` (303); any failure is a page saying what happened and what to do.

Both are top-level GET navigations, which the front door lets in cross-site; the
cookie is SameSite=Lax, so the browser sends it on the provider's redirect. The
decisions are ``apilab.oidc``'s (on a worker thread: it makes blocking HTTP calls).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from apilab.content import load_course
from apilab.errors import ConfigError, ForbiddenError, TooBusyError
from apilab.oidc import BROWSER_COOKIE, STATE_TTL_S, OidcUnavailableError
from apilab.web.identity import SESSION_COOKIE, accounts_of
from apilab.web.routes.account import safe_next, set_session_cookie
from apilab.web.templating import context, templates

router = APIRouter()
log = logging.getLogger(__name__)
CALLBACK_PATH = "/auth/oidc/callback"


def redirect_uri(request: Request) -> str:
    """The callback URL to register at the provider (this server's own address)."""
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def _failure(request: Request, exc: Exception) -> HTMLResponse:
    if isinstance(exc, ForbiddenError):
        status, heading = 403, "Sign-in refused"
    elif isinstance(exc, TooBusyError):
        status, heading = 429, "Too many sign-ins from here"
    elif isinstance(exc, OidcUnavailableError):
        status, heading = 502, "The identity provider did not answer properly"
    else:  # ConfigError: the server's OIDC settings are wrong
        status, heading = 500, "Sign-in with the identity provider is misconfigured"
        log.error("OIDC configuration problem: %s", exc)
    return templates.TemplateResponse(request, "signin_error.html", context(
        request, course=load_course(), nav="signin", heading=heading, message=str(exc)),
        status_code=status)


@router.get("/auth/oidc/start", include_in_schema=False, response_model=None)
async def oidc_start(request: Request, next: str | None = None) -> Response:  # noqa: A002
    """Go to the identity provider to sign in."""
    from apilab.oidc import start

    peer = request.client.host if request.client else None
    try:
        await accounts_of(request).limit_external_start(peer)
        started = await run_in_threadpool(
            start, request.app.state.db, request.app.state.settings,
            redirect_uri=redirect_uri(request), next_path=safe_next(next),
            browser_token=request.cookies.get(BROWSER_COOKIE))
    except (ForbiddenError, OidcUnavailableError, ConfigError, TooBusyError) as exc:
        return _failure(request, exc)
    response = RedirectResponse(started.redirect_url, status_code=302)
    response.set_cookie(BROWSER_COOKIE, started.browser_token, max_age=STATE_TTL_S,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path="/auth/oidc")
    return response


@router.get(CALLBACK_PATH, include_in_schema=False, response_model=None)
async def oidc_callback(request: Request) -> Response:
    """The provider's redirect back: finish signing in, or say why not."""
    from apilab.oidc import finish

    params = {k: v[:4000] for k, v in request.query_params.items()
              if k in ("code", "state", "error")}
    try:
        done = await run_in_threadpool(finish, request.app.state.db,
                                       request.app.state.settings, params,
                                       request.cookies.get(BROWSER_COOKIE))
    except (ForbiddenError, OidcUnavailableError, ConfigError) as exc:
        return _failure(request, exc)
    response = RedirectResponse(safe_next(done.next_path), status_code=303)
    # A fresh session; one this browser had before is ended (as for a password sign-in).
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(accounts_of(request).sign_out, old)
    set_session_cookie(request, response, done.sign_in.token, done.sign_in.max_age_s)
    return response
