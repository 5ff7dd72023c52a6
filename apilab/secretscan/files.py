"""Scan files, folders, the git index or the git history, and collect a report.

This is the engine behind ``apilab scan`` and the web panel's folder scan. It
walks folders (skipping VCS and cache folders, binary files, files git ignores
and very large files), runs ``find_secrets`` on each text file, and adds the
project checks from ``checks.py``. It never prints; the CLI formats the report.

Only regular files are read, opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked
with ``fstat`` after opening: a FIFO would block the reader forever, a device
(``/dev/zero``) never ends, and a symlink could point anywhere. ``ScanLimits``
caps files, bytes and time and can be cancelled from another thread (the web
route cancels when the browser goes away); a scan that stops early says so in
``ScanReport.stopped`` instead of pretending it saw everything.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from apilab.errors import InvalidInputError
from apilab.secretscan import checks, git
from apilab.secretscan.decode import decode_bytes
from apilab.secretscan.scanner import (
    Finding,
    current_fingerprint_key,
    find_secrets,
    fingerprint_key,
)

__all__ = ["DEFAULT_MAX_BYTES", "ScanLimits", "ScanReport", "scan_history", "scan_paths",
           "scan_staged"]

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


_MAX_GITIGNORE_BYTES = 1_000_000
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
    | getattr(os, "O_CLOEXEC", 0)


class ScanStopped(Exception):
    """Raised inside a walk when a limit is reached; the reason is the message."""


@dataclasses.dataclass
class ScanLimits:
    """Caps on one scan: files, bytes, seconds, and a flag another thread may set to cancel.

    ``None`` means no cap (the CLI's default: a developer scanning their own tree).
    """

    max_files: int | None = None
    max_bytes: int | None = None
    max_seconds: float | None = None
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    started: float = dataclasses.field(default_factory=time.monotonic)

    def check(self, report: ScanReport) -> None:
        """Raise ``ScanStopped`` when the report has reached a cap or the scan was cancelled."""
        if self.cancel.is_set():
            raise ScanStopped("cancelled: the client went away")
        if self.max_files is not None and report.files >= self.max_files:
            raise ScanStopped(f"stopped after {report.files:,} files (the limit)")
        if self.max_bytes is not None and report.bytes >= self.max_bytes:
            raise ScanStopped(f"stopped after {report.bytes:,} bytes (the limit)")
        if self.max_seconds is not None and time.monotonic() - self.started > self.max_seconds:
            raise ScanStopped(f"stopped after {self.max_seconds:g} s (the time limit), "
                              f"{report.files:,} files in")


@dataclasses.dataclass
class ScanReport:
    """What a scan found and how much it read."""

    findings: list[Finding] = dataclasses.field(default_factory=list)
    files: int = 0
    bytes: int = 0
    skipped: int = 0  # binary, unreadable, too large, or not a regular file
    mode: str = "paths"  # "paths" | "staged" | "history" | "text"
    suppressed: int = 0  # findings dropped by a baseline
    stopped: str | None = None  # why a limited scan ended early (None: it saw everything)

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
                "stopped": self.stopped,
            },
        }


def _display(path: Path, cwd: str | None = None) -> str:
    """``path`` relative to the working directory when it is inside it (as git shows paths)."""
    cwd = cwd or os.getcwd()
    absolute = os.path.abspath(path)
    if absolute == cwd:
        return "."
    inside = cwd.rstrip(os.sep) + os.sep
    if absolute.startswith(inside):
        # abspath is normalised, so the part after the prefix is the relative path
        # (os.path.relpath re-normalises both sides: a tenth of a scan's time on small files)
        return absolute[len(inside):].replace(os.sep, "/")
    return path.as_posix()


def _read_regular(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of a regular file, or ``None`` for anything else (or too big, or unreadable).

    The type is checked on the open descriptor, so a file swapped for a FIFO or a
    symlink between the walk and the open is still refused; ``O_NONBLOCK`` keeps
    the open itself from waiting for a FIFO's writer.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        chunks = []
        size = 0
        while size <= max_bytes:  # st_size can lie (a file growing as we read)
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > max_bytes else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _scan_file(path: Path, shown: str, report: ScanReport, max_bytes: int) -> None:
    if path.suffix.lower() in BINARY_SUFFIXES:
        report.skipped += 1
        return
    data = _read_regular(path, max_bytes)
    text = None if data is None else decode_bytes(data)  # UTF-16 by its BOM; None: binary
    if data is None or text is None:
        report.skipped += 1
        return
    report.files += 1
    report.bytes += len(data)
    report.findings.extend(find_secrets(text, shown))


# A folder with at least this many files to scan is shared out between worker processes
# (when no limit applies: the web panel's capped, cancellable scans stay in one thread).
# Below it, starting the workers costs more than they save.
PARALLEL_MIN_FILES = 400
_BATCH_FILES = 64


def default_jobs() -> int:
    """Worker processes for a large tree: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _scan_batch(batch: list[tuple[str, str]], max_bytes: int, key: bytes
                ) -> tuple[list[Finding], int, int, int]:
    """One worker's share: (findings, files, bytes, skipped) for ``(path, shown)`` pairs."""
    part = ScanReport()
    with fingerprint_key(key):  # the parent's key: fingerprints do not depend on the worker
        for path, shown in batch:
            _scan_file(Path(path), shown, part, max_bytes)
    return part.findings, part.files, part.bytes, part.skipped


def _scan_files(items: list[tuple[Path, str]], report: ScanReport, max_bytes: int,
                jobs: int) -> None:
    """Scan ``(path, shown)`` pairs, in several processes when there are many; findings come
    back in the same order as a one-process scan gives them."""
    if jobs <= 1 or len(items) < PARALLEL_MIN_FILES:
        for path, shown in items:
            _scan_file(path, shown, report, max_bytes)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork where there is one: the workers start with the compiled rules and the keyword
    # automaton already built, in a few milliseconds. (The CLI has no other threads.)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    batches = [[(str(p), shown) for p, shown in items[i:i + _BATCH_FILES]]
               for i in range(0, len(items), _BATCH_FILES)]
    key = current_fingerprint_key()
    find_secrets("", None)  # build the rule plan before forking, not once per worker
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for findings, files, size, skipped in pool.map(
                _scan_batch, batches, [max_bytes] * len(batches), [key] * len(batches)):
            report.findings.extend(findings)
            report.files += files
            report.bytes += size
            report.skipped += skipped


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
    """(file, ignored-by-git) for every regular file under ``folder``, pruning skipped folders.

    Symlinks are never followed (to files or folders), and FIFOs, sockets and
    devices are never yielded; their type comes from the directory entry, so
    no ``stat`` call can block on them.
    """
    stack = [folder]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            path = here / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS and (
                            include_ignored or not view.is_ignored(path, is_dir=True)):
                        subdirs.append(path)
                elif entry.is_file(follow_symlinks=False):
                    yield path, view.is_ignored(path, is_dir=False)
            except OSError:
                continue
        stack.extend(reversed(subdirs))  # depth first, in name order, like os.walk


def scan_paths(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    include_ignored: bool = False,
    project_checks: bool = True,
    limits: ScanLimits | None = None,
    jobs: int = 1,
) -> ScanReport:
    """Scan files and folders; raises ``InvalidInputError`` for a path that does not exist.

    With ``limits``, the scan ends early when a cap is reached or it is cancelled,
    and ``report.stopped`` says why (the findings so far are kept); such a scan runs in
    this thread. Without them, a folder of many files is shared out between ``jobs``
    processes (``default_jobs()`` for all the CPUs); the report is the same either way.
    """
    report = ScanReport(mode="paths")
    try:
        _scan_paths(paths, report, max_bytes, include_ignored, project_checks, limits,
                    jobs if limits is None else 1)
    except ScanStopped as stop:
        report.stopped = str(stop)
    return report


def _scan_paths(paths: Sequence[str | Path], report: ScanReport, max_bytes: int,
                include_ignored: bool, project_checks: bool, limits: ScanLimits | None,
                jobs: int = 1) -> None:
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InvalidInputError(f"No such file or folder: {raw}. Check the path and retry.")
        if not path.is_dir():
            # A file named directly: the same regular-file rule as inside a folder.
            _scan_file(path, _display(path), report, max_bytes)
            continue
        view = _GitView(path)
        env_tracked: list[str] = []
        env_loose: list[str] = []
        cwd = os.getcwd()
        pending: list[tuple[Path, str]] = []  # walked first, then scanned (maybe in parallel)
        for file, ignored in _walk(path, view, include_ignored):
            if limits is not None:
                limits.check(report)
            shown = _display(file, cwd)
            if project_checks and checks.is_env_file(file.name) and not ignored:
                rel = view.rel(file)
                (env_tracked if rel is not None and rel in view.tracked else env_loose).append(
                    shown
                )
            if ignored and not include_ignored:
                continue
            if jobs > 1:
                pending.append((file, shown))
            else:
                _scan_file(file, shown, report, max_bytes)
        _scan_files(pending, report, max_bytes, jobs)
        if not project_checks:
            continue
        report.findings.extend(checks.env_file_findings(env_tracked, tracked=True))
        report.findings.extend(checks.env_file_findings(env_loose, tracked=False))
        gitignore = path / ".gitignore"
        is_root = view.root is not None and view.root.resolve() == path.resolve()
        data = _read_regular(gitignore, _MAX_GITIGNORE_BYTES)
        if is_root or data is not None:
            text = data.decode("utf-8", "replace") if data is not None else None
            finding = checks.gitignore_finding(text, _display(gitignore))
            if finding:
                report.findings.append(finding)


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
