"""Server-sent-event framing for both providers, and a strict parser for tests and tools.

OpenAI streams ``data: {json}`` frames with no ``event:`` line and ends with
``data: [DONE]``. Anthropic streams ``event: <type>`` + ``data: {json}`` where
the event name equals ``data.type`` (the SDK dispatches on the name and drops
unnamed events). Every frame ends with one blank line. JSON is compact and on
one line, so a frame never contains a raw newline inside ``data``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.responses import Response

__all__ = [
    "DONE",
    "JSONBytes",
    "SSEEvent",
    "anthropic_frame",
    "dumps",
    "named_frame",
    "openai_frame",
    "parse_sse",
]

DONE = b"data: [DONE]\n\n"


def dumps(data: Any) -> str:
    """Compact one-line JSON (non-ASCII kept: the stream is UTF-8)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class JSONBytes(Response):
    """A JSON response whose headers are already lower-case and plain ASCII.

    Starlette's ``Response`` re-checks and re-encodes every header; the sandbox's
    own headers never need that, and it is a measurable share of a completion.
    """

    media_type = "application/json"

    def __init__(self, body: str | bytes, status_code: int = 200,
                 headers: dict[str, str] | None = None) -> None:
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status_code = status_code
        self.background = None
        raw = [(b"content-length", str(len(self.body)).encode()),
               (b"content-type", b"application/json")]
        if headers:
            raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.raw_headers = raw


def openai_frame(data: dict[str, Any]) -> bytes:
    """One OpenAI SSE frame: ``data: {json}`` and a blank line."""
    return b"data: " + dumps(data).encode("utf-8") + b"\n\n"


def named_frame(data: dict[str, Any]) -> bytes:
    """One named SSE frame: ``event: <type>``, ``data: {json}`` and a blank line.

    Anthropic's streams and OpenAI's Responses streams both name every event after the
    payload's ``type``.
    """
    event = str(data["type"])
    return ("event: " + event + "\ndata: " + dumps(data) + "\n\n").encode("utf-8")


anthropic_frame = named_frame


@dataclasses.dataclass
class SSEEvent:
    """One parsed event: its name (``None`` when unnamed) and raw data text."""

    event: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(raw: bytes | str) -> list[SSEEvent]:
    """Parse an SSE body per the WHATWG rules (multi-line data joined with newlines).

    Lines starting with ``:`` are comments. A trailing event without its blank
    line is dropped, as a browser would drop it.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    events: list[SSEEvent] = []
    name: str | None = None
    data: list[str] = []
    has_data = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line == "":
            if has_data:
                events.append(SSEEvent(name, "\n".join(data)))
            name, data, has_data = None, [], False
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
            has_data = True
    return events
