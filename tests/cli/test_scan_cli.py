"""``apilab scan``: formats, exit codes, baselines, hooks, and no full secret in any output."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apilab.cli import app
from tests.secretscan.gitrepo import GitRepo, git_env
from tests.secretscan.keys import AI_FORMATS, make_key

runner = CliRunner()


@pytest.fixture
def leaky(tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder with one key of every AI-provider format (TEST FIXTURES, generated now)."""
    rng = random.Random(11)
    keys = []
    lines = []
    for fmt in AI_FORMATS:
        key = fmt.make(rng)
        keys.append(key)
        lines.append(f'{fmt.env} = "{key}"')
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "settings.py").write_text("\n".join(lines) + "\n")
    return folder, keys


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def _assert_redacted(blob: str, keys: list[str]) -> None:
    for key in keys:
        assert key not in blob
        assert key[-12:] not in blob  # not even a long tail of it


def test_every_format_reports_redacted_findings_and_exit_1(leaky, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, keys = leaky
    outputs = []
    for fmt in ("text", "json", "sarif"):
        code, out, err = _run(str(folder), "--format", fmt)
        assert code == 1, (fmt, err)
        outputs.append(out + err)
    report = tmp_path / "out.sarif"
    code, _, err = _run(str(folder), "--format", "sarif", "-o", str(report))
    assert code == 1 and "written to" in err
    outputs.append(report.read_text())
    baseline = tmp_path / "base.json"
    code, out, err = _run(str(folder), "--baseline", str(baseline), "--update-baseline")
    assert code == 0
    outputs.append(out + err + baseline.read_text())
    for blob in outputs:
        _assert_redacted(blob, keys)
    doc = json.loads(outputs[1])
    rules = {f["rule"] for f in doc["findings"]}
    assert {f.rule for f in AI_FORMATS} <= rules
    first = doc["findings"][0]
    assert set(first) >= {"path", "line", "rule", "confidence", "redacted", "fix", "fingerprint"}
    assert first["path"].endswith("settings.py") and first["line"] == 1


def test_clean_folder_exits_0(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import os\nKEY = os.environ['OPENAI_API_KEY']\n")
    code, out, _ = _run(str(tmp_path))
    assert code == 0 and "No secrets found" in out
    code, out, _ = _run(str(tmp_path), "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


def test_baseline_accepts_known_findings_but_not_new_ones(leaky, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = leaky
    baseline = tmp_path / "base.json"
    assert _run(str(folder), "--baseline", str(baseline), "--update-baseline")[0] == 0
    code, out, _ = _run(str(folder), "--baseline", str(baseline))
    assert code == 0 and "accepted in baseline" in out
    new_key = make_key("openai-project-key", random.Random(99))
    (folder / "new.py").write_text(f'K = "{new_key}"\n')
    code, out, _ = _run(str(folder), "--baseline", str(baseline), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert [f["path"].rsplit("/", 1)[-1] for f in doc["findings"]] == ["new.py"]
    assert doc["summary"]["suppressed_by_baseline"] == len(AI_FORMATS)


def test_inline_allow_comment(tmp_path: Path) -> None:
    key = make_key("google-api-key", random.Random(5))
    (tmp_path / "fixture.py").write_text(f'KEY = "{key}"  # apilab: allow - test fixture\n')
    assert _run(str(tmp_path))[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--staged", "--history"], "not both"),
        (["--update-baseline"], "needs --baseline"),
        (["/no/such/path"], "No such file or folder"),
        (["--baseline", "/no/such/baseline.json", "."], "does not exist"),
        (["--format", "xml"], "xml"),
        (["--jobs", "0", "."], "--jobs"),
    ],
)
def test_usage_and_io_errors_exit_2(args: list[str], message: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(*args)
    assert code == 2
    assert message in out + err
    assert "Traceback" not in out + err


def test_staged_history_and_install_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_env(monkeypatch)
    repo = GitRepo(tmp_path / "repo")
    repo.write(".gitignore", ".env\n")
    repo.commit("init")
    monkeypatch.chdir(repo.root)
    assert _run("--staged")[0] == 0
    key = make_key("anthropic-admin-key", random.Random(6))
    repo.write("ops.py", f'ADMIN = "{key}"\n')
    repo.git("add", "ops.py")
    code, out, _ = _run("--staged")
    assert code == 1 and "anthropic-admin-key" in out
    _assert_redacted(out, [key])
    repo.git("commit", "-q", "-m", "leak")
    repo.write("ops.py", "import os\nADMIN = os.environ['ANTHROPIC_ADMIN_KEY']\n")
    repo.commit("fix")
    assert _run(".")[0] == 0
    code, out, _ = _run("--history", "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["commit"] and finding["path"] == "ops.py"
    code, out, _ = _run("--install-hook")
    assert code == 0 and "pre-commit" in out
    assert (repo.root / ".git" / "hooks" / "pre-commit").exists()


def test_not_a_repo_for_staged_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _run("--staged")
    assert code == 2 and "not inside a git repository" in out + err
