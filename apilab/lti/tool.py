"""PyLTI1p3 wired to apilab: its tool config, request, cookies and launch storage.

PyLTI1p3 ships adapters for Django and Flask; these are the same few classes
for plain data: the caller (the web route) reads the form and cookies, hands
them over as dicts, and gets back the cookies to set. Launch state (nonces,
state, launch data) goes to the shared database (``storage.shared``), so the
OIDC login and the launch may be answered by different server processes, and a
nonce is spent on first use (a replayed ``id_token`` fails).

Everything here is blocking (PyLTI1p3 fetches the platform's JWKS with
``requests``): the web layer calls it on a worker thread.
"""

from __future__ import annotations

import functools
import json
import typing as t
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from pylti1p3.cookie import CookieService
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfDict

from apilab.errors import ConfigError
from apilab.lti.keys import key_pair
from apilab.storage import shared

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["ToolCookies", "ToolLaunch", "ToolLogin", "ToolRequest", "http_session",
           "launch_storage", "tool_config"]

HTTP_TIMEOUT_S = 10.0


class _TimeoutSession(requests.Session):
    """A requests session whose calls time out (requests waits forever by default)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    """The session PyLTI1p3 fetches JWKS, tokens and scores with (10 s timeout)."""
    session = _TimeoutSession()
    session.headers["User-Agent"] = "apilab-lti"
    return session


class ToolRequest(Request):
    """A request as PyLTI1p3 sees it: parameters, cookies, whether it came over HTTPS."""

    def __init__(self, params: dict[str, str], cookies: dict[str, str], secure: bool) -> None:
        self._params = params
        self._cookies = cookies
        self._secure = secure

    @property
    def session(self) -> dict[str, Any]:  # unused: launch state lives in the database
        return {}

    def get_param(self, key: str) -> str:
        return self._params.get(key)  # type: ignore[return-value]

    def get_cookie(self, key: str) -> str | None:
        return self._cookies.get(key)

    def is_secure(self) -> bool:
        return self._secure


class ToolCookies(CookieService):
    """Collects the cookies PyLTI1p3 wants set; the route copies them onto its response."""

    def __init__(self, request: ToolRequest) -> None:
        self._request = request
        self.to_set: dict[str, tuple[str, int]] = {}

    def _key(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self._request.get_cookie(self._key(name))

    def set_cookie(self, name: str, value: t.Any, exp: int | None = 3600) -> None:
        self.to_set[self._key(name)] = (str(value), int(exp or 3600))


class _Redirect(Redirect[str]):
    def __init__(self, location: str) -> None:
        self._location = location

    def do_redirect(self) -> str:
        return self._location

    def do_js_redirect(self) -> str:
        return self._location

    def set_redirect_url(self, location: str) -> None:
        self._location = location

    def get_redirect_url(self) -> str:
        return self._location


class ToolLogin(OIDCLogin[ToolRequest, ToolConfDict, SessionService, ToolCookies, str]):
    """The OIDC third-party-initiated login: answers with the platform URL to go to."""

    def get_redirect(self, url: str) -> Redirect[str]:
        return _Redirect(url)


class ToolLaunch(MessageLaunch[ToolRequest, ToolConfDict, SessionService, ToolCookies]):
    """A validated LTI message launch."""

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)


class SharedStorage(LaunchDataStorage[Any]):
    """Launch data in the shared database; nonces are spent on first check."""

    _session_cookie_name = None  # type: ignore[assignment]

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        with self._db.session() as session:
            return shared.get_value(session, self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        with self._db.session() as session:
            shared.put_value(session, self._prepare_key(key), value, float(exp or 86400))

    def check_value(self, key: str) -> bool:
        with self._db.session() as session:
            if "-nonce-" in key:
                return shared.pop_value(session, self._prepare_key(key)) is not None
            return shared.get_value(session, self._prepare_key(key)) is not None


def launch_storage(db: Database, request: ToolRequest) -> SessionService:
    """A PyLTI1p3 session service whose data lives in the shared database."""
    service = SessionService(request)
    storage = SharedStorage(db)
    storage.set_request(request)
    service.set_data_storage(storage)
    return service


def tool_config(settings: Settings) -> ToolConfDict:
    """The platforms this tool trusts (``APILAB_LTI_CONFIG``) with the tool's key pair."""
    if not settings.lti_config:
        raise ConfigError("LTI is not configured: set APILAB_LTI_CONFIG to a JSON file of "
                          "platform registrations (see docs/operations.md).")
    return _tool_config(str(settings.lti_config), *key_pair(settings))


@functools.lru_cache(maxsize=8)
def _tool_config(path: str, private_pem: str, public_pem: str) -> ToolConfDict:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"APILAB_LTI_CONFIG {path!r} is not a readable JSON file: "
                          f"{exc}") from exc
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"APILAB_LTI_CONFIG {path!r} must map each platform issuer to "
                          "its registration(s).")
    try:
        config = ToolConfDict(data)
    except Exception as exc:  # noqa: BLE001 - PyLTI1p3 raises bare Exception on bad config
        raise ConfigError(f"APILAB_LTI_CONFIG {path!r}: {exc}") from exc
    for iss, items in data.items():
        for item in items if isinstance(items, list) else [items]:
            config.set_private_key(iss, private_pem, client_id=item["client_id"])
            config.set_public_key(iss, public_pem, client_id=item["client_id"])
    return config
