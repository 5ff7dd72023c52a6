"""Project checks: mistakes that leak keys even before a key is in the code.

- a tracked (or staged) ``.env`` / ``*.env`` file: everything in it will be pushed;
- a ``.gitignore`` that does not ignore ``.env``: the next ``git add .`` adds it;
- keys in client-side code are flagged by ``find_secrets`` itself (the finding's
  description and fix say so), because that needs the key's position.

These findings carry no secret: ``redacted`` is empty and the fingerprint is
built from rule and path.
"""

from __future__ import annotations

import fnmatch
import posixpath

from apilab.secretscan.scanner import Finding, fingerprint

__all__ = ["env_file_findings", "gitignore_finding", "gitignore_ignores_env", "is_env_file"]

_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl", ".in")


def is_env_file(path: str) -> bool:
    """``.env``, ``.env.local``, ``prod.env`` and the like, but not ``.env.example``."""
    name = posixpath.basename(path.replace("\\", "/")).lower()
    if name.endswith(_TEMPLATE_SUFFIXES):
        return False
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def gitignore_ignores_env(text: str) -> bool:
    """Whether a ``.gitignore`` (its text) ignores a top-level ``.env`` file.

    A small subset of gitignore matching (last matching pattern wins, ``!``
    negates, directory-only patterns skipped) is enough for one known name;
    pulling in a full gitignore library for this would be overkill.
    """
    ignored = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        if pattern.endswith("/"):
            continue
        pattern = pattern.lstrip("/")
        if pattern.startswith("**/"):
            pattern = pattern[3:]
        if fnmatch.fnmatchcase(".env", pattern):
            ignored = not negate
    return ignored


def _project_finding(rule: str, description: str, path: str, fix: str, confidence: float,
                     line: int = 1) -> Finding:
    return Finding(
        rule=rule, description=description, line=line, column=1, start=0, end=0,
        confidence=confidence, redacted="", fix=fix,
        fingerprint=fingerprint(rule, path, ""), path=path,
    )


def env_file_findings(paths: list[str], *, tracked: bool) -> list[Finding]:
    """A finding for each env file among ``paths`` (tracked/staged files, or present files)."""
    findings = []
    for path in paths:
        if not is_env_file(path):
            continue
        if tracked:
            findings.append(_project_finding(
                "env-file-tracked", "Environment file committed to git", path,
                "Stop tracking it (`git rm --cached " + path + "`), add it to .gitignore, "
                "commit a .env.example with empty values instead, and rotate every key that "
                "was in it: it is in the history.", 0.9,
            ))
        else:
            findings.append(_project_finding(
                "env-file-not-ignored", "Environment file that .gitignore does not cover", path,
                "Add `.env` (and `*.env`) to .gitignore before the next `git add`, and keep a "
                ".env.example with empty values for others.", 0.7,
            ))
    return findings


def gitignore_finding(text: str | None, path: str = ".gitignore") -> Finding | None:
    """A finding when the project's ``.gitignore`` is missing or does not ignore ``.env``."""
    if text is not None and gitignore_ignores_env(text):
        return None
    what = "No .gitignore" if text is None else ".gitignore does not ignore .env"
    return _project_finding(
        "gitignore-missing-env", what, path,
        "Add these lines to .gitignore: `.env`, `.env.*`, `!.env.example`, `*.env` so local "
        "key files can never be committed by accident.", 0.8,
    )
