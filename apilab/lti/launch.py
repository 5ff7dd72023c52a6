"""LTI 1.3 login and launch: an LMS user becomes an account, an LMS course a class.

- ``login``: the platform's third-party-initiated OIDC login; answers with the
  platform URL the browser goes to next (state cookie and nonce saved).
- ``launch``: validates the ``id_token`` (signature against the platform's
  JWKS, nonce spent once, state, deployment, message type) with PyLTI1p3, then
  signs the user in (account keyed by ``issuer|sub``; LMS instructors and
  administrators become instructors, everyone else a learner), puts them in the
  class that stands for the LMS course (created on first launch), records where
  the LMS wants the grade (AGS line item), and says where to go: the lab named by
  the resource link's ``lab`` custom parameter (or its target ``/labs/<id>``), or
  the deep-linking picker.
- ``deep_link_response``: the signed ``LtiDeepLinkingResponse`` for the labs an
  instructor picked.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from typing import TYPE_CHECKING, Any

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException

from apilab.accounts import INSTRUCTOR, LEARNER, Accounts
from apilab.accounts.service import SignIn
from apilab.content import load_course
from apilab.errors import ForbiddenError, InvalidInputError, NotFoundError
from apilab.lti.tool import (
    ToolCookies,
    ToolLaunch,
    ToolLogin,
    ToolRequest,
    http_session,
    launch_storage,
    tool_config,
)
from apilab.storage import classes as class_repo
from apilab.storage.models.accounts import ClassRoom, LtiLink

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["LaunchResult", "LoginResult", "LtiError", "deep_link_response", "deep_link_return_url",
           "launch", "login"]

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
_TEACHING = ("#Instructor", "#Administrator", "#ContentDeveloper", "#TeachingAssistant",
             "/Instructor", "/Administrator")
_LAB_PATH = re.compile(r"/labs/([a-z0-9-]{1,64})")


class LtiError(ForbiddenError):
    """An LTI message that did not validate (403, with PyLTI1p3's reason)."""


@dataclasses.dataclass(frozen=True)
class LoginResult:
    """Where the browser goes next, and the cookies to set on the way."""

    redirect_url: str
    cookies: dict[str, tuple[str, int]]


@dataclasses.dataclass(frozen=True)
class LaunchResult:
    """A validated launch: who is signed in and where they go."""

    sign_in: SignIn
    target: str
    deep_link: bool
    launch_id: str
    cookies: dict[str, tuple[str, int]]


def login(db: Database, settings: Settings, params: dict[str, str], cookies: dict[str, str],
          secure: bool, launch_url: str) -> LoginResult:
    """Answer the platform's OIDC login initiation."""
    request = ToolRequest(params, cookies, secure)
    jar = ToolCookies(request)
    oidc = ToolLogin(request, tool_config(settings), launch_storage(db, request), jar)
    try:
        url = oidc.redirect(launch_url)
    except (OIDCException, LtiException) as exc:
        raise LtiError(f"LTI login refused: {exc}") from None
    return LoginResult(str(url), jar.to_set)


def _role(body: dict[str, Any]) -> str:
    roles = body.get(CLAIM + "roles") or []
    return INSTRUCTOR if any(str(r).endswith(_TEACHING) for r in roles) else LEARNER


def _lab_of(body: dict[str, Any]) -> str | None:
    custom = body.get(CLAIM + "custom") or {}
    lab = custom.get("lab") if isinstance(custom, dict) else None
    if not lab:
        match = _LAB_PATH.search(str(body.get(CLAIM + "target_link_uri") or ""))
        lab = match.group(1) if match else None
    if not lab:
        return None
    try:
        return load_course().lab(str(lab)).id
    except NotFoundError:
        return None


def _class_for(session: Any, body: dict[str, Any], account_id: int, role: str) -> ClassRoom:
    """The class standing for the launch's LMS course, created on first sight."""
    from apilab.classes.rooms import new_join_code

    context = body.get(CLAIM + "context") or {}
    deployment = str(body.get(CLAIM + "deployment_id") or "")
    key = f"{body['iss']}|{deployment}|{context.get('id') or 'no-context'}"[:600]
    room = class_repo.class_by_lti_context(session, key)
    if room is None:
        title = str(context.get("title") or context.get("label") or "LMS course")[:200]
        base = re.sub(r"[^a-z0-9]+", "-", str(context.get("label") or title).lower())
        base = base.strip("-")[:40] or "lms"
        slug = f"{base}-{new_join_code().replace('-', '').lower()[:6]}"
        room = ClassRoom(slug=slug, name=title, join_code=new_join_code(), open_labs=[],
                         lti_context=key, owner_id=account_id if role == INSTRUCTOR else None)
        session.add(room)
        session.flush()
    elif room.owner_id is None and role == INSTRUCTOR:
        room.owner_id = account_id
    class_repo.add_member(session, room.id, account_id, role)
    return room


def launch(db: Database, settings: Settings, params: dict[str, str], cookies: dict[str, str],
           secure: bool) -> LaunchResult:
    """Validate a launch, sign the user in, and say where they go."""
    request = ToolRequest(params, cookies, secure)
    jar = ToolCookies(request)
    message = ToolLaunch(request, tool_config(settings), launch_storage(db, request), jar,
                         requests_session=http_session())
    try:
        body = dict(message.get_launch_data())
    except (LtiException, OIDCException) as exc:
        raise LtiError(f"LTI launch refused: {exc}") from None
    issuer, subject = str(body["iss"]), str(body.get("sub") or "")
    if not subject:
        raise LtiError("LTI launch refused: the platform sent no user (an anonymous launch).")
    role = _role(body)
    accounts = Accounts.for_db(db, settings)
    email = str(body.get("email") or "").strip().lower() or None
    signed = accounts.external_sign_in(
        f"{issuer}|{subject}"[:400], email=email, name=body.get("name"), role=role,
        via="lti")
    account_id = signed.identity.account_id
    assert account_id is not None
    lab = _lab_of(body)
    with db.session() as session:
        room = _class_for(session, body, account_id, role)
        ags = body.get(AGS_CLAIM) or {}
        lineitem = ags.get("lineitem") if isinstance(ags, dict) else None
        scopes = ags.get("scope") or [] if isinstance(ags, dict) else []
        if lab and lineitem and SCORE_SCOPE in scopes:
            existing = [link for link in class_repo.lti_links_of(session, account_id, lab)
                        if link.lineitem == lineitem]
            if not existing:
                session.add(LtiLink(account_id=account_id, class_id=room.id, lab_id=lab,
                                    issuer=issuer, client_id=message.get_client_id(),
                                    lineitem=str(lineitem)[:600], user_sub=subject[:300],
                                    ags=ags))
    from apilab.classes import Classes

    Classes.for_db(db, settings).forget()
    deep = message.is_deep_link_launch()
    if deep:
        if role != INSTRUCTOR:
            raise LtiError("Only an instructor can add labs to a course.")
        target = "/lti/deep-link?launch=" + urllib.parse.quote(message.get_launch_id())
    else:
        target = f"/labs/{lab}" if lab else "/"
    return LaunchResult(sign_in=signed, target=target, deep_link=deep,
                        launch_id=message.get_launch_id(), cookies=jar.to_set)


def deep_link_response(db: Database, settings: Settings, launch_id: str, lab_ids: list[str],
                       base_url: str) -> dict[str, str]:
    """The signed deep-linking response (and where to post it) for the chosen labs."""
    if not lab_ids:
        raise InvalidInputError("Pick at least one lab.")
    course = load_course()
    labs = [course.lab(lab_id) for lab_id in lab_ids[:10]]
    request = ToolRequest({}, {}, base_url.startswith("https"))
    try:
        message = ToolLaunch.from_cache(launch_id, request, tool_config(settings),
                                        session_service=launch_storage(db, request),
                                        cookie_service=ToolCookies(request))
        deep = message.get_deep_link()
    except (LtiException, OIDCException) as exc:
        raise LtiError(f"This deep-linking request has expired: {exc}") from None
    resources = [
        DeepLinkResource().set_url(base_url.rstrip("/") + "/lti/launch")
        .set_custom_params({"lab": lab.id}).set_title(lab.title)
        for lab in labs]
    return {"return_url": return_url(message), "jwt": deep.get_response_jwt(resources)}


def return_url(message: ToolLaunch) -> str:
    """Where a deep-linking response is posted (the platform's URL from the launch)."""
    claim = message.get_launch_data().get(DL_CLAIM) or {}
    return str(claim.get("deep_link_return_url") or "")


def deep_link_return_url(db: Database, settings: Settings, launch_id: str) -> str:
    """The platform URL the picker page will post its response to."""
    request = ToolRequest({}, {}, False)
    try:
        message = ToolLaunch.from_cache(launch_id, request, tool_config(settings),
                                        session_service=launch_storage(db, request),
                                        cookie_service=ToolCookies(request))
    except (LtiException, OIDCException) as exc:
        raise LtiError(f"This deep-linking request has expired: {exc}") from None
    if not message.is_deep_link_launch():
        raise LtiError("That launch was not a deep-linking request.")
    return return_url(message)
