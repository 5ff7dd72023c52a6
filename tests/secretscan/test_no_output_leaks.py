"""No output shows a secret (issue 16): every format of `apilab scan` and every web path.

Canary keys of every synthetic format (tests/secretscan/keys.py: OpenAI, Anthropic,
Google, AWS, GitHub, Stripe ... plus a password and a private key) are planted in
files of several kinds, scanned through each output, and each output is searched for
the whole key and for ANY 8-character piece of its secret part (the key without the
public type prefix that redaction may show, such as ``sk-ant-api03-``).
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from apilab.cli import app as cli_app
from apilab.secretscan import redact_text
from apilab.secretscan.redact import KNOWN_PREFIXES
from tests.secretscan.gitrepo import GitRepo, git_env
from tests.secretscan.keys import FORMATS

_RNG = random.Random(8)
_PASSWORD = "Tq8" + "".join(_RNG.choice(string.ascii_letters) for _ in range(13))
_PEM_BODY = "".join(_RNG.choice(string.ascii_letters + string.digits + "+/")
                    for _ in range(64 * 5))


def _canaries() -> dict[str, tuple[str, str]]:
    """rule -> (the variable the app reads it from, the key)."""
    rng = random.Random(16)
    return {f.rule: (f.env, f.make(rng)) for f in FORMATS}


CANARIES = _canaries()


def _secret_part(key: str) -> str:
    prefix = next((p for p in KNOWN_PREFIXES if key.startswith(p)), "")
    return key[len(prefix):]


def _pieces() -> dict[str, set[str]]:
    secrets = {rule: key for rule, (_env, key) in CANARIES.items()}
    secrets["password"] = _PASSWORD
    secrets["private-key"] = _PEM_BODY
    return {rule: {_secret_part(s)[i:i + 8] for i in range(len(_secret_part(s)) - 7)}
            for rule, s in secrets.items()}


PIECES = _pieces()


def _assert_clean(output: str, where: str) -> None:
    for rule, pieces in PIECES.items():
        leaked = [p for p in pieces if p in output]
        assert not leaked, f"{where}: 8-character piece of the {rule} canary shown"


def _pem() -> str:
    body = "\n".join(_PEM_BODY[i:i + 64] for i in range(0, len(_PEM_BODY), 64))
    return f"-----BEGIN {'PRIVATE'} KEY-----\n{body}\n-----END {'PRIVATE'} KEY-----\n"


def _files() -> dict[str, str]:
    py = "".join(f'{env} = "{key}"\n' for env, key in CANARIES.values())
    env = "".join(f"{env}={key}\n" for env, key in CANARIES.values()) + f"DB_PASSWORD={_PASSWORD}\n"
    data = {env: key for env, key in CANARIES.values()}
    return {
        "settings.py": py + f'DB_PASSWORD = "{_PASSWORD}"\n',
        "deploy/.env": env,
        "config.json": json.dumps(data, indent=2),
        "values.yaml": "".join(f"{env.lower()}: {key}\n" for env, key in CANARIES.values()),
        "id_rsa": _pem(),
    }


def _plant(root: Path) -> None:
    for name, text in _files().items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    _plant(root)
    monkeypatch.chdir(root)
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, ["scan", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_every_cli_format_is_clean(planted: Path, fmt: str, tmp_path: Path) -> None:
    code, out = _run(".", "--format", fmt, "--include-ignored")
    assert code == 1, out
    _assert_clean(out, f"--format {fmt}")
    report = tmp_path / f"report.{fmt}"
    code, note = _run(".", "--format", fmt, "--include-ignored", "--output", str(report))
    _assert_clean(note + report.read_text(encoding="utf-8"), f"--format {fmt} --output")


def test_the_findings_cover_every_canary(planted: Path) -> None:
    _code, out = _run(".", "--format", "json", "--include-ignored")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    missing = set(CANARIES) - rules - {"generic-secret"}  # the generic canary is a password
    assert not missing, missing
    assert {"private-key", "generic-password"} <= rules


def test_baseline_file_and_its_reports_are_clean(planted: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    code, out = _run(".", "--include-ignored", "--baseline", str(baseline), "--update-baseline")
    assert code == 0, out
    _assert_clean(out + baseline.read_text(encoding="utf-8"), "baseline file")
    for fmt in ("text", "json", "sarif"):
        _code, out = _run(".", "--format", fmt, "--include-ignored", "--baseline", str(baseline))
        _assert_clean(out, f"--baseline --format {fmt}")


@pytest.mark.parametrize("mode", ["--staged", "--history"])
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_git_modes_are_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                             fmt: str) -> None:
    git_env(monkeypatch)
    repo = GitRepo(tmp_path / "repo")
    _plant(repo.root)
    repo.git("add", "-f", ".")
    if mode == "--history":
        repo.git("commit", "-q", "-m", "add config")
    code, out = _run(mode, str(repo.root), "--format", fmt)
    assert code == 1, out
    _assert_clean(out, f"{mode} --format {fmt}")


def test_pasted_text_and_folder_scans_on_the_web_are_clean(client: TestClient, app,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    files = _files()
    for name, text in files.items():
        for kind in ("code", "env"):
            r = client.post("/api/scan/text", json={"text": text, "kind": kind,
                                                    "filename": name})
            assert r.status_code == 200 and r.json()["findings"], (name, kind)
            _assert_clean(r.text, f"/api/scan/text {name} ({kind})")
    root = tmp_path / "root"
    root.mkdir()
    _plant(root)
    app.state.scan_roots = [root]
    client.get(f"/?local={app.state.tokens.local}", follow_redirects=False)
    r = client.post("/api/scan/path", json={"path": str(root)})
    assert r.status_code == 200 and r.json()["findings"]
    _assert_clean(r.text, "/api/scan/path")


def test_typed_text_redaction_is_clean() -> None:
    for name, text in _files().items():
        shown, findings = redact_text(text)
        assert findings, name
        _assert_clean(shown, f"redact_text({name})")
        _assert_clean(json.dumps([f.to_dict() for f in findings]), f"findings of {name}")
