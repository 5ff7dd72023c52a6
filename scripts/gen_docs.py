"""Regenerate the generated sections of the docs (like cog): settings table, CLI help.

Usage: .venv/bin/python scripts/gen_docs.py [--check]
With --check it exits 1 when a generated section is stale (tests/test_docs.py runs it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def settings_table() -> str:
    from apilab.settings import SETTINGS

    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = "" if s.default is None else f"`{s.default}`"
        lines.append(f"| `{s.env_var}` | {default} | {s.help} |")
    return "\n".join(lines)


def cli_reference() -> str:
    from typer.testing import CliRunner

    from apilab.cli import app

    runner = CliRunner()
    out = []
    top = runner.invoke(app, ["--help"], env={"COLUMNS": "100", "NO_COLOR": "1"}, color=False)
    out.append("### apilab --help\n\n```\n" + top.output.rstrip() + "\n```")
    names = sorted({c.name for c in app.registered_commands if c.name} |
                   {g.name for g in app.registered_groups if g.name})
    for name in names:
        res = runner.invoke(app, [name, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"},
                            color=False)
        out.append(f"### apilab {name} --help\n\n```\n" + res.output.rstrip() + "\n```")
    return "\n".join(line.rstrip() for line in "\n\n".join(out).splitlines())


SECTIONS = {
    "docs/operations.md": {"settings": settings_table},
    "docs/cli.md": {"cli": cli_reference},
}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(
        rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.DOTALL
    )
    if not pattern.search(text):
        raise SystemExit(f"missing markers for generated section {name!r}")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main(check: bool) -> int:
    stale = []
    for rel, sections in SECTIONS.items():
        path = ROOT / rel
        text = path.read_text(encoding="utf-8")
        new = text
        for name, make in sections.items():
            new = render(new, name, make())
        if new != text:
            stale.append(rel)
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        print("stale generated docs: " + ", ".join(stale) + " (run scripts/gen_docs.py)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main("--check" in sys.argv))
