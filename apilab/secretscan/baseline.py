"""Baseline files: findings a team has reviewed and accepted, stored by fingerprint only.

The file is JSON so it diffs well in review::

    {"version": 1, "tool": "apilab scan",
     "findings": [{"fingerprint": "…", "rule": "…", "path": "…", "line": 3,
                   "redacted": "sk-proj-…9f2a"}]}

Only the fingerprint is used for matching (rule, path and line are there for
humans); no field holds the secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from apilab.errors import InvalidInputError
from apilab.secretscan.scanner import Finding

__all__ = ["BASELINE_VERSION", "apply_baseline", "load_baseline", "write_baseline"]

BASELINE_VERSION = 1


def load_baseline(path: str | Path) -> set[str]:
    """The accepted fingerprints in a baseline file."""
    file = Path(path)
    try:
        data = json.loads(file.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInputError(
            f"Baseline file {file} does not exist. Create it with "
            f"`apilab scan --update-baseline --baseline {file} PATH`."
        ) from exc
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"Baseline file {file} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InvalidInputError(
            f"Baseline file {file} has no 'findings' list; regenerate it with --update-baseline."
        )
    return {
        str(item["fingerprint"])
        for item in data["findings"]
        if isinstance(item, dict) and "fingerprint" in item
    }


def write_baseline(path: str | Path, findings: Iterable[Finding]) -> int:
    """Write ``findings`` as the new baseline; returns how many were written."""
    entries = sorted(
        (
            {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "line": f.line,
             "redacted": f.redacted}
            for f in findings
        ),
        key=lambda e: (str(e["path"]), int(str(e["line"])), str(e["rule"])),
    )
    # One entry per fingerprint: the same secret seen twice is accepted once.
    unique = list({e["fingerprint"]: e for e in entries}.values())
    doc = {"version": BASELINE_VERSION, "tool": "apilab scan", "findings": unique}
    try:
        Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"Cannot write baseline {path}: {exc}") from exc
    return len(unique)


def apply_baseline(findings: list[Finding], accepted: set[str]) -> tuple[list[Finding], int]:
    """Findings not in the baseline, and how many were suppressed."""
    kept = [f for f in findings if f.fingerprint not in accepted]
    return kept, len(findings) - len(kept)
