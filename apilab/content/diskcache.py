"""An on-disk cache for data the lab derives from its own package files.

Parsing the course's YAML (about 0.25 s: libyaml parses fast, PyYAML's object
construction does not), stemming every card phrasing for the search index and
embedding them (0.2-0.3 s each) would otherwise happen at every ``apilab ask``.
Entries are keyed by a digest of everything they are derived from (the files' bytes,
the deriving code's source), so an edited card or a new release never reads a stale
entry; a missing, unreadable or corrupt entry is rebuilt, and a cache that cannot be
written is skipped. Only plain JSON and ``.npy`` arrays (``allow_pickle=False``) are
read back: nothing in the cache can run code.

Location: ``$APILAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/apilab``, else
``~/.cache/apilab``; ``APILAB_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["cache_dir", "digest", "read_array", "read_json", "write_array", "write_json"]


def cache_dir() -> Path | None:
    """Where entries live, or ``None`` when the cache is off."""
    configured = os.environ.get("APILAB_CACHE_DIR", "").strip()
    if configured.lower() in {"off", "0", "none", "false"}:
        return None
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "apilab"


def digest(parts: Iterable[str | bytes]) -> str:
    """A key for data derived from ``parts`` (each part length-prefixed, so
    ``["ab", "c"]`` and ``["a", "bc"]`` differ)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


def _path(kind: str, key: str, suffix: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"{kind}-{key}{suffix}"


def _encode(value: Any) -> Any:
    # YAML gives dates and datetimes; JSON has no type for them.
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"not cacheable: {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
    return obj


def read_json(kind: str, key: str) -> Any | None:
    """The entry, or ``None`` when absent or unreadable."""
    path = _path(kind, key, ".json")
    if path is None:
        return None
    try:
        found = json.loads(path.read_bytes(), object_hook=_decode)
    except (OSError, ValueError):
        return None
    _touch(path)
    return found


def write_json(kind: str, key: str, data: Any) -> None:
    """Store an entry (and drop the least recently used of its kind beyond
    ``KEEP_PER_KIND``); errors are ignored."""
    _write(kind, key, ".json", json.dumps(data, default=_encode, separators=(",", ":")).encode())


def read_array(kind: str, key: str) -> np.ndarray | None:
    path = _path(kind, key, ".npy")
    if path is None or not path.is_file():
        return None
    import numpy as np

    try:
        found = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    _touch(path)
    return found  # type: ignore[no-any-return]


def write_array(kind: str, key: str, array: np.ndarray) -> None:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    _write(kind, key, ".npy", buffer.getvalue())


def _write(kind: str, key: str, suffix: str, data: bytes) -> None:
    path = _path(kind, key, suffix)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader in another process never sees half an entry.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-", suffix=suffix)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        _evict(path, kind, suffix)
    except OSError:
        return


# Entries kept per kind, most recently used first: two checkouts or versions on one
# machine (a served lab and a test run, two worktrees) would evict each other's single
# entry and rebuild on every start.
KEEP_PER_KIND = 4


def _evict(path: Path, kind: str, suffix: str) -> None:
    def used(entry: Path) -> float:
        try:
            return entry.stat().st_mtime
        except OSError:
            return 0.0

    others = sorted((p for p in path.parent.glob(f"{kind}-*{suffix}") if p != path),
                    key=used, reverse=True)
    for old in others[KEEP_PER_KIND - 1:]:
        old.unlink(missing_ok=True)


def _touch(path: Path) -> None:
    """Mark an entry used (its mtime orders eviction); best effort."""
    with contextlib.suppress(OSError):
        os.utime(path)
