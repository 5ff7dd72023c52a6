"""evals.schema: untrusted schemas fetch nothing, read nothing and cannot stall the server."""

from __future__ import annotations

import http.server
import threading
import time

import jsonschema
import pytest

from apilab.evals import validate_output
from apilab.evals.schema import (
    SchemaProblem,
    learner_regex_match,
    schema_errors,
    time_budget,
    validator_for_untrusted,
)


@pytest.fixture
def counting_server():  # type: ignore[no-untyped-def]
    """A local HTTP server that counts requests (a $ref must never reach it)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            body = b'{"type": "integer"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_remote_ref_is_never_fetched(counting_server) -> None:  # type: ignore[no-untyped-def]
    url, hits = counting_server
    validator = validator_for_untrusted({"$ref": f"{url}/schema.json"})
    with pytest.raises(SchemaProblem, match="cannot be resolved"):
        schema_errors(validator, 1)
    assert hits == []


def test_file_ref_is_never_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.json"
    secret.write_text('{"const": "TOP-SECRET-CONTENT"}')
    for ref in (secret.as_uri(), str(secret), "secret.json"):
        schema = {"$id": tmp_path.as_uri() + "/", "$ref": ref}
        with pytest.raises(SchemaProblem) as caught:
            schema_errors(validator_for_untrusted(schema), "x")
        assert "TOP-SECRET" not in str(caught.value)


def test_local_refs_and_meta_schemas_still_work() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}}}
    errors = schema_errors(validator_for_untrusted(schema), {"a": "x"})
    assert [e.message for e in errors] == ["'x' is not of type 'integer'"]


def test_ref_loops_and_depth_are_problems_not_crashes() -> None:
    with pytest.raises(SchemaProblem, match="loops"):
        schema_errors(validator_for_untrusted({"$ref": "#"}), 1)
    deep: dict = {}
    node = deep
    for _ in range(100):
        node["items"] = {}
        node = node["items"]
    with pytest.raises(SchemaProblem, match="nested"):
        validator_for_untrusted(deep)
    with pytest.raises(SchemaProblem, match="nested"):
        schema_errors(validator_for_untrusted({}), _nested(100))


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("pattern", "text"), [
    ("(a|aa)+$", "a" * 5000 + "b"),
    ("(x+)+y", "x" * 5000),
    ("(\\w+\\s?)+$", "a" * 3000 + "!"),
])
def test_catastrophic_patterns_are_cut_off(pattern: str, text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(SchemaProblem, match="took longer"):
        learner_regex_match(pattern, text)
    assert time.perf_counter() - started < 1.0


def test_every_pattern_keyword_is_timed() -> None:
    evil = "(x+)+y"
    value = {"x" * 3000: "x" * 3000}
    for schema in (
        {"additionalProperties": {"type": "string", "pattern": evil}},
        {"patternProperties": {evil: {}}},
        {"patternProperties": {evil: {}}, "additionalProperties": False},
        {"patternProperties": {evil: {}}, "unevaluatedProperties": False},
    ):
        started = time.perf_counter()
        with pytest.raises(SchemaProblem):
            schema_errors(validator_for_untrusted(schema), value)
        assert time.perf_counter() - started < 1.0, schema


def test_time_budget_bounds_many_slow_matches() -> None:
    with time_budget(0.05):
        time.sleep(0.06)
        with pytest.raises(SchemaProblem, match="too long"):
            learner_regex_match("a", "a")


def test_meta_schema_errors_are_still_schema_errors() -> None:
    with pytest.raises(jsonschema.SchemaError):
        validator_for_untrusted({"type": 5})


def test_rules_matches_uses_the_timed_engine() -> None:
    output = '{"name": "' + "a" * 5000 + 'b"}'
    started = time.perf_counter()
    with pytest.raises(SchemaProblem, match="took longer"):
        validate_output(output, None, ["name matches (a|aa)+"])
    assert time.perf_counter() - started < 1.0
