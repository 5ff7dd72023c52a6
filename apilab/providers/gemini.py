"""Google Gemini through its **OpenAI-compatible endpoint** with the official ``openai`` SDK.

Base URL ``https://generativelanguage.googleapis.com/v1beta/openai/`` with
``Authorization: Bearer $GEMINI_API_KEY``: chat, streaming and function calling
work unchanged, so this adapter is the OpenAI adapter with Gemini's URL, key
variable and default model. (The native ``generateContent`` API is not used;
its error shapes still reach us, translated by the same status table.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from apilab.providers.keys import resolve_key
from apilab.providers.openai import OpenAIProvider

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["GEMINI_OPENAI_BASE_URL", "GeminiProvider", "register"]

GEMINI_OPENAI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"


class GeminiProvider(OpenAIProvider):
    """Gemini via its OpenAI-compatible endpoint."""

    name: ClassVar[str] = "gemini"
    key_env_var: ClassVar[str | None] = "GEMINI_API_KEY"
    default_model: ClassVar[str] = "gemini-2.0-flash"

    @classmethod
    def from_settings(cls, settings: Settings) -> GeminiProvider:
        return cls(
            api_key=resolve_key("gemini", settings),
            base_url=GEMINI_OPENAI_BASE_URL,
            label="gemini",
            billable=True,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )


def register(register: Any) -> None:
    """Register the adapter (the registry's callback)."""
    register(GeminiProvider.from_settings, ["gemini"])
