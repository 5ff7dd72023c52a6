"""The offline tutor: retrieval over answer cards and lessons, plus the lab's tools.

``OfflineTutor`` is the default backend (``APILAB_BACKEND=offline``) and the
fallback of every model backend. See docs/tutor.md.
"""

from apilab.assistant.offline.tutor import OFFLINE_NOTE, OfflineTutor

__all__ = ["OFFLINE_NOTE", "OfflineTutor"]
