"""What the Lab 1 workbench puts on the wire and how it reads what comes back.

Building an OpenAI- or Anthropic-style request (and the deliberately broken
ones the one-click scenarios send), redacting keys for display, folding an SSE
stream into text/usage/finish reason, and the one-paragraph explanation of each
outcome. No I/O here: ``workbench.py`` sends and streams.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from apilab.providers.base import BILLING_ERROR_CODES
from apilab.secretscan import redact, redact_text

if TYPE_CHECKING:
    import httpx2

    from apilab.web.routes.workbench import WorkbenchIn

__all__ = [
    "ANTHROPIC_VERSION",
    "EXPLAIN",
    "RESPONSES_MIN_OUTPUT",
    "SCENARIOS",
    "TRUNCATE_AT",
    "USER_AGENT",
    "SSEBuffer",
    "Scrubber",
    "StreamState",
    "build_request",
    "content_of",
    "curl_command",
    "finish_of",
    "outcome_of",
    "redact_headers",
    "sse_frames",
]

ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = "apilab-workbench/0.1"
TRUNCATE_AT = 8  # max_tokens for the truncated-reply scenario
RESPONSES_MIN_OUTPUT = 16  # the Responses API's floor for max_output_tokens

SCENARIOS: dict[str, dict[str, str]] = {
    "malformed": {
        "label": "400 Bad request",
        "intent": "Sends a body that is not valid JSON (it is cut off mid-way).",
    },
    "bad_key": {
        "label": "401 Bad key",
        "intent": "Sends the request with a made-up key the sandbox has never issued.",
    },
    "rate_limit": {
        "label": "429 Rate limit",
        "intent": "Uses a free-tier sandbox key (3 requests per minute) and sends until the "
                  "sandbox refuses one: not streamed, with max_tokens 1 on every request so the "
                  "burst costs almost nothing (your stream and max_tokens settings are not "
                  "used).",
    },
    "unavailable": {
        "label": "503 Unavailable",
        "intent": "Uses a sandbox key whose chaos profile fails every request with a 503.",
    },
    "truncated": {
        "label": "Truncated reply",
        "intent": f"Asks for a long answer with max_tokens {TRUNCATE_AT}.",
    },
}

# What happened and what a client should do, by outcome. One paragraph each.
EXPLAIN: dict[str, str] = {
    "ok": "Success: the model finished on its own (finish_reason `stop` / stop_reason "
          "`end_turn` / status `completed`). Read the text from choices[0].message.content "
          "(Chat Completions), the text blocks in content (Anthropic) or the `output_text` "
          "parts of the message items in `output` (Responses; the SDK's `output_text`), and "
          "log `usage`: it is what you are billed for.",
    "length": "The reply was cut off because it reached max_tokens: finish_reason `length` "
              "(OpenAI), stop_reason `max_tokens` (Anthropic) or status `incomplete` with "
              "`incomplete_details.reason` `max_output_tokens` (Responses), and the output "
              "token count equals the cap. The HTTP status is still 200, so a client that "
              "only checks the status will treat half an answer as complete. Check "
              "finish_reason on every reply; raise max_tokens, ask for a shorter answer, or "
              "continue the reply in a follow-up request. Truncated JSON will not parse.",
    "400": "400 Bad Request: the provider could not accept the request as sent (invalid JSON, "
           "a missing or wrongly typed field, a value out of range). The error body's "
           "`message` (and `param` on OpenAI) says which part. Sending the same request "
           "again will fail the same way: fix the request, do not retry it.",
    "401": "401 Unauthorized: the key is missing, mistyped, revoked or for another provider. "
           "Retrying cannot help. Check that the key is read from the environment (never "
           "hard-coded), that it belongs to this provider, and that it has not been revoked; "
           "rotate it if it may have leaked.",
    "403": "403 Forbidden: the key is valid but not allowed to do this, for example a project "
           "key whose model allow-list does not include this model. Use an allowed model or "
           "a key with the right scope; retrying will not help.",
    "404": "404 Not Found: the model name (or the endpoint path) does not exist for this key. "
           "Check the spelling against the provider's model list (GET /v1/models); do not "
           "retry.",
    "429": "429 Too Many Requests: this key used up its requests-per-minute or "
           "tokens-per-minute budget (the error `type` says which). It clears by itself: wait "
           "at least the `retry-after` / `retry-after-ms` the server sent, then retry with "
           "exponential backoff and jitter, and watch the `x-ratelimit-remaining-*` headers "
           "to slow down before you hit the wall. Retrying at once only adds more refusals.",
    "quota": "429 `insufficient_quota` (or Anthropic's 400 \"credit balance is too low\"): the "
             "spending cap or prepaid credit is used up. This does not clear in seconds: do not "
             "retry; raise the cap or add credit, and alert whoever owns the bill.",
    "500": "500 Internal Server Error: the provider failed while handling a valid request. "
           "It is usually transient: retry a few times with exponential backoff and jitter, "
           "then fail gracefully (or fall back to another model).",
    "503": "503 Service Unavailable: the provider is overloaded or down for a moment (Anthropic "
           "uses 529 `overloaded_error` for the same thing). Retry with exponential backoff "
           "and jitter, honour any `retry-after`, cap the number of attempts, and consider a "
           "fallback model so the user is not left waiting.",
    "timeout": "No response arrived within the read timeout. Set explicit connect and read "
               "timeouts on every call; a timed-out request may be retried with backoff, but "
               "count it against a total deadline.",
    "stream_error": "The stream broke after some output had arrived (a disconnect or a "
                    "malformed chunk). SDKs do not retry mid-stream failures: keep what you "
                    "showed, mark the reply as interrupted, and let the user retry.",
    "budget": "Nothing was sent: apilab's own budget refused the call before it left the "
              "server, because this learner's (or the class's) spending cap would be "
              "exceeded. That is the point of a budget: it fails closed. Use the sandbox, or "
              "ask the instructor to raise the cap.",
}


# --------------------------------------------------------------------------- request building


def build_request(body: WorkbenchIn, key: str) -> tuple[dict[str, str], bytes, str]:
    """Headers, raw body bytes and the pretty body text for display."""
    max_tokens = TRUNCATE_AT if body.scenario == "truncated" else body.max_tokens
    user = body.user
    if body.scenario == "truncated":
        user = "Explain in detail, with examples, how HTTP status codes work."
    if body.style == "responses":
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        payload: dict[str, Any] = {"model": body.model}
        if body.system.strip():
            payload["instructions"] = body.system
        # The Responses API refuses a max_output_tokens below 16.
        payload.update({"input": user, "max_output_tokens": max(RESPONSES_MIN_OUTPUT,
                                                                max_tokens),
                        "temperature": body.temperature})
        if body.stream:
            payload["stream"] = True
    elif body.style == "openai":
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        messages = []
        if body.system.strip():
            messages.append({"role": "system", "content": body.system})
        messages.append({"role": "user", "content": user})
        payload = {
            "model": body.model, "messages": messages, "max_tokens": max_tokens,
            "temperature": body.temperature,
        }
        if body.stream:
            payload["stream"] = True
            payload["stream_options"] = {"include_usage": True}
    else:
        headers = {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION,
                   "Content-Type": "application/json"}
        payload = {"model": body.model, "max_tokens": max_tokens}
        if body.system.strip():
            payload["system"] = body.system
        payload["messages"] = [{"role": "user", "content": user}]
        payload["temperature"] = body.temperature
        if body.stream:
            payload["stream"] = True
    headers["User-Agent"] = USER_AGENT
    if body.stream:
        headers["Accept"] = "text/event-stream"
    pretty = json.dumps(payload, indent=2, ensure_ascii=False)
    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if body.scenario == "malformed":
        # Cut the JSON off mid-way: exactly what a client with a string-building bug sends.
        raw = raw[: max(10, len(raw) // 2)]
        pretty = raw.decode("utf-8", errors="replace")
    return headers, raw, pretty


_CURL_HEADERS = {"content-type", "accept", "anthropic-version", "anthropic-beta",
                 "openai-organization", "openai-project"}
_KEY_VARS = {"sandbox": "SANDBOX_API_KEY", "openai": "OPENAI_API_KEY",
             "anthropic": "ANTHROPIC_API_KEY"}


def curl_command(url: str, headers: dict[str, str], body: str, *, key_source: str) -> str:
    """The same request as a shell command, reading the key from an environment variable.

    ``key_source`` is "sandbox", "openai" or "anthropic" (or "none" for a deliberately
    wrong key); the key itself never appears.
    """
    var = "$" + _KEY_VARS[key_source] if key_source in _KEY_VARS else "not-a-real-key"
    lines = [f"curl {url}"]
    for name, value in headers.items():
        low = name.lower()
        if low == "authorization":
            value = f"Bearer {var}"
        elif low == "x-api-key":
            value = var
        elif low not in _CURL_HEADERS:
            continue  # transport and SDK bookkeeping headers: curl sets its own
        # Double quotes so the shell expands the variable; nothing else here needs escaping.
        lines.append(f'  -H "{name}: {value}"')
    quoted = "'" + body.replace("'", "'\\''") + "'"
    lines.append(f"  -d {quoted}")
    return " \\\n".join(lines)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers as the page shows them: key-bearing values reduced to ``sk-…a1b2``."""
    shown = {}
    for name, value in headers.items():
        low = name.lower()
        if low == "authorization" and value.startswith("Bearer "):
            shown[name] = "Bearer " + redact(value[7:])
        elif low in ("x-api-key", "api-key", "x-goog-api-key"):
            shown[name] = redact(value)
        else:
            shown[name] = value
    return shown


class Scrubber:
    """Removes the key actually used (and anything else that looks like a key) from text."""

    def __init__(self, *secrets_: str) -> None:
        self._secrets = [(s, redact(s)) for s in secrets_ if s]

    def __call__(self, text: str) -> str:
        for secret, shown in self._secrets:
            text = text.replace(secret, shown)
        return redact_text(text)[0] if "-" in text or "_" in text else text


# --------------------------------------------------------------------------- reading replies


def content_of(style: str, data: Any) -> str:
    """The reply text of a whole (non-streamed) response body, in either wire format."""
    if not isinstance(data, dict):
        return ""
    if style == "responses":
        return "".join(str(part.get("text", "")) for item in data.get("output") or []
                       if isinstance(item, dict) and item.get("type") == "message"
                       for part in item.get("content") or []
                       if isinstance(part, dict) and part.get("type") == "output_text")
    if style == "openai":
        choices = data.get("choices") or []
        if choices and isinstance(choices[0], dict):
            return str((choices[0].get("message") or {}).get("content") or "")
        return ""
    return "".join(b.get("text", "") for b in data.get("content") or []
                   if isinstance(b, dict) and b.get("type") == "text")


def finish_of(style: str, data: Any) -> str | None:
    """``finish_reason`` (OpenAI), ``stop_reason`` (Anthropic) or the Responses ``status``
    (with the reason when incomplete: ``incomplete: max_output_tokens``)."""
    if not isinstance(data, dict):
        return None
    if style == "responses":
        return responses_status(data)
    if style == "openai":
        choices = data.get("choices") or []
        return choices[0].get("finish_reason") if choices and isinstance(choices[0], dict) \
            else None
    return data.get("stop_reason")


def responses_status(response: dict[str, Any]) -> str | None:
    """A Responses object's ``status``, with the reason when it is incomplete."""
    status = response.get("status")
    reason = (response.get("incomplete_details") or {}).get("reason")
    return f"{status}: {reason}" if status == "incomplete" and reason else status


class StreamState:
    """Folds upstream SSE events into the text, usage and finish reason."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.text: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.finish: str | None = None
        self.error: Any = None
        self.first_token_at: float | None = None
        self.done = False

    def feed(self, event: str | None, data: Any, now: float) -> None:
        """Take one parsed ``data:`` payload (and its ``event:`` name) arriving at ``now``."""
        if not isinstance(data, dict):
            return
        if "error" in data and (self.style == "openai" or data.get("type") == "error") \
                and self.style != "responses":
            self.error = data["error"]
            return
        piece = ""
        if self.style == "responses":
            kind = data.get("type") or event
            if kind == "response.output_text.delta":
                piece = str(data.get("delta") or "")
            elif kind in ("response.completed", "response.incomplete", "response.failed"):
                response = data.get("response") or {}
                self.usage = response.get("usage") or self.usage
                self.finish = responses_status(response)
                self.done = True
                if kind == "response.failed":
                    self.error = response.get("error") or {"message": "The response failed."}
            elif kind == "error":
                self.error = {k: data.get(k) for k in ("code", "message", "param")}
        elif self.style == "openai":
            for choice in data.get("choices") or []:
                delta = choice.get("delta") or {}
                piece += delta.get("content") or ""
                if choice.get("finish_reason"):
                    self.finish = choice["finish_reason"]
            if data.get("usage"):
                self.usage = data["usage"]
        else:
            kind = data.get("type") or event
            if kind == "message_start":
                self.usage = dict((data.get("message") or {}).get("usage") or {})
            elif kind == "content_block_delta":
                piece = (data.get("delta") or {}).get("text") or ""
            elif kind == "message_delta":
                self.finish = (data.get("delta") or {}).get("stop_reason") or self.finish
                # message_delta usage is cumulative: it replaces, never adds to, what we have.
                self.usage = {**(self.usage or {}), **(data.get("usage") or {})}
            elif kind == "message_stop":
                self.done = True
        if piece:
            self.text.append(piece)
            if self.first_token_at is None:
                self.first_token_at = now


def outcome_of(status: int | None, finish: str | None, error: Any) -> str:
    """The EXPLAIN key for what happened."""
    if status is None:
        return "timeout"
    if status == 200:
        if error:
            return "stream_error"
        cut = finish in ("length", "max_tokens") or (finish or "").startswith("incomplete")
        return "length" if cut else "ok"
    err = error if isinstance(error, dict) else {}
    if err.get("code") in BILLING_ERROR_CODES or err.get("type") == "insufficient_quota" or (
        status == 400 and "credit" in str(err.get("message", "")).lower()
    ):
        return "quota"
    if status in (502, 503, 504, 529):
        return "503"
    if status >= 500:
        return "500"
    return str(status) if str(status) in EXPLAIN else "400"


async def sse_frames(response: httpx2.Response) -> AsyncIterator[tuple[str | None, str]]:
    """(event name, data) for each SSE frame, as the frames arrive."""
    event: str | None = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event, "\n".join(data)


class SSEBuffer:
    """Cuts a byte stream into SSE frames as bytes arrive (frames may span chunks)."""

    def __init__(self) -> None:
        self._text = ""

    def feed(self, chunk: bytes | str) -> list[tuple[str | None, str]]:
        """Add a chunk; return the (event name, data) of every frame it completed."""
        text = chunk.decode("utf-8", errors="replace") if isinstance(chunk, bytes) else chunk
        self._text += text.replace("\r\n", "\n")
        frames = []
        while "\n\n" in self._text:
            block, self._text = self._text.split("\n\n", 1)
            event: str | None = None
            data = []
            for line in block.split("\n"):
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
            if data:
                frames.append((event, "\n".join(data)))
        return frames
