"""The lab server's front-door defences (see docs/security.md for the threat model).

- ``middleware.SecurityMiddleware``: Host allow-list (DNS rebinding), same-origin
  rules for state-changing requests (JSON only, ``Origin`` / ``Sec-Fetch-Site``),
  a body size limit (413), strict JSON bodies, and the response headers (CSP,
  nosniff, frame-ancestors, Referrer-Policy).
- ``peers``: which peer addresses are trusted reverse proxies.
- ``tokens``: the per-install tokens a page receives (folder-scan proof, CSRF).

Engines never import this package; it only guards the HTTP edge.
"""

from apilab.web.security.middleware import BodyTooLargeError, SecurityMiddleware, SecurityPolicy
from apilab.web.security.peers import ProxyTrust
from apilab.web.security.tokens import InstallTokens

__all__ = ["BodyTooLargeError", "InstallTokens", "ProxyTrust", "SecurityMiddleware",
           "SecurityPolicy"]
