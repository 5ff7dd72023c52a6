"""Sandbox configuration as data: rate-limit tiers and chaos profiles.

The built-in presets live in ``presets.yaml`` beside this module (dated example
figures); ``load_config(path)`` merges a user's YAML file over them by name.
Nothing here holds run-time state: see ``state.py`` for that.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from apilab.errors import ConfigError

__all__ = [
    "ChaosProfile",
    "SandboxConfig",
    "Tier",
    "builtin_config",
    "load_config",
]


@dataclasses.dataclass(frozen=True)
class Tier:
    """A named rate-limit preset: requests and tokens per minute."""

    name: str
    rpm: int
    tpm: int
    as_of: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class ChaosProfile:
    """Seeded fault-injection settings; probabilities are per request, in [0, 1].

    ``p_disconnect``/``p_malformed``/``p_stream_error`` apply to streamed replies only
    (drop the connection, send a broken chunk, or send the provider's mid-stream error
    event, which the SDKs raise and never retry); ``p_hang``
    makes the server accept the request and send nothing for ``hang_s`` seconds.
    Latencies are milliseconds, drawn uniformly in ``value ± jitter``.
    """

    name: str = "off"
    description: str = ""
    seed: int = 0
    p_429: float = 0.0
    p_500: float = 0.0
    p_503: float = 0.0
    p_529: float = 0.0
    p_disconnect: float = 0.0
    p_malformed: float = 0.0
    p_stream_error: float = 0.0
    p_hang: float = 0.0
    hang_s: float = 60.0
    retry_after_s: float = 1.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    ttft_ms: float = 0.0
    ttft_jitter_ms: float = 0.0
    tokens_per_s: float = 0.0  # 0 = as fast as the server can send

    _PROBS = ("p_429", "p_500", "p_503", "p_529", "p_disconnect", "p_malformed",
              "p_stream_error", "p_hang")

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str | None = None) -> ChaosProfile:
        """Build a profile from a mapping, with a clear error for unknown or bad fields."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ConfigError(
                f"Unknown chaos setting(s): {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(fields))}."
            )
        values = dict(data)
        if name is not None:
            values.setdefault("name", name)
        try:
            profile = cls(**values)
            for f in dataclasses.fields(cls):
                if f.name not in ("name", "description"):
                    object.__setattr__(profile, f.name, type(f.default)(getattr(profile, f.name)))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Bad chaos profile {values.get('name')!r}: {exc}") from exc
        for prob in cls._PROBS:
            value = getattr(profile, prob)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"Chaos {prob} must be between 0 and 1, not {value}.")
        numbers = ("hang_s", "retry_after_s", "latency_ms", "latency_jitter_ms", "ttft_ms",
                   "ttft_jitter_ms", "tokens_per_s")
        for number in numbers:
            if getattr(profile, number) < 0:
                raise ConfigError(f"Chaos {number} must not be negative.")
        return profile

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def is_off(self) -> bool:
        return not any(getattr(self, p) for p in self._PROBS) and not (
            self.latency_ms or self.ttft_ms or self.tokens_per_s or self.latency_jitter_ms
        )


@dataclasses.dataclass(frozen=True)
class SandboxConfig:
    """Tiers and chaos profiles by name."""

    tiers: dict[str, Tier]
    chaos_profiles: dict[str, ChaosProfile]

    def tier(self, name: str) -> Tier:
        try:
            return self.tiers[name]
        except KeyError as exc:
            raise ConfigError(
                f"Unknown tier {name!r}. Known tiers: {', '.join(self.tiers)}."
            ) from exc

    def profile(self, name: str) -> ChaosProfile:
        try:
            return self.chaos_profiles[name]
        except KeyError as exc:
            raise ConfigError(
                f"Unknown chaos profile {name!r}. Known: {', '.join(self.chaos_profiles)}."
            ) from exc


def _parse(raw: Any, source: str) -> tuple[dict[str, Tier], dict[str, ChaosProfile]]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with 'tiers' and 'chaos_profiles'.")
    unknown = set(raw) - {"tiers", "chaos_profiles"}
    if unknown:
        raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}; "
                          "expected 'tiers' and 'chaos_profiles'.")
    for section in ("tiers", "chaos_profiles"):
        if not isinstance(raw.get(section) or {}, dict):
            raise ConfigError(f"{source}: '{section}' must be a mapping of name -> settings.")
        for name in raw.get(section) or {}:
            if not isinstance(name, str):  # YAML reads bare off/on/yes/no as booleans
                raise ConfigError(f"{source}: {section} name {name!r} must be a string; "
                                  "quote it, e.g. \"off\":.")
    tiers: dict[str, Tier] = {}
    for name, body in (raw.get("tiers") or {}).items():
        if not isinstance(body, dict) or "rpm" not in body or "tpm" not in body:
            raise ConfigError(f"{source}: tier {name!r} needs 'rpm' and 'tpm'.")
        try:
            rpm, tpm = int(body["rpm"]), int(body["tpm"])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: tier {name!r} rpm/tpm must be integers.") from exc
        if rpm <= 0 or tpm <= 0:
            raise ConfigError(f"{source}: tier {name!r} rpm/tpm must be positive.")
        tiers[str(name)] = Tier(str(name), rpm, tpm, str(body.get("as_of", "")),
                                str(body.get("note", "")))
    profiles: dict[str, ChaosProfile] = {}
    for name, body in (raw.get("chaos_profiles") or {}).items():
        if body is not None and not isinstance(body, dict):
            raise ConfigError(f"{source}: chaos profile {name!r} must be a mapping of fields.")
        profiles[str(name)] = ChaosProfile.from_dict(dict(body or {}), name=str(name))
    return tiers, profiles


@functools.cache
def builtin_config() -> SandboxConfig:
    """The presets shipped with apilab."""
    text = (resources.files("apilab.sandbox") / "presets.yaml").read_text(encoding="utf-8")
    tiers, profiles = _parse(yaml.safe_load(text), "presets.yaml")
    return SandboxConfig(tiers, profiles)


def load_config(path: str | Path | None = None) -> SandboxConfig:
    """The built-in presets, with the YAML file at ``path`` (if any) merged over them."""
    base = builtin_config()
    if not path:
        return base
    file = Path(path).expanduser()
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read sandbox config {file}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Sandbox config {file} is not valid YAML: {exc}") from exc
    tiers, profiles = _parse(raw, str(file))
    return SandboxConfig({**base.tiers, **tiers}, {**base.chaos_profiles, **profiles})
