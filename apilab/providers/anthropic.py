"""Anthropic Messages through the official ``anthropic`` SDK (``max_retries=0``).

Maps the neutral ``Call`` onto Messages: ``system`` is a top-level field,
``max_tokens`` is required, tools become ``{name, description, input_schema}``,
an assistant's tool calls become ``tool_use`` blocks and tool results become a
user turn of ``tool_result`` blocks. Usage is normalised so that
``Usage.input_tokens`` counts every prompt token (Anthropic reports cache reads
and writes separately from ``input_tokens``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

import anthropic
import httpx2  # the SDK's HTTP library (it refuses plain httpx objects)

from apilab.calls.base import Call, Chunk, Final, Result, StreamEvent, ToolCall, Usage
from apilab.providers.base import Provider, mask_key, rate_limit_state, translate_error
from apilab.providers.keys import resolve_key

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["AnthropicProvider", "register"]

# The dated API version the pinned SDK sends (2026-10-21 in anthropic 2.16); the inspector
# shows it. The SDK keeps it in a private module, so read it defensively.
ANTHROPIC_VERSION: str = getattr(getattr(anthropic, "_constants", None), "ANTHROPIC_API_VERSION",
                                 "2023-06-01")


class AnthropicProvider(Provider):
    """Anthropic's Messages API (or a compatible server such as the sandbox)."""

    name: ClassVar[str] = "anthropic"
    key_env_var: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    default_model: ClassVar[str] = "claude-haiku-4-5"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        label: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        self._key = api_key
        self.label = label or self.name
        self.client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,  # the call layer is the only retry loop
            timeout=httpx2.Timeout(read_timeout, connect=connect_timeout),
            http_client=http_client,
        )

    @property
    def key_scope(self) -> str:
        return hashlib.sha256(self._key.encode()).hexdigest()[:12]

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        return cls(api_key=resolve_key("anthropic", settings),
                   connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)

    @staticmethod
    def messages(call: Call) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in call.messages:
            role = m.get("role")
            if role == "assistant" and m.get("tool_calls"):
                blocks: list[dict[str, Any]] = []
                if m.get("content"):
                    blocks.append({"type": "text", "text": m["content"]})
                for tc in m["tool_calls"]:
                    blocks.append({"type": "tool_use", "id": tc["id"], "name": tc["name"],
                                   "input": json.loads(tc["arguments"] or "{}")})
                out.append({"role": "assistant", "content": blocks})
            elif role == "tool":
                block = {"type": "tool_result", "tool_use_id": m["tool_call_id"],
                         "content": m.get("content") or ""}
                if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                    out[-1]["content"].append(block)
                else:
                    out.append({"role": "user", "content": [block]})
            elif role in ("user", "assistant"):
                out.append({"role": role, "content": m.get("content") or ""})
        return out

    def request_body(self, call: Call) -> dict[str, Any]:
        body: dict[str, Any] = {"model": call.model, "max_tokens": call.max_tokens,
                                "messages": self.messages(call)}
        if call.system:
            body["system"] = call.system
        if call.temperature is not None:
            # anthropic 1.x dropped the sampling parameters from create()'s signature; the
            # API still takes them, and the SDK's migration guide sends them in extra_body.
            body["extra_body"] = {"temperature": call.temperature}
        if call.tools:
            body["tools"] = [{"name": t["name"], "description": t.get("description", ""),
                              "input_schema": t.get("parameters") or {"type": "object"}}
                             for t in call.tools]
        return body

    def _record_request(self, call: Call, body: dict[str, Any], stream: bool) -> None:
        # What goes on the wire: extra_body merged in, and the headers the SDK sends.
        wire = {k: v for k, v in body.items() if k != "extra_body"} | body.get("extra_body", {})
        call.record.request = {
            "method": "POST",
            "url": f"{str(self.client.base_url).rstrip('/')}/v1/messages",
            "headers": {"Authorization": f"Bearer {mask_key(self._key)}",
                        "anthropic-version": ANTHROPIC_VERSION},
            "body": wire | ({"stream": True} if stream else {}),
        }

    def _timeout(self, call: Call) -> httpx2.Timeout:
        read = call.read_timeout if isinstance(call.read_timeout, float | int) else None
        connect = call.connect_timeout if isinstance(call.connect_timeout, float | int) else None
        return httpx2.Timeout(read, connect=connect)

    @staticmethod
    def _usage(u: Any, output_tokens: int | None = None) -> Usage:
        read = getattr(u, "cache_read_input_tokens", 0) or 0
        write = getattr(u, "cache_creation_input_tokens", 0) or 0
        return Usage(input_tokens=(getattr(u, "input_tokens", 0) or 0) + read + write,
                     output_tokens=output_tokens if output_tokens is not None
                     else (getattr(u, "output_tokens", 0) or 0),
                     cached_input_tokens=read, cache_write_tokens=write)

    async def ahandle(self, call: Call) -> Result:
        body = self.request_body(call)
        self._record_request(call, body, stream=False)
        try:
            raw = await self.client.messages.with_raw_response.create(
                **body, timeout=self._timeout(call))
            message = await raw.parse()  # a coroutine since anthropic 2.x
        except Exception as exc:  # noqa: BLE001 - translated at the edge, chained
            raise translate_error(exc, provider=self.label, key=self._key) from exc
        headers = dict(raw.headers)
        text = "".join(b.text for b in message.content if b.type == "text")
        tool_calls = [ToolCall(b.id, b.name, json.dumps(b.input))
                      for b in message.content if b.type == "tool_use"]
        return Result(
            text=text, provider=self.label, model=message.model or call.model,
            finish_reason=message.stop_reason, usage=self._usage(message.usage),
            tool_calls=tool_calls, request_id=headers.get("request-id") or message.id,
            headers={k: v for k, v in headers.items() if "ratelimit" in k},
            raw=message.to_dict(), rate_limit=rate_limit_state(headers),
        )

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        body = self.request_body(call)
        self._record_request(call, body, stream=True)
        record = call.record
        try:
            raw = await self.client.messages.with_raw_response.create(
                **body, stream=True, timeout=self._timeout(call))
            stream = await raw.parse()  # a coroutine since anthropic 2.x
        except Exception as exc:  # noqa: BLE001
            raise translate_error(exc, provider=self.label, key=self._key) from exc
        headers = dict(raw.headers)
        started = time.monotonic()
        text: list[str] = []
        tools: dict[int, dict[str, str]] = {}
        start_usage: Any = None
        output_tokens: int | None = None
        stop: str | None = None
        model = call.model
        try:
            async with contextlib.aclosing(stream.__aiter__()) as events:
                async for event in events:
                    record.add_event({"t_ms": round((time.monotonic() - started) * 1000, 1),
                                      "event": event.type, "data": event.to_dict()})
                    if event.type == "message_start":
                        start_usage = event.message.usage
                        model = event.message.model or model
                    elif event.type == "content_block_start" and \
                            event.content_block.type == "tool_use":
                        tools[event.index] = {"id": event.content_block.id,
                                              "name": event.content_block.name, "arguments": ""}
                    elif event.type == "content_block_delta":
                        record.mark_first_token()  # text or a tool call's first delta
                        delta = event.delta
                        if delta.type == "text_delta" and delta.text:
                            text.append(delta.text)
                            record.streamed_text += delta.text
                            record.streamed_output_tokens += _count(delta.text, call.model)
                            yield Chunk(delta.text)
                        elif delta.type == "input_json_delta":
                            tools.setdefault(event.index, {"id": "", "name": "", "arguments": ""})
                            tools[event.index]["arguments"] += delta.partial_json
                    elif event.type == "message_delta":
                        stop = event.delta.stop_reason or stop
                        output_tokens = event.usage.output_tokens  # cumulative, not a sum
        except Exception as exc:  # noqa: BLE001 - includes `event: error` mid-stream
            raise translate_error(exc, provider=self.label, key=self._key) from exc
        finally:
            await stream.close()
        usage = self._usage(start_usage, output_tokens) if start_usage is not None else None
        yield Final(Result(
            text="".join(text), provider=self.label, model=model, finish_reason=stop,
            usage=usage,
            tool_calls=[ToolCall(t["id"], t["name"], t["arguments"] or "{}")
                        for _, t in sorted(tools.items())],
            request_id=headers.get("request-id"),
            headers={k: v for k, v in headers.items() if "ratelimit" in k},
            rate_limit=rate_limit_state(headers),
        ))

    async def aclose(self) -> None:
        await self.client.close()


def _count(text: str, model: str) -> int:
    try:
        from apilab.pricing import count_text

        return count_text(text, model).tokens
    except Exception:  # noqa: BLE001 - unknown model: estimate
        return max(1, (len(text) + 3) // 4)


def register(register: Any) -> None:
    """Register the adapter (the registry's callback)."""
    register(AnthropicProvider.from_settings, ["anthropic"])
