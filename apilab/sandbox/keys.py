"""Sandbox API keys: create, list, revoke, rotate, usage, and the lab's own key.

A secret is ``sk-sbx-`` + 40 random URL-safe characters. It is returned once by
``create_key``/``rotate_key`` and stored only as its SHA-256: the secrets are
~240-bit random, so a fast hash cannot be brute-forced and keeps lookup a
single indexed query (the reason for not using a slow password hash).

``ensure_lab_key(db, settings)`` gives the lab itself (workbench, tutor, drills,
tests) a working key without any secret in code: it creates a key named
"apilab lab" on first use and keeps its secret in ``<data dir>/sandbox-lab.key``
(mode 0600), never in the database or a log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import os
import secrets
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apilab.errors import InvalidInputError, NotFoundError
from apilab.storage import sandbox as repo
from apilab.storage.models.sandbox import SandboxAudit, SandboxKey

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = [
    "SECRET_PREFIX",
    "AuditEntry",
    "KeyRecord",
    "create_key",
    "ensure_lab_key",
    "find_key",
    "get_key",
    "hash_secret",
    "key_usage",
    "lab_key_path",
    "list_keys",
    "revoke_key",
    "replace_revoked_key",
    "rotate_key",
    "secret_hint",
]

log = logging.getLogger(__name__)

SECRET_PREFIX = "sk-sbx-"
LAB_KEY_NAME = "apilab lab"
LAB_KEY_FILE = "sandbox-lab.key"


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a secret (what the database stores)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_hint(secret: str) -> str:
    """A safe label for a secret: its prefix and last four characters."""
    if secret.startswith(SECRET_PREFIX) and len(secret) > len(SECRET_PREFIX) + 8:
        return f"{SECRET_PREFIX}…{secret[-4:]}"
    return f"…{secret[-4:]}" if len(secret) > 8 else "…"


def _new_secret() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return SECRET_PREFIX + "".join(secrets.choice(alphabet) for _ in range(40))


@dataclasses.dataclass(frozen=True)
class KeyRecord:
    """A key as everyone but its holder sees it: no secret, only a hint."""

    id: str
    name: str
    hint: str
    tier: str
    models: tuple[str, ...] | None
    monthly_cap_usd: Decimal | None
    rpm: int | None
    tpm: int | None
    owner: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    rotated_from: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def from_row(cls, row: SandboxKey) -> KeyRecord:
        cap = row.monthly_cap_usd
        return cls(
            id=row.id, name=row.name, hint=row.secret_hint, tier=row.tier,
            models=tuple(row.models) if row.models is not None else None,
            monthly_cap_usd=Decimal(str(cap)) if cap is not None else None,
            rpm=row.rpm, tpm=row.tpm, owner=row.owner,
            created_at=_aware(row.created_at), revoked_at=_aware(row.revoked_at),
            rotated_from=row.rotated_from,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: money as a string, times in ISO 8601."""
        return {
            "id": self.id, "name": self.name, "hint": self.hint, "tier": self.tier,
            "models": list(self.models) if self.models is not None else None,
            "monthly_cap_usd": str(self.monthly_cap_usd) if self.monthly_cap_usd is not None
            else None,
            "rpm": self.rpm, "tpm": self.tpm, "owner": self.owner,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked": self.revoked, "rotated_from": self.rotated_from,
        }


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One request a key made: when, which model, tokens, cost, client and outcome."""

    time: dt.datetime
    key_id: str | None
    key_hint: str | None
    request_id: str
    api: str
    model: str | None
    status: int
    error_type: str | None
    stream: bool
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    cost: Decimal
    user_agent: str | None
    retry_count: int | None
    latency_ms: int | None
    note: str | None

    @classmethod
    def from_row(cls, row: SandboxAudit) -> AuditEntry:
        return cls(
            time=_aware(row.time), key_id=row.key_id, key_hint=row.key_hint,
            request_id=row.request_id, api=row.api, model=row.model, status=row.status,
            error_type=row.error_type, stream=bool(row.stream), input_tokens=row.input_tokens,
            output_tokens=row.output_tokens, cached_tokens=row.cached_tokens,
            cache_write_tokens=row.cache_write_tokens, cost=Decimal(str(row.cost_usd or 0)),
            user_agent=row.user_agent, retry_count=row.retry_count, latency_ms=row.latency_ms,
            note=row.note,
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["time"] = self.time.isoformat()
        data["cost"] = str(self.cost)
        return data


def _aware(value: dt.datetime | None) -> Any:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _known_tiers(db: Database) -> set[str]:
    from apilab.sandbox.state import existing_state

    state = existing_state(db)
    if state is not None:
        return set(state.config.tiers)
    # No sandbox in this process (the CLI): the presets plus APILAB_SANDBOX_CONFIG's tiers.
    from apilab.sandbox.config import load_config
    from apilab.settings import get_settings

    return set(load_config(get_settings().sandbox_config).tiers)


def _cap(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        cap = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInputError(f"monthly_cap_usd must be a number of dollars, not {value!r}."
                                ) from exc
    if not cap.is_finite() or cap < 0:
        raise InvalidInputError("monthly_cap_usd must be zero or more dollars.")
    return cap


def _changed(db: Database) -> None:
    from apilab.sandbox.state import existing_state

    state = existing_state(db)
    if state is not None:
        state.keys_changed()


def create_key(
    db: Database,
    *,
    name: str,
    models: list[str] | tuple[str, ...] | None = None,
    tier: str = "tier-1",
    monthly_cap_usd: Decimal | str | float | None = None,
    owner: str | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
    rotated_from: str | None = None,
) -> tuple[KeyRecord, str]:
    """Create a key and return it with its secret (shown once, stored hashed).

    ``models`` restricts the key to those model names (``None`` = all);
    ``rpm``/``tpm`` override the tier's limits.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInputError("A key needs a name, e.g. --name 'my app'.")
    if tier not in _known_tiers(db):
        raise InvalidInputError(
            f"Unknown tier {tier!r}. Known tiers: {', '.join(sorted(_known_tiers(db)))}."
        )
    for label, value in (("rpm", rpm), ("tpm", tpm)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise InvalidInputError(f"{label} must be a positive whole number.")
    model_list = None
    if models is not None:
        model_list = [m.strip() for m in models if m and m.strip()]
        if not model_list:
            model_list = None
    secret = _new_secret()
    row = SandboxKey(
        id="key_" + uuid.uuid4().hex[:20], name=name[:200], owner=owner,
        secret_hash=hash_secret(secret), secret_hint=secret_hint(secret), models=model_list,
        tier=tier, rpm=rpm, tpm=tpm, monthly_cap_usd=_cap(monthly_cap_usd),
        rotated_from=rotated_from,
    )
    with db.session() as session:
        repo.add_key(session, row)
        record = KeyRecord.from_row(row)
    _changed(db)
    log.info("Created sandbox key %s (%s, tier %s).", record.id, record.hint, tier)
    return record, secret


def list_keys(db: Database, *, include_revoked: bool = True) -> list[KeyRecord]:
    """Every key, oldest first (no secrets)."""
    with db.session() as session:
        return [KeyRecord.from_row(r) for r in repo.list_keys(session,
                                                              include_revoked=include_revoked)]


def get_key(db: Database, key_id: str) -> KeyRecord:
    """One key by id; ``NotFoundError`` when there is none."""
    with db.session() as session:
        row = repo.get_key(session, key_id)
        if row is None:
            raise NotFoundError(f"No sandbox key with id {key_id!r}. "
                                "Run `apilab sandbox keys list` to see them.")
        return KeyRecord.from_row(row)


def find_key(db: Database, secret: str) -> KeyRecord | None:
    """The key a secret belongs to (revoked or not), or ``None``."""
    with db.session() as session:
        row = repo.find_key_by_hash(session, hash_secret(secret))
        return KeyRecord.from_row(row) if row is not None else None


def revoke_key(db: Database, key_id: str) -> KeyRecord:
    """Revoke a key: its next request fails with 401. Revoking twice is harmless."""
    with db.session() as session:
        row = repo.get_key(session, key_id)
        if row is None:
            raise NotFoundError(f"No sandbox key with id {key_id!r}.")
        repo.revoke(session, row)
        record = KeyRecord.from_row(row)
    _changed(db)
    log.info("Revoked sandbox key %s (%s).", record.id, record.hint)
    return record


def rotate_key(db: Database, key_id: str) -> tuple[KeyRecord, str]:
    """Revoke a live key and create its one replacement with the same scope, tier and cap.

    Refused (``InvalidInputError``) for a key that is already revoked, whether by an
    earlier rotation or by hand: rotating again would leave a second live
    replacement, and a leaked key's id must not be enough to mint a fresh key with
    its scope. The revocation is a conditional update, so of two rotations racing
    on one key exactly one creates a replacement. To replace a key revoked by hand,
    use ``replace_revoked_key``.
    """
    old = get_key(db, key_id)
    with db.session() as session:
        claimed = repo.claim_revocation(session, key_id)
    if not claimed:
        raise _already_revoked(db, key_id)
    _changed(db)
    log.info("Revoked sandbox key %s (%s) for rotation.", old.id, old.hint)
    return _replacement(db, old)


def replace_revoked_key(db: Database, key_id: str) -> tuple[KeyRecord, str]:
    """The replacement for a key revoked by hand (revoke first, then replace: the drill's
    order). Refused for a live key (rotate it) and when a replacement exists already."""
    old = get_key(db, key_id)
    if not old.revoked:
        raise InvalidInputError(f"Key {key_id} is still live: rotate it instead (that revokes "
                                "it and creates the replacement in one step).")
    with db.session() as session:
        if repo.replacements(session, key_id):
            raise _already_revoked(db, key_id)
    return _replacement(db, old)


def _replacement(db: Database, old: KeyRecord) -> tuple[KeyRecord, str]:
    return create_key(
        db, name=old.name, models=list(old.models) if old.models is not None else None,
        tier=old.tier, monthly_cap_usd=old.monthly_cap_usd, owner=old.owner, rpm=old.rpm,
        tpm=old.tpm, rotated_from=old.id,
    )


def _already_revoked(db: Database, key_id: str) -> InvalidInputError:
    with db.session() as session:
        done = [r.id for r in repo.replacements(session, key_id)]
    hint = f" Its replacement is {done[-1]}." if done else ""
    return InvalidInputError(f"Key {key_id} is already revoked, so it cannot be rotated "
                             f"again.{hint} Create a new key if you need another.")


def key_usage(db: Database, key_id: str, *, limit: int = 200) -> list[AuditEntry]:
    """A key's audit log, newest first (time, model, tokens, cost, user agent, status)."""
    get_key(db, key_id)
    from apilab.sandbox.state import existing_state

    state = existing_state(db)
    if state is not None:
        state.audit.flush()
    with db.session() as session:
        return [AuditEntry.from_row(r) for r in repo.list_audit(session, key_id, limit=limit)]


def lab_key_path(settings: Settings) -> Path:
    """Where the lab's own sandbox key secret is kept (mode 0600)."""
    return settings.data_path / LAB_KEY_FILE


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_lab_key(db: Database, settings: Settings) -> str:
    """The secret of the lab's own sandbox key, creating the key and its file if needed.

    The secret lives only in ``<data dir>/sandbox-lab.key`` (0600). If that key
    was revoked or the file is missing, a new key replaces it.
    """
    path = lab_key_path(settings)
    with contextlib.suppress(OSError):
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            record = find_key(db, secret)
            if record is not None and not record.revoked:
                return secret
    _record, secret = create_key(db, name=LAB_KEY_NAME, tier="lab", owner="lab")
    _write_private(path, secret + "\n")
    return secret
