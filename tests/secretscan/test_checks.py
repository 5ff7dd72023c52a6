"""Project checks: env files and .gitignore coverage."""

from __future__ import annotations

import pytest

from apilab.secretscan.checks import (
    env_file_findings,
    gitignore_finding,
    gitignore_ignores_env,
    is_env_file,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [(".env", True), ("config/.env.local", True), ("prod.env", True), (".env.example", False),
     (".env.sample", False), ("env.py", False), ("environment.yml", False)],
)
def test_is_env_file(name: str, expected: bool) -> None:
    assert is_env_file(name) is expected


@pytest.mark.parametrize(
    ("text", "ignored"),
    [(".env\n", True), ("*.env\n", True), ("/.env\n", True), ("**/.env\n", True),
     (".env*\n", True), ("# .env\n", False), ("node_modules/\n", False), ("", False),
     (".env\n!.env\n", False), (".env/\n", False)],
)
def test_gitignore_ignores_env(text: str, ignored: bool) -> None:
    assert gitignore_ignores_env(text) is ignored


def test_findings_carry_no_secret_and_a_fix() -> None:
    (tracked,) = env_file_findings(["a/.env", "README.md"], tracked=True)
    assert tracked.rule == "env-file-tracked" and "git rm --cached a/.env" in tracked.fix
    assert tracked.redacted == ""
    (loose,) = env_file_findings([".env"], tracked=False)
    assert loose.rule == "env-file-not-ignored"
    assert gitignore_finding(".env\n") is None
    missing = gitignore_finding(None)
    assert missing is not None and missing.description == "No .gitignore"
    assert gitignore_finding("dist/\n") is not None
