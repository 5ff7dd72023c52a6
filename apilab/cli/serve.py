"""CLI commands: ``apilab serve`` and ``apilab db upgrade``."""

from __future__ import annotations

from typing import Annotated

import typer

from apilab.cli._common import exit_on_error, load_settings

DataDir = Annotated[str | None, typer.Option("--data-dir", help="Folder for local state.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@exit_on_error
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Start the lab server and print its URL once it is listening."""
    from apilab.cli import _listen
    from apilab.errors import ConfigError
    from apilab.web.app import create_app

    settings = load_settings(server=True, host=host, port=port, data_dir=data_dir,
                             database_url=database_url)
    if not 0 < int(settings.port) < 65536:
        raise ConfigError(f"APILAB_PORT / --port must be 1-65535, not {settings.port}.")
    # Take the port before opening the database: a busy port is one line and exit 2.
    other = 8001 if int(settings.port) != 8001 else 8002
    sock = _listen.bind(settings.host, int(settings.port),
                        f"Start on another port with --port {other} (or APILAB_PORT={other}).")
    try:
        app = create_app(settings)
    except BaseException:
        sock.close()
        raise
    shown = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{settings.port}/"

    def announce() -> None:
        typer.echo(f"apilab is running at {url}  (Ctrl+C to stop)")
        # The link carries the install's local token: the browser that opens it may scan
        # folders on this machine. It is printed only here, for whoever started the server.
        typer.echo(f"Your browser (folder scans allowed): {url}?local={app.state.tokens.local}")
        typer.echo(f"Assistant backend: {settings.backend}. Data: {settings.data_path}")

    _listen.run(app, sock, announce, log_level=str(settings.log_level).lower(),
                timeout_graceful_shutdown=5)


@db_app.command("upgrade")
@exit_on_error
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Migrate the database to the latest revision (safe to run twice)."""
    from apilab.storage.db import Database

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    Database(settings.db_url).upgrade()
    typer.echo("Database is at the latest revision.")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``db`` to the app."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
