"""Tricky placements (issue 16): secrets hidden by where and how they are written.

Each case is a small file (name and bytes) built around one value: a synthetic key or
password assembled at run time, so nothing key-shaped is committed and the repo's own
scan stays clean. ``build(real=True)`` puts a real-looking secret in every case;
``build(real=False)`` puts a look-alike placeholder of the same kind in the same place
(``sk-ant-api03-xxxx…``, ``your-password-here``), which must never be flagged.

``found(case)`` decodes the bytes as the file scanner does (UTF-16 by its BOM) and asks
``find_secrets``. ``bench/scan.py`` prints how many real cases are found.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import string
from collections.abc import Callable

from apilab.secretscan import find_secrets
from apilab.secretscan.decode import decode_bytes

__all__ = ["Case", "build", "found"]

ALNUM = string.ascii_letters + string.digits


def _r(n: int, seed: int, alphabet: str = ALNUM) -> str:
    rng = random.Random(f"tricky{seed}")
    return "".join(rng.choice(alphabet) for _ in range(n))


def _values(real: bool) -> dict[str, str]:
    if real:
        return {
            "ai": "sk-ant-" + "api03-" + _r(93, 1, ALNUM + "_-") + "AA",
            "password": "Tq8" + _r(13, 2) + "#v",
            "token": "gh" + "p_" + _r(36, 3),
        }
    return {
        "ai": "sk-ant-" + "api03-" + "x" * 93 + "AA",
        "password": "your-password-here",
        "token": "gh" + "p_" + "X" * 36,
    }


@dataclasses.dataclass
class Case:
    """One placement: its name, the file it sits in, and that file's bytes."""

    name: str
    filename: str
    data: bytes


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _half(v: str) -> tuple[str, str]:
    return v[: len(v) // 2], v[len(v) // 2:]


_Maker = Callable[[dict[str, str]], tuple[str, str | bytes]]

_CASES: dict[str, _Maker] = {
    "python implicit concatenation": lambda v: (
        "settings.py", 'KEY = ("{}"\n       "{}")\n'.format(*_half(v["ai"]))),
    "+ between literals (JS)": lambda v: (
        "client.js", "const key = '{}' +\n  '{}';\n".format(*_half(v["ai"]))),
    "JS template strings without expressions": lambda v: (
        "client.ts", "const key = `{}` + `{}`;\n".format(*_half(v["ai"]))),
    "base64 in a Kubernetes Secret data:": lambda v: (
        "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: llm\ntype: Opaque\n"
        f"data:\n  ANTHROPIC_API_KEY: {_b64(v['ai'])}\n"),
    "docker config.json auth": lambda v: (
        "config.json", json.dumps({"auths": {"registry.corp.internal": {
            "auth": _b64("deploy:" + v["password"])}}}, indent=2)),
    "UTF-16 LE with BOM": lambda v: (
        "settings.py", b"\xff\xfe" + f'ANTHROPIC_API_KEY = "{v["ai"]}"\n'.encode("utf-16-le")),
    "UTF-16 BE with BOM": lambda v: (
        "settings.py", b"\xfe\xff" + f'ANTHROPIC_API_KEY = "{v["ai"]}"\n'.encode("utf-16-be")),
    "unquoted .env value": lambda v: (".env", f"DEBUG=1\nDB_PASSWORD={v['password']}\n"),
    "URL query string ?token=": lambda v: (
        "fetch.py", f'URL = "https://api.corp.internal/v1/items?limit=10&token={v["token"]}"\n'),
    "URL query string %3D encoded": lambda v: (
        "redirect.txt", f"https://h.corp.internal/login?next=%2Fapi%3Faccess_token%3D{v['token']}"
        "%26x%3D1\n"),
    "password in a URL with an e-mail user": lambda v: (
        "db.py",
        f'DSN = "postgres://jane@corp.internal:{v["password"]}@db.corp.internal:5432/app"\n'),
    "notebook (.ipynb, JSON-escaped)": lambda v: (
        "lab.ipynb", json.dumps({"cells": [{"cell_type": "code", "source": [
            "import os\n", f'os.environ["ANTHROPIC_API_KEY"] = "{v["ai"]}"\n']}],
            "nbformat": 4}, indent=1)),
    "minified JS": lambda v: (
        "app.min.js", "!function(){var e=" + "{a:1};" * 40 + f'e.apiKey="{v["ai"]}";'
        + "var f=2}();"),
    "YAML block scalar": lambda v: (
        "values.yaml", f"llm:\n  apiKey: |\n    {v['ai']}\n  model: claude\n"),
    "JSON-escaped string": lambda v: (
        "event.json", json.dumps({"body": json.dumps({"api_key": v["ai"]})})),
    "Markdown code fence": lambda v: (
        "NOTES.md", f"# Setup\n\n```bash\nexport ANTHROPIC_API_KEY={v['ai']}\n```\n"),
    "shell heredoc": lambda v: (
        "setup.sh", f"cat > .env <<EOF\nANTHROPIC_API_KEY={v['ai']}\nEOF\n"),
    "Dockerfile ENV": lambda v: (
        "Dockerfile", f"FROM python:3.12\nENV ANTHROPIC_API_KEY={v['ai']}\n"),
    "Dockerfile ARG": lambda v: (
        "Dockerfile", f"FROM python:3.12\nARG DB_PASSWORD={v['password']}\n"),
    "GitHub Actions env": lambda v: (
        "ci.yml", "jobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n"
        f"      GITHUB_TOKEN: {v['token']}\n    steps:\n      - run: make test\n"),
    "Terraform": lambda v: (
        "main.tf", 'resource "aws_db_instance" "db" {\n  username = "app"\n'
        f'  password = "{v["password"]}"\n}}\n'),
    "XML properties": lambda v: (
        "context.xml", f'<bean>\n  <property name="password" value="{v["password"]}"/>\n</bean>\n'),
    "Java .properties": lambda v: (
        "application.properties", f"spring.datasource.password={v['password']}\n"),
    "INI": lambda v: ("app.ini", f"[database]\nuser = app\npassword = {v['password']}\n"),
    "HTTP header in a curl command": lambda v: (
        "call.sh", f'curl https://api.anthropic.com/v1/messages -H "x-api-key: {v["ai"]}" '
        '-H "content-type: application/json"\n'),
    "key in a log line": lambda v: (
        "app.log", f"2026-01-04 12:00:01 INFO client ready with key {v['ai']} (model claude)\n"),
    "key split across \\ continuation": lambda v: (
        "settings.py", 'KEY = "{}\\\n{}"\n'.format(*_half(v["ai"]))),
}


def build(real: bool = True) -> list[Case]:
    """Every placement, with a real-looking secret or (``real=False``) a look-alike."""
    values = _values(real)
    out = []
    for name, make in _CASES.items():
        filename, content = make(values)
        data = content if isinstance(content, bytes) else content.encode()
        out.append(Case(name, filename, data))
    return out


def found(case: Case) -> bool:
    """Whether the scanner reports anything in this case's file."""
    text = decode_bytes(case.data)
    return text is not None and bool(find_secrets(text, case.filename))
