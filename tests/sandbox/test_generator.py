"""Generated content: one-token vocabulary, determinism, caps, schema-valid JSON (hypothesis)."""

from __future__ import annotations

import json

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apilab.pricing import count_text
from apilab.sandbox.generator import (
    SENTENCES,
    _sentence_pieces,
    generate,
    generate_json,
    pick_tool,
    rng_for,
    text_pieces,
)


def _counter(text: str) -> int:
    return count_text(text, "gpt-4o").tokens


def test_every_vocabulary_piece_is_one_token_in_openai_encodings() -> None:
    for model in ("gpt-4o", "gpt-4"):  # o200k_base and cl100k_base
        for sentence in SENTENCES:
            for first in (True, False):
                for piece in _sentence_pieces(sentence, first):
                    tc = count_text(piece, model)
                    assert tc.exact and tc.tokens == 1, (model, piece)


@given(seed=st.integers(0, 2**32), n=st.integers(1, 300))
@settings(deadline=None)  # the first example may load the tokenizer
def test_text_pieces_count_as_tokens(seed: int, n: int) -> None:
    pieces = text_pieces(rng_for(seed), n)
    assert len(pieces) >= n
    assert _counter("".join(pieces)) == len(pieces)


@given(seed=st.integers(0, 10_000), cap=st.integers(1, 120))
@settings(deadline=None)
def test_cap_gives_length_with_exact_token_count(seed: int, cap: int) -> None:
    out = generate(rng=rng_for(seed), counter=_counter, max_tokens=cap, default_tokens=80)
    assert out.completion_tokens <= cap
    if out.finish == "length":
        assert out.completion_tokens == cap == _counter(out.text)
    else:
        assert out.finish == "stop" and out.text.endswith(".")
    again = generate(rng=rng_for(seed), counter=_counter, max_tokens=cap, default_tokens=80)
    assert again.text == out.text


@given(text=st.text(min_size=1, max_size=300), cap=st.integers(1, 40))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_echo_is_cut_at_the_cap(text: str, cap: int) -> None:
    out = generate(rng=rng_for(0), counter=_counter, max_tokens=cap, default_tokens=10,
                   echo_text=text)
    assert text.startswith(out.text)
    if out.finish == "stop":
        assert out.text == text and out.completion_tokens == _counter(text)
    else:
        assert out.completion_tokens == cap and _counter(out.text) <= cap


# --- schema-valid generation ---------------------------------------------------------

_names = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True)


def _leaf() -> st.SearchStrategy[dict]:
    string = st.builds(
        lambda lo, extra, fmt: {"type": "string", "minLength": lo, "maxLength": lo + extra,
                                **({"format": fmt} if fmt else {})},
        st.integers(0, 20), st.integers(0, 40),
        st.sampled_from([None, "date", "date-time", "email", "uuid", "uri"]))
    integer = st.builds(lambda lo, span: {"type": "integer", "minimum": lo,
                                          "maximum": lo + span},
                        st.integers(-1000, 1000), st.integers(0, 500))
    number = st.builds(lambda lo, span: {"type": "number", "minimum": lo, "maximum": lo + span},
                       st.floats(-1e3, 1e3), st.floats(0.01, 1e3))
    enum = st.lists(st.one_of(st.text(max_size=8), st.integers()), min_size=1, max_size=4,
                    unique=True).map(lambda v: {"enum": v})
    return st.one_of(string, integer, number, enum, st.just({"type": "boolean"}),
                     st.just({"type": "null"}), st.just({"type": ["string", "null"]}))


def _extend(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    array = st.builds(lambda items, lo, extra: {"type": "array", "items": items, "minItems": lo,
                                                "maxItems": lo + extra},
                      children, st.integers(0, 3), st.integers(0, 3))
    obj = st.dictionaries(_names, children, max_size=5).flatmap(
        lambda props: st.builds(
            lambda required, strict: {
                "type": "object", "properties": props,
                "required": list(props) if strict else required,
                **({"additionalProperties": False} if strict else {})},
            st.lists(st.sampled_from(sorted(props)), unique=True) if props else st.just([]),
            st.booleans()))
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda s: {"anyOf": s})
    return st.one_of(array, obj, any_of)


SCHEMAS = st.recursive(_leaf(), _extend, max_leaves=12)


@given(schema=SCHEMAS, seed=st.integers(0, 1000))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_json_validates(schema: dict, seed: int) -> None:
    value = generate_json(schema, rng_for(seed))
    jsonschema.validate(value, schema)
    assert generate_json(schema, rng_for(seed)) == value  # deterministic


def test_refs_and_defs_as_pydantic_emits_them() -> None:
    schema = {"$defs": {"Item": {"type": "object", "properties": {"n": {"type": "integer"}},
                                 "required": ["n"], "additionalProperties": False}},
              "type": "object", "properties": {"items": {"type": "array",
                                                         "items": {"$ref": "#/$defs/Item"}}},
              "required": ["items"], "additionalProperties": False}
    value = generate_json(schema, rng_for(1))
    jsonschema.validate(value, schema)


@given(schema=SCHEMAS.filter(lambda s: s.get("type") == "object"), seed=st.integers(0, 99))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_tool_arguments_validate(schema: dict, seed: int) -> None:
    out = generate(rng=rng_for(seed), counter=_counter, max_tokens=None, default_tokens=10,
                   tool={"name": "t", "parameters": schema}, tool_id="call_x")
    assert out.finish == "tool_calls"
    jsonschema.validate(json.loads(out.tool_calls[0].arguments), schema)


def test_pick_tool_rules() -> None:
    tools = [{"name": "get_weather", "parameters": {}}, {"name": "search_docs",
                                                        "parameters": {}}]
    assert pick_tool(tools, "auto", "weather in Paris?", False)["name"] == "get_weather"
    assert pick_tool(tools, "auto", "please search the docs", False)["name"] == "search_docs"
    assert pick_tool(tools, "auto", "hello", False) is None
    assert pick_tool(tools, "auto", "weather?", True) is None  # answer the tool result
    assert pick_tool(tools, "required", "hello", False)["name"] == "get_weather"
    assert pick_tool(tools, "search_docs", "weather", False)["name"] == "search_docs"
    assert pick_tool(tools, "none", "weather", False) is None
