"""Secrets hidden by where they sit (issue 16): ssh-keygen keys, split literals, base64
manifests, UTF-16 files, unquoted .env values, URL query strings, notebooks, minified JS.

Keys are generated at run time (ssh-keygen, or assembled from pieces): none is committed.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import string
import subprocess
from pathlib import Path

import pytest

from apilab.secretscan import find_secrets
from apilab.secretscan.files import scan_paths
from tests._services import unavailable

ALNUM = string.ascii_letters + string.digits


def _r(n: int, seed: int = 1, alphabet: str = ALNUM) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


ANTHROPIC = "sk-ant-" + "api03-" + _r(93, 2, ALNUM + "_-") + "AA"
PASSWORD = "Tq8" + _r(13, 3)


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_every_ssh_keygen_private_key_is_found(kind: str, tmp_path: Path) -> None:
    if shutil.which("ssh-keygen") is None:  # a bar of issue 16: skip on a laptop, fail in CI
        unavailable("ssh-keygen", "install openssh-client")
    key = tmp_path / f"id_{kind}"
    args = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *args, "-N", "", "-C", "", "-f", str(key)],
                   check=True, capture_output=True)
    text = key.read_text()
    assert "AAAAAA" in text  # the run of one character the placeholder filter used to reject
    findings = find_secrets(text, key.name)
    assert [f.rule for f in findings] == ["private-key"]
    assert (findings[0].start, findings[0].end) == (0, len(text.rstrip("\n")))


@pytest.mark.parametrize("text", [
    f'KEY = ("{ANTHROPIC[:40]}"\n       "{ANTHROPIC[40:]}")\n',             # Python implicit
    f"const key = '{ANTHROPIC[:50]}' +\n  '{ANTHROPIC[50:]}';\n",           # JS +
    f"const key = `{ANTHROPIC[:30]}` + `{ANTHROPIC[30:]}`;\n",              # template strings
])
def test_a_key_split_across_string_literals_is_joined(text: str) -> None:
    (finding,) = find_secrets(text, "app.py")
    assert finding.rule == "anthropic-api-key" and finding.line == 1
    assert ANTHROPIC[:8] not in finding.redacted[13:] and ANTHROPIC[-4:] == finding.redacted[-4:]


def test_base64_in_a_kubernetes_secret_is_decoded() -> None:
    encoded = base64.b64encode(ANTHROPIC.encode()).decode()
    pem = base64.b64encode(("-----BEGIN PRIVATE KEY-----\n" + _r(64, 4) + "\n" + _r(64, 5)
                            + "\n-----END PRIVATE KEY-----\n").encode()).decode()
    assert len(pem) > 200  # past the old generic rule's 200-character limit
    manifest = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: llm\ntype: Opaque\ndata:\n"
                f"  ANTHROPIC_API_KEY: {encoded}\n  tls.key: {pem}\n"
                f"  db-password: {base64.b64encode(PASSWORD.encode()).decode()}\n")
    found = {f.line: f.rule for f in find_secrets(manifest, "secret.yaml")}
    assert found == {7: "anthropic-api-key", 8: "private-key", 9: "generic-password"}


def test_docker_config_auth_is_decoded() -> None:
    auth = base64.b64encode(f"deploy:{PASSWORD}".encode()).decode()
    text = json.dumps({"auths": {"registry.example.org": {"auth": auth}}})
    assert find_secrets(text, "config.json")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_files_are_decoded_by_their_bom(encoding: str, tmp_path: Path) -> None:
    body = f'ANTHROPIC_API_KEY = "{ANTHROPIC}"\n'
    data = body.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "settings.py").write_bytes(data)
    report = scan_paths([tmp_path], project_checks=False)
    assert [f.rule for f in report.findings] == ["anthropic-api-key"]
    assert report.skipped == 0


@pytest.mark.parametrize("text", [
    f"DB_PASSWORD={PASSWORD}\n",
    f"export DB_PASSWORD={PASSWORD}\n",
    f"https://api.example.org/v1/items?limit=10&access_token={_r(32, 6)}&x=1",
    f"https://h.org/p?a=1%26token%3D{_r(24, 7)}%26b%3D2",
    "!function(){var e=" + "{a:1};" * 40 + f'e.apiKey="{ANTHROPIC}";' + "var f=2}();",
])
def test_other_placements(text: str) -> None:
    assert find_secrets(text, ".env" if "DB_" in text else "x.js"), text


def test_notebooks_still_work() -> None:
    cell = {"cell_type": "code", "source": ["import os\n", f'os.environ["K"] = "{ANTHROPIC}"\n']}
    text = json.dumps({"cells": [cell], "nbformat": 4}, indent=1)
    assert [f.rule for f in find_secrets(text, "lab.ipynb")] == ["anthropic-api-key"]
