"""Docs stay true: generated sections are current and every setting is documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apilab.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def test_generated_docs_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_is_in_operations_and_readme() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [s.env_var for s in SETTINGS if f"`{s.env_var}`" not in operations]
    assert not missing, f"settings missing from docs/operations.md: {missing}"


def test_architecture_doc_names_every_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in (ROOT / "apilab").iterdir()
                      if p.is_dir() and (p / "__init__.py").exists())
    missing = [p for p in packages if f"{p}/" not in text]
    assert not missing, f"packages missing from docs/architecture.md: {missing}"
