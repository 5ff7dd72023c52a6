"""CLI command group: ``apilab eval CONFIG`` and ``apilab eval tutor``.

Thin front doors: ``eval CONFIG`` (``eval run CONFIG``) runs a promptfoo-style
config through ``apilab.evals.runner`` and prints the estimate, a progress bar
and a table (``cli/_evalrun.py``); ``eval tutor`` runs the offline tutor on the
real-learner suite (``apilab.evals.tutor``) and prints pass rates per split and
lab, and the dev split's failures. Held-out failures stay hidden unless
``--show-heldout`` is given, so whoever tunes the tutor does not tune on them.

``_EvalGroup`` lets a config path stand where a subcommand would: anything that
is not a subcommand name is run as ``eval run ARGS``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from apilab.cli._common import exit_on_error, print_json
from apilab.errors import InvalidInputError


class _EvalGroup(TyperGroup):
    """``apilab eval CONFIG ...`` means ``apilab eval run CONFIG ...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_EvalGroup, no_args_is_help=True,
    help="Run evaluation suites: `apilab eval CONFIG` runs a promptfoo-style config "
         "(`apilab eval builtin:tutor` is the lab assistant's own suite); `apilab eval tutor` "
         "measures the offline tutor on real learners' questions.")


def _short(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@exit_on_error
def tutor(
    split: Annotated[str, typer.Option("--split", help="dev, heldout or all.")] = "all",
    lab: Annotated[str | None, typer.Option("--lab", help="Only this lab's cases.")] = None,
    failures: Annotated[bool, typer.Option(
        "--failures/--no-failures", help="List failed dev cases with what was missing.")]
    = True,
    show_heldout: Annotated[bool, typer.Option(
        "--show-heldout", help="Also list held-out failures (do not use while tuning).")]
    = False,
    replies: Annotated[bool, typer.Option(
        "--replies", help="Print each failed reply in full.")] = False,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="Exit 1 if any split's pass rate is below this (0-1); "
                            "default: the suite's thresholds.yaml.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Measure the offline tutor on questions real learners asked in public."""
    from apilab.evals.tutor import load_cases, load_thresholds, run_cases

    try:
        cases = load_cases(split, lab)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if not cases:
        raise InvalidInputError(f"No cases for split {split!r}" + (f" and lab {lab!r}."
                                                                   if lab else "."))
    report = run_cases(cases)
    limits = load_thresholds()
    if threshold is not None:
        limits = {s: threshold for s in ("dev", "heldout")}
    below = [s for s, rate in ((s, report.rate(s)) for s in {c.split for c in cases})
             if rate < limits.get(s, 0.0)]
    if as_json:
        data = report.as_dict(with_heldout_failures=show_heldout)
        data["thresholds"] = limits
        print_json(data)
    else:
        for split_name in ("dev", "heldout"):
            passed, total = report.count(split_name)
            if not total:
                continue
            labs = sorted({c.lab for c in cases if c.split == split_name})
            per_lab = ", ".join(f"{name} {p}/{t}" for name, (p, t) in
                                ((name, report.count(split_name, name)) for name in labs))
            floor = limits.get(split_name)
            typer.echo(f"{split_name}: {passed}/{total} passed ({passed / total:.1%})"
                       + (f", threshold {floor:.0%}" if floor else "") + f"  [{per_lab}]")
        shown = [r for r in report.results if not r.passed and failures
                 and (r.case.split == "dev" or show_heldout)]
        for r in shown:
            missing = "; ".join(" | ".join(g) for g in r.missing)
            why = f"missing [{missing}]" if missing else ""
            if r.forbidden:
                why += f" said [{', '.join(r.forbidden)}]"
            if r.kind in ("dont-know", "off-topic", "clarify", "injection"):
                why += f" reply was {r.kind}"
            typer.echo(f"- {r.case.id} ({r.kind}): {_short(r.case.question)}\n    {why.strip()}")
            if replies:
                typer.echo("    " + r.reply.replace("\n", "\n    "))
    if below:
        typer.echo(f"Below threshold: {', '.join(below)}", err=True)
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add ``eval run`` (also ``eval CONFIG``) and ``eval tutor`` to the app."""
    from apilab.cli._evalrun import run

    eval_app.command("run")(run)
    eval_app.command("tutor")(tutor)
    app.add_typer(eval_app, name="eval")
