"""Tables owned by the sandbox capability (filled in by that capability's change)."""

from __future__ import annotations
