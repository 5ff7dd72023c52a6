"""The built-in sandbox provider, reached over HTTP like any real provider.

It is the OpenAI adapter pointed at the lab server's own sandbox
(``http://HOST:PORT/sandbox/v1``, or ``APILAB_BASE_URL`` when set). The key is
``SANDBOX_API_KEY`` / the secret file when given, else the lab's own sandbox
key (``apilab.sandbox.keys.ensure_lab_key``, kept in a 0600 file in the data
dir). Calls are priced and budgeted like a real provider: the sandbox bills
with the same price table, which is the point of the cost lessons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from apilab.errors import NeedsKeyError
from apilab.providers.keys import resolve_key
from apilab.providers.openai import OpenAIProvider

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["SandboxProvider", "register", "sandbox_base_url"]


def sandbox_base_url(settings: Settings) -> str:
    """Where the lab server mounts its sandbox (unless APILAB_BASE_URL says otherwise)."""
    if settings.base_url:
        return str(settings.base_url)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}/sandbox/v1"


class SandboxProvider(OpenAIProvider):
    """The lab's own OpenAI-compatible sandbox."""

    name: ClassVar[str] = "sandbox"
    key_env_var: ClassVar[str | None] = "SANDBOX_API_KEY"
    default_model: ClassVar[str] = "gpt-4o-mini"

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxProvider:
        try:
            key = resolve_key("sandbox", settings)
        except NeedsKeyError:
            from apilab.sandbox.keys import ensure_lab_key
            from apilab.storage.db import open_database

            key = ensure_lab_key(open_database(settings.db_url), settings)
        return cls(
            api_key=key,
            base_url=sandbox_base_url(settings),
            label="sandbox",
            billable=True,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )


def register(register: Any) -> None:
    """Register the adapter (the registry's callback)."""
    register(SandboxProvider.from_settings, ["sandbox"])
