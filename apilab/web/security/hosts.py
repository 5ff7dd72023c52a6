"""The Host allow-list: a page served under a name we did not choose is refused.

DNS rebinding points an attacker's name at 127.0.0.1; the browser then treats
the lab as the attacker's origin and lets their script read every response.
Refusing any ``Host`` outside the allow-list breaks that, because the browser
still sends the attacker's name.
"""

from __future__ import annotations

import ipaddress

__all__ = ["allowed_hosts", "host_name"]

_WILDCARD_BINDS = {"0.0.0.0", "::", ""}
_ALWAYS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(setting: str | None, bind_host: str) -> frozenset[str] | None:
    """Lower-case host names the server answers to; ``None`` means any (``'*'``)."""
    if setting is not None and setting.strip():
        names = {h.strip().lower().strip("[]") for h in setting.split(",") if h.strip()}
        return None if "*" in names else frozenset(names)
    names = set(_ALWAYS)
    if bind_host not in _WILDCARD_BINDS:
        names.add(bind_host.lower().strip("[]"))
    return frozenset(names)


def host_name(header: str) -> str:
    """The name part of a ``Host`` header: no port, no IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8000
        return header[1:header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    try:  # a bare IPv6 address has several colons and no port
        return str(ipaddress.ip_address(header))
    except ValueError:
        return header
