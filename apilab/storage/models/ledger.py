"""Tables owned by the ledger capability (filled in by that capability's change)."""

from __future__ import annotations
