"""CLI commands: ``apilab users ...``, ``apilab classes ...`` and ``apilab privacy purge``.

Thin front doors over ``apilab.accounts`` and ``apilab.classes`` (imported inside
each command, so ``apilab --help`` stays fast). A password is never a flag (it would
sit in the shell history): ``users create`` asks for it, reads it from stdin with
``--password-stdin``, or prints a one-use link that lets the person set it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from apilab.cli._common import exit_on_error, load_settings, print_json

users_app = typer.Typer(help="Accounts for class mode: create, list, roles, disable, "
                             "reset links.", no_args_is_help=False, invoke_without_command=True)
classes_app = typer.Typer(help="Classes: create, list, add members, export the dashboard.",
                          no_args_is_help=False, invoke_without_command=True)
privacy_app = typer.Typer(help="Data retention.", no_args_is_help=True)

DataDir = Annotated[str | None, typer.Option("--data-dir", help="Folder for local state.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
BaseUrl = Annotated[str, typer.Option("--base-url", help="The lab's public address, for "
                                                         "printed links.")]


def _engines(data_dir: str | None, database_url: str | None) -> tuple[Any, Any]:
    from apilab.storage.db import open_database

    settings = load_settings(data_dir=data_dir, database_url=database_url)
    return settings, open_database(settings.db_url)


def _accounts(data_dir: str | None, database_url: str | None) -> Any:
    from apilab.accounts import Accounts

    settings, db = _engines(data_dir, database_url)
    return Accounts(db, settings)


def _classes(data_dir: str | None, database_url: str | None) -> Any:
    from apilab.classes import Classes

    settings, db = _engines(data_dir, database_url)
    return Classes(db, settings)


# --- users -----------------------------------------------------------------------------

@users_app.callback()
def users_default(ctx: typer.Context, data_dir: DataDir = None,
                  database_url: DatabaseUrl = None) -> None:
    """Accounts for class mode (``list`` when no command is given)."""
    if ctx.invoked_subcommand is None:
        users_list(data_dir=data_dir, database_url=database_url)


@users_app.command("create")
@exit_on_error
def users_create(
    email: Annotated[str, typer.Argument(help="The person's email (their sign-in name).")],
    role: Annotated[str, typer.Option("--role", help="learner, instructor or admin.")] =
    "learner",
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input.")] = False,
    no_password: Annotated[bool, typer.Option(
        "--no-password", help="Print a link that lets them set their own password.")] = False,
    base_url: BaseUrl = "http://127.0.0.1:8000",
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:
    """Create an account (the server then asks everyone to sign in)."""
    accounts = _accounts(data_dir, database_url)
    password: str | None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif no_password:
        password = None
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    identity = accounts.create(email, password=password, role=role, display_name=name)
    typer.echo(f"Created {identity.role} {identity.email}.")
    if password is None:
        token = accounts.issue_reset(email)
        typer.echo(f"They set their password here (valid 24 h, once): "
                   f"{base_url.rstrip('/')}/reset?token={token}")


@users_app.command("list")
@exit_on_error
def users_list(as_json: AsJson = False, data_dir: DataDir = None,
               database_url: DatabaseUrl = None) -> None:
    """List accounts (never a password hash)."""
    rows = _accounts(data_dir, database_url).list()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No accounts: the server has one local learner and asks nobody to sign in.")
        return
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        typer.echo(f"{r['email']:<40} {r['role']:<11} {state:<9} {r['name'] or ''}")


@users_app.command("set-role")
@exit_on_error
def users_set_role(email: str, role: Annotated[str, typer.Argument(
        help="learner, instructor or admin.")], data_dir: DataDir = None,
                   database_url: DatabaseUrl = None) -> None:
    """Change an account's role (it is signed out everywhere)."""
    _accounts(data_dir, database_url).set_role(email, role)
    typer.echo(f"{email} is now {role}.")


@users_app.command("disable")
@exit_on_error
def users_disable(email: str, enable: Annotated[bool, typer.Option(
        "--enable", help="Re-enable instead.")] = False, data_dir: DataDir = None,
                  database_url: DatabaseUrl = None) -> None:
    """Disable an account (signed out everywhere; its data stays)."""
    _accounts(data_dir, database_url).set_disabled(email, not enable)
    typer.echo(f"{email} is {'enabled' if enable else 'disabled'}.")


@users_app.command("reset-link")
@exit_on_error
def users_reset_link(email: str, base_url: BaseUrl = "http://127.0.0.1:8000",
                     data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Print a one-use password reset link (valid 24 h): hand it to the person."""
    token = _accounts(data_dir, database_url).issue_reset(email)
    typer.echo(f"{base_url.rstrip('/')}/reset?token={token}")


# --- classes -----------------------------------------------------------------------------

@classes_app.callback()
def classes_default(ctx: typer.Context, data_dir: DataDir = None,
                    database_url: DatabaseUrl = None) -> None:
    """Classes (``list`` when no command is given)."""
    if ctx.invoked_subcommand is None:
        classes_list(data_dir=data_dir, database_url=database_url)


@classes_app.command("create")
@exit_on_error
def classes_create(
    slug: Annotated[str, typer.Argument(help="Short name, e.g. cs101-spring.")],
    owner: Annotated[str | None, typer.Option("--owner", help="Instructor's email.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Title.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="Assistant backend for "
                                                "the class.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model for that backend.")] = None,
    learner_daily: Annotated[str | None, typer.Option(
        "--learner-daily-usd", help="Budget per learner per day.")] = None,
    class_monthly: Annotated[str | None, typer.Option(
        "--class-monthly-usd", help="Budget for the class per month.")] = None,
    labs: Annotated[list[str] | None, typer.Option("--lab", help="A lab to open (repeat); "
                                                   "none = all.")] = None,
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:
    """Create a class and print its join code."""
    info = _classes(data_dir, database_url).create(
        None, slug=slug, name=name, owner_email=owner, backend=backend, model=model,
        learner_daily_usd=learner_daily, class_monthly_usd=class_monthly,
        open_labs=labs or None)
    typer.echo(f"Created class {info['slug']}. Join code: {info['join_code']}")


@classes_app.command("list")
@exit_on_error
def classes_list(as_json: AsJson = False, data_dir: DataDir = None,
                 database_url: DatabaseUrl = None) -> None:
    """List classes with their join codes."""
    rows = _classes(data_dir, database_url).list(None)
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No classes yet: `apilab classes create SLUG --owner EMAIL`.")
    for r in rows:
        state = "closed" if r["closed"] else "open"
        typer.echo(f"{r['slug']:<24} {r['join_code']:<10} {r['learners']:>4} learners  "
                   f"{state:<6} {r['backend']}")


@classes_app.command("add")
@exit_on_error
def classes_add(slug: str, email: str, role: Annotated[str, typer.Option(
        "--role", help="learner or instructor.")] = "learner", data_dir: DataDir = None,
                database_url: DatabaseUrl = None) -> None:
    """Put an account in a class."""
    _classes(data_dir, database_url).add(slug, email, role)
    typer.echo(f"Added {email} to {slug} as {role}.")


@classes_app.command("close")
@exit_on_error
def classes_close(slug: str, reopen: Annotated[bool, typer.Option(
        "--reopen", help="Reopen instead.")] = False, data_dir: DataDir = None,
                  database_url: DatabaseUrl = None) -> None:
    """Close a class (no joining; its labs become read-only)."""
    _classes(data_dir, database_url).close(None, slug, not reopen)
    typer.echo(f"{slug} is {'open' if reopen else 'closed'}.")


@classes_app.command("export")
@exit_on_error
def classes_export(
    slug: str,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write "
                                                "(default: stdout).")] = None,
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:
    """Export a class's dashboard (one CSV row per learner and lab, or the whole JSON)."""
    from apilab.classes.dashboard import build_dashboard
    from apilab.classes.export import dashboard_csv, dashboard_json
    from apilab.errors import InvalidInputError
    from apilab.storage import classes as class_repo

    if fmt not in ("csv", "json"):
        raise InvalidInputError("--format is csv or json.")
    settings, db = _engines(data_dir, database_url)
    with db.session() as session:
        data = build_dashboard(session, class_repo.class_by_slug(session, slug), settings)
    text = dashboard_csv(data) if fmt == "csv" else dashboard_json(data)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}.")


# --- privacy -------------------------------------------------------------------------------

@privacy_app.command("purge")
@exit_on_error
def privacy_purge(
    days: Annotated[int | None, typer.Option("--days", help="Purge transcripts older than "
                                             "this (default APILAB_RETENTION_DAYS).")] = None,
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:
    """Delete transcripts older than the retention period (and expired sessions)."""
    from apilab.classes.privacy import purge

    settings, db = _engines(data_dir, database_url)
    counts = purge(db, days if days is not None else int(settings.retention_days or 0))
    typer.echo(f"Purged {counts['messages']} messages, {counts['usage_bodies']} usage "
               f"request bodies, {counts['sessions']} expired sessions.")


def register(app: typer.Typer) -> None:
    """Add ``users``, ``classes`` and ``privacy`` to the app."""
    app.add_typer(users_app, name="users")
    app.add_typer(classes_app, name="classes")
    app.add_typer(privacy_app, name="privacy")
