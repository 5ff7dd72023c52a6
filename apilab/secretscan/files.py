"""Scan files, folders, the git index or the git history, and collect a report.

This is the engine behind ``apilab scan`` and the web panel's folder scan. It
walks folders (skipping VCS and cache folders, binary files, files git ignores
and very large files), runs ``find_secrets`` on each text file, and adds the
project checks from ``checks.py``. It never prints; the CLI formats the report.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from apilab.errors import InvalidInputError
from apilab.secretscan import checks, git
from apilab.secretscan.scanner import Finding, find_secrets

__all__ = ["DEFAULT_MAX_BYTES", "ScanReport", "scan_history", "scan_paths", "scan_staged"]

DEFAULT_MAX_BYTES = 10_000_000
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".tox", "node_modules", ".venv", "venv",
})
BINARY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".pdf", ".zip", ".gz", ".tgz", ".bz2",
    ".xz", ".7z", ".whl", ".so", ".dylib", ".dll", ".exe", ".pyc", ".pyo", ".woff", ".woff2",
    ".ttf", ".otf", ".mp3", ".mp4", ".mov", ".sqlite", ".db", ".parquet", ".onnx", ".bin",
})


@dataclasses.dataclass
class ScanReport:
    """What a scan found and how much it read."""

    findings: list[Finding] = dataclasses.field(default_factory=list)
    files: int = 0
    bytes: int = 0
    skipped: int = 0  # binary, unreadable or too large
    mode: str = "paths"  # "paths" | "staged" | "history" | "text"
    suppressed: int = 0  # findings dropped by a baseline

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` document."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "summary": {
                "mode": self.mode,
                "findings": len(self.findings),
                "files_scanned": self.files,
                "bytes_scanned": self.bytes,
                "files_skipped": self.skipped,
                "suppressed_by_baseline": self.suppressed,
            },
        }


def _display(path: Path, cwd: str | None = None) -> str:
    """``path`` relative to the working directory when it is inside it (as git shows paths)."""
    cwd = cwd or os.getcwd()
    absolute = os.path.abspath(path)
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, cwd)).as_posix()
    return path.as_posix()


def _scan_file(path: Path, shown: str, report: ScanReport, max_bytes: int) -> None:
    if path.suffix.lower() in BINARY_SUFFIXES:
        report.skipped += 1
        return
    try:
        if path.stat().st_size > max_bytes:
            report.skipped += 1
            return
        data = path.read_bytes()
    except OSError:
        report.skipped += 1
        return
    if b"\0" in data[:8192]:
        report.skipped += 1
        return
    report.files += 1
    report.bytes += len(data)
    report.findings.extend(find_secrets(data.decode("utf-8", "replace"), shown))


class _GitView:
    """Tracked and ignored files of the repository a folder belongs to (if any)."""

    def __init__(self, folder: Path) -> None:
        self.root = git.repo_root(folder)
        self.tracked: set[str] = set()
        self.ignored: set[str] = set()
        if self.root is not None:
            self.tracked = set(git.tracked_paths(self.root))
            self.ignored = git.ignored_paths(self.root)

    def rel(self, path: Path) -> str | None:
        if self.root is None:
            return None
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None

    def is_ignored(self, path: Path, is_dir: bool) -> bool:
        rel = self.rel(path)
        if rel is None or rel in self.tracked:
            return False
        return (rel + "/" if is_dir else rel) in self.ignored


def _walk(folder: Path, view: _GitView, include_ignored: bool) -> Iterable[tuple[Path, bool]]:
    """(file, ignored-by-git) for every file under ``folder``, pruning skipped folders."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS
            and (include_ignored or not view.is_ignored(here / d, is_dir=True))
        )
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink():
                continue
            yield path, view.is_ignored(path, is_dir=False)


def scan_paths(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    include_ignored: bool = False,
    project_checks: bool = True,
) -> ScanReport:
    """Scan files and folders; raises ``InvalidInputError`` for a path that does not exist."""
    report = ScanReport(mode="paths")
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InvalidInputError(f"No such file or folder: {raw}. Check the path and retry.")
        if path.is_file():
            _scan_file(path, _display(path), report, max_bytes)
            continue
        view = _GitView(path)
        env_tracked: list[str] = []
        env_loose: list[str] = []
        cwd = os.getcwd()
        for file, ignored in _walk(path, view, include_ignored):
            shown = _display(file, cwd)
            if project_checks and checks.is_env_file(file.name) and not ignored:
                rel = view.rel(file)
                (env_tracked if rel is not None and rel in view.tracked else env_loose).append(
                    shown
                )
            if ignored and not include_ignored:
                continue
            _scan_file(file, shown, report, max_bytes)
        if not project_checks:
            continue
        report.findings.extend(checks.env_file_findings(env_tracked, tracked=True))
        report.findings.extend(checks.env_file_findings(env_loose, tracked=False))
        gitignore = path / ".gitignore"
        is_root = view.root is not None and view.root.resolve() == path.resolve()
        if is_root or gitignore.is_file():
            text = gitignore.read_text("utf-8", "replace") if gitignore.is_file() else None
            finding = checks.gitignore_finding(text, _display(gitignore))
            if finding:
                report.findings.append(finding)
    return report


def _git_root(folder: str | Path) -> Path:
    root = git.repo_root(Path(folder))
    if root is None:
        raise InvalidInputError(
            f"{folder} is not inside a git repository; --staged and --history need one."
        )
    return root


def scan_staged(folder: str | Path = ".") -> ScanReport:
    """Scan what is about to be committed (added lines of the index, plus staged env files)."""
    root = _git_root(folder)
    hunks = git.staged_hunks(root)
    report = ScanReport(mode="staged", files=len({h.path for h in hunks}))
    report.bytes = sum(len(line) + 1 for h in hunks for line in h.lines)
    report.findings = git.scan_hunks(hunks)
    report.findings.extend(checks.env_file_findings(git.staged_paths(root), tracked=True))
    return report


def scan_history(folder: str | Path = ".") -> ScanReport:
    """Scan every commit reachable from HEAD (added lines; first sighting of each secret)."""
    root = _git_root(folder)
    hunks = list(git.history_hunks(root))
    report = ScanReport(mode="history", files=len({h.path for h in hunks}))
    report.bytes = sum(len(line) + 1 for h in hunks for line in h.lines)
    report.findings = git.scan_hunks(hunks)
    env_paths = sorted({h.path for h in hunks if checks.is_env_file(h.path)})
    report.findings.extend(checks.env_file_findings(env_paths, tracked=True))
    return report
