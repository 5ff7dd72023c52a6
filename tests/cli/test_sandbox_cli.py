"""`apilab sandbox` (serve alone) and `apilab sandbox keys ...`: output, JSON and exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from apilab.cli import app

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["sandbox", *args])


def test_keys_lifecycle_with_json() -> None:
    created = run("keys", "create", "--name", "ci", "--model", "gpt-4o-mini", "--model",
                  "echo", "--monthly-cap-usd", "3", "--tier", "free", "--json")
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    key_id, secret = data["key"]["id"], data["secret"]
    assert data["key"]["models"] == ["gpt-4o-mini", "echo"]
    assert data["key"]["monthly_cap_usd"] == "3"

    listed = run("keys", "list", "--json")
    assert [k["id"] for k in json.loads(listed.stdout)["keys"]] == [key_id]
    assert secret not in listed.stdout
    text_list = run("keys")
    assert key_id in text_list.stdout and "active" in text_list.stdout
    assert secret not in text_list.stdout

    rotated = json.loads(run("keys", "rotate", key_id, "--json").stdout)
    assert rotated["revoked"] == key_id and rotated["secret"] != secret
    revoked = json.loads(run("keys", "revoke", rotated["key"]["id"], "--json").stdout)
    assert revoked["key"]["revoked"] is True

    usage = run("keys", "usage", key_id, "--json")
    assert usage.exit_code == 0
    assert json.loads(usage.stdout)["entries"] == []


def test_usage_shows_requests_made_through_the_server(settings) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from apilab.sandbox.app import create_sandbox_app
    from apilab.storage.db import open_database

    data = json.loads(run("keys", "create", "--name", "u", "--json").stdout)
    sandbox = create_sandbox_app(settings, open_database(settings.db_url))
    with TestClient(sandbox, headers={"User-Agent": "cli-test/1"}) as client:
        response = client.post("/v1/chat/completions",
                               headers={"Authorization": f"Bearer {data['secret']}"},
                               json={"model": "gpt-4o-mini",
                                     "messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code == 200
    result = run("keys", "usage", data["key"]["id"], "--json")
    [entry] = json.loads(result.stdout)["entries"]
    assert entry["status"] == 200 and entry["user_agent"] == "cli-test/1"
    assert float(entry["cost"]) > 0
    text = run("keys", "usage", data["key"]["id"])
    assert "gpt-4o-mini" in text.stdout and "cli-test/1" in text.stdout


def test_errors_exit_2_with_a_message() -> None:
    for args in (("keys", "revoke", "key_nope"), ("keys", "create", "--name", "x", "--tier",
                                                  "diamond"),
                 ("keys", "usage", "key_nope"), ("keys", "create", "--name", "x",
                                                 "--monthly-cap-usd", "lots")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Error:" in result.output and "Traceback" not in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serves_alone_and_sees_cli_revocation(tmp_path: Path) -> None:
    env = {**os.environ, "APILAB_DATA_DIR": str(tmp_path / "alone")}
    cli = [sys.executable, "-m", "apilab", "sandbox"]
    created = subprocess.run(cli + ["keys", "create", "--name", "alone", "--json"], env=env,
                             capture_output=True, text=True, timeout=60, check=True)
    data = json.loads(created.stdout)
    port = _free_port()
    server = subprocess.Popen(cli + ["--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        auth = {"Authorization": f"Bearer {data['secret']}"}
        deadline = time.time() + 30
        while True:
            try:
                response = httpx.get(base + "/models", headers=auth)
                break
            except httpx.TransportError:
                assert time.time() < deadline, "sandbox did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and "gpt-4o" in response.text
        chaos = cli + ["chaos", "--url", f"http://127.0.0.1:{port}"]
        switched = subprocess.run(chaos + ["--set", "p_503=1", "--json"], env=env,
                                  capture_output=True, text=True, timeout=60)
        assert switched.returncode == 0, switched.stderr
        assert json.loads(switched.stdout)["profile"]["p_503"] == 1.0
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        assert httpx.post(base + "/chat/completions", json=body,
                          headers=auth).status_code == 503
        shown = subprocess.run(chaos, env=env, capture_output=True, text=True, timeout=60)
        assert "global: off" not in shown.stdout
        subprocess.run(chaos + ["off"], env=env, check=True, capture_output=True, timeout=60)
        assert httpx.post(base + "/chat/completions", json=body,
                          headers=auth).status_code == 200
        subprocess.run(cli + ["keys", "revoke", data["key"]["id"]], env=env, timeout=60,
                       check=True, capture_output=True)
        time.sleep(1.2)  # the server caches key lookups for up to one second
        assert httpx.get(base + "/models", headers=auth).status_code == 401
    finally:
        server.terminate()
        output = server.communicate(timeout=15)[0]
    assert f"http://127.0.0.1:{port}/v1" in output


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.yaml"
    config.write_text("tiers:\n  tiny: {rpm: 0, tpm: 10}\n")
    result = run("--config", str(config), "--port", "1")
    assert result.exit_code == 2
    assert "rpm/tpm must be positive" in result.output
    missing = run("--config", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "Cannot read sandbox config" in missing.output


def test_custom_tier_from_the_config_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "tiers.yaml"
    config.write_text("tiers:\n  classroom: {rpm: 20, tpm: 20000, as_of: '2026-11'}\n")
    monkeypatch.setenv("APILAB_SANDBOX_CONFIG", str(config))
    result = run("keys", "create", "--name", "class", "--tier", "classroom", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"]["tier"] == "classroom"


def test_chaos_without_a_server_is_a_clear_error() -> None:
    result = run("chaos", "flaky", "--url", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "Could not reach the sandbox admin API" in result.output
    bad = run("chaos", "--set", "p_500")
    assert bad.exit_code == 2 and "name=number" in bad.output


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """A real process: logging set-up (and so stray INFO lines) as a user sees it."""
    return subprocess.run([sys.executable, "-m", "apilab", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=60, check=False)


def test_create_logs_nothing_and_warns_about_a_duplicate_name() -> None:
    first = _cli("sandbox", "keys", "create", "--name", "demo")
    assert first.returncode == 0 and first.stdout.startswith("Created key_")
    assert first.stderr == ""  # no "INFO apilab.sandbox.keys: Created sandbox key ..."
    second = _cli("sandbox", "keys", "create", "--name", "Demo ")
    assert second.returncode == 0 and second.stdout.startswith("Created key_")
    first_id = first.stdout.split()[1]
    assert "already named 'Demo'" in second.stderr and first_id in second.stderr
    # A revoked namesake is history, not a clash.
    _cli("sandbox", "keys", "revoke", first_id)
    second_id = second.stdout.split()[1]
    _cli("sandbox", "keys", "revoke", second_id)
    assert _cli("sandbox", "keys", "create", "--name", "demo").stderr == ""


def test_list_has_a_header_row_over_aligned_columns() -> None:
    runner.invoke(app, ["sandbox", "keys", "create", "--name", "my app", "--model", "gpt-4o"])
    runner.invoke(app, ["sandbox", "keys", "create", "--name", "ci"])
    lines = runner.invoke(app, ["sandbox", "keys", "list"]).stdout.splitlines()
    assert lines[0].split() == ["id", "secret", "state", "tier", "cap", "models", "name"]
    assert len(lines) == 3
    # Every column starts where its header does.
    for header in ("state", "tier", "models"):
        col = lines[0].index(header)
        assert all(line[col - 2:col] == "  " and line[col] != " " for line in lines[1:])
    assert lines[1].endswith("my app") and "gpt-4o" in lines[1]
