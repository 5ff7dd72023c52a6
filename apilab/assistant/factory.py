"""Choose the assistant backend from settings.

``offline`` is the built-in tutor; every other backend is a model reached
through the call layer (``assistant/model.py``), which falls back to the
offline tutor when the model cannot answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apilab.assistant.base import Assistant
    from apilab.settings import Settings

__all__ = ["get_assistant"]


def get_assistant(settings: Settings) -> Assistant:
    """The assistant for ``settings.backend``."""
    if settings.backend == "offline":
        from apilab.assistant.offline import OfflineTutor

        return OfflineTutor()
    from apilab.assistant.model import ModelAssistant

    return ModelAssistant.from_settings(settings)
