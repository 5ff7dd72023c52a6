"""Baseline files: findings a team has reviewed and accepted, stored by fingerprint only.

The file is JSON so it diffs well in review::

    {"version": 2, "tool": "apilab scan", "fingerprint_key": "<64 hex>",
     "findings": [{"fingerprint": "…", "rule": "…", "path": "…", "line": 3,
                   "redacted": "sk-proj-…9f2a"}]}

Only the fingerprint is used for matching (rule, path and line are there for
humans); no field holds the secret. Fingerprints are HMACs under the file's own
random ``fingerprint_key``, so everyone who scans with the committed baseline
(a teammate, CI) computes the same ones, while a fingerprint seen anywhere else
(a SARIF upload, a log) cannot be tested against guessed passwords without the
file. Version-1 files (unkeyed SHA-256) still match, through
``scanner.LEGACY_KEY``; ``--update-baseline`` rewrites them as version 2.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from pathlib import Path

from apilab.errors import InvalidInputError
from apilab.secretscan.scanner import LEGACY_KEY, Finding

__all__ = ["BASELINE_VERSION", "apply_baseline", "baseline_key", "load_baseline", "new_key",
           "write_baseline"]

BASELINE_VERSION = 2


def new_key() -> bytes:
    """A fresh random fingerprint key for a new baseline."""
    return secrets.token_bytes(32)


def baseline_key(path: str | Path) -> bytes | None:
    """The fingerprint key a baseline file was written with: its ``fingerprint_key``,
    ``LEGACY_KEY`` for a version-1 file, ``None`` when there is no readable file."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    raw = data.get("fingerprint_key")
    if raw is None:
        return LEGACY_KEY
    try:
        return bytes.fromhex(str(raw))
    except ValueError as exc:
        raise InvalidInputError(f"Baseline file {path} has a malformed fingerprint_key; "
                                "regenerate it with --update-baseline.") from exc


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


def write_baseline(path: str | Path, findings: Iterable[Finding], key: bytes) -> int:
    """Write ``findings`` (fingerprinted under ``key``) as the new baseline; returns how many
    were written."""
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
    doc = {"version": BASELINE_VERSION, "tool": "apilab scan", "fingerprint_key": key.hex(),
           "findings": unique}
    try:
        Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"Cannot write baseline {path}: {exc}") from exc
    return len(unique)


def apply_baseline(findings: list[Finding], accepted: set[str]) -> tuple[list[Finding], int]:
    """Findings not in the baseline, and how many were suppressed."""
    kept = [f for f in findings if f.fingerprint not in accepted]
    return kept, len(findings) - len(kept)
