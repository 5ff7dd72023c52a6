"""The JSON report: a stable, versioned schema (``"apilab_eval": 1``).

Top level: ``apilab_eval`` (schema version), ``description``, ``started``,
``finished``, ``stopped``, ``prompts`` [{label, text}], ``providers`` [{id,
label}], ``estimate``, ``stats`` (``EvalRun.stats()``), ``results`` (one per
cell, below) and ``heldout_hidden`` (how many held-out cells were left out).

A result: ``test`` (index), ``description``, ``vars``, ``prompt``,
``provider``, ``repeat``, ``prompt_hash``, ``output``, ``error``, ``pass``,
``score``, ``cost_usd`` (string), ``latency_ms``, ``input_tokens``,
``output_tokens``, ``cached``, ``call_id`` (the usage-ledger row) and
``assertions`` [{type, pass, score, reason, weight, metric}]. Fields are only
ever added; a change that removes or renames one bumps the version.
``recorded:FILE`` replays ``output`` by ``prompt_hash``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apilab.evals.results import CellResult, EvalRun

__all__ = ["SCHEMA_VERSION", "cell_dict", "plain", "to_json", "to_json_text"]

SCHEMA_VERSION = 1


def plain(value: Any) -> Any:
    """JSON-ready data: Decimals as strings (money never becomes a float)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def cell_dict(cell: CellResult) -> dict[str, Any]:
    """One cell as the JSON report (and the workbench stream) shows it."""
    out = cell.output
    return {
        "test": cell.test.index, "description": cell.test.name, "vars": dict(cell.test.vars),
        "metadata": dict(cell.test.metadata),
        "prompt": cell.prompt, "provider": cell.provider, "repeat": cell.repeat,
        "prompt_hash": cell.prompt_hash, "output": out.text, "error": out.error,
        "pass": cell.passed, "score": round(cell.score, 4),
        "cost_usd": str(out.cost) if out.cost is not None else None,
        "latency_ms": round(out.latency_ms, 1), "input_tokens": out.input_tokens,
        "output_tokens": out.output_tokens, "cached": out.cached,
        "finish_reason": out.finish_reason, "call_id": out.call_id,
        "assertions": [{"type": r.assertion.name, "pass": r.passed, "score": round(r.score, 4),
                        "reason": r.reason, "weight": r.assertion.weight,
                        "metric": r.assertion.metric} for r in cell.asserts],
    }


def to_json(run: EvalRun, *, show_heldout: bool = False) -> dict[str, Any]:
    """The report as a dict (money as strings, times as ISO 8601)."""
    shown = [c for c in run.results if show_heldout or not c.test.heldout]
    return {
        "apilab_eval": SCHEMA_VERSION,
        "description": run.config.description,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat() if run.finished else None,
        "stopped": run.stopped,
        "prompts": [{"label": p.label, "text": p.display} for p in run.config.prompts],
        "providers": [{"id": p.id, "label": p.label} for p in run.config.providers],
        "estimate": plain(run.estimate),
        "stats": run.stats(),
        "results": [cell_dict(c) for c in shown],
        "heldout_hidden": len(run.results) - len(shown),
    }


def to_json_text(run: EvalRun, *, show_heldout: bool = False) -> str:
    return json.dumps(to_json(run, show_heldout=show_heldout), indent=2, default=str,
                      ensure_ascii=False) + "\n"
