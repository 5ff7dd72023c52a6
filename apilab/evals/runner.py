"""Run an eval config: plan every cell, estimate, call, check, report progress.

    plan_cells(config)      -> every test x prompt x provider x repeat, prompts rendered
                               (a missing var is a ConfigError before anything is sent)
    estimate_cells(cells)   -> calls, tokens and worst-case dollars per provider
    run_eval(config, ...)   -> EvalRun, calling each cell through its provider's call stack

Concurrency is a fixed pool of workers pulling the next cell (``maxConcurrency``,
default 4, like promptfoo); results keep the plan's order whatever order calls
finish in. ``on_result`` is called after every cell (the CLI's progress bar,
the workbench's stream). When a budget refuses a call, the cells still queued
for that provider are not sent: they are marked with the refusal instead of
being refused one by one.

The runner is an engine: it never prints, and never imports ``web`` or ``cli``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apilab.errors import ConfigError
from apilab.evals.assertions import check, parse_rubric, rubric_prompt
from apilab.evals.config import EvalConfig, Prompt, ProviderSpec, TestCase, parse_provider
from apilab.evals.estimate import check_max_cost, estimate_cells
from apilab.evals.results import AssertionResult, CellResult, EvalRun, Output, score_test
from apilab.evals.targets import Target, is_billable, open_targets, prompt_hash
from apilab.evals.template import render

if TYPE_CHECKING:
    from apilab.calls.ledger import LedgerSink
    from apilab.calls.state.base import StateStore
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["Planned", "ResultCallback", "plan_cells", "run_eval"]

ResultCallback = Callable[[CellResult, int, int], Awaitable[None] | None]
_RUBRIC_MAX_TOKENS = 300


@dataclasses.dataclass(frozen=True)
class Planned:
    """One cell before it runs: what will be sent to whom."""

    test: TestCase
    prompt: Prompt
    provider: ProviderSpec
    provider_index: int
    repeat: int
    system: str | None
    messages: list[dict[str, Any]]
    hash: str

    @property
    def billable(self) -> bool:
        return is_billable(self.provider)

    @property
    def rendered(self) -> str:
        parts = ([f"[system]\n{self.system}"] if self.system else [])
        if len(self.messages) == 1 and not self.system:
            return str(self.messages[0]["content"])
        parts += [f"[{m['role']}]\n{m['content']}" for m in self.messages]
        return "\n".join(parts)


def _render_prompt(prompt: Prompt, test: TestCase) -> tuple[str | None, list[dict[str, Any]]]:
    where = f"Prompt {prompt.label!r} (test {test.name})"
    if prompt.messages is None:
        return None, [{"role": "user", "content": render(prompt.text or "", test.vars,
                                                          where=where)}]
    system_parts: list[str] = []
    messages: list[dict[str, Any]] = []
    for role, content in prompt.messages:
        text = render(content, test.vars, where=where)
        if role == "system" and not messages:
            system_parts.append(text)
        else:
            messages.append({"role": role, "content": text})
    if not messages or messages[-1]["role"] != "user":
        raise ConfigError(f"{where}: a chat prompt must end with a user message.")
    return ("\n\n".join(system_parts) or None), messages


def plan_cells(config: EvalConfig, *, repeat: int | None = None) -> list[Planned]:
    """Every cell of the run in report order, with its prompt rendered."""
    repeats = repeat or config.repeat
    cells: list[Planned] = []
    rendered: dict[tuple[int, str], tuple[str | None, list[dict[str, Any]], str]] = {}
    for test in config.tests:
        for prompt in config.prompts:
            key = (test.index, prompt.label)
            if key not in rendered:
                system, messages = _render_prompt(prompt, test)
                rendered[key] = (system, messages, prompt_hash(system, messages))
            system, messages, digest = rendered[key]
            for p_index, provider in enumerate(config.providers):
                for r in range(repeats):
                    cells.append(Planned(test, prompt, provider, p_index, r, system, messages,
                                         digest))
    return cells


def grader_key(ident: Any) -> str:
    """A grader's identity, whether written as an id or a mapping."""
    return ident if isinstance(ident, str) else json.dumps(ident, sort_keys=True, default=str)


def _graders(config: EvalConfig) -> dict[str, ProviderSpec]:
    """The model providers llm-rubric assertions need; an error when one has none."""
    ids: dict[str, ProviderSpec] = {}
    for test in config.tests:
        for a in test.asserts:
            if a.type != "llm-rubric":
                continue
            ident = a.provider or test.grader
            if not ident:
                raise ConfigError(
                    f"Test {test.name}: llm-rubric needs a model to grade with, and none is "
                    "configured. Set defaultTest.options.provider (for example "
                    "openai:gpt-4o-mini), or use a deterministic assertion.")
            spec = parse_provider(ident, "llm-rubric provider")
            if spec.kind in ("echo", "recorded", "tutor"):
                raise ConfigError(f"llm-rubric needs a model provider, not {spec.id!r}.")
            ids.setdefault(grader_key(ident), spec)
    return ids


def rubric_count(config: EvalConfig) -> int:
    """llm-rubric assertions per prompt x provider x repeat (for the estimate)."""
    return sum(1 for t in config.tests for a in t.asserts if a.type == "llm-rubric")


def prepare(config: EvalConfig, *, repeat: int | None = None) -> tuple[list[Planned],
                                                                       dict[str, Any]]:
    """Plan every cell and estimate the run (no call is made)."""
    cells = plan_cells(config, repeat=repeat)
    _graders(config)
    rubric = rubric_count(config) * len(config.prompts) * len(config.providers) \
        * (repeat or config.repeat)
    return cells, estimate_cells(cells, rubric_calls=rubric)


async def _grade(a: Any, out: Output, test: TestCase, graders: dict[str, Target]) -> \
        AssertionResult:
    from apilab.evals.assertions import finish

    grader = graders[grader_key(a.provider or test.grader)]
    rubric = render(str(a.value), test.vars, where="the llm-rubric assertion")
    call = grader.call_for(None, [{"role": "user", "content": rubric_prompt(rubric, out.text)}],
                           test.vars, cache=True)
    call.max_tokens = _RUBRIC_MAX_TOKENS
    call.temperature = 0.0
    graded = await grader.run(call)
    if graded.error:
        return finish(a, (False, 0.0, f"the grader failed: {graded.error}"))
    out.cost = (out.cost or Decimal(0)) + (graded.cost or Decimal(0))
    return parse_rubric(a, graded.text)


async def run_eval(
    config: EvalConfig,
    settings: Settings,
    *,
    db: Database | None = None,
    sink: LedgerSink | None = None,
    store: StateStore | None = None,
    learner: str | None = None,
    sandbox_app: Any = None,
    cache: bool = True,
    repeat: int | None = None,
    concurrency: int | None = None,
    max_cost: Decimal | None = None,
    on_result: ResultCallback | None = None,
    on_estimate: Callable[[dict[str, Any]], None] | None = None,
    prepared: tuple[Sequence[Planned], dict[str, Any]] | None = None,
) -> EvalRun:
    """Run every cell through its provider's call stack and check its assertions.

    ``prepared`` is ``prepare(config, repeat=...)``'s result when the caller already
    showed the estimate; otherwise the run prepares itself.
    """
    if prepared is None:
        planned, estimate = prepare(config, repeat=repeat)
    else:
        planned, estimate = list(prepared[0]), prepared[1]
    if on_estimate is not None:
        on_estimate(estimate)
    check_max_cost(estimate, max_cost)
    repeats = repeat or config.repeat
    use_cache = cache and config.cache and repeats == 1  # a repeat must be a fresh sample
    disk_cache = None
    if use_cache and store is None and settings.eval_cache_ttl > 0:
        from apilab.calls.state.base import open_store
        from apilab.evals.cache import DiskCacheStore

        store = disk_cache = DiskCacheStore(open_store(settings),
                                            settings.data_path / "eval-cache.sqlite3")
    stack_settings = settings.with_overrides(
        cache_ttl=settings.eval_cache_ttl if use_cache else 0.0)
    run = EvalRun(config=config, results=[], started=dt.datetime.now(dt.UTC),
                  estimate=estimate)
    results: list[CellResult | None] = [None] * len(planned)
    grader_specs = _graders(config)
    grader_keys = list(grader_specs)
    try:
        async with open_targets(list(config.providers) + list(grader_specs.values()),
                                stack_settings, db=db,
                                sink=sink, store=store, learner=learner,
                                sandbox_app=sandbox_app) as opened:
            targets = opened[: len(config.providers)]
            graders = dict(zip(grader_keys, opened[len(targets):], strict=True))
            await _run_cells(planned, targets, graders, results, run, use_cache,
                             concurrency or config.max_concurrency, config.delay_ms, on_result)
    finally:
        if disk_cache is not None:  # ours to close; a store the caller passed is theirs
            await disk_cache.aclose()
    run.results = [r for r in results if r is not None]
    run.finished = dt.datetime.now(dt.UTC)
    return run


async def _run_cells(planned: list[Planned], targets: list[Target], graders: dict[str, Target],
                     results: list[CellResult | None], run: EvalRun, use_cache: bool,
                     workers: int, delay_ms: int, on_result: ResultCallback | None) -> None:
    from apilab.errors import BudgetExceededError

    next_index = 0
    done = 0
    refused: dict[int, str] = {}  # provider index -> the budget refusal that stopped it

    async def one(cell: Planned) -> CellResult:
        target = targets[cell.provider_index]
        if cell.provider_index in refused:
            out = Output(error=f"Not sent: {refused[cell.provider_index]}")
        else:
            call = target.call_for(cell.system, cell.messages, cell.test.vars, cache=use_cache)
            out = await target.run(call)
            if out.error and out.error.startswith(BudgetExceededError.__name__):
                refused.setdefault(cell.provider_index, out.error)
                run.stopped = out.error
        verdicts: list[AssertionResult] = []
        if out.error is None:
            for a in cell.test.asserts:
                verdict = check(a, out, cell.test.vars)
                if verdict is None:
                    verdict = await _grade(a, out, cell.test, graders)
                verdicts.append(verdict)
            passed, score = score_test(cell.test, verdicts)
        else:
            passed, score = False, 0.0
        return CellResult(test=cell.test, prompt=cell.prompt.label, provider=cell.provider.label,
                          repeat=cell.repeat, prompt_hash=cell.hash, rendered=cell.rendered,
                          output=out, asserts=verdicts, passed=passed, score=score)

    async def worker() -> None:
        nonlocal next_index, done
        while next_index < len(planned):
            index = next_index
            next_index += 1
            result = await one(planned[index])
            results[index] = result
            done += 1
            if on_result is not None:
                maybe = on_result(result, done, len(planned))
                if maybe is not None:
                    await maybe
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)

    await asyncio.gather(*(worker() for _ in range(max(1, min(workers, len(planned) or 1)))))
