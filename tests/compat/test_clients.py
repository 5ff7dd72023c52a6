"""Run the compatibility suite (``tests/compat/clients``) in its own virtualenvs.

The suite drives the sandbox with the current releases of the official SDKs and of
popular frameworks. Their pins conflict with the project's (the OpenAI Agents SDK
needs Starlette 1.x, FastAPI 0.123 needs Starlette < 0.51; instructor needs
jiter < 0.15, openai 3.60 needs jiter >= 0.16), so they live in two venvs that
``scripts/test`` builds from ``requirements-compat.lock`` and
``requirements-compat-instructor.lock`` (pyproject dependency groups ``compat`` and
``compat-instructor``). Each run starts a sandbox from *this* venv
(``APILAB_COMPAT_SANDBOX_PYTHON``) on a free loopback port. Without the venvs the
test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "compat" / "clients"

SUITES = {
    # venv: the client test files it runs
    ".venv-compat": ["test_openai_sdk.py", "test_anthropic_sdk.py", "test_litellm.py",
                     "test_langchain.py", "test_pydantic_ai.py", "test_openai_agents.py",
                     "test_llm.py"],
    ".venv-compat-instructor": ["test_instructor.py"],
}


@pytest.mark.slow
@pytest.mark.parametrize("venv", list(SUITES))
def test_client_suite(venv: str) -> None:
    python = ROOT / venv / "bin" / "python"
    if not python.exists():
        message = f"{venv} is missing: run scripts/test (it builds the compatibility venvs)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["APILAB_COMPAT_SANDBOX_PYTHON"] = sys.executable
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-c", str(CLIENTS / "pytest.ini"),
         "--rootdir", str(CLIENTS), *[str(CLIENTS / name) for name in SUITES[venv]]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
