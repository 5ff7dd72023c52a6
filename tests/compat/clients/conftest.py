"""Compatibility suite fixtures: a live sandbox served by the project's own venv.

These tests run in a separate virtualenv (``.venv-compat`` or
``.venv-compat-instructor``, see ``tests/compat/test_clients.py``) that holds the
current releases of third-party clients, whose pins conflict with the project's
(openai-agents needs Starlette 1.x, instructor needs jiter < 0.15). So this file
never imports ``apilab``: it starts ``python -m apilab sandbox`` from the project's
venv (``APILAB_COMPAT_SANDBOX_PYTHON``) on a free loopback port with a throw-away
data dir, and makes keys and chaos profiles through the sandbox's admin API
(loopback clients need no admin token).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Nothing here may reach the network: strip real keys and proxies, keep frameworks offline.
for _name in list(os.environ):
    if _name.endswith("_API_KEY") or _name.lower().endswith("_proxy") or \
            _name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID"):
        del os.environ[_name]
os.environ.update({
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # LiteLLM fetches its price map otherwise
    "LITELLM_TELEMETRY": "False",
    "HF_HUB_OFFLINE": "1",
    "OPENAI_AGENTS_DISABLE_TRACING": "1",  # the Agents SDK exports traces to OpenAI otherwise
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "NO_PROXY": "127.0.0.1,localhost",
})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandbox:
    """A sandbox server in another process, and its admin API."""

    url: str  # without /v1: Anthropic clients' base
    key: str  # an unlimited-tier key
    key_id: str

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/admin" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def new_key(self, **fields: Any) -> tuple[str, str]:
        """Create a key (``tier``, ``models`` ...); returns (id, secret)."""
        made = self.admin("POST", "/keys", {"name": "compat", "tier": "unlimited", **fields})
        return made["key"]["id"], made["secret"]

    def chaos(self, key_id: str, profile: dict[str, Any] | None) -> None:
        if profile is None:
            self.admin("DELETE", f"/chaos?key_id={key_id}")
        else:
            self.admin("PUT", "/chaos", {"profile": profile, "key_id": key_id})

    def usage(self, key_id: str) -> list[dict[str, Any]]:
        """Audit rows for a key, oldest first."""
        return list(reversed(self.admin("GET", f"/keys/{key_id}/usage")["entries"]))


def _sandbox_python() -> str:
    given = os.environ.get("APILAB_COMPAT_SANDBOX_PYTHON")
    if given:
        return given
    local = ROOT / ".venv" / "bin" / "python"
    return str(local) if local.exists() else sys.executable


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    data = tempfile.mkdtemp(prefix="apilab-compat-")
    env = {**os.environ, "APILAB_DATA_DIR": data, "APILAB_LOG_LEVEL": "warning"}
    port = _free_port()
    log = open(Path(data) / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([_sandbox_python(), "-m", "apilab", "sandbox", "--host",
                             "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the sandbox exited: " +
                                   (Path(data) / "server.log").read_text()[-2000:])
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            if time.time() > deadline:
                raise RuntimeError("the sandbox did not start within 60 s")
            time.sleep(0.2)
        probe = Sandbox(url, "", "")
        key_id, secret = probe.new_key()
        yield Sandbox(url, secret, key_id)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def fresh_key(sandbox: Sandbox) -> tuple[str, str]:
    """A key of its own for tests that read its audit rows or give it chaos."""
    return sandbox.new_key()


BAD_KEY = "sk-sbx-" + "0" * 40  # shaped like a key, never issued
MISSING_MODEL = "gpt-9-ultra"
