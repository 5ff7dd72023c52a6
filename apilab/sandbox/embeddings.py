"""``POST /v1/embeddings``: deterministic vectors from the input text, in OpenAI's shape.

A vector is the normalised sum of one pseudo-random direction per word (seeded
by the model and the word), so the same text always gets the same vector and
texts that share words point in similar directions: cosine similarity ranks a
question closer to a passage that uses its words, which is enough to build and
test a retrieval pipeline offline. It is not semantic: synonyms are strangers.

``dimensions`` shortens a text-embedding-3 vector the way the real models do
(keep the first N values, renormalise); ``encoding_format: "base64"`` sends
little-endian float32 bytes. Usage counts every input's tokens exactly
(``prompt_tokens == total_tokens``) and is billed at the model's input rate.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import operator
import random
import re
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apilab.sandbox import catalogue
from apilab.sandbox.openai_api import bearer
from apilab.sandbox.openai_request import bad_request, json_object
from apilab.sandbox.service import Call, Service
from apilab.sandbox.sse import JSONBytes, dumps

__all__ = ["MAX_INPUTS", "EmbeddingsFrontDoor", "embed"]


MAX_INPUTS = 2048  # inputs per request, as OpenAI documents
_WORD = re.compile(r"\w+", re.UNICODE)


@functools.lru_cache(maxsize=8192)
def _direction(model: str, word: str, size: int) -> tuple[float, ...]:
    """A fixed pseudo-random unit-ish direction for one word."""
    seed = int.from_bytes(hashlib.sha256(f"{model}\0{word}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    return tuple(rng.gauss(0.0, 1.0) for _ in range(size))


def embed(model: str, text: str, size: int, dimensions: int | None = None) -> list[float]:
    """The vector for ``text`` (length ``dimensions`` or ``size``), unit length."""
    words = [w.lower() for w in _WORD.findall(text)] or [text or "\0empty"]
    vector = [0.0] * size
    for word in words:
        vector = list(map(operator.add, vector, _direction(model, word, size)))
    if dimensions is not None:
        vector = vector[:dimensions]
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 8) for v in vector]


def _inputs(value: Any) -> list[str | list[int]]:
    """The request's ``input`` as a list of texts or token arrays (OpenAI's 400s)."""
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        value = [value]  # one pre-tokenised input
    if not isinstance(value, list) or not value:
        raise bad_request("'$.input' is invalid. Please check the API reference: "
                          "https://platform.openai.com/docs/api-reference.", "input",
                          "invalid_value")
    if len(value) > MAX_INPUTS:
        raise bad_request(f"'$.input' is invalid: at most {MAX_INPUTS} inputs may be sent in "
                          "one request.", "input", "invalid_value")
    for i, item in enumerate(value):
        ok = (isinstance(item, str) and item != "") or (
            isinstance(item, list) and item and all(isinstance(t, int) for t in item))
        if not ok:
            raise bad_request(f"'$.input[{i}]' is invalid: expected a non-empty string or "
                              "array of token ids.", "input", "invalid_value")
    return value


def _count_inputs(info: catalogue.ModelInfo, inputs: list[str | list[int]]) -> list[int]:
    return [len(i) if isinstance(i, list) else catalogue.count_text(info, i) for i in inputs]


def _vectors(info: catalogue.ModelInfo, inputs: list[str | list[int]], dims: int | None,
             fmt: str) -> list[dict[str, Any]]:
    data = []
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(f"t{t}" for t in item)
        vector = embed(info.id, text, info.dimensions, dims)
        value: Any = vector
        if fmt == "base64":
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": value})
    return data


class EmbeddingsFrontDoor:
    """``POST /v1/embeddings`` over one ``Service``."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def create(self, request: Request) -> Response:
        call = self.service.begin(request, "openai")
        return await self.service.respond(call, lambda: self._create(request, call),
                                          "embedding")

    async def _create(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        svc.authenticate(call, bearer(request))
        payload = json_object(
            svc.parse_json(body, "We could not parse the JSON body of your request."),
            {"model", "input", "dimensions", "encoding_format", "user"})
        inputs = _inputs(payload.get("input"))
        info = svc.resolve_model(call, payload.get("model"))
        svc.check_kind(call, "embeddings", ("embedding",))
        dims = payload.get("dimensions")
        if dims is not None:
            if not info.shortenable:
                raise bad_request("This model does not support specifying dimensions.",
                                  "dimensions", "invalid_value")
            if isinstance(dims, bool) or not isinstance(dims, int) or \
                    not 1 <= dims <= info.dimensions:
                raise bad_request(f"Invalid value for 'dimensions': expected an integer "
                                  f"between 1 and {info.dimensions}.", "dimensions",
                                  "invalid_value")
        fmt = payload.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            raise bad_request(f"Invalid value: '{str(fmt)[:40]}'. Supported values are: "
                              "'float' and 'base64'.", "encoding_format", "invalid_value")
        counts = await svc.off_loop(len(body), _count_inputs, info, inputs)
        for i, tokens in enumerate(counts):
            if tokens > info.context_window:
                raise bad_request(
                    f"This model's maximum context length is {info.context_window} tokens, "
                    f"however you requested {tokens} tokens (input {i}). Please reduce your "
                    "prompt.", "input", "context_length_exceeded")
        total = sum(counts)
        svc.check_spend(call)  # after every 400: the request is valid, can it be paid for?
        svc.admit(call, total, 0)
        await svc.inject_faults(call)
        # A batch of long inputs is real CPU work: off the event loop like a big prompt.
        data = await svc.off_loop(len(body) * 8, _vectors, info, inputs, dims, fmt)
        svc.finish(call, 200, input_tokens=total, output_tokens=0)
        out = {"object": "list", "data": data, "model": info.reported_id,
               "usage": {"prompt_tokens": total, "total_tokens": total}}
        return JSONBytes(dumps(out), headers=svc.headers(call))
