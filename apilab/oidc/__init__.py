"""Optional OpenID Connect sign-in: "Sign in with <provider>" beside email and password.

Configured by ``APILAB_OIDC_ISSUER`` and ``APILAB_OIDC_CLIENT_ID`` (plus the client
secret, ``APILAB_OIDC_CLIENT_SECRET``, in the secret file or the environment); off
when they are unset.

- ``config``: the checked settings and the two errors (``OidcError``: refused, 403;
  ``OidcUnavailableError``: the provider could not be reached or made no sense);
- ``provider``: discovery, the JWKS and the token request, with bounded timeouts and
  answer sizes (Authlib's ``OAuth2Client`` for PKCE and client authentication;
  joserfc for JWKS and signatures);
- ``flow``: ``start`` (state, nonce and PKCE verifier kept server-side, bound to the
  browser by a cookie) and ``finish`` (code exchange, ID-token verification with
  Authlib's ``CodeIDToken`` rules, then ``Accounts.oidc_sign_in``), and ``logout_url``
  (RP-initiated logout at the provider after a local sign-out).

The account is found by (issuer, subject), the identity an OIDC provider promises
never to reassign; a first sign-in creates one. An existing local account with the
same (verified) email is taken over only if ``APILAB_OIDC_LINK_EMAIL`` allows it.
Blocking code: the web door calls it on a worker thread. Never imports ``web``.
"""

from apilab.oidc.config import OidcConfig, OidcError, OidcUnavailableError, oidc_config
from apilab.oidc.flow import (
    BROWSER_COOKIE,
    STATE_TTL_S,
    Finished,
    Started,
    finish,
    logout_url,
    start,
)

__all__ = ["BROWSER_COOKIE", "STATE_TTL_S", "Finished", "OidcConfig", "OidcError",
           "OidcUnavailableError", "Started", "finish", "logout_url", "oidc_config",
           "start"]
