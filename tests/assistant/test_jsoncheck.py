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


def test_a_template_is_told_from_a_document() -> None:
    from apilab.assistant.jsoncheck import looks_like_template

    for template in ('{"category": ..., "priority": 1-5}', '{"name": <string>}',
                     '{"kind": "a" | "b"}', '{"items": [\u2026]}'):
        assert looks_like_template(template), template
    for document in ('{"a": 1, "b": [1, 2]}', '{"a": -1, "b": "x-y", "c": "1-5"}',
                     '{"a": "wait..."}'):
        assert not looks_like_template(document), document


def test_rules_the_learner_stated_are_checked_against_the_output() -> None:
    from apilab.assistant.jsoncheck import broken_rules, stated_rules

    rules = stated_rules(['return {"category": ..., "priority": 1-5} for each ticket',
                          "category is one of billing, bug or other",
                          'and {"tone": "formal" | "casual"}, score between 0 and 10'])
    assert {k: r.describe() for k, r in rules.items()} == {
        "priority": "1-5", "category": "one of billing, bug, other",
        "tone": "one of formal, casual", "score": "0-10"}
    found = [text for _, text in broken_rules(
        [{"category": "refund", "priority": 9, "tone": "formal", "score": "high"}], rules)]
    assert found == ['`category` is "refund", not one of billing, bug, other',
                     "`priority` is 9, outside the 1-5 you stated",
                     '`score` is "high", not a number in 0-10']
    assert broken_rules({"category": "bug", "priority": 3}, rules) == []
