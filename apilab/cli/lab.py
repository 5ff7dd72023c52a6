"""CLI commands: ``apilab ask``, ``apilab reset`` and ``apilab progress``.

``ask`` runs one exchange through ``assistant.exchange.run_exchange`` - the same
code path as the chat page - for the local learner, so three calls make three
exchanges. The commands only parse flags and print; the engines do the work.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from apilab.cli._common import exit_on_error, load_settings, print_json

# The local learner's handle (apilab.storage.conversations.LOCAL_LEARNER), spelled here so
# that importing this module for --help does not import the database layer.
LOCAL_LEARNER = "local"

DataDir = Annotated[str | None, typer.Option("--data-dir", help="Folder for local state.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _lab_ids() -> str:
    from apilab.content.loader import LAB_IDS

    return ", ".join(LAB_IDS)


async def _ask(settings: Any, lab_id: str, message: str, stream: bool) -> dict[str, Any]:
    from apilab.assistant.base import Completed, Delta, Failed
    from apilab.assistant.exchange import run_exchange
    from apilab.assistant.folds import TerminalFolds
    from apilab.storage.db import open_database

    db = open_database(settings.db_url)
    result: dict[str, Any] = {"first": _first_in_lab(db, lab_id)}
    folds = TerminalFolds()
    async for event in run_exchange(db, settings, learner=LOCAL_LEARNER, lab_id=lab_id,
                                    message=message):
        if isinstance(event, Delta) and stream:
            sys.stdout.write(folds.feed(event.text))
            sys.stdout.flush()
        elif isinstance(event, Completed):
            result["event"] = event
        elif isinstance(event, Failed):
            result["failed"] = event.message
    if stream:
        sys.stdout.write(folds.flush())
    return result


def _first_in_lab(db: Any, lab_id: str) -> bool:
    """Whether the local learner has no messages yet in this lab's conversation."""
    from apilab.storage import conversations

    try:
        with db.engine.begin() as conn:
            learner = conversations.learner_id(conn, LOCAL_LEARNER)
            return not conversations.recent_turns(conn, learner, lab_id, 1)
    except Exception:  # noqa: BLE001 - only decides whether to print a note
        return False


@exit_on_error
def ask(
    message: Annotated[str, typer.Argument(help="Your message to the lab assistant.")],
    lab: Annotated[str, typer.Option("--lab", help="Lab id, e.g. api-basics.")],
    as_json: Json = False,
    backend: Annotated[str | None, typer.Option("--backend", help="Assistant backend.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Ask the lab assistant one question (one exchange in LAB's conversation)."""
    import asyncio  # here, not at the top: --help and other commands do not need it

    settings = load_settings(data_dir=data_dir, database_url=database_url, backend=backend)
    result = asyncio.run(_ask(settings, lab, message, stream=not as_json))
    if "failed" in result:
        typer.echo(f"\nError: {result['failed']}", err=True)
        raise typer.Exit(code=1)
    event = result["event"]
    if event.backend == "offline" and result.get("first") and not as_json:
        # Said once per conversation, not in every reply (the page has it in its banner).
        from apilab.assistant.offline import OFFLINE_NOTE

        typer.echo("\n\n" + OFFLINE_NOTE.strip("_"), err=True)
    if event.backend == "offline":
        # Stored (the exchange committed) and about to be printed: nothing is left for
        # the interpreter's shutdown to do (see apilab.cli.main).
        from apilab.cli import fast_exit_allowed

        fast_exit_allowed()
    if as_json:
        print_json({
            "reply": event.reply,
            "counted": event.counted,
            "why_not_counted": event.why_not_counted,
            "objectives_covered": event.objectives_covered,
            "backend": event.backend,
            # Which answer card replied and what kind of reply it was (for debugging
            # content: "dont-know", "answer", "multi", ...); None for model backends' text.
            "answer_kind": event.answer_kind,
            "card": event.card,
            "retracted_reply_id": event.retracted_reply_id,
        })
        return
    from apilab.content import load_course

    need = load_course().lab(lab).min_exchanges
    typer.echo("")
    typer.echo("")
    if event.counted and event.exchange_count > need:
        # Past what the lab needs: "4/3" read like a mistake to learners.
        status = f"Exchange counted ({event.exchange_count} in this lab; it needed {need})."
    elif event.counted:
        status = f"Exchange counted ({event.exchange_count}/{need})."
    else:
        status = f"{event.why_not_counted} ({event.exchange_count}/{need} so far.)"
    if event.completed_at:
        status += f" Lab complete since {_when(str(event.completed_at))}."
    if event.retracted_reply_id:
        status = ("You said the answer before missed your question, so its count was taken "
                  "back. " + status)
    typer.echo(status, err=True)


@exit_on_error
def reset(
    lab: Annotated[str | None, typer.Option("--lab", help="Only this lab (default: all).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Clear the local learner's conversation in one lab, or in every lab.

    Completed labs stay complete; the exchange count restarts from zero.
    """
    from apilab.content import load_course
    from apilab.storage import conversations
    from apilab.storage.db import open_database

    if lab is not None:
        load_course().lab(lab)  # unknown lab -> a clear error, exit 2
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    db = open_database(settings.db_url)
    with db.session() as session:
        learner = conversations.get_or_create_learner(session, LOCAL_LEARNER)
        deleted = conversations.reset(session, learner.id, lab)
    where = f"lab {lab}" if lab else "every lab"
    typer.echo(f"Cleared the conversation in {where} ({deleted} message(s) deleted).")


@exit_on_error
def progress(as_json: Json = False, data_dir: DataDir = None,
             database_url: DatabaseUrl = None) -> None:
    """Show each lab's exchange count, objectives covered and completion time."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    from apilab.assistant.completion import progress_report
    from apilab.storage.db import open_database

    report = progress_report(open_database(settings.db_url), LOCAL_LEARNER)
    if as_json:
        print_json(report)
        return
    for lab in report["labs"]:
        count = f"{lab['exchange_count']}/{lab['min_exchanges']} exchanges"
        if lab["completed"]:
            state = f"complete since {_when(lab['completed_at'])}"
            if lab["exchange_count"] < lab["min_exchanges"]:  # reset after completing
                state += f"; conversation reset, {count} in this conversation"
        else:
            state = count
        covered = ", ".join(lab["objectives_covered"]) or "none yet"
        typer.echo(f"{lab['lab']:<20} {state}")
        typer.echo(f"{'':<20} objectives ({len(lab['objectives_covered'])}/"
                   f"{lab['objectives_total']}): {covered}")


def _when(iso: str) -> str:
    """``2026-11-04T09:12:33.123456+00:00`` as ``2026-11-04 09:12 UTC`` (``--json`` keeps ISO)."""
    import datetime as dt

    when = dt.datetime.fromisoformat(iso)
    when = when.astimezone(dt.UTC) if when.tzinfo else when
    return when.strftime("%Y-%m-%d %H:%M UTC")


def register(app: typer.Typer) -> None:
    """Add ``ask``, ``reset`` and ``progress`` to the app."""
    app.command("ask")(ask)
    app.command("reset")(reset)
    app.command("progress")(progress)
