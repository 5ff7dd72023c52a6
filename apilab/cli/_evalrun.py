"""``apilab eval CONFIG``: the estimate, a progress bar, the table, the reports, the exit code.

A front door over ``apilab.evals``: it loads the config, shows the pre-run
estimate (and refuses above ``--max-cost``), runs it with a Rich progress bar
on stderr, prints a table of pass rates per prompt x provider and the failures,
writes any ``--output`` files, and exits 1 when the pass rate is below the
threshold (2 for a config or budget error, like every apilab command).
Heavy imports happen inside the command so ``apilab --help`` stays fast.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from apilab.cli._common import exit_on_error, load_settings, print_json
from apilab.errors import ConfigError

if TYPE_CHECKING:
    from apilab.evals.results import EvalRun

__all__ = ["run"]

_MAX_FAILURES_SHOWN = 25


def _money(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        raise ConfigError(f"--max-cost must be a dollar amount like 0.50, not {text!r}.") \
            from None
    if value < 0:
        raise ConfigError("--max-cost cannot be negative.")
    return value


def _print_estimate(console: Any, estimate: dict[str, Any]) -> None:
    parts = []
    for row in estimate["providers"]:
        cost = ("free" if not row["billable"] else
                f"up to ${row['worst_usd']:.4f}" if row["priced"] else "no price")
        parts.append(f"{row['provider']}: {row['calls']} calls, {row['input_tokens']:,} input "
                     f"tokens, {cost}")
    console.print("[bold]Estimate[/bold] (worst case: every reply at max_tokens) — "
                  + "; ".join(parts), highlight=False)
    if estimate.get("rubric_calls"):
        console.print(f"  plus {estimate['rubric_calls']} llm-rubric grading calls",
                      highlight=False)


def _print_table(console: Any, run: EvalRun, show_heldout: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    stats = run.stats()
    table = Table(title=run.config.description or "apilab eval")
    for name in ("prompt", "provider", "pass rate", "passed", "failed", "errors", "cost",
                 "p50 ms"):
        table.add_column(name, justify="right" if name not in ("prompt", "provider") else "left")
    for p in stats["pairs"]:
        style = "green" if p["rate"] == 1 else "red" if p["rate"] < 0.5 else "yellow"
        table.add_row(escape(p["prompt"]), escape(p["provider"]),
                      f"[{style}]{p['rate']:.1%}[/{style}]",
                      f"{p['passed']}/{p['total']}", str(p["failed"]), str(p["errors"]),
                      f"${Decimal(p['cost_usd']):.6f}",
                      "–" if p["latency_ms_p50"] is None else f"{p['latency_ms_p50']:.0f}")
    console.print(table)
    for split, s in stats["splits"].items():
        console.print(f"{split}: {s['passed']}/{s['total']} passed ({s['rate']:.1%})",
                      highlight=False)
    for metric, score in stats["metrics"].items():
        console.print(f"metric {metric}: {score:.2f}", highlight=False)
    failures = [c for c in run.results if not c.passed
                and (show_heldout or not c.test.heldout)]
    for cell in failures[:_MAX_FAILURES_SHOWN]:
        reasons = "; ".join(cell.reasons())[:300]
        console.print("[red]✗[/red] " + escape(f"{cell.test.name} [{cell.prompt} @ "
                                               f"{cell.provider}]: {reasons}"),
                      highlight=False, soft_wrap=True)
    if len(failures) > _MAX_FAILURES_SHOWN:
        console.print(f"… and {len(failures) - _MAX_FAILURES_SHOWN} more failures (see "
                      "--output report.html).", highlight=False)
    hidden = sum(1 for c in run.results if c.test.heldout and not c.passed and not show_heldout)
    if hidden:
        console.print(f"{hidden} held-out failures not shown (--show-heldout shows them; do "
                      "not use it while tuning).", highlight=False)
    if run.stopped:
        console.print(f"[yellow]Stopped early:[/yellow] {run.stopped}", highlight=False)


@exit_on_error
def run(
    config: Annotated[str, typer.Argument(
        help="promptfooconfig.yaml (or its folder), or builtin:NAME (builtin:tutor).")],
    provider: Annotated[list[str] | None, typer.Option(
        "--provider", "-p", help="Run against this provider instead of the config's "
                                 "(repeatable): sandbox:gpt-4o-mini, openai:MODEL, "
                                 "anthropic:MODEL, gemini:MODEL, apilab:tutor, recorded:FILE, "
                                 "echo.")] = None,
    output: Annotated[list[Path] | None, typer.Option(
        "--output", "-o", help="Write a report: .json (stable schema), .xml (JUnit) or .html "
                               "(repeatable).")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="Exit 1 if the pass rate is below this (0-1). Default: every "
                            "test must pass.")] = None,
    repeat: Annotated[int | None, typer.Option(
        "--repeat", min=1, max=100, help="Run each test N times (finds flaky tests; the cache "
                                         "is skipped).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Call providers even for a prompt answered before.")] = False,
    max_cost: Annotated[str | None, typer.Option(
        "--max-cost", help="Refuse to start if the worst-case estimate is above this many "
                           "dollars.")] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", "-j", min=1, max=64, help="Calls in flight at once (default: the "
                                                   "config's maxConcurrency, else 4).")] = None,
    show_heldout: Annotated[bool, typer.Option(
        "--show-heldout", help="Show held-out cases' failures (do not use while tuning).")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
) -> None:
    """Run a promptfoo-style eval config: prompts x providers x tests, with assertions."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from apilab.evals.config import load_config, parse_provider
    from apilab.evals.report import to_json, write_report
    from apilab.evals.runner import prepare, run_eval
    from apilab.storage.conversations import LOCAL_LEARNER

    if threshold is not None and not 0 <= threshold <= 1:
        raise ConfigError("--threshold is a pass rate between 0 and 1, e.g. 0.9.")
    limit = _money(max_cost)
    settings = load_settings()
    loaded = load_config(config)
    if provider:
        loaded = loaded.with_providers([parse_provider(p, f"--provider {p}") for p in provider])
    for path in output or []:
        if path.suffix.lower() not in (".json", ".xml", ".html", ".htm"):
            raise ConfigError(f"--output {path}: use a .json, .xml or .html file name.")
    cells, estimate = prepare(loaded, repeat=repeat)
    err = Console(stderr=True)
    _print_estimate(err, estimate)
    with Progress(TextColumn("running"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[passed]} passed"), console=err,
                  transient=True, disable=as_json) as progress:
        task = progress.add_task("eval", total=len(cells), passed=0)
        passed = 0

        def on_result(cell: Any, done: int, total: int) -> None:
            nonlocal passed
            passed += cell.passed
            progress.update(task, completed=done, passed=passed)

        import asyncio  # here, not at the top: 60 ms of every `apilab --help`

        result = asyncio.run(run_eval(loaded, settings, prepared=(cells, estimate), repeat=repeat,
                                      cache=not no_cache, concurrency=concurrency,
                                      max_cost=limit, learner=LOCAL_LEARNER,
                                      on_result=on_result))
    for path in output or []:
        written = write_report(result, path, show_heldout=show_heldout)
        err.print(f"Wrote {written}", highlight=False)
    if as_json:
        print_json(to_json(result, show_heldout=show_heldout))
    else:
        _print_table(Console(), result, show_heldout)
    floor = 1.0 if threshold is None else threshold
    if result.pass_rate < floor:
        err.print(f"Pass rate {result.pass_rate:.1%} is below the threshold {floor:.0%}.",
                  highlight=False)
        raise typer.Exit(code=1)
