"""The sign-in itself: ``start`` sends the browser to the provider, ``finish`` signs it in.

``start`` makes a fresh ``state``, ``nonce`` and PKCE ``code_verifier`` and keeps
them in the shared database (``storage.shared``, ten minutes, one use) under the
state, together with the hash of a random browser token that goes into an HttpOnly
cookie: the callback must come back to the *same browser* (a login-CSRF link that
carries someone else's state finds a different cookie), and to any server process.

``finish`` takes that record (so a replayed callback finds nothing), exchanges the
code with the verifier (``provider.exchange_code``) and verifies the ID token: its
signature against the issuer's JWKS with an asymmetric algorithm the issuer
announces (never ``none`` or an HMAC), then Authlib's ``CodeIDToken`` rules: ``iss``
is the discovered issuer, ``aud`` is our client id (``azp`` when there are several
audiences), ``exp`` and ``iat`` with ``LEEWAY_S`` of clock skew, the ``nonce`` we
sent, and ``at_hash`` against the access token. An email counts only with
``email_verified`` true; the allowed domains need one. Then the account is found by
(issuer, subject) or created (``Accounts.oidc_sign_in``).

Every refusal is an ``OidcError`` whose message says what happened and what to do;
none quotes a token, a code or the provider's free-text description.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import re
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from authlib.common.security import generate_token
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)

from apilab.accounts import Accounts
from apilab.accounts.service import SignIn, normalise_email
from apilab.accounts.tokens import new_token, token_hash
from apilab.errors import ConfigError, InvalidInputError
from apilab.oidc import provider
from apilab.oidc.config import (
    OidcConfig,
    OidcError,
    OidcUnavailableError,
    client_secret,
    oidc_config,
)
from apilab.storage import shared
from apilab.storage.models.base import utcnow
from apilab.storage.privacy import purge_expired_values

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["BROWSER_COOKIE", "LEEWAY_S", "STATE_TTL_S", "Finished", "Started", "finish",
           "logout_url", "start", "verify_id_token"]

log = logging.getLogger(__name__)

BROWSER_COOKIE = "apilab_oidc"
STATE_TTL_S = 600
LEEWAY_S = 60
# Asymmetric only: "none" is no signature, and an HMAC would be keyed by the client
# secret, which is not the issuer's key.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")

_PROVIDER_ERRORS = {
    "access_denied": "You (or your identity provider) declined to share your sign-in with "
                     "this lab, so you are not signed in. To use the lab, start again and "
                     "allow it; or ask whoever runs this lab for another way in.",
    "login_required": "Your identity provider needs you to sign in there first. Start again "
                      "from the sign-in page.",
    "consent_required": "Your identity provider needs your consent for this lab. Start again "
                        "and allow it.",
    "interaction_required": "Your identity provider needs you to do something first. Start "
                            "again from the sign-in page.",
    "temporarily_unavailable": "Your identity provider is busy. Try again in a minute.",
}


@dataclasses.dataclass(frozen=True)
class Started:
    """Where the browser goes, and the browser token for the cookie."""

    redirect_url: str
    browser_token: str


@dataclasses.dataclass(frozen=True)
class Finished:
    """A completed sign-in and the same-site path to go to."""

    sign_in: SignIn
    next_path: str


def require_config(settings: Settings) -> OidcConfig:
    """The OIDC configuration, or an ``OidcError`` saying sign-in this way is off."""
    config = oidc_config(settings)
    if config is None:
        raise OidcError("Sign-in with an identity provider is not set up on this server; "
                        "sign in with your email and password.")
    return config


def _key(state: str) -> str:
    return "oidc:" + hashlib.sha256(state.encode()).hexdigest()


def start(db: Database, settings: Settings, *, redirect_uri: str, next_path: str,
          browser_token: str | None) -> Started:
    """Begin a sign-in: remember state, nonce and verifier; the provider's URL to go to."""
    config = require_config(settings)
    meta = provider.metadata(config)
    browser = browser_token if browser_token and _TOKEN.match(browser_token) else new_token()
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    with db.session() as session:
        # Sign-ins started and never finished expire; clear them as new ones arrive.
        purge_expired_values(session, utcnow())
        shared.put_value(session, _key(state), {
            "nonce": nonce, "verifier": verifier, "next": next_path,
            "browser": token_hash(browser), "redirect_uri": redirect_uri}, STATE_TTL_S)
    # Building the URL needs no secret and no network: Authlib adds the S256 challenge.
    with provider.oauth_client(config, None, None, redirect_uri) as client:
        url, _ = client.create_authorization_url(meta.authorization_endpoint, state=state,
                                                 code_verifier=verifier, nonce=nonce)
    return Started(redirect_url=str(url), browser_token=browser)


def _refuse(reason: str, message: str) -> OidcError:
    log.info("OIDC sign-in refused: %s", reason)
    return OidcError(message)


def finish(db: Database, settings: Settings, params: dict[str, str],
           browser_token: str | None) -> Finished:
    """Complete a sign-in from the provider's redirect back (``code`` and ``state``)."""
    config = require_config(settings)
    state = params.get("state") or ""
    pending: dict[str, Any] | None = None
    if 0 < len(state) <= 200:
        with db.session() as session:
            pending = shared.pop_value(session, _key(state))
    error = params.get("error")
    if error:
        code = error if _ERROR_CODE.match(error) else "error"
        raise _refuse(f"provider error {code}", _PROVIDER_ERRORS.get(code, (
            f"Your identity provider stopped the sign-in ({code}). Start again from the "
            "sign-in page; if it keeps failing, tell whoever runs this lab.")))
    if not isinstance(pending, dict):
        raise _refuse("unknown state", (
            "This sign-in link does not match a sign-in started here: it is older than ten "
            "minutes, was already used (a reload or the back button), or was opened from "
            "somewhere else. Start again from the sign-in page."))
    if not browser_token or not hmac.compare_digest(token_hash(browser_token),
                                                    str(pending.get("browser"))):
        raise _refuse("browser mismatch", (
            "This sign-in was started in another browser (or this browser did not keep its "
            "cookie). Start again from the sign-in page, in the browser you want to use."))
    code = params.get("code") or ""
    if not code or len(code) > 4000:
        raise _refuse("no code", "Your identity provider sent no sign-in code. Start again "
                                 "from the sign-in page.")
    meta = provider.metadata(config)
    tokens = provider.exchange_code(config, meta, client_secret(settings), code=code,
                                    verifier=str(pending["verifier"]),
                                    redirect_uri=str(pending["redirect_uri"]))
    claims = verify_id_token(config, meta, tokens, nonce=str(pending["nonce"]))
    email = _email(config, claims)
    signed = Accounts.for_db(db, settings).oidc_sign_in(
        meta.issuer, str(claims["sub"]), email=email, name=_name(claims),
        role=config.default_role, link_email=config.link_email)
    log.info("OIDC sign-in of account %s", signed.identity.account_id)
    return Finished(sign_in=signed, next_path=str(pending.get("next") or "/"))


_CLAIM_MESSAGES = {
    "aud": "The identity provider's answer was meant for another application (its audience "
           "is not this lab's client id). Tell whoever runs this lab: APILAB_OIDC_CLIENT_ID "
           "may not match the provider's client.",
    "azp": "The identity provider's answer was meant for another application (authorized "
           "party). Tell whoever runs this lab.",
    "iss": "The identity provider's answer names another issuer than the configured one. "
           "Tell whoever runs this lab (APILAB_OIDC_ISSUER).",
    "nonce": "The identity provider's answer does not belong to this sign-in (its nonce "
             "differs): it may be a replay. Start again from the sign-in page.",
    "iat": "The identity provider's answer is dated in the future: this server's clock or "
           "the provider's is wrong. Tell whoever runs this lab.",
    "nbf": "The identity provider's answer is not valid yet: this server's clock or the "
           "provider's is wrong. Tell whoever runs this lab.",
}


def verify_id_token(config: OidcConfig, meta: provider.Metadata, tokens: dict[str, Any], *,
                    nonce: str, now: float | None = None) -> dict[str, Any]:
    """The ID token's claims, once its signature and every OIDC rule check out."""
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str) or not id_token or len(id_token) > 20_000:
        raise _refuse("no id_token", (
            "The identity provider sent no ID token (is the 'openid' scope allowed for this "
            "client?). Tell whoever runs this lab."))
    algorithms = [a for a in meta.algorithms if a in ALGORITHMS] or ["RS256"]
    try:
        try:
            decoded = jwt.decode(id_token, provider.key_set(meta), algorithms=algorithms)
        except (InvalidKeyIdError, BadSignatureError):
            # A key id we do not have may be a rotated key: fetch the JWKS again, once.
            decoded = jwt.decode(id_token, provider.key_set(meta, refresh=True),
                                 algorithms=algorithms)
    except BadSignatureError:
        raise _refuse("bad signature", (
            "The ID token's signature does not match the identity provider's keys, so it "
            "was not made by the provider. Start again; if it keeps failing, tell whoever "
            "runs this lab.")) from None
    except (JoseError, ValueError):
        raise _refuse("malformed id_token", (
            "The identity provider's ID token could not be read or is signed with a key or "
            "algorithm it does not publish. Tell whoever runs this lab.")) from None
    claims = CodeIDToken(
        decoded.claims, decoded.header,
        {"iss": {"essential": True, "value": meta.issuer},
         "aud": {"essential": True, "value": config.client_id}},
        {"nonce": nonce, "client_id": config.client_id,
         "access_token": tokens.get("access_token")})
    try:
        claims.validate(now=int(now) if now is not None else int(time.time()), leeway=LEEWAY_S)
    except ExpiredTokenError:
        raise _refuse("expired id_token", (
            "The identity provider's ID token has expired (or this server's clock is "
            "behind). Start again from the sign-in page.")) from None
    except ClaimError as exc:
        raise _refuse(f"claim {exc.claim}", _CLAIM_MESSAGES.get(exc.claim, (
            f"The identity provider's ID token failed a check ({exc.claim}). Start again; "
            "if it keeps failing, tell whoever runs this lab."))) from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise _refuse("bad sub", "The identity provider's ID token names no user. Tell "
                                 "whoever runs this lab.")
    return dict(claims)


def _email(config: OidcConfig, claims: dict[str, Any]) -> str | None:
    """The verified email, checked against the allowed domains (``None``: none usable).

    ``email_verified`` false refuses the sign-in (the person can fix it at the
    provider); a provider that does not say (Entra ID sends no ``email_verified``)
    signs the person in without an email, unless the allowed domains need one.
    """
    raw = claims.get("email")
    verified = claims.get("email_verified")
    if raw and verified is not None and verified is not True \
            and str(verified).lower() != "true":
        raise _refuse("unverified email", (
            "Your identity provider says your email address is not verified. Verify it "
            "with your identity provider (follow the link it sent you), then sign in "
            "again."))
    if not raw or verified is None:
        if config.allowed_domains:
            raise _refuse("no verified email", (
                "Your identity provider did not share a verified email address, and this "
                "lab lets in only some email domains. Allow the lab to see your email (the "
                "'email' scope) and start again, or ask whoever runs this lab."))
        return None
    try:
        email = normalise_email(raw)
    except InvalidInputError:
        raise _refuse("malformed email", "Your identity provider sent an email address this "
                                         "lab cannot read. Tell whoever runs this lab.") from None
    domain = email.rpartition("@")[2]
    if config.allowed_domains and domain not in config.allowed_domains:
        allowed = ", ".join(sorted(config.allowed_domains))
        raise _refuse("domain not allowed", (
            f"This lab accepts sign-ins only from {allowed} addresses, and you signed in as "
            f"{email}. Sign out of your identity provider and sign in with your "
            f"{allowed} account, or ask whoever runs this lab to add {domain}."))
    return email


def _name(claims: dict[str, Any]) -> str | None:
    for key in ("name", "preferred_username", "given_name"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def logout_url(settings: Settings, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser so the provider signs it out too, or ``None``.

    OpenID Connect RP-Initiated Logout 1.0: the provider's ``end_session_endpoint`` with
    ``client_id`` and ``post_logout_redirect_uri`` (which the provider must have registered
    for the client). No ``id_token_hint``: apilab keeps no ID token after sign-in, and the
    spec lets ``client_id`` stand in for it (the provider may then ask the person to
    confirm). ``None`` when OIDC is off, the provider offers no logout, or it cannot be
    reached now: the local sign-out has happened either way.
    """
    config = oidc_config(settings)
    if config is None:
        return None
    try:
        endpoint = provider.metadata(config).end_session_endpoint
    except (OidcUnavailableError, ConfigError):
        log.warning("Could not read the identity provider's logout endpoint; signed out "
                    "here only")
        return None
    if not endpoint:
        return None
    query = urllib.parse.urlencode({"client_id": config.client_id,
                                    "post_logout_redirect_uri": post_logout_redirect_uri})
    return endpoint + ("&" if urllib.parse.urlsplit(endpoint).query else "?") + query
