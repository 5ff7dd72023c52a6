"""The provider registry: adapters by name, loaded lazily and once.

``DEFAULT_PROVIDERS`` names modules under ``apilab.providers``; the first
lookup imports each and calls its ``register(register)`` with a callback taking
a factory (``settings -> Provider``) and its names. Tests register fakes
through the same callback (``register_provider``). Nothing is imported at
module import time.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from apilab.errors import ConfigError

if TYPE_CHECKING:
    from apilab.providers.base import Provider
    from apilab.settings import Settings

__all__ = ["DEFAULT_PROVIDERS", "ProviderFactory", "get_provider", "provider_names",
           "register_provider", "unregister_provider"]

DEFAULT_PROVIDERS = ("openai", "anthropic", "gemini", "sandbox", "offline")

ProviderFactory = Callable[["Settings"], "Provider"]

_FACTORIES: dict[str, ProviderFactory] = {}
_LOADED = False
_LOCK = threading.RLock()


def register_provider(factory: ProviderFactory, names: Iterable[str]) -> None:
    """Register ``factory`` under each of ``names`` (the ``register`` callback)."""
    with _LOCK:
        for name in names:
            _FACTORIES[name] = factory


def unregister_provider(name: str) -> None:
    """Remove a name (tests)."""
    with _LOCK:
        _FACTORIES.pop(name, None)


def _load() -> None:
    global _LOADED
    with _LOCK:
        if _LOADED:
            return
        _LOADED = True  # set first: a module may look others up while registering
        for module_name in DEFAULT_PROVIDERS:
            module = importlib.import_module(f"apilab.providers.{module_name}")
            module.register(register_provider)


def provider_names() -> list[str]:
    """Every registered provider name."""
    _load()
    return sorted(_FACTORIES)


def get_provider(name: str, settings: Settings) -> Provider:
    """A new adapter for ``name``; ``NeedsKeyError`` if its key is missing."""
    _load()
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ConfigError(
            f"Unknown provider {name!r}. Known: {', '.join(sorted(_FACTORIES))}. "
            "Check APILAB_BACKEND / APILAB_FALLBACK."
        )
    return factory(settings)
