"""Tables owned by the drill capability (filled in by that capability's change)."""

from __future__ import annotations
