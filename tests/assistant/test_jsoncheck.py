"""JSON checking: blocks in chat text, parse errors with fixes, schema validation."""

from __future__ import annotations

from apilab.assistant.jsoncheck import extract_json_blocks, json_check


def test_extract_json_blocks_from_prose_and_fences() -> None:
    text = 'My output: {"a": [1, 2]} and my schema: {"type": "object"} thanks'
    assert extract_json_blocks(text) == ['{"a": [1, 2]}', '{"type": "object"}']
    assert extract_json_blocks("no json {here} at all") == []
    fenced = 'see ```json\n{"a": 1}\n``` and ```python\nx = d["k"][0]\n```'
    assert extract_json_blocks(fenced) == ['{"a": 1}']  # code in other languages is skipped


def test_parse_failures_explain_the_fix() -> None:
    result = json_check('Sure! Here is the JSON: {"a": 1}')
    assert not result.parsed and result.parse_error and "line 1" in result.parse_error
    assert json_check('{"a": True}').hint is not None
    assert json_check("{a: 1}").hint and "quoted" in json_check("{a: 1}").hint


def test_schema_violations_have_paths() -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array",
                                                          "items": {"type": "integer"}}}}
    result = json_check('{"items": [1, "two", 3]}', schema)
    assert result.validated and result.errors == ("$.items[1]: 'two' is not of type 'integer'",)
