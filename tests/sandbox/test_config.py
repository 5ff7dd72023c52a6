"""Tier and chaos presets as data, and user config files merged over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab.errors import ConfigError
from apilab.sandbox.config import ChaosProfile, builtin_config, load_config


def test_presets_are_dated_and_include_the_issue_examples() -> None:
    config = builtin_config()
    assert (config.tier("free").rpm, config.tier("tier-4").rpm,
            config.tier("tier-4").tpm) == (3, 10_000, 2_000_000)
    assert all(t.as_of and t.note for t in config.tiers.values())
    assert config.profile("off").is_off and not config.profile("flaky").is_off


def test_user_file_adds_and_replaces_by_name(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("tiers:\n  free: {rpm: 5, tpm: 100}\n  class: {rpm: 20, tpm: 2000}\n"
                    "chaos_profiles:\n  spiky: {p_500: 0.5, seed: 3}\n")
    config = load_config(path)
    assert config.tier("free").rpm == 5 and config.tier("class").tpm == 2000
    assert config.tier("tier-1").rpm == 500
    assert config.profile("spiky").p_500 == 0.5 and config.profile("spiky").seed == 3


@pytest.mark.parametrize(("text", "message"), [
    ("tiers: [1, 2]", "mapping"),
    ("tiers:\n  x: {rpm: 1}\n", "needs 'rpm' and 'tpm'"),
    ("tiers:\n  x: {rpm: many, tpm: 1}\n", "integers"),
    ("chaos_profiles:\n  off: {}\n", "quote it"),
    ("chaos_profiles:\n  x: {p_500: 2}\n", "between 0 and 1"),
    ("chaos_profiles:\n  x: {latency_ms: -1}\n", "negative"),
    ("limits: {}\n", "unknown section"),
    ("tiers: {\n", "not valid YAML"),
])
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_profile_from_dict_coerces_numbers() -> None:
    profile = ChaosProfile.from_dict({"p_500": "0.25", "seed": "7"}, name="x")
    assert profile.p_500 == 0.25 and profile.seed == 7 and profile.name == "x"
