"""Every apilab setting, declared once.

This is the only module that reads ``os.environ`` (apart from
``providers/keys.py``, which reads the ``*_API_KEY`` variables). Each setting
has a name, a type, a default, its ``APILAB_*`` variable and a help text;
command-line flags override the environment, which overrides the default.
``docs/operations.md`` carries the same table and a test keeps them in step.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apilab.errors import ConfigError

__all__ = ["OBSOLETE_SETTINGS", "SETTINGS", "Setting", "Settings", "get_settings"]


@dataclasses.dataclass(frozen=True)
class Setting:
    """One configurable value: its name, type, default and help text."""

    name: str
    type: type
    default: Any
    help: str

    @property
    def env_var(self) -> str:
        return "APILAB_" + self.name.upper()


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "apilab")


SETTINGS: tuple[Setting, ...] = (
    # --- where state lives
    Setting("data_dir", str, None, "Folder for all local state (SQLite database, secret file). "
            "Default: $XDG_DATA_HOME/apilab or ~/.local/share/apilab."),
    Setting("database_url", str, None, "SQLAlchemy URL; default is SQLite in the data dir. "
            "Example: postgresql+psycopg://user@host/db."),
    Setting("redis_url", str, None, "Redis URL for shared rate-limit, budget and sandbox limit "
            "state across server processes; unset means in-process state (one server)."),
    # --- the lab server
    Setting("host", str, "127.0.0.1", "Interface `apilab serve` listens on."),
    Setting("port", int, 8000, "Port `apilab serve` listens on."),
    Setting("log_level", str, "info", "Logging level for the server and CLI."),
    Setting("max_message_chars", int, 8000, "Longest learner message accepted, in characters."),
    Setting("learner_header", str, None, "Header naming the learner, set by an authenticating "
            "reverse proxy (e.g. X-Forwarded-User). Unset: one local learner."),
    Setting("trusted_proxies", str, None, "Comma-separated addresses or networks of reverse "
            "proxies (e.g. 127.0.0.1,10.0.0.0/8) allowed to name the learner with "
            "APILAB_LEARNER_HEADER. Unset: only loopback peers, and only when the header is set."),
    Setting("allowed_hosts", str, None, "Comma-separated Host names the server answers to (a "
            "DNS-rebinding guard); '*' accepts any. Default: the bind address, localhost, "
            "127.0.0.1 and ::1."),
    Setting("max_body_bytes", int, 4 * 1024 * 1024, "Largest request body accepted, in bytes; "
            "bigger ones get 413."),
    Setting("api_docs", bool, True, "Serve the HTTP API reference at /api/docs (rendered by "
            "the server from its OpenAPI document; nothing is loaded from elsewhere)."),
    Setting("tutor_workers", int, -1, "Worker processes that compose the offline tutor's "
            "replies, so a long message never stalls other learners' streams (-1 = one when "
            "the machine has two or more cores, else none; 0 = compose in the server process)."),
    Setting("stream_pace_ms", int, 0, "Pause between streamed reply chunks on the lab page, in "
            "milliseconds (0 = as fast as produced; a typing effect for demos)."),
    # --- accounts, classes and LTI (class mode)
    Setting("session_days", float, 14.0, "How long a sign-in lasts, in days (server-side "
            "sessions in the database, shared by every server process)."),
    Setting("signin_window_s", int, 300, "Window of the sign-in rate limits, in seconds."),
    Setting("signin_email_limit", int, 10, "Sign-in attempts per email per window."),
    Setting("signin_peer_limit", int, 50, "Sign-in attempts per client address per window."),
    Setting("lti_config", str, None, "JSON file of LTI 1.3 platform registrations (PyLTI1p3's "
            "tool config format). Unset: no LTI."),
    Setting("lti_key_file", str, None, "PEM private key the tool signs LTI messages with; "
            "default <data dir>/lti-private.pem, created on first use (mode 0600)."),
    # OIDC sign-in. The client secret is deliberately not a setting (settings are printed
    # and compared freely): it is APILAB_OIDC_CLIENT_SECRET in the secret file or the
    # environment, read only when the token request is made (``oidc.config``).
    Setting("oidc_issuer", str, None, "Issuer URL of an OpenID Connect provider (e.g. "
            "https://accounts.google.com or https://sso.example.edu/realms/school); its "
            "discovery document is <issuer>/.well-known/openid-configuration. Unset: no OIDC "
            "sign-in. The client secret is APILAB_OIDC_CLIENT_SECRET in the secret file or the "
            "environment."),
    Setting("oidc_client_id", str, None, "Client id apilab is registered with at the OIDC "
            "provider (redirect URI: https://<your host>/auth/oidc/callback)."),
    Setting("oidc_name", str, None, "Name on the sign-in button ('Sign in with <name>'); "
            "default: the issuer's host name."),
    Setting("oidc_allowed_domains", str, None, "Comma-separated email domains allowed to sign "
            "in with OIDC (e.g. example.edu,students.example.edu); needs a verified email. "
            "Unset: anyone the provider signs in."),
    Setting("oidc_default_role", str, "learner", "Role of an account created by a first OIDC "
            "sign-in: learner or instructor (never admin; `apilab users set-role` changes it)."),
    Setting("oidc_link_email", bool, False, "Let a first OIDC sign-in with a verified email take "
            "over the existing account with that email (off: it is refused, and the person "
            "signs in with their password)."),
    Setting("oidc_password_signin", bool, True, "With OIDC configured, whether email and "
            "password sign-in (and reset links) stay on. Ignored without OIDC, so a server "
            "cannot lock everyone out."),
    Setting("retention_days", int, 0, "Transcripts older than this many days are purged by "
            "`apilab privacy purge` (and by every server once a day); 0 = keep them."),
    # --- scanning folders and text on the server
    Setting("scan_roots", str, None, "Folders the web page may scan, separated by the OS path "
            "separator (':' on Linux). Default: <data dir>/workspace and the directory the "
            "server started in."),
    Setting("scan_max_files", int, 20_000, "Files one folder scan from the web page reads at "
            "most before it stops and says so."),
    Setting("scan_max_bytes", int, 50_000_000, "Bytes one folder scan from the web page reads "
            "at most before it stops and says so."),
    Setting("scan_max_seconds", float, 10.0, "Seconds one folder scan (or one pasted-text "
            "scan) from the web page may take before it stops and says so."),
    # --- the lab assistant
    Setting("backend", str, "offline", "Assistant backend: offline, openai, anthropic, gemini "
            "or sandbox."),
    Setting("model", str, None, "Model for the assistant backend (default depends on backend)."),
    Setting("base_url", str, None, "Base URL for an OpenAI-compatible server (Ollama, vLLM, "
            "llama.cpp, Gemini's OpenAI endpoint)."),
    Setting("fallback", str, "offline", "Comma-separated fallback chain tried in order when the "
            "backend fails, e.g. 'openai:gpt-4o,openai:gpt-4o-mini,offline'."),
    Setting("secret_file", str, None, "File of PROVIDER_API_KEY=value lines (mode 0600); default "
            "<data dir>/secrets.env."),
    # --- the call layer
    Setting("connect_timeout", float, 5.0, "Seconds to establish a connection to a provider."),
    Setting("read_timeout", float, 30.0, "Seconds to wait for the first byte / next chunk."),
    Setting("total_deadline", float, 60.0, "Seconds across all attempts of one call."),
    Setting("max_retries", int, 4, "Retries after the first attempt for retryable errors."),
    Setting("retry_base", float, 0.5, "First backoff wait, in seconds."),
    Setting("retry_cap", float, 20.0, "Longest single backoff wait, in seconds."),
    Setting("retry_after_cap", float, 60.0, "Longest server Retry-After honoured, in seconds."),
    Setting("rpm_limit", int, 0, "Client-side requests per minute per provider/model (0 = off)."),
    Setting("tpm_limit", int, 0, "Client-side tokens per minute per provider/model (0 = off)."),
    Setting("budget_learner_daily_usd", str, "0.50", "Daily spend cap per learner, dollars."),
    Setting("budget_learner_monthly_usd", str, "2.00", "Monthly spend cap per learner, dollars."),
    Setting("budget_global_daily_usd", str, "20.00", "Daily spend cap for the whole server."),
    Setting("budget_global_monthly_usd", str, "200.00", "Monthly spend cap for the whole server."),
    Setting("budget_class", str, None, "Named class scope every learner's model calls also "
            "count against (e.g. cs101); its caps are APILAB_BUDGET_CLASS_*_USD."),
    Setting("budget_class_daily_usd", str, "off", "Daily spend cap for the class scope, "
            "dollars ('off' = none)."),
    Setting("budget_class_monthly_usd", str, "off", "Monthly spend cap for the class scope, "
            "dollars ('off' = none)."),
    Setting("budget_fail_open", bool, False, "Allow calls when the budget store is unreachable "
            "(default: refuse them)."),
    Setting("cache_ttl", float, 0.0, "Exact-match response cache TTL in seconds (0 = off)."),
    Setting("ledger_flush_ms", int, 100, "Usage-ledger rows are written behind the reply, in "
            "batches, at least this often (milliseconds); a killed process loses at most the "
            "rows of this last interval. 0 = write each row before the call returns."),
    Setting("ledger_queue_max", int, 10_000, "Ledger rows waiting to be written at most; past "
            "this a call writes its own row before it returns (nothing is dropped)."),
    Setting("eval_cache_ttl", float, 14 * 86400.0, "How long `apilab eval` keeps real "
            "providers' replies in <data dir>/eval-cache.sqlite3, in seconds (0 = no cache)."),
    # --- the sandbox provider
    Setting("sandbox_config", str, None, "YAML file with sandbox tiers and chaos profiles."),
    Setting("admin_token", str, None, "Token protecting the sandbox admin API "
            "(Authorization: Bearer). Unset: the admin API answers only while the server is "
            "bound to loopback, and only to JSON from the same origin."),
    # --- the rate-limit arena
    Setting("arena_max_runs", int, 2, "Arena runs one learner may have in progress at once."),
    Setting("arena_max_requests", int, 20_000, "Simulated requests one arena run may play in "
            "total (clients x requests per client x strategies)."),
)

OBSOLETE_SETTINGS: dict[str, str] = {}

_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _coerce(setting: Setting, raw: Any) -> Any:
    if raw is None:
        return None
    if setting.type is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{setting.env_var} must be true or false, not {raw!r}.")
    try:
        return setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{setting.env_var} must be a {setting.type.__name__}, not {raw!r}."
        ) from exc


@dataclasses.dataclass(frozen=True)
class Settings:
    """Resolved settings: defaults < environment < explicit overrides."""

    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    @property
    def data_path(self) -> Path:
        """The data directory, created on first use with mode 0700.

        It holds transcripts, the ledger, the audit log and key files, so other
        users of the machine must not list or read it; a directory we own with
        group or other bits is tightened.
        """
        path = Path(self.values["data_dir"] or _default_data_dir()).expanduser()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = path.stat()
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            path.chmod(0o700)
        return path

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to SQLite in the data directory."""
        return self.values["database_url"] or f"sqlite:///{self.data_path / 'apilab.db'}"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given non-None values replacing these."""
        merged = dict(self.values)
        for name, value in overrides.items():
            if name not in _BY_NAME:
                raise ConfigError(f"Unknown setting {name!r}.")
            if value is not None:
                merged[name] = _coerce(_BY_NAME[name], value)
        return Settings(merged)


def get_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings from the environment, then apply explicit overrides."""
    env = os.environ if environ is None else environ
    for old, message in OBSOLETE_SETTINGS.items():
        if old in env:
            raise ConfigError(message)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env_var)
        values[setting.name] = _coerce(setting, raw) if raw is not None else setting.default
    return Settings(values).with_overrides(**overrides)
