"""Git plumbing for the scanner: staged changes, history, tracked and ignored files.

Only added lines are scanned in ``--staged`` and ``--history`` modes (as gitleaks
does with ``git log -p``): a secret is reported where it entered, with the commit
that added it. Consecutive added lines are scanned together so multi-line blocks
(private keys) are still found. All git calls go through ``_git``, which turns a
missing git or a non-repository into an ``InvalidInputError`` with a clear message.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from apilab.errors import InvalidInputError
from apilab.secretscan.scanner import Finding, find_secrets

__all__ = [
    "Hunk",
    "history_hunks",
    "ignored_paths",
    "parse_diff",
    "repo_root",
    "scan_hunks",
    "staged_hunks",
    "staged_paths",
    "tracked_paths",
]

_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_COMMIT_MARK = "commit:"


@dataclasses.dataclass
class Hunk:
    """A run of consecutive added lines in one file (at one commit, for history)."""

    path: str
    start_line: int
    lines: list[str]
    commit: str | None = None


# A scanned repository's own config must not run programs: core.fsmonitor names a hook
# that plain `git ls-files` would execute. A hung git (a network file system) is cut off.
_GIT_TIMEOUT = 120


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-c", "core.fsmonitor=", "-C", str(root),
             *args],
            capture_output=True, check=False, timeout=_GIT_TIMEOUT, stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise InvalidInputError("git is not installed; install it or scan plain paths.") from exc
    except subprocess.TimeoutExpired as exc:
        raise InvalidInputError(f"git {args[0]} took over {_GIT_TIMEOUT} s in {root}.") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InvalidInputError(
            f"git {args[0]} failed in {root}: {message[-1] if message else 'unknown error'}"
        )
    return proc.stdout.decode("utf-8", "replace")


def repo_root(path: Path) -> Path | None:
    """The top of the git work tree containing ``path``, or None."""
    start = path if path.is_dir() else path.parent
    try:
        return Path(_git(start, "rev-parse", "--show-toplevel").strip())
    except InvalidInputError:
        return None


def tracked_paths(root: Path) -> list[str]:
    """Every tracked file, relative to the work tree."""
    return [p for p in _git(root, "ls-files", "-z").split("\0") if p]


def staged_paths(root: Path) -> list[str]:
    """Files added, copied, modified or renamed in the index."""
    out = _git(root, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z")
    return [p for p in out.split("\0") if p]


def ignored_paths(root: Path) -> set[str]:
    """Untracked files and folders git ignores (folders end with '/')."""
    out = _git(root, "ls-files", "--others", "--ignored", "--exclude-standard",
               "--directory", "-z")
    return {p for p in out.split("\0") if p}


def parse_diff(diff: str) -> list[Hunk]:
    """Runs of added lines from ``git diff -U0`` / ``git log -p -U0`` output."""
    hunks: list[Hunk] = []
    path: str | None = None
    commit: str | None = None
    current: Hunk | None = None
    next_line = 0
    for raw in diff.split("\n"):
        if raw.startswith(_COMMIT_MARK):
            commit, path, current = raw[len(_COMMIT_MARK):].strip(), None, None
        elif raw.startswith("diff --git "):
            path, current = None, None
        elif raw.startswith("+++ "):
            target = raw[4:].strip()
            path = None if target == "/dev/null" else target[2:] if target[:2] == "b/" else target
            current = None
        elif raw.startswith("@@"):
            match = _HUNK_HEADER.match(raw)
            next_line = int(match.group(1)) if match else 0
            current = None
        elif raw.startswith("+") and path is not None:
            if current is None or current.start_line + len(current.lines) != next_line:
                current = Hunk(path, next_line, [], commit)
                hunks.append(current)
            current.lines.append(raw[1:])
            next_line += 1
        elif raw.startswith("-") or raw.startswith("\\"):
            current = None
    return hunks


def staged_hunks(root: Path) -> list[Hunk]:
    """Added lines of everything staged for the next commit."""
    diff = _git(root, "diff", "--cached", "-U0", "--no-color", "--no-ext-diff",
                "--diff-filter=ACMR")
    return parse_diff(diff)


def history_hunks(root: Path) -> Iterator[Hunk]:
    """Added lines of every commit reachable from HEAD, oldest first."""
    try:
        _git(root, "rev-parse", "--verify", "-q", "HEAD")
    except InvalidInputError:
        return iter(())  # no commits yet
    # Merge commits show no diff by default; their lines come from the parents' commits.
    diff = _git(root, "log", "-p", "-U0", "--no-color", "--no-ext-diff", "--reverse",
                f"--format={_COMMIT_MARK}%H", "HEAD")
    return iter(parse_diff(diff))


def scan_hunks(hunks: Iterator[Hunk] | list[Hunk]) -> list[Finding]:
    """Findings in added lines, with file line numbers (and commits); first sighting wins."""
    seen: set[str] = set()
    findings: list[Finding] = []
    for hunk in hunks:
        for f in find_secrets("\n".join(hunk.lines), hunk.path):
            if f.fingerprint in seen:
                continue
            seen.add(f.fingerprint)
            findings.append(
                dataclasses.replace(f, line=hunk.start_line + f.line - 1, commit=hunk.commit)
            )
    return findings
