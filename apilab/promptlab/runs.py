"""Running a prompt version over the learner's cases, and comparing two runs.

``run_version`` turns a version and the cases into an eval config (one
prompt, one provider, one test per case; ``{{input}}`` and ``{{canary}}``
filled in) and runs it with ``apilab.evals.run_eval``, so every call goes
through the call layer: the learner's budget, the usage ledger, retries and
rate limits apply, and a real provider is used only when its key is configured.
Results are yielded as they arrive (``start``, ``result`` per case, ``done``)
and stored on a ``PromptRun`` row. With JSON mode or a JSON schema, every case
also goes through the validation pipeline (bound, parse, schema, rules), shown
per case and counted as an assertion.

One run per learner at a time; a run the page abandons is cancelled and its
row marked so.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apilab.errors import ConfigError, InvalidInputError, NotFoundError, TooBusyError
from apilab.promptlab.lab import case_dict, parse_schema, version_dict

if TYPE_CHECKING:
    from apilab.evals.results import CellResult
    from apilab.promptlab.lab import PromptLab
    from apilab.settings import Settings
    from apilab.storage.models.promptlab import PromptRun

__all__ = ["SANDBOX_MODELS", "compare", "run_dict", "run_version", "targets"]

# The sandbox has no model behind it: `echo` repeats the input (a worst case, a model that
# does whatever the input says); the others answer with placeholder text or schema JSON.
SANDBOX_MODELS = ("echo", "gpt-4o-mini")
_REAL = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5",
         "gemini": "gemini-2.0-flash"}
MAX_OUTPUT_KEPT = 2_000
RUNS_KEPT = 40


def targets(settings: Settings) -> list[dict[str, Any]]:
    """Providers a run may use: the sandbox always, a real one when its key is configured."""
    from apilab.errors import NeedsKeyError
    from apilab.providers.keys import resolve_key

    out = [{"id": f"sandbox:{m}", "label": f"sandbox · {m}", "real": False}
           for m in SANDBOX_MODELS]
    for name, model in _REAL.items():
        try:
            resolve_key(name, settings)
        except NeedsKeyError:
            continue
        out.append({"id": f"{name}:{model}", "label": f"{name} · {model} (real, costs money)",
                    "real": True})
    return out


def run_dict(run: PromptRun, *, with_results: bool = True) -> dict[str, Any]:
    data = {"id": run.id, "version_id": run.version_id, "provider": run.provider,
            "status": run.status, "passed": run.passed, "total": run.total,
            "cost_usd": format(run.cost_usd, "f"), "error": run.error,
            "started_at": run.started_at.isoformat()}
    if with_results:
        data["results"] = run.results
    return data


def _config(version: dict[str, Any], cases: list[dict[str, Any]], provider: str) -> Any:
    from apilab.evals.config import config_from_dict
    from apilab.evals.packs import CANARY

    messages = ([{"role": "system", "content": version["system"]}]
                if version["system"].strip() else [])
    messages.append({"role": "user", "content": version["user_template"]})
    provider_config: dict[str, Any] = {"max_tokens": version["max_tokens"],
                                       "temperature": version["temperature"]}
    defaults: list[dict[str, Any]] = []
    mode = version["output_mode"]
    if mode != "text":
        schema = parse_schema(version["schema_text"]) if mode == "json_schema" else None
        provider_config["response_format"] = (
            {"type": "json_object"} if schema is None else
            {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema,
                                                    "strict": True}})
        defaults.append({"type": "apilab:validate", "metric": "validation",
                         "value": {"schema": schema, "rules": version["rules"]}})
    return config_from_dict({
        "prompts": [{"label": version["label"], "raw": messages}],
        "providers": [{"id": provider, "config": provider_config}],
        "defaultTest": {"vars": {"canary": CANARY}, "assert": defaults},
        "tests": [{"description": c["name"], "vars": {"input": c["input"]},
                   "assert": c["asserts"], "metadata": {"case_id": c["id"], "kind": c["kind"]}}
                  for c in cases],
        "evaluateOptions": {"maxConcurrency": 4},
    })


def _case_result(cell: CellResult, version: dict[str, Any]) -> dict[str, Any]:
    from apilab.evals.validate import validate_output

    out = cell.output
    steps = None
    if version["output_mode"] != "text" and not cell.error:
        schema = parse_schema(version["schema_text"]) \
            if version["output_mode"] == "json_schema" else None
        steps = validate_output(out.text, schema, version["rules"].splitlines()).to_dict()
    return {
        "case_id": cell.test.metadata.get("case_id"), "name": cell.test.name,
        "kind": cell.test.metadata.get("kind"), "pass": cell.passed, "error": out.error,
        "output": out.text[:MAX_OUTPUT_KEPT], "reasons": cell.reasons(),
        "checks": [{"type": r.assertion.name, "pass": r.passed, "reason": r.reason}
                   for r in cell.asserts],
        "cost_usd": str(out.cost or Decimal(0)), "latency_ms": round(out.latency_ms, 1),
        "tokens": {"input": out.input_tokens, "output": out.output_tokens},
        "call_id": out.call_id, "validation": steps,
    }


async def run_version(lab: PromptLab, handle: str, version_id: int,
                      provider: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Run one version over the learner's cases; yield ``start``, ``result``s, ``done``."""
    from apilab.evals.runner import prepare, run_eval
    from apilab.storage import promptlab as repo

    allowed = {t["id"] for t in targets(lab.settings)}
    if provider not in allowed:
        raise InvalidInputError(f"Provider {provider!r} is not available: choose one of "
                                f"{', '.join(sorted(allowed))}.")
    if handle in lab.running:
        raise TooBusyError("A run of yours is still going; wait for it to finish.")

    def load() -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
        with lab.db.session() as session:
            learner_id = lab._learner(session, handle)
            version = repo.get_version(session, learner_id, version_id)
            if version is None:
                raise NotFoundError(f"No prompt version {version_id}.")
            cases = [case_dict(c) for c in repo.list_cases(session, learner_id)]
            return learner_id, version_dict(version), cases

    learner_id, version, cases = await asyncio.to_thread(load)
    if not cases:
        raise InvalidInputError("Add a test case (or the injection pack) before running.")
    try:
        config = _config(version, cases, provider)
        prepared = prepare(config)
    except ConfigError as exc:
        raise InvalidInputError(str(exc)) from None

    def start_row() -> int:
        with lab.db.session() as session:
            return repo.add_run(session, learner_id, version_id=version["id"],
                                provider=provider, total=len(cases)).id

    lab.running.add(handle)
    try:
        run_id = await asyncio.to_thread(start_row)
        estimate = prepared[1]["providers"][0]
        yield "start", {"run_id": run_id, "version": version["label"], "provider": provider,
                        "cases": [{"id": c["id"], "name": c["name"]} for c in cases],
                        "estimate": {"calls": estimate["calls"],
                                     "input_tokens": estimate["input_tokens"],
                                     "worst_usd": str(estimate["worst_usd"])}}
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        results: list[dict[str, Any]] = []

        def on_result(cell: CellResult, done: int, total: int) -> None:
            queue.put_nowait(_case_result(cell, version))

        async def go() -> Any:
            try:
                return await run_eval(config, lab.settings, db=lab.db, learner=handle,
                                      sandbox_app=lab.sandbox_app, cache=False,
                                      prepared=prepared, on_result=on_result)
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(go())
        status, error = "failed", "cancelled"
        try:
            while (item := await queue.get()) is not None:
                results.append(item)
                yield "result", item
            run = await task
            status, error = "done", run.stopped
        except ConfigError as exc:
            error = str(exc)
            yield "error", {"error": error}
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            position = {c["id"]: i for i, c in enumerate(cases)}
            results.sort(key=lambda r: position.get(r["case_id"], len(position)))
            passed = sum(r["pass"] for r in results)
            cost = sum((Decimal(r["cost_usd"]) for r in results), Decimal(0))

            def finish() -> None:
                with lab.db.session() as session:
                    row = repo.get_run(session, learner_id, run_id)
                    if row is not None:
                        row.status, row.error = status, (error or None) and error[:500]
                        row.passed, row.cost_usd, row.results = passed, cost, results
                        row.finished_at = dt.datetime.now(dt.UTC)
                    repo.prune_runs(session, learner_id, RUNS_KEPT)

            await asyncio.to_thread(finish)
        yield "done", {"run_id": run_id, "passed": passed, "total": len(results),
                       "cost_usd": str(cost), "stopped": error if status == "done" else None}
    finally:
        lab.running.discard(handle)


def compare(lab: PromptLab, handle: str, a: int, b: int) -> dict[str, Any]:
    """Two runs side by side: per case verdicts, what flipped, cost and latency deltas."""
    from apilab.storage import promptlab as repo

    with lab.db.session() as session:
        learner_id = lab._learner(session, handle)
        runs = [repo.get_run(session, learner_id, run_id) for run_id in (a, b)]
        if runs[0] is None or runs[1] is None:
            raise NotFoundError("No such run: run both versions first.")
        labels = {v.id: f"v{v.number}" for v in repo.list_versions(session, learner_id)}
        sides = [run_dict(r) for r in runs if r is not None]
    by_case = [{r["case_id"]: r for r in side["results"]} for side in sides]
    order = list(dict.fromkeys([*by_case[0], *by_case[1]]))
    rows, flips = [], {"fixed": 0, "broke": 0}
    for case_id in order:
        ra, rb = by_case[0].get(case_id), by_case[1].get(case_id)
        flip = None
        if ra and rb and ra["pass"] != rb["pass"]:
            flip = "fixed" if rb["pass"] else "broke"
            flips[flip] += 1
        rows.append({"case_id": case_id, "name": (ra or rb or {}).get("name"),
                     "kind": (ra or rb or {}).get("kind"),
                     "a": None if ra is None else {"pass": ra["pass"], "cost_usd": ra["cost_usd"],
                                                   "latency_ms": ra["latency_ms"]},
                     "b": None if rb is None else {"pass": rb["pass"], "cost_usd": rb["cost_usd"],
                                                   "latency_ms": rb["latency_ms"]},
                     "flip": flip})

    def totals(side: dict[str, Any]) -> dict[str, Any]:
        lat = [r["latency_ms"] for r in side["results"]]
        return {"run_id": side["id"], "version": labels.get(side["version_id"], "?"),
                "provider": side["provider"], "passed": side["passed"], "total": side["total"],
                "cost_usd": side["cost_usd"],
                "latency_ms_mean": round(sum(lat) / len(lat), 1) if lat else None}

    ta, tb = totals(sides[0]), totals(sides[1])
    return {"a": ta, "b": tb, "rows": rows, "flips": flips,
            "delta": {"passed": tb["passed"] - ta["passed"],
                      "cost_usd": str(Decimal(tb["cost_usd"]) - Decimal(ta["cost_usd"])),
                      "latency_ms_mean": None if ta["latency_ms_mean"] is None
                      or tb["latency_ms_mean"] is None
                      else round(tb["latency_ms_mean"] - ta["latency_ms_mean"], 1)},
            "same_provider": ta["provider"] == tb["provider"]}
