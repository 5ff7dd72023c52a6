"""Server-Sent Events framing for the lab pages.

Hand-written because it is four lines: ``event:``/``data:`` per the HTML
spec, one JSON object per event, a blank line between events.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["sse_event"]


def sse_event(event: str, data: Any) -> bytes:
    """One SSE frame: ``event: NAME`` and a single-line JSON ``data:``."""
    payload = json.dumps(data, separators=(",", ":"), default=str, ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()
