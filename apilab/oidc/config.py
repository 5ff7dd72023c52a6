"""What OIDC sign-in is configured with, and its two errors.

``oidc_config(settings)`` is ``None`` unless both ``APILAB_OIDC_ISSUER`` and
``APILAB_OIDC_CLIENT_ID`` are set. The client secret is not part of it: it is read
from the secret file or the environment (``providers.keys.read_secret``) only when
the token request is made, so it never sits in an object that could be printed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import urllib.parse
from typing import TYPE_CHECKING

from apilab.accounts import INSTRUCTOR, LEARNER
from apilab.errors import ApilabError, ConfigError, ForbiddenError

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["SECRET_VAR", "OidcConfig", "OidcError", "OidcUnavailableError", "check_url",
           "client_secret", "oidc_config"]

SECRET_VAR = "APILAB_OIDC_CLIENT_SECRET"


class OidcError(ForbiddenError):
    """An OIDC sign-in that was refused; the message says why and what to do (403)."""


class OidcUnavailableError(ApilabError):
    """The identity provider could not be reached or answered nonsense (the page says so)."""


@dataclasses.dataclass(frozen=True)
class OidcConfig:
    """The OIDC settings, checked (never the client secret)."""

    issuer: str
    client_id: str
    name: str
    allowed_domains: frozenset[str]
    default_role: str
    link_email: bool

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: object, what: str, *, allow_http: bool) -> str:
    """``url`` if it is an absolute https URL (http only when ``allow_http``)."""
    text = str(url or "")
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) \
            or not parts.hostname or len(text) > 2000:
        raise ConfigError(f"{what} must be an https:// URL, not {text[:200]!r}.")
    return text


def oidc_config(settings: Settings) -> OidcConfig | None:
    """The checked OIDC configuration, or ``None`` when OIDC sign-in is off."""
    issuer, client_id = settings.oidc_issuer, settings.oidc_client_id
    if not issuer or not client_id:
        return None
    host = urllib.parse.urlsplit(str(issuer)).hostname or ""
    # Plain http only for a provider on this machine (a development Keycloak, the tests).
    check_url(issuer, "APILAB_OIDC_ISSUER", allow_http=_loopback(host))
    role = str(settings.oidc_default_role or LEARNER).strip().lower()
    if role not in (LEARNER, INSTRUCTOR):
        raise ConfigError("APILAB_OIDC_DEFAULT_ROLE must be learner or instructor: anyone the "
                          "provider signs in gets it (make admins with `apilab users "
                          "set-role`).")
    domains = frozenset(d.strip().lower().lstrip("@") for d in
                        str(settings.oidc_allowed_domains or "").split(",") if d.strip())
    return OidcConfig(issuer=str(issuer), client_id=str(client_id),
                      name=str(settings.oidc_name or host)[:60], allowed_domains=domains,
                      default_role=role, link_email=bool(settings.oidc_link_email))


def client_secret(settings: Settings) -> str | None:
    """The client secret (secret file, then environment), or ``None`` for a public client."""
    from apilab.providers.keys import read_secret

    return read_secret(settings, SECRET_VAR)
