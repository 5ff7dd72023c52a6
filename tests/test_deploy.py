"""The deployment files in docs/deploy/ are the ones docs/operations.md shows, and valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"


@pytest.mark.parametrize("name", ["nginx-apilab.conf", "apilab@.service"])
def test_operations_doc_shows_the_tested_files_verbatim(name: str) -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    body = (DEPLOY / name).read_text(encoding="utf-8")
    assert body.strip() in doc, f"docs/operations.md must quote docs/deploy/{name} as is"


def test_nginx_site_turns_sse_buffering_off_and_has_no_sticky_sessions() -> None:
    lines = (DEPLOY / "nginx-apilab.conf").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line.split("#", 1)[0] for line in lines)  # directives, not comments
    assert "proxy_buffering off;" in text and "proxy_http_version 1.1;" in text
    assert "ip_hash" not in text and "sticky" not in text and "hash " not in text


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    venv_apilab = ROOT / ".venv" / "bin" / "apilab"
    unit = (DEPLOY / "apilab@.service").read_text(encoding="utf-8")
    unit = unit.replace("/opt/apilab/.venv/bin/apilab", str(venv_apilab))
    (tmp_path / "apilab@.service").write_text(unit, encoding="utf-8")
    target = tmp_path / "apilab@8001.service"
    target.symlink_to(tmp_path / "apilab@.service")
    result = subprocess.run([analyze, "verify", "--man=no", str(target)], capture_output=True,
                            text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "apilab@" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
