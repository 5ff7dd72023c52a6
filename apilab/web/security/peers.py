"""Which peers are trusted reverse proxies (``APILAB_TRUSTED_PROXIES``).

Only a trusted proxy may name the learner (``APILAB_LEARNER_HEADER``): any
other client could send the same header and read someone else's transcript.
The peer is the TCP peer uvicorn reports, never a forwarded-for header.
"""

from __future__ import annotations

import ipaddress

from apilab.errors import ConfigError

__all__ = ["ProxyTrust"]

_LOOPBACK = ("127.0.0.0/8", "::1/128")


class ProxyTrust:
    """A set of networks; ``trusts(address)`` says whether a peer is one of the proxies."""

    def __init__(self, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> None:
        self.networks = networks

    @classmethod
    def from_setting(cls, setting: str | None) -> ProxyTrust:
        """Parse ``a.b.c.d, net/len, ...``; unset means loopback only (a same-host proxy)."""
        items = [s.strip() for s in (setting or "").split(",") if s.strip()] or list(_LOOPBACK)
        networks = []
        for item in items:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ConfigError(
                    f"APILAB_TRUSTED_PROXIES: {item!r} is not an address or network "
                    "(e.g. 127.0.0.1 or 10.0.0.0/8).") from exc
        return cls(networks)

    def trusts(self, address: str | None) -> bool:
        """True when ``address`` (an IP literal) is inside one of the networks."""
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False  # "testclient" and other non-addresses are never trusted
        return any(ip in net for net in self.networks)
