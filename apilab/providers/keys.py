"""Where API keys come from: one resolver, one documented order.

1. an explicit argument (tests only);
2. the secret file (``APILAB_SECRET_FILE``, default ``<data dir>/secrets.env``):
   ``PROVIDER_API_KEY=value`` lines, created with mode 0600 and refused when
   group- or world-readable;
3. the ``<PROVIDER>_API_KEY`` environment variable.

Keys are never stored in the database, never logged, never shown: use
``mask_key`` (in ``providers/base.py``) for anything displayed. A missing key
raises ``NeedsKeyError`` naming both ways to provide it. Apart from
``settings.py``, this is the only module that reads ``os.environ``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from apilab.errors import ConfigError, NeedsKeyError

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["env_var_for", "read_secret", "resolve_key", "secret_file_path", "write_secret"]


def env_var_for(provider: str) -> str:
    """The environment variable that holds a provider's key, e.g. OPENAI_API_KEY."""
    return f"{provider.upper().replace('-', '_')}_API_KEY"


def secret_file_path(settings: Settings) -> Path:
    """The secret file for these settings."""
    configured = settings.secret_file
    return Path(configured).expanduser() if configured else settings.data_path / "secrets.env"


def _read_secret_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"The secret file {path} is readable by other users (mode {mode:o}). "
            f"Run `chmod 600 {path}` and try again."
        )
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values[name.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def resolve_key(
    provider: str,
    settings: Settings,
    *,
    explicit: str | None = None,
    env_var: str | None = None,
) -> str:
    """The key for ``provider``: explicit, then the secret file, then the environment."""
    if explicit:
        return explicit
    var = env_var or env_var_for(provider)
    path = secret_file_path(settings)
    from_file = _read_secret_file(path).get(var)
    if from_file:
        return from_file
    from_env = os.environ.get(var)
    if from_env:
        return from_env
    raise NeedsKeyError(
        f"No API key for {provider}. Set {var} in the environment, or add the line "
        f"`{var}=...` to the secret file {path} (mode 0600). The offline tutor keeps "
        "answering until then.",
        provider=provider,
    )


def read_secret(settings: Settings, name: str) -> str | None:
    """Another secret kept like the keys (e.g. ``APILAB_OIDC_CLIENT_SECRET``): the secret
    file first, then the environment; ``None`` when neither has it."""
    return _read_secret_file(secret_file_path(settings)).get(name) or os.environ.get(name) \
        or None


def write_secret(settings: Settings, name: str, value: str) -> Path:
    """Add or replace ``name=value`` in the secret file, keeping it mode 0600."""
    path = secret_file_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    if path.exists():
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                 if ln.partition("=")[0].strip() != name]
    lines.append(f"{name}={value}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path
