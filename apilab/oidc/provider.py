"""Talking to the identity provider: discovery, its signing keys, the token request.

Every request goes to a URL that is configuration (``<issuer>/.well-known/
openid-configuration``) or that the issuer's own discovery document names; nothing
in a browser's request chooses a URL. Each request has a bounded timeout
(``TIMEOUT``), a bounded answer (``MAX_RESPONSE_BYTES``, counted while reading, with
an unencoded body asked for so the bytes counted are the bytes parsed), follows no
redirect and must answer JSON.

The discovery document and the JWKS are kept per process for ``METADATA_TTL_S``; an
ID token signed with a key id the cached JWKS lacks refetches it once (key rotation).
The token request is Authlib's ``OAuth2Client`` (client authentication, the PKCE
``code_verifier``, OAuth error answers). Blocking (httpx2, like Authlib's client):
the web layer calls this on a worker thread.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from typing import Any

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from joserfc.jwk import KeySet

from apilab.errors import ConfigError
from apilab.oidc.config import OidcConfig, OidcError, OidcUnavailableError, check_url

__all__ = ["MAX_RESPONSE_BYTES", "METADATA_TTL_S", "TIMEOUT", "Metadata", "exchange_code",
           "forget", "key_set", "metadata", "oauth_client"]

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 512 * 1024  # a discovery document, a JWKS or a token answer is a few KB
TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
METADATA_TTL_S = 3600.0
_HEADERS = {"Accept": "application/json", "Accept-Encoding": "identity",
            "User-Agent": "apilab-oidc"}


class _CappedTransport(httpx2.BaseTransport):
    """Reads each answer into memory, refusing it past ``limit`` bytes or encoded."""

    def __init__(self, inner: httpx2.BaseTransport, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self._inner.handle_request(request)
        body = bytearray()
        try:
            if response.headers.get("content-encoding", "identity").lower() != "identity":
                raise OidcUnavailableError(
                    f"The identity provider at {request.url.host} sent a compressed answer "
                    "although apilab asked for none; apilab does not unpack it.")
            for chunk in response.stream:  # type: ignore[union-attr]
                body += chunk
                if len(body) > self._limit:
                    raise OidcUnavailableError(
                        f"The identity provider at {request.url.host} sent an answer larger "
                        f"than {self._limit:,} bytes; apilab stopped reading it.")
        finally:
            response.close()
        return httpx2.Response(response.status_code, headers=response.headers,
                               content=bytes(body), request=request)

    def close(self) -> None:
        self._inner.close()


def _transport() -> httpx2.BaseTransport:
    return _CappedTransport(httpx2.HTTPTransport(), MAX_RESPONSE_BYTES)


@dataclasses.dataclass
class Metadata:
    """What the provider's discovery document says (and its keys, once fetched)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...]
    fetched_at: float
    jwks: dict[str, Any] | None = None
    # RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), when offered.
    end_session_endpoint: str | None = None


_CACHE: dict[str, Metadata] = {}
_LOCK = threading.Lock()


def forget() -> None:
    """Drop every cached discovery document and JWKS (tests; a rotated provider)."""
    with _LOCK:
        _CACHE.clear()


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        with httpx2.Client(transport=_transport(), timeout=TIMEOUT, headers=_HEADERS,
                           follow_redirects=False) as client:
            response = client.get(url)
    except httpx2.HTTPError as exc:
        raise OidcUnavailableError(
            f"Could not reach the identity provider for its {what} ({type(exc).__name__}). "
            "Try again in a minute; if it keeps failing, tell whoever runs this lab.") from exc
    if response.status_code != 200:
        raise OidcUnavailableError(
            f"The identity provider answered {response.status_code} for its {what} "
            f"({url}). Try again later, or tell whoever runs this lab.")
    try:
        data = json.loads(response.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise OidcUnavailableError(f"The identity provider's {what} ({url}) is not a JSON "
                                   "object. Tell whoever runs this lab.")
    return data


def _discover(config: OidcConfig) -> Metadata:
    doc = _get_json(config.discovery_url, "discovery document")
    issuer = str(doc.get("issuer") or "")
    if issuer.rstrip("/") != config.issuer.rstrip("/"):
        raise ConfigError(
            f"The discovery document at {config.discovery_url} names the issuer "
            f"{issuer[:200]!r}, not APILAB_OIDC_ISSUER ({config.issuer}); set "
            "APILAB_OIDC_ISSUER to the provider's issuer exactly.")
    allow_http = config.issuer.startswith("http://")  # only ever a loopback issuer
    endpoints = {name: check_url(doc.get(name), f"The provider's {name}", allow_http=allow_http)
                 for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")}
    methods = doc.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ConfigError("The identity provider does not support PKCE with S256, which "
                          "apilab requires; turn it on for the client (Keycloak: 'Proof Key "
                          "for Code Exchange Code Challenge Method' = S256).")

    def _strings(name: str) -> tuple[str, ...]:
        value = doc.get(name)
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    end_session: str | None = None
    if doc.get("end_session_endpoint") is not None:
        # Optional: a malformed logout endpoint disables provider logout, not sign-in.
        try:
            end_session = check_url(doc["end_session_endpoint"],
                                    "The provider's end_session_endpoint", allow_http=allow_http)
        except ConfigError as exc:
            log.warning("Ignoring the identity provider's logout endpoint: %s", exc)
    return Metadata(issuer=issuer, algorithms=_strings("id_token_signing_alg_values_supported"),
                    auth_methods=_strings("token_endpoint_auth_methods_supported"),
                    fetched_at=time.monotonic(), end_session_endpoint=end_session,
                    **endpoints)


def metadata(config: OidcConfig) -> Metadata:
    """The provider's discovery document (cached ``METADATA_TTL_S``)."""
    now = time.monotonic()
    with _LOCK:
        found = _CACHE.get(config.issuer)
    if found is not None and now - found.fetched_at < METADATA_TTL_S:
        return found
    found = _discover(config)
    with _LOCK:
        _CACHE[config.issuer] = found
    return found


def key_set(meta: Metadata, *, refresh: bool = False) -> KeySet:
    """The provider's public signing keys (its JWKS), fetched once per ``Metadata``."""
    if meta.jwks is None or refresh:
        meta.jwks = _get_json(meta.jwks_uri, "signing keys (JWKS)")
    try:
        return KeySet.import_key_set(meta.jwks)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - joserfc raises several types for a bad JWKS
        meta.jwks = None
        raise OidcUnavailableError("The identity provider's signing keys (JWKS) could not be "
                                   "read. Tell whoever runs this lab.") from exc


def oauth_client(config: OidcConfig, meta: Metadata | None, secret: str | None,
                 redirect_uri: str) -> OAuth2Client:
    """Authlib's client for this provider: PKCE S256, the right client authentication."""
    if not secret:
        method = "none"  # a public client: PKCE alone binds the code to this browser's flow
    elif meta is not None and meta.auth_methods and "client_secret_basic" not in \
            meta.auth_methods and "client_secret_post" in meta.auth_methods:
        method = "client_secret_post"
    else:
        method = "client_secret_basic"
    return OAuth2Client(client_id=config.client_id, client_secret=secret,
                        token_endpoint_auth_method=method, scope="openid email profile",
                        redirect_uri=redirect_uri, code_challenge_method="S256",
                        transport=_transport(), timeout=TIMEOUT, headers=_HEADERS,
                        follow_redirects=False)


_GRANT_ERRORS = {
    "invalid_grant": "The sign-in code was refused by the identity provider: it has expired "
                     "or was already used (a reload of this page uses it twice). Start again "
                     "from the sign-in page.",
    "invalid_client": "The identity provider did not accept this lab's client id or secret. "
                      "Tell whoever runs this lab (APILAB_OIDC_CLIENT_ID, "
                      "APILAB_OIDC_CLIENT_SECRET).",
    "unauthorized_client": "The identity provider does not let this lab's client use the "
                           "authorization code flow. Tell whoever runs this lab.",
}


def exchange_code(config: OidcConfig, meta: Metadata, secret: str | None, *, code: str,
                  verifier: str, redirect_uri: str) -> dict[str, Any]:
    """Trade the authorization code (and the PKCE verifier) for tokens."""
    with oauth_client(config, meta, secret, redirect_uri) as client:
        try:
            token = client.fetch_token(meta.token_endpoint, grant_type="authorization_code",
                                       code=code, code_verifier=verifier,
                                       redirect_uri=redirect_uri)
        except OAuthError as exc:
            error = str(exc.error or "")
            log.info("OIDC token request refused: %s", error[:40])
            raise OidcError(_GRANT_ERRORS.get(error, (
                "The identity provider refused to finish this sign-in. Start again from "
                "the sign-in page; if it keeps failing, tell whoever runs this lab."))) from None
        except httpx2.HTTPError as exc:
            raise OidcUnavailableError(
                f"Could not reach the identity provider to finish signing in "
                f"({type(exc).__name__}). Start again in a minute.") from None
        except ValueError:
            raise OidcUnavailableError("The identity provider's token answer is not JSON. "
                                       "Tell whoever runs this lab.") from None
    return dict(token)
