"""Eval configs: promptfoo's documented format loads unchanged; mistakes name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab.errors import ConfigError
from apilab.evals.config import config_from_dict, load_config, parse_provider
from apilab.evals.runner import plan_cells

FIXTURES = Path(__file__).parent / "fixtures" / "promptfoo"


def _config(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"prompts": ["Say {{x}}"], "providers": ["echo"],
                               "tests": [{"vars": {"x": "hi"}}]}
    base.update(overrides)
    return base


def test_promptfoo_documented_config_loads() -> None:
    config = load_config(FIXTURES)
    assert config.description == "Translation prompts"
    assert [p.label for p in config.prompts] == ["prompt 1", "translate.txt", "chat.json"]
    assert config.prompts[2].messages is not None and config.prompts[2].messages[0][0] == "system"
    assert config.max_concurrency == 2
    # 1 test + 1 test whose list var expands to 2 + 2 CSV rows
    assert len(config.tests) == 5
    assert [t.vars["language"] for t in config.tests[1:3]] == ["German", "Spanish"]
    assert config.tests[0].asserts[0].name == "not-icontains"  # defaultTest comes first
    csv_row = config.tests[3]
    assert csv_row.description == "csv greeting"
    assert csv_row.vars == {"language": "French", "input": "Good morning"}
    assert csv_row.asserts[-1].type == "contains" and csv_row.asserts[-1].value == "Good morning"


@pytest.mark.parametrize(("data", "needle"), [
    (_config(scenarios=[]), "config.scenarios"),
    (_config(tests=[{"vars": {"x": 1}, "assert": [{"type": "contains", "value": "a",
                                                   "transform": "output.trim()"}]}]),
     "tests[0].assert[0].transform"),
    (_config(tests=[{"vars": {"x": 1}, "provider": "echo"}]), "tests[0].provider"),
    (_config(tests=[{"assert": [{"type": "javascript", "value": "1"}]}]), "'javascript'"),
    (_config(tests=[{"assert": [{"type": "containz", "value": "1"}]}]), "unknown assertion"),
    (_config(providers=["bedrock:claude"]), "unsupported provider 'bedrock:claude'"),
    (_config(providers=[{"id": "openai:gpt-4o", "config": {"top_k": 3}}]),
     "providers[0].config.top_k"),
    (_config(evaluateOptions={"maxConcurrency": 2, "timeoutMs": 5}), "evaluateOptions.timeoutMs"),
    (_config(prompts=["Say {% if x %}{{x}}{% endif %}"]), "{% if x %}"),
])
def test_unsupported_keys_are_errors_naming_the_key(data: dict[str, object],
                                                    needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        plan_cells(config_from_dict(data))
    assert needle in str(err.value)


def test_missing_var_names_the_var_and_the_test() -> None:
    config = config_from_dict(_config(tests=[{"description": "greets", "vars": {"y": "hi"}}]))
    with pytest.raises(ConfigError) as err:
        plan_cells(config)
    assert "{{ x }}" in str(err.value) and "greets" in str(err.value) and "vars: y" in str(
        err.value)


def test_bad_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "promptfooconfig.yaml"
    path.write_text("prompts:\n  - 'Say {{x}}'\nproviders: [echo\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "not valid YAML at line" in str(err.value)


def test_missing_files_and_in_memory_file_refs_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        config_from_dict(_config(prompts=["file://nope.txt"]), base_dir=tmp_path)
    with pytest.raises(ConfigError, match="not available here"):
        config_from_dict(_config(prompts=["file:///etc/passwd"]))
    with pytest.raises(ConfigError, match="No eval config"):
        load_config(tmp_path / "missing.yaml")


def test_provider_ids() -> None:
    assert parse_provider("openai:chat:gpt-4o-mini").model == "gpt-4o-mini"
    assert parse_provider("anthropic:messages:claude-3-5-haiku-latest").kind == "anthropic"
    assert parse_provider("apilab:tutor").kind == "tutor"
    local = parse_provider({"id": "openai:chat:llama3", "config": {
        "apiBaseUrl": "http://localhost:11434/v1"}})
    assert local.kind == "openai-compatible" and local.model == "llama3"
    with pytest.raises(ConfigError, match="apiBaseUrl"):
        parse_provider("openai-compatible:llama3")
    with pytest.raises(ConfigError, match="names no model"):
        parse_provider("sandbox:")


def test_run_size_is_bounded_before_anything_is_sent() -> None:
    many = [{"vars": {"x": str(i)}} for i in range(20_000)]
    with pytest.raises(ConfigError, match="would make"):
        config_from_dict(_config(tests=many, providers=[f"sandbox:m{i}" for i in range(11)]))


def test_builtin_pack_and_config() -> None:
    config = config_from_dict(_config(prompts=["{{input}}"], tests=["apilab:injection"]))
    kinds = {t.metadata["case"] for t in config.tests}
    assert {"direct-override", "markdown-image-exfiltration", "tool-call-hijack",
            "system-prompt-extraction", "delimiter-breaking", "role-play",
            "hidden-in-web-page", "hidden-in-email"} <= kinds
    assert all(t.asserts for t in config.tests)
    with pytest.raises(ConfigError, match="Unknown built-in pack"):
        config_from_dict(_config(tests=["apilab:nope"]))
    with pytest.raises(ConfigError, match="known: tutor"):
        load_config("builtin:nope")
