"""Response headers every page and API answer carries.

The pages load scripts and styles only from ``/static`` (no inline script, no
inline ``style`` attribute), so the policy can be strict: an injected
``<script>`` or event handler does not run even if escaping ever failed.
``frame-ancestors 'none'`` (and ``X-Frame-Options`` for older browsers) stops a
site from framing the lab to click its reset or drill buttons.
"""

from __future__ import annotations

__all__ = ["CSP", "SECURITY_HEADERS"]

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
