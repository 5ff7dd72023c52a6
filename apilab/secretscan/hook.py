"""Pre-commit integration: the hook script for plain git users, and the hook entry point.

``install_hook`` writes ``.git/hooks/pre-commit`` (wherever ``git rev-parse
--git-path hooks`` says hooks live) running ``apilab scan --staged`` with the
current interpreter. It refuses to overwrite a hook it did not write. pre-commit
framework users get the same command from ``.pre-commit-hooks.yaml``; ``main``
lets ``python -m apilab.secretscan.hook`` run it without the CLI script on PATH.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from apilab.errors import InvalidInputError
from apilab.secretscan import git

__all__ = ["HOOK_MARKER", "install_hook", "main"]

HOOK_MARKER = "# installed by `apilab scan --install-hook`"


def _hook_script() -> str:
    return (
        "#!/bin/sh\n"
        f"{HOOK_MARKER}\n"
        "# Blocks commits that add API keys or other secrets. Bypass once (not advised):\n"
        "#   git commit --no-verify\n"
        f'exec "{sys.executable}" -m apilab scan --staged\n'
    )


def install_hook(folder: str | Path = ".", *, force: bool = False) -> Path:
    """Install the pre-commit hook in the repository containing ``folder``; returns its path."""
    root = git.repo_root(Path(folder))
    if root is None:
        raise InvalidInputError(f"{folder} is not inside a git repository: run `git init` first.")
    hooks = Path(git._git(root, "rev-parse", "--git-path", "hooks").strip())
    if not hooks.is_absolute():
        hooks = root / hooks
    hooks.mkdir(parents=True, exist_ok=True)
    target = hooks / "pre-commit"
    if target.exists() and HOOK_MARKER not in target.read_text("utf-8", "replace") and not force:
        raise InvalidInputError(
            f"{target} already exists and was not written by apilab. Add the line "
            "`apilab scan --staged || exit 1` to it, or use the pre-commit framework "
            "(see docs/secretscan.md)."
        )
    target.write_text(_hook_script(), encoding="utf-8")
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


def main(argv: list[str] | None = None) -> int:
    """Scan what is staged, print findings (redacted), return 1 if any (the hook's job).

    ``python -m apilab.secretscan.hook`` works without the ``apilab`` script on PATH;
    it deliberately does not import the CLI (engines never import front doors).
    """
    from apilab.secretscan.files import scan_staged

    folder = (argv if argv is not None else sys.argv[1:])[:1] or ["."]
    try:
        report = scan_staged(folder[0])
    except InvalidInputError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    for f in report.findings:
        shown = f"  {f.redacted}" if f.redacted else ""
        print(f"{f.path}:{f.line}  {f.rule}{shown}\n    fix: {f.fix}", file=sys.stderr)
    if report.findings:
        print(f"{len(report.findings)} secret(s) in the staged changes: commit refused.",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
