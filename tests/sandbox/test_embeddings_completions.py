"""Embeddings and legacy completions, driven by the official openai SDK; logprobs."""

from __future__ import annotations

import base64
import math
import struct
from decimal import Decimal

import httpx
import openai
import pytest

from apilab.pricing import count_text
from apilab.sandbox.sse import parse_sse


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_shape_usage_and_cost(oai, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.pricing import cost
    from apilab.sandbox import keys

    texts = ["How do rate limits work?", "Rate limits cap requests per minute.",
             "Bananas are a yellow fruit."]
    result = oai.embeddings.create(model="text-embedding-3-small", input=texts)
    assert result.object == "list" and result.model == "text-embedding-3-small"
    assert [d.index for d in result.data] == [0, 1, 2]
    vectors = [d.embedding for d in result.data]
    assert all(len(v) == 1536 for v in vectors)
    assert all(math.isclose(_cos(v, v), 1.0, rel_tol=1e-5) for v in vectors)
    # Shared words pull vectors together: enough to rank passages for retrieval.
    assert _cos(vectors[0], vectors[1]) > _cos(vectors[0], vectors[2])
    exact = sum(count_text(t, "text-embedding-3-small").tokens for t in texts)
    assert result.usage.prompt_tokens == result.usage.total_tokens == exact
    again = oai.embeddings.create(model="text-embedding-3-small", input=texts[0])
    assert again.data[0].embedding == vectors[0]  # deterministic
    record = keys.list_keys(sandbox_db)[0]
    entries = keys.key_usage(sandbox_db, record.id)
    first = entries[-1]
    assert first.input_tokens == exact and first.output_tokens == 0
    assert first.cost == Decimal(cost("text-embedding-3-small", exact, 0).total) > 0


def test_embeddings_dimensions_and_base64(oai) -> None:  # type: ignore[no-untyped-def]
    full = oai.embeddings.create(model="text-embedding-3-large", input="hello").data[0]
    short = oai.embeddings.create(model="text-embedding-3-large", input="hello",
                                  dimensions=256).data[0]
    assert len(full.embedding) == 3072 and len(short.embedding) == 256
    norm = math.sqrt(sum(x * x for x in full.embedding[:256]))
    assert short.embedding == pytest.approx([x / norm for x in full.embedding[:256]], abs=1e-6)
    encoded = oai.embeddings.create(model="text-embedding-3-small", input="hello",
                                    encoding_format="base64")
    raw = encoded.data[0].embedding
    if isinstance(raw, str):  # the SDK may leave base64 undecoded without numpy
        raw = list(struct.unpack("<1536f", base64.b64decode(raw)))
    plain = oai.embeddings.create(model="text-embedding-3-small", input="hello").data[0]
    assert raw == pytest.approx(plain.embedding, abs=1e-6)
    with pytest.raises(openai.BadRequestError, match="does not support specifying dimensions"):
        oai.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=10)
    with pytest.raises(openai.BadRequestError):
        oai.embeddings.create(model="text-embedding-3-small", input="x", dimensions=5000)
    with pytest.raises(openai.BadRequestError):
        oai.embeddings.create(model="text-embedding-3-small", input="")
    with pytest.raises(openai.NotFoundError):
        oai.embeddings.create(model="gpt-4o-mini", input="x")


def test_embeddings_token_arrays_and_length_limit(oai) -> None:  # type: ignore[no-untyped-def]
    result = oai.embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3], [4, 5]])
    assert result.usage.prompt_tokens == 5
    with pytest.raises(openai.BadRequestError) as info:
        oai.embeddings.create(model="text-embedding-3-small", input="word " * 9000)
    assert info.value.code == "context_length_exceeded"


def test_legacy_completions(oai) -> None:  # type: ignore[no-untyped-def]
    result = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once upon a time")
    assert result.object == "text_completion" and result.id.startswith("cmpl-")
    (choice,) = result.choices
    assert choice.finish_reason == "length"  # max_tokens defaults to 16 on this endpoint
    assert result.usage.completion_tokens == 16
    longer = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt=["a", "b"],
                                    max_tokens=200, n=2, echo=True, logprobs=2)
    assert len(longer.choices) == 4 and longer.choices[0].text.startswith("a")
    lp = longer.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.text_offset)
    assert all(p <= 0 for p in lp.token_logprobs) and all(len(t) <= 2 for t in lp.top_logprobs)
    with pytest.raises(openai.NotFoundError, match="chat model"):
        oai.completions.create(model="gpt-4o-mini", prompt="x")


def test_legacy_completions_stream(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(live_sandbox.v1 + "/completions",
                          headers={"Authorization": f"Bearer {secret}"},
                          json={"model": "gpt-3.5-turbo-instruct", "prompt": "Hi",
                                "max_tokens": 30, "stream": True,
                                "stream_options": {"include_usage": True}})
    events = parse_sse(response.text)
    assert events[-1].data == "[DONE]"
    chunks = [e.json() for e in events[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_chat_logprobs(oai) -> None:  # type: ignore[no-untyped-def]
    hi = [{"role": "user", "content": "Say hello."}]
    plain = oai.chat.completions.create(model="gpt-4o-mini", messages=hi)
    assert plain.choices[0].logprobs is None
    with_lp = oai.chat.completions.create(model="gpt-4o-mini", messages=hi, logprobs=True,
                                          top_logprobs=3)
    content = with_lp.choices[0].logprobs.content
    assert "".join(t.token for t in content) == with_lp.choices[0].message.content
    for token in content:
        assert token.logprob <= 0 and len(token.top_logprobs) == 3
        assert token.top_logprobs[0].token == token.token  # the chosen token is the likeliest
    streamed = oai.chat.completions.create(model="gpt-4o-mini", messages=hi, logprobs=True,
                                           top_logprobs=3, stream=True)
    got = [t for c in streamed if c.choices and c.choices[0].logprobs
           for t in c.choices[0].logprobs.content]
    assert [t.logprob for t in got] == [t.logprob for t in content]
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="gpt-4o-mini", messages=hi, top_logprobs=2)


def test_responses_logprobs(oai) -> None:  # type: ignore[no-untyped-def]
    response = oai.responses.create(model="gpt-4o-mini", input="Say hello.", top_logprobs=2,
                                    include=["message.output_text.logprobs"])
    part = response.output[0].content[0]
    assert "".join(t.token for t in part.logprobs) == part.text
    assert all(len(t.top_logprobs) == 2 for t in part.logprobs)
