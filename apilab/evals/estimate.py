"""The pre-run estimate: calls, tokens and dollars per provider, before anything is sent.

Input tokens are counted exactly where the model's tokenizer is known
(``apilab.pricing``; otherwise a labelled estimate). Output cannot be known in
advance, so the estimate gives the worst case, every reply running to
``max_tokens``, which is also what the budget layer reserves; the dollars use
the dated price table. ``--max-cost`` compares that worst case, so a run that
starts can never spend more than it allowed. Cached replies are not
subtracted (whether they hit is only known when the call is made).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apilab.calls.base import Call, Usage
from apilab.calls.costs import estimate_input, price
from apilab.errors import BudgetExceededError

if TYPE_CHECKING:
    from apilab.evals.runner import Planned

__all__ = ["check_max_cost", "estimate_cells"]


def estimate_cells(cells: Iterable[Planned], *, rubric_calls: int = 0) -> dict[str, Any]:
    """Per provider label: calls, input tokens, worst-case output tokens and dollars."""
    rows: dict[str, dict[str, Any]] = {}
    counted: dict[tuple[str, str], tuple[int, str]] = {}  # (model, prompt hash) -> tokens
    for cell in cells:
        spec = cell.provider
        row = rows.setdefault(spec.label, {
            "provider": spec.label, "model": spec.model, "billable": cell.billable,
            "calls": 0, "input_tokens": 0, "max_output_tokens": 0,
            "worst_usd": Decimal(0), "input_usd": Decimal(0), "priced": True,
            "token_method": None,
        })
        max_tokens = int(spec.config.get("max_tokens") or 1024)
        key = (spec.model, cell.hash)
        if key not in counted:  # repeats and identical prompts are counted once
            probe = Call(provider=spec.kind, model=spec.model, messages=cell.messages,
                         system=cell.system, max_tokens=max_tokens)
            counted[key] = estimate_input(probe)
        tokens, method = counted[key]
        row["calls"] += 1
        row["input_tokens"] += tokens
        row["max_output_tokens"] += max_tokens
        row["token_method"] = row["token_method"] or method
        if cell.billable:
            worst = price(spec.model, Usage(tokens, max_tokens, exact=False))
            only_in = price(spec.model, Usage(tokens, 0, exact=False))
            if worst is None or only_in is None:
                row["priced"] = False
            else:
                row["worst_usd"] += worst
                row["input_usd"] += only_in
    providers = list(rows.values())
    total = sum((r["worst_usd"] for r in providers), Decimal(0))
    return {"providers": providers, "worst_usd": total,
            "calls": sum(r["calls"] for r in providers), "rubric_calls": rubric_calls,
            "unpriced": [r["provider"] for r in providers if r["billable"] and not r["priced"]]}


def check_max_cost(estimate: dict[str, Any], max_cost: Decimal | None) -> None:
    """Refuse to start when the worst case is above ``max_cost`` (or cannot be bounded)."""
    if max_cost is None:
        return
    if estimate["unpriced"]:
        raise BudgetExceededError(
            f"--max-cost cannot be checked: no price for {', '.join(estimate['unpriced'])}. "
            "Pick a priced model (`apilab prices`) or drop --max-cost.")
    worst = estimate["worst_usd"]
    if worst > max_cost:
        raise BudgetExceededError(
            f"Not started: this run could cost up to ${worst:.4f} (every reply at max_tokens), "
            f"above --max-cost ${max_cost}. Lower max_tokens, run fewer tests or providers, or "
            "raise --max-cost.")
