"""Same-origin helpers shared by the lab's front door and the standalone sandbox.

A browser attaches ``Origin`` to every cross-origin request that changes state
and ``Sec-Fetch-Site`` to every request; a page on another site can send a
form, ``text/plain`` or multipart body without a CORS preflight, but never
``application/json``. These functions read those facts; the callers decide.
A leaf module: it imports nothing from apilab.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["SAFE_METHODS", "cross_site", "is_json", "is_loopback_bind", "must_be_json",
           "same_origin"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME_ORIGIN_SITES = frozenset({"same-origin", "none"})


def is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json`` (parameters ignored)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


def must_be_json(method: str, content_length: str | None, transfer_encoding: str | None) -> bool:
    """Whether a request must carry a JSON body to be accepted.

    Every POST (the one state-changing method a page on another site can send
    without a CORS preflight, as a form or ``text/plain``), and any other unsafe
    method that has a body. A body-less PUT or DELETE cannot come cross-site
    without a preflight we never grant, so it needs no content type.
    """
    if method in SAFE_METHODS:
        return False
    if method == "POST":
        return True
    return bool(transfer_encoding) or (content_length or "0").strip() not in ("", "0")


def cross_site(sec_fetch_site: str | None) -> bool:
    """True when the browser says the request came from another site (or a sibling one)."""
    return sec_fetch_site is not None and sec_fetch_site.lower() not in _SAME_ORIGIN_SITES


def _origin_netloc(origin: str) -> str | None:
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return host if port == default else f"{host}:{port}"


def same_origin(origin: str, host_header: str) -> bool:
    """``Origin`` names the server the request was sent to (host and port).

    The scheme is not compared: behind a TLS proxy the server sees http while the
    page is https. ``null`` (sandboxed frames, file pages) is never same-origin.
    """
    netloc = _origin_netloc(origin.strip())
    if netloc is None:
        return False
    host = host_header.strip().lower()
    for default in (":80", ":443"):
        if host.endswith(default):
            host = host[: -len(default)]
    return netloc == host


def is_loopback_bind(bind_host: str) -> bool:
    """True when the server listens on loopback only (127.0.0.0/8, ::1 or localhost)."""
    if bind_host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind_host.strip().strip("[]")).is_loopback
    except ValueError:
        return False
