"""CLI commands: ``apilab sandbox`` (serve the provider alone) and ``apilab sandbox keys ...``.

The key commands work directly on the data dir's database, whether or not a
sandbox or lab server is running (a running server sees a revocation within a
second). A secret is printed once, by ``create`` and ``rotate``, and never again.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Annotated

import typer

from apilab.cli._common import exit_on_error, load_settings, print_json

DataDir = Annotated[str | None, typer.Option("--data-dir", help="Folder for local state.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

sandbox_app = typer.Typer(
    help="The sandbox provider: a local OpenAI/Anthropic-compatible API.",
    invoke_without_command=True,
)
keys_app = typer.Typer(help="Sandbox API keys (default: list).", invoke_without_command=True)


def _db(data_dir: str | None, database_url: str | None, **flags: object):  # type: ignore[no-untyped-def]
    from apilab.storage.db import open_database

    settings = load_settings(data_dir=data_dir, database_url=database_url, **flags)
    return settings, open_database(settings.db_url)


@sandbox_app.callback()
@exit_on_error
def sandbox(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    config: Annotated[str | None, typer.Option(
        "--config", help="YAML file with extra/replacement tiers and chaos profiles.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the sandbox provider alone (base URL http://HOST:PORT/v1)."""
    if ctx.invoked_subcommand is not None:
        return
    from apilab.cli import _listen
    from apilab.sandbox.app import create_sandbox_app
    from apilab.sandbox.config import load_config
    from apilab.web.security import SecurityMiddleware, SecurityPolicy

    other = 8101 if port != 8101 else 8102
    sock = _listen.bind(host, port, f"Start on another port with --port {other}.")
    settings, db = _db(data_dir, database_url, server=True, sandbox_config=config)
    settings = settings.with_overrides(host=host)  # the admin API's guard reads the bind host
    load_config(settings.sandbox_config)  # a bad --config fails here, with its message
    # The same front door as the lab (Host allow-list, body limit, headers); /v1 is the
    # key-authenticated provider API, /admin gets the same-origin JSON-only rules too.
    policy = dataclasses.replace(SecurityPolicy.from_settings(settings), open_prefixes=("/v1/",),
                                 form_paths=())
    app = SecurityMiddleware(create_sandbox_app(settings, db), policy)

    def announce() -> None:
        typer.echo(f"Sandbox provider at http://{host}:{port}/v1  (Ctrl+C to stop)")
        typer.echo(f"  OpenAI:    openai.OpenAI(base_url='http://{host}:{port}/v1', api_key=KEY)")
        typer.echo(f"  Anthropic: anthropic.Anthropic(base_url='http://{host}:{port}', "
                   "api_key=KEY)")
        typer.echo("  Create a key: apilab sandbox keys create --name my-app")

    level = str(settings.log_level).lower()
    # No proxy-header rewriting: the sandbox is a local stand-in, not behind a proxy.
    _listen.run(app, sock, announce, log_level=level, timeout_graceful_shutdown=5,
                access_log=level in ("debug", "info"), proxy_headers=False)


@keys_app.callback()
def keys_default(ctx: typer.Context) -> None:
    """Sandbox API keys (default: list)."""
    if ctx.invoked_subcommand is None:
        keys_list(json_out=False, data_dir=None, database_url=None)


@keys_app.command("create")
@exit_on_error
def keys_create(
    name: Annotated[str, typer.Option("--name", help="What the key is for.")],
    model: Annotated[list[str] | None, typer.Option(
        "--model", help="Allow only this model (repeat for several; default: all).")] = None,
    tier: Annotated[str, typer.Option(help="Rate-limit tier (see docs/sandbox.md).")] = "tier-1",
    cap: Annotated[str | None, typer.Option(
        "--monthly-cap-usd", help="Monthly spending cap in dollars.")] = None,
    owner: Annotated[str | None, typer.Option(help="Who holds the key.")] = None,
    rpm: Annotated[int | None, typer.Option(help="Custom requests/minute.")] = None,
    tpm: Annotated[int | None, typer.Option(help="Custom tokens/minute.")] = None,
    json_out: Json = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key and print its secret (shown once)."""
    from apilab.sandbox import keys

    _settings, db = _db(data_dir, database_url)
    # Names are labels, not identities: a second "my-app" is allowed (one per deploy, say),
    # but is usually a slip, and revoking "the my-app key" then needs the id.
    same = [k.id for k in keys.list_keys(db, include_revoked=False)
            if k.name.casefold() == name.strip().casefold()]
    record, secret = keys.create_key(db, name=name, models=model or None, tier=tier,
                                     monthly_cap_usd=cap, owner=owner, rpm=rpm, tpm=tpm)
    if same:
        typer.echo(f"Warning: an active key is already named {name.strip()!r} "
                   f"({', '.join(same)}); created another. Use key ids to tell them apart.",
                   err=True)
    if json_out:
        print_json({"key": record.to_dict(), "secret": secret})
        return
    typer.echo(f"Created {record.id} ({record.name}, tier {record.tier}).")
    typer.echo(f"Secret (shown once, store it now): {secret}")


@keys_app.command("list")
@exit_on_error
def keys_list(json_out: Json = False, data_dir: DataDir = None,
              database_url: DatabaseUrl = None) -> None:
    """List keys (no secrets)."""
    from apilab.sandbox import keys

    _settings, db = _db(data_dir, database_url)
    records = keys.list_keys(db)
    if json_out:
        print_json({"keys": [r.to_dict() for r in records]})
        return
    if not records:
        typer.echo("No sandbox keys yet. Create one: apilab sandbox keys create --name my-app")
        return
    rows = []
    for r in records:
        state = "revoked" if r.revoked else "active"
        models = ",".join(r.models) if r.models else "all models"
        cap = (f"${r.monthly_cap_usd.normalize():f}/month" if r.monthly_cap_usd is not None
               else "no cap")
        rows.append((r.id, r.hint, state, r.tier, cap, models, r.name))
    header = ("id", "secret", "state", "tier", "cap", "models", "name")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    for row in (header, *rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                   + "  " + row[-1])


@keys_app.command("revoke")
@exit_on_error
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Key id (key_...).")],
                json_out: Json = False, data_dir: DataDir = None,
                database_url: DatabaseUrl = None) -> None:
    """Revoke a key: its next request fails with 401."""
    from apilab.sandbox import keys

    _settings, db = _db(data_dir, database_url)
    record = keys.revoke_key(db, key_id)
    if json_out:
        print_json({"key": record.to_dict()})
        return
    typer.echo(f"Revoked {record.id} ({record.hint}).")


@keys_app.command("rotate")
@exit_on_error
def keys_rotate(key_id: Annotated[str, typer.Argument(help="Key id (key_...).")],
                json_out: Json = False, data_dir: DataDir = None,
                database_url: DatabaseUrl = None) -> None:
    """Revoke a key and create its replacement with the same scope; prints the new secret."""
    from apilab.sandbox import keys

    _settings, db = _db(data_dir, database_url)
    record, secret = keys.rotate_key(db, key_id)
    if json_out:
        print_json({"key": record.to_dict(), "secret": secret, "revoked": key_id})
        return
    typer.echo(f"Revoked {key_id}; created {record.id}.")
    typer.echo(f"New secret (shown once, store it now): {secret}")


@keys_app.command("usage")
@exit_on_error
def keys_usage(key_id: Annotated[str, typer.Argument(help="Key id (key_...).")],
               limit: Annotated[int, typer.Option(help="Most recent N requests.")] = 50,
               json_out: Json = False, data_dir: DataDir = None,
               database_url: DatabaseUrl = None) -> None:
    """Show a key's audit log: time, model, tokens, cost, user agent, status."""
    from apilab.sandbox import keys

    if limit < 1:
        typer.echo("Error: --limit must be at least 1.", err=True)
        raise typer.Exit(code=2)
    _settings, db = _db(data_dir, database_url)
    entries = keys.key_usage(db, key_id, limit=limit)
    if json_out:
        total = sum((e.cost for e in entries), start=Decimal(0))
        print_json({"key_id": key_id, "total_cost_usd": str(total),
                    "entries": [e.to_dict() for e in entries]})
        return
    if not entries:
        typer.echo(f"No requests recorded for {key_id}.")
        return
    for e in entries:
        typer.echo(f"{e.time:%Y-%m-%d %H:%M:%S}  {e.status}  {e.model or '-':28}  "
                   f"in {e.input_tokens:>6}  out {e.output_tokens:>5}  ${e.cost:<12}  "
                   f"{e.user_agent or '-'}")


@sandbox_app.command("chaos")
@exit_on_error
def chaos(
    profile: Annotated[str | None, typer.Argument(
        help="Preset name (off, flaky, overloaded, rate-storm, slow, drops, hang); "
        "omit to show what is in force.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Only this key (key_...).")] = None,
    field: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a field, e.g. --set p_500=0.2 (repeatable).")] = None,
    url: Annotated[str, typer.Option(
        help="The running sandbox (its base URL without /v1).")] = "http://127.0.0.1:8100",
    json_out: Json = False,
) -> None:
    """Show or switch the chaos profile of a RUNNING sandbox (through its admin API)."""
    import httpx

    from apilab.errors import InvalidInputError

    settings = load_settings()
    headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token \
        else {}
    overrides: dict[str, float] = {}
    for item in field or []:
        name, sep, value = item.partition("=")
        try:
            overrides[name.strip()] = float(value)
        except ValueError as exc:
            raise InvalidInputError(f"--set wants name=number, e.g. p_500=0.2, not {item!r}."
                                    ) from exc
        if not sep:
            raise InvalidInputError(f"--set wants name=number, e.g. p_500=0.2, not {item!r}.")
    admin = url.rstrip("/") + "/admin/chaos"
    try:
        if profile is None and not overrides:
            response = httpx.get(admin, headers=headers, timeout=10)
        else:
            body: dict[str, object] = {
                "profile": {"base": profile or "off", **overrides} if overrides
                else (profile or "off")}
            if key:
                body["key_id"] = key
            response = httpx.put(admin, json=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        raise InvalidInputError(f"Could not reach the sandbox admin API at {admin}: {exc}. "
                                "Is `apilab sandbox` (or `apilab serve`, then use "
                                "--url http://HOST:PORT/sandbox) running?") from exc
    data = response.json() if response.headers.get("content-type", "").startswith(
        "application/json") else {"error": response.text}
    if response.status_code >= 400:
        raise InvalidInputError(f"The sandbox refused: {data.get('error', data)}")
    if json_out:
        print_json(data)
        return
    if "global" in data:
        typer.echo(f"global: {data['global']['name']}")
        for key_id, prof in data.get("keys", {}).items():
            typer.echo(f"{key_id}: {prof['name']}")
    else:
        target = data.get("key_id") or "global"
        name = (data.get("profile") or {}).get("name", "off")
        typer.echo(f"Chaos for {target}: {name}")


def register(app: typer.Typer) -> None:
    """Add ``sandbox`` (serve) and ``sandbox keys ...`` to the app."""
    sandbox_app.add_typer(keys_app, name="keys")
    app.add_typer(sandbox_app, name="sandbox")
