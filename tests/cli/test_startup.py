"""Start-up cost: light commands import neither the database, the web app nor the SDKs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "openai", "anthropic", "fastapi", "uvicorn", "apilab.web",
         "apilab.storage.db", "apilab.providers", "apilab.sandbox")

PROBE = """
import json, runpy, sys
sys.argv = ["apilab", *sys.argv[1:]]
try:
    runpy.run_module("apilab", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [
    ["--help"],
    ["prices"],
    ["cost", "-m", "gpt-4o-mini", "--input-tokens", "1000", "--output-tokens", "100"],
    ["scan", "apilab/cli"],
])
def test_light_commands_stay_light(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, timeout=120)
    modules = json.loads(result.stderr.strip().splitlines()[-1])
    loaded = [m for m in modules if m.startswith(HEAVY)]
    assert not loaded, f"apilab {' '.join(args)} imported {loaded[:5]}"


def test_an_up_to_date_database_opens_without_alembic(settings) -> None:  # type: ignore[no-untyped-def]
    from apilab.storage.db import open_database

    open_database(settings.db_url)  # migrates a fresh database (Alembic runs once)
    probe = ("import sys; from apilab.storage.db import open_database; "
             f"open_database({settings.db_url!r}); print('alembic' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "False"
