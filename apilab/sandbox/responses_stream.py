"""The Responses API's streamed reply: typed semantic events, in the real API's order.

Every event is a named SSE frame (``event:`` equals ``data.type``) carrying a
``sequence_number`` that counts from 0. For a text answer the order is::

    response.created, response.in_progress,
    [response.output_item.added/done for the reasoning item, on reasoning models]
    response.output_item.added (message), response.content_part.added,
    response.output_text.delta ..., response.output_text.done,
    response.content_part.done, response.output_item.done,
    response.completed (or response.incomplete when max_output_tokens cut it)

and a function call streams ``response.function_call_arguments.delta`` ... /
``.done`` between its ``output_item.added`` and ``output_item.done``. There is
no ``[DONE]``. Chaos can drop the connection, break a frame, or send the
API's mid-stream ``error`` event followed by ``response.failed``; whatever
the client received is billed (reasoning tokens count once the reasoning item
is done), from the ``finally``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from apilab.sandbox.logprobs import responses_logprobs
from apilab.sandbox.sse import dumps, named_frame
from apilab.sandbox.streaming import DISCONNECT, Pacer

if TYPE_CHECKING:
    from apilab.sandbox.responses_api import Reply, ResponsesFrontDoor
    from apilab.sandbox.service import Call

__all__ = ["stream_events"]


async def stream_events(door: ResponsesFrontDoor, call: Call, reply: Reply
                        ) -> AsyncIterator[bytes]:
    """The event stream for one response; bills and stores it when it ends."""
    out = reply.output
    calls = out.tool_calls if out is not None else []
    pieces_total = (sum(len(c.pieces) for c in calls) if calls
                    else len(out.pieces) if out is not None else 0)
    pacer = Pacer(call.chaos, pieces_total)
    seq = 0
    sent = 0  # content pieces delivered
    thought = 0  # reasoning tokens delivered (all at once, when the item is done)
    note: str | None = None

    def frame(data: dict[str, Any]) -> bytes:
        nonlocal seq
        data["sequence_number"] = seq
        seq += 1
        return named_frame(data)

    def billed() -> int:
        if out is None:
            return thought
        if sent >= pieces_total:
            return thought + out.completion_tokens
        if calls:  # tool-call pieces: cost in proportion to what was sent
            return thought + out.completion_tokens * sent // max(1, pieces_total)
        return thought + out.tokens_in_first(sent)

    finished = False
    try:
        yield frame({"type": "response.created",
                     "response": reply.body("in_progress", output=[], usage=False)})
        yield frame({"type": "response.in_progress",
                     "response": reply.body("in_progress", output=[], usage=False)})
        index = 0
        done_items: list[dict[str, Any]] = []
        reasoning = reply.reasoning_item()
        if reasoning is not None:
            yield frame({"type": "response.output_item.added", "output_index": index,
                         "item": {**reasoning, "summary": [], "status": "in_progress"}})
            thought = reply.reasoning_tokens
            yield frame({"type": "response.output_item.done", "output_index": index,
                         "item": reasoning})
            done_items.append(reasoning)
            index += 1
        await pacer.first_token()
        if out is not None and calls:
            for (item_id, call_id), tool_call in zip(reply.call_ids, calls, strict=True):
                item = {"id": item_id, "type": "function_call", "status": "in_progress",
                        "arguments": "", "call_id": call_id, "name": tool_call.name}
                yield frame({"type": "response.output_item.added", "output_index": index,
                             "item": item})
                for piece in tool_call.pieces:
                    stop = _chaos(pacer, sent)
                    if stop is not None:
                        note = stop
                        for chunk in _fail(frame, reply, stop):
                            yield chunk
                        return
                    yield frame({"type": "response.function_call_arguments.delta",
                                 "item_id": item_id, "output_index": index, "delta": piece})
                    sent += 1
                    await pacer.between(sent)
                yield frame({"type": "response.function_call_arguments.done",
                             "item_id": item_id, "output_index": index,
                             "arguments": tool_call.arguments, "name": tool_call.name})
                done = {**item, "status": "completed", "arguments": tool_call.arguments}
                yield frame({"type": "response.output_item.done", "output_index": index,
                             "item": done})
                done_items.append(done)
                index += 1
        elif out is not None:
            mid = reply.message_id
            yield frame({"type": "response.output_item.added", "output_index": index,
                         "item": {**reply.message_item("", "in_progress"), "content": []}})
            yield frame({"type": "response.content_part.added", "item_id": mid,
                         "output_index": index, "content_index": 0,
                         "part": {"type": "output_text", "annotations": [], "logprobs": [],
                                  "text": ""}})
            # The common frame, rendered once up to the delta's text.
            head = ('event: response.output_text.delta\ndata: {"type":'
                    '"response.output_text.delta","item_id":"' + mid + '","output_index":'
                    + str(index) + ',"content_index":0,"logprobs":[],"delta":')
            for piece in out.pieces:
                stop = _chaos(pacer, sent)
                if stop is not None:
                    note = stop
                    for chunk in _fail(frame, reply, stop):
                        yield chunk
                    return
                if pacer.malformed_after is not None and sent == pacer.malformed_after:
                    yield b'event: response.output_text.delta\ndata: {"type":"resp\n\n'
                if reply.entries:
                    yield frame({"type": "response.output_text.delta", "item_id": mid,
                                 "output_index": index, "content_index": 0,
                                 "logprobs": responses_logprobs([reply.entries[sent]]),
                                 "delta": piece})
                else:
                    yield (head + dumps(piece) + ',"sequence_number":' + str(seq) + "}\n\n"
                           ).encode("utf-8")
                    seq += 1
                sent += 1
                await pacer.between(sent)
            text = out.text
            final_item = reply.message_item(text, "completed")
            yield frame({"type": "response.output_text.done", "item_id": mid,
                         "output_index": index, "content_index": 0, "text": text,
                         "logprobs": final_item["content"][0]["logprobs"]})
            yield frame({"type": "response.content_part.done", "item_id": mid,
                         "output_index": index, "content_index": 0,
                         "part": final_item["content"][0]})
            status = "incomplete" if reply.incomplete else "completed"
            item = reply.message_item(text, status)
            yield frame({"type": "response.output_item.done", "output_index": index,
                         "item": item})
            done_items.append(item)
        final = "incomplete" if reply.incomplete else "completed"
        body = reply.body(final, output=done_items)
        yield frame({"type": f"response.{final}", "response": body})
        finished = True
        door.keep(call, reply, body)
    except asyncio.CancelledError:
        note = "client disconnected mid-stream"
        raise
    finally:
        if not finished:
            note = note or "stream ended early"
        door.settle(call, reply, billed(), note)


def _chaos(pacer: Pacer, sent: int) -> str | None:
    """The mid-stream fault due before piece ``sent``, if any."""
    if pacer.disconnect_after is not None and sent >= pacer.disconnect_after:
        return "chaos: disconnected mid-stream"
    if pacer.error_after is not None and sent >= pacer.error_after:
        return "chaos: error event mid-stream"
    return None


def _fail(frame: Any, reply: Reply, why: str) -> list[bytes]:
    """The frames that end a stream on an injected fault."""
    if why.startswith("chaos: disconnected"):
        return [DISCONNECT]
    message = ("The server had an error while processing your request. (injected mid-stream "
               "by the sandbox chaos profile)")
    failed = reply.body("failed", output=[])
    failed["error"] = {"code": "server_error", "message": message}
    return [frame({"type": "error", "code": "server_error", "message": message, "param": None}),
            frame({"type": "response.failed", "response": failed})]
