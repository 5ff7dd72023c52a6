"""The pre-commit framework hook definition at the repository root."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_definition_runs_the_staged_scan() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "apilab-scan"
    assert hook["entry"] == "apilab scan --staged"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the scan reads the index itself
