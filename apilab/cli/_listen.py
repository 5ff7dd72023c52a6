"""Listening sockets for ``apilab serve`` and ``apilab sandbox``: bind first, announce last.

``bind(host, port, hint)`` takes the port before anything else starts, so a port that is
taken is one line naming the flag that changes it (exit 2 through ``exit_on_error``), not
"running at ..." followed by uvicorn's ``Errno 98``. ``run(app, sock, announce, ...)``
serves on that socket and prints the announcement only once the server is listening.
This module must not build apps or read settings; the commands do.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

from apilab.errors import ConfigError

__all__ = ["PortInUseError", "bind", "run"]


class PortInUseError(ConfigError):
    """Another process is listening on the port."""


def bind(host: str, port: int, hint: str) -> socket.socket:
    """A socket bound to ``host:port``; ``hint`` names the flag (and variable) that moves it."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"Cannot listen on {host!r}: {exc.strerror}. Use --host with an "
                          "address of this machine, e.g. 127.0.0.1.") from None
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a connection of a previous run in TIME_WAIT must not block a restart
    # (a port another process *listens* on is still refused on Linux and macOS).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(f"Port {port} is already in use on {host} (another apilab, "
                                 f"or another server?). {hint}") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(f"Not allowed to listen on {where} (ports below 1024 need "
                              f"privileges). {hint}") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"{host} is not an address of this machine. Use --host "
                              "127.0.0.1 (this machine only) or 0.0.0.0 (every interface).") \
                from None
        raise ConfigError(f"Cannot listen on {where}: {exc.strerror}.") from None
    return sock


def run(app: Any, sock: socket.socket, announce: Callable[[], None], **config: Any) -> None:
    """Serve ``app`` with uvicorn on ``sock``; call ``announce`` once it accepts connections."""
    import uvicorn

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and not self.should_exit:
                announce()

    host, port = sock.getsockname()[:2]
    server = _Server(uvicorn.Config(app, host=host, port=port, **config))
    server.run(sockets=[sock])
